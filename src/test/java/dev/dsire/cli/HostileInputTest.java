package dev.dsire.cli;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.SpectraExtractor;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.testutil.FailingBackend;
import dev.dsire.testutil.Cli.Run;
import dev.dsire.testutil.Zoo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files that are not files, change under the reader, or make a stage throw: each is its own one-line answer. */
class HostileInputTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Path good;
    Path model;

    @BeforeEach
    void fit() throws IOException {
        Path manifest = Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 2, List.of(1, 3));
        model = dir.resolve("m.json");
        assertEquals(0, dsire("fit", "--manifest", manifest, "--out", model).code());
        good = dir.resolve("zoo/g0-n3/g0-n3.safetensors");
    }

    private List<Path> specialFiles() throws Exception {
        Path fifo = dir.resolve("fifo.safetensors");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        return List.of(fifo, Files.createDirectory(dir.resolve("folder.safetensors")),
                Files.createSymbolicLink(dir.resolve("zero.safetensors"), Path.of("/dev/zero")), good);
    }

    /** Every path answered exactly once: a JSON line or a 'PATH: reason' line; no stack trace. */
    private static void eachAnsweredOnce(Run r, List<Path> files, boolean jsonForFailures) throws IOException {
        assertTrue(r.code() == 0 || r.code() == 1, "exit " + r.code() + " " + r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
        for (Path f : files) {
            long inOut = 0;
            for (String line : r.lines()) {
                if (JSON.readTree(line).get("path").asText().equals(f.toString())) {
                    inOut++;
                }
            }
            long inErr = r.err().lines().filter(l -> l.startsWith(f + ": ")).count();
            assertEquals(1, jsonForFailures ? inOut : inOut + inErr, f + " answered once: " + r.out() + r.err());
        }
    }

    @Test
    void specialFilesAreRefusedAtOnceSayingWhatTheyAreInEveryBatchCommand() throws Exception {
        List<Path> files = specialFiles();
        Run inspect = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> dsire(concat(List.of("inspect", "--json"), files)));
        eachAnsweredOnce(inspect, files, true);
        assertEquals(1, inspect.code());
        assertTrue(inspect.err().contains("fifo.safetensors: not a regular file: a FIFO (named pipe)"), inspect.err());
        assertTrue(inspect.err().contains("folder.safetensors: not a regular file: a directory"), inspect.err());
        assertTrue(inspect.err().contains("zero.safetensors: not a regular file: a character device (symbolic link to /dev/zero)"), inspect.err());
        Run features = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> dsire(concat(List.of("features", "--threads", "1"), files)));
        eachAnsweredOnce(features, files, false);
        Run predict = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> dsire(concat(List.of("predict", "--json", "--model", model.toString()), files)));
        eachAnsweredOnce(predict, files, true);
        assertEquals(3, predict.lines().get(3).length() > 0 ? JSON.readTree(predict.lines().get(3)).get("prediction").asInt() : -1);
    }

    private static Object[] concat(List<String> head, List<Path> files) {
        List<Object> all = new ArrayList<>(head);
        all.addAll(files);
        return all.toArray();
    }

    @Test
    void aDamagedFileWhoseHeaderLengthStartsLikeAPickleIsNotCalledAPickle() throws IOException {
        // header length 0x280 = 640: the file starts 0x80 0x02, as a pickle does, but it is safetensors with one bad byte at the end
        String t = "{\"x.lora_A.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]},"
                + "\"x.lora_B.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[4,8]}}";
        byte[] h = (t + " ".repeat(640 - t.length())).getBytes(StandardCharsets.UTF_8);
        Path f = dir.resolve("damaged.safetensors");
        Files.write(f, ByteBuffer.allocate(8 + 640 + 9).order(ByteOrder.LITTLE_ENDIAN).putLong(640).put(h).array());
        assertEquals((byte) 0x80, Files.readAllBytes(f)[0]);
        Run r = dsire("inspect", f);
        assertEquals(1, r.code());
        assertEquals(f + ": 1 bytes after the last tensor (the data must end the file)", r.err().strip());
        Files.write(f, java.util.Arrays.copyOf(Files.readAllBytes(f), 8 + 640 + 8)); // now valid
        assertEquals(0, dsire("inspect", f).code());
    }

    private List<Path> batch() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String name : List.of("a", "boom", "b")) {
            Path f = dir.resolve(name + ".safetensors");
            Files.copy(good, f);
            files.add(f);
        }
        return files;
    }

    @Test
    void aFileTruncatedWhileMappedIsItsOwnErrorAndTheNextFileIsStillRead() throws IOException {
        List<Path> files = batch();
        var out = new SpectraExtractor(FailingBackend.on(2, a -> {
            try (FileChannel ch = FileChannel.open(a.path(), StandardOpenOption.WRITE)) {
                ch.truncate(16); // the mapped weights are gone: touching them faults (SIGBUS, InternalError in Java)
            } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
            return new CpuSpectrumBackend(1).compute(List.of(a));
        })).extract(files, e -> {});
        assertEquals(3, out.size());
        assertTrue(out.get(0).ok() && out.get(2).ok(), "the files before and after are read");
        assertEquals(files.get(1) + ": file changed while being read (truncated under its memory mapping)", out.get(1).error().getMessage());
    }

    @Test
    void anyExceptionOrContainableErrorStaysWithItsFile() throws IOException {
        List<Path> files = batch();
        Map<String, Function<LoraAdapter, List<Computed>>> failures = Map.of(
                "internal error on this file (NullPointerException: bug); please report it", a -> { throw new NullPointerException("bug"); },
                "needs more memory than this JVM has (Java heap space)", a -> { throw new OutOfMemoryError("Java heap space"); },
                "structure nested too deeply to read", a -> { throw new StackOverflowError(); },
                "internal error on this file (ArithmeticException: long overflow); please report it",
                a -> { throw new IllegalStateException(new ArithmeticException("long overflow")); });
        failures.forEach((reason, failure) -> {
            var out = new SpectraExtractor(FailingBackend.on(2, failure)).extract(files, e -> {});
            assertTrue(out.get(0).ok() && out.get(2).ok(), reason);
            assertEquals(reason, out.get(1).error().reason());
        });
    }

    @Test
    void namesWithControlCharactersAndNonAsciiStayOneLineAndUtf8() throws Exception {
        Path odd = Files.createDirectories(dir.resolve("two\nlines"));
        Path f = odd.resolve("bad\r.safetensors");
        byte[] h = "{\"ünï\\ncode\":{\"dtype\":\"F32\",\"shape\":[1]}}".getBytes(StandardCharsets.UTF_8);
        Files.write(f, ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array());
        Path g = odd.resolve("ok.safetensors");
        Files.copy(good, g);
        // a child JVM in the C locale: output is still UTF-8, each answer still one line
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "inspect", "--json", f.toString(), g.toString());
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("LANG", "C");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertEquals(1, p.waitFor());
        String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(out)).toString();
        List<String> lines = text.lines().toList();
        assertEquals(2, lines.size(), text);
        assertEquals(g.toString(), JSON.readTree(lines.get(1)).get("path").asText());
        assertEquals("tensor ünï\\ncode: entry needs dtype, shape and data_offsets", JSON.readTree(lines.get(0)).get("error").asText());
        String errText = new String(err, StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("WARNING")).reduce("", (a, b) -> a + b + "\n");
        assertEquals(1, errText.lines().count(), errText);
        assertTrue(errText.contains("two\\nlines/bad\\r.safetensors: tensor ünï\\ncode: entry needs"), errText);
    }
}
