package dev.dsire.safetensors;

import dev.dsire.InputException;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.ModuleSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Mutated valid files: the readers either parse them or throw the project's own exception —
 * never anything else, never a hang.
 */
class SafetensorsFuzzTest {
    private static byte[] valid;

    @BeforeContainer
    static void makeValidFile() throws IOException {
        Path tmp = Files.createTempDirectory("fuzz");
        List<ModuleSpec> m = List.of(new ModuleSpec("unet", "a.attn1.to_q", 6, 5), new ModuleSpec("te1", "t.q_proj", 4, 4));
        Path f = AdapterWriter.write(tmp.resolve("v.safetensors"), Naming.KOHYA, m, 2, 1, DType.F16, AdapterWriter.random(m, 2, 1),
                Map.of("ss_dataset_dirs", "{\"1_x\": {\"img_count\": 3}}"));
        valid = Files.readAllBytes(f);
    }

    @Provide
    Arbitrary<List<Tuple.Tuple2<Integer, Byte>>> flips() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).tuple2()
                .map(t -> Tuple.of(t.get1(), (byte) (int) t.get2())).list().ofMinSize(1).ofMaxSize(8);
    }

    @Property(tries = 400)
    void byteFlipsParseOrFailCleanly(@ForAll("flips") List<Tuple.Tuple2<Integer, Byte>> flips) throws IOException {
        byte[] b = valid.clone();
        for (var f : flips) {
            b[f.get1() % b.length] = f.get2();
        }
        check(b);
    }

    @Property(tries = 200)
    void truncationsAndExtensionsFailCleanly(@ForAll("cut") int length) throws IOException {
        byte[] b = java.util.Arrays.copyOf(valid, length);
        check(b);
    }

    @Provide
    Arbitrary<Integer> cut() {
        return Arbitraries.integers().between(0, 3 * 1024);
    }

    @Property(tries = 200)
    void headerTextMutationsFailCleanly(@ForAll("headerEdits") String replacement, @ForAll("positions") int at) throws IOException {
        int headerLen = (int) java.nio.ByteBuffer.wrap(valid, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(valid, 8, headerLen, java.nio.charset.StandardCharsets.UTF_8);
        int pos = at % header.length();
        String mutated = header.substring(0, pos) + replacement + header.substring(Math.min(header.length(), pos + replacement.length()));
        byte[] h = mutated.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] data = java.util.Arrays.copyOfRange(valid, 8 + headerLen, valid.length);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(8 + h.length + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(data);
        check(out.array());
    }

    @Provide
    Arbitrary<String> headerEdits() {
        return Arbitraries.of("9", "-1", "\"", "{", "}", "[", "]", ",", ":", "null", "1e400", "99999999999999999999", "\"F64\"", "\"BF16\"",
                "\"lora_up\"", "[[[[[[[[[[", "\\u0000", "true", "18446744073709551615");
    }

    @Provide
    Arbitrary<Integer> positions() {
        return Arbitraries.integers().between(0, 10_000);
    }

    private static void check(byte[] bytes) throws IOException {
        Path p = Files.createTempFile("fuzz", ".safetensors");
        try {
            Files.write(p, bytes);
            try (LoraAdapter a = LoraReader.open(p)) {
                a.requireFinite();
                a.kohya();
                a.layout().fingerprint();
            } catch (InputException expected) {
                if (expected.getMessage().contains("\n")) {
                    throw new AssertionError("multi-line error: " + expected.getMessage());
                }
            }
        } finally {
            Files.delete(p);
        }
    }
}
