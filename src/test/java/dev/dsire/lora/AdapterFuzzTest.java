package dev.dsire.lora;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsire.InputException;
import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.FuzzChecks;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.ModuleSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Coverage-guided fuzzing of the adapter reader (Jazzer): well-formed safetensors files whose
 * tensor names, shapes, dtypes, alphas, metadata and weight bytes come from the fuzzer, read,
 * paired and turned into spectra. Any outcome but success or one {@link InputException} is a finding.
 * CI replays {@code src/test/resources/dev/dsire/lora/AdapterFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class AdapterFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] MODULES = {
        "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", "mid_block.attentions.0.proj_in",
        "input_blocks.4.1.transformer_blocks.0.attn2.to_k", "text_model.encoder.layers.0.self_attn.q_proj",
        "model.layers.0.mlp.down_proj", "up_blocks.1.resnets.0.conv1", "conv_in", "time_embedding.linear_1"};
    private static final String[] COMPONENTS = {"unet", "te1", "te2", "model"};
    private static final String[] METADATA = {"ss_dataset_dirs", "ss_datasets", "lora_adapter_metadata", "ss_network_dim",
        "ss_network_alpha", "ss_base_model_version", "modelspec.architecture"};
    private static Path dir;

    private static Path file() {
        try {
            if (dir == null) {
                dir = Files.createTempDirectory("dsire-fuzz");
                dir.toFile().deleteOnExit();
            }
            return dir.resolve("f.safetensors");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "20m")
    void adapterReadsOrFailsCleanly(FuzzedDataProvider data) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ByteArrayOutputStream weights = new ByteArrayOutputStream();
        int layers = data.consumeInt(1, 4);
        Naming naming = data.pickValue(Naming.values());
        for (int l = 0; l < layers; l++) {
            String module = data.consumeBoolean() ? data.pickValue(MODULES) : data.consumeString(40);
            int in = data.consumeInt(0, 12), out = data.consumeInt(0, 12), rank = data.consumeInt(0, 10);
            String[] keys = AdapterWriter.keys(naming, new ModuleSpec(data.pickValue(COMPONENTS), module, out, in));
            for (int t = 0; t < keys.length; t++) {
                if (t == 2 && naming != Naming.KOHYA) {
                    break;
                }
                String key = data.consumeInt(0, 9) == 0 ? data.consumeString(60) : keys[t];
                long[] shape = switch (t) {
                    case 0 -> data.consumeBoolean() ? new long[] {rank, in} : new long[] {rank, in, data.consumeInt(0, 3), data.consumeInt(0, 3)};
                    case 1 -> data.consumeBoolean() ? new long[] {out, rank} : new long[] {data.consumeInt(0, 12), data.consumeInt(0, 12)};
                    default -> data.consumeBoolean() ? new long[0] : new long[] {data.consumeInt(0, 2)};
                };
                String dtype = data.consumeInt(0, 7) == 0 ? data.pickValue(DType.values()).name()
                        : data.pickValue(new String[] {"F16", "BF16", "F32", "F64"});
                put(header, weights, key, dtype, shape, data);
            }
        }
        if (data.consumeBoolean()) {
            ObjectNode meta = header.putObject("__metadata__");
            int n = data.consumeInt(0, 3);
            for (int i = 0; i < n; i++) {
                meta.put(data.pickValue(METADATA), data.consumeString(120));
            }
        }
        byte[] h = JSON.writeValueAsBytes(header);
        byte[] w = weights.toByteArray();
        Path f = file();
        Files.write(f, ByteBuffer.allocate(8 + h.length + w.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).put(w).array());
        readAll(f);
    }

    /**
     * LyCORIS layers (LoHa, LoKr, LoCon with a Tucker core), consistent where every choice is 0 so that
     * the committed seeds read: the fuzzer drops pieces, bends shapes, picks dtypes and weight bytes.
     */
    @FuzzTest(maxDuration = "10m")
    void lycorisReadsOrFailsCleanly(FuzzedDataProvider data) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ByteArrayOutputStream weights = new ByteArrayOutputStream();
        int kind = data.consumeInt(0, 2);
        String module = data.consumeBoolean() ? data.consumeString(30) : "lora_unet_down_blocks_0_resnets_0_conv1";
        int r = 1 + data.consumeInt(0, 3), b = 2 + data.consumeInt(0, 3), d = 2 + data.consumeInt(0, 3);
        int k = data.consumeBoolean() ? 3 : 1;
        boolean tucker = k == 3 && data.consumeBoolean();
        int out = 2 * b, in = 2 * d;
        long[][] shapes;
        String[] names;
        switch (kind) {
            case 0 -> {
                names = tucker ? new String[] {"hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b", "hada_t1", "hada_t2"}
                        : new String[] {"hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b"};
                long[] up = tucker ? new long[] {r, out} : new long[] {out, r};
                long[] down = tucker ? new long[] {r, in} : k == 1 ? new long[] {r, in} : new long[] {r, in, k, k};
                shapes = tucker ? new long[][] {up, down, up, down, {r, r, k, k}, {r, r, k, k}} : new long[][] {up, down, up, down};
            }
            case 1 -> {
                names = tucker ? new String[] {"lokr_w1", "lokr_w2_a", "lokr_w2_b", "lokr_t2"} : new String[] {"lokr_w1", "lokr_w2_a", "lokr_w2_b"};
                shapes = tucker ? new long[][] {{2, 2}, {r, b}, {r, d}, {r, r, k, k}} : new long[][] {{2, 2}, {b, r}, {r, (long) d * k * k}};
            }
            default -> {
                names = new String[] {"lora_down.weight", "lora_mid.weight", "lora_up.weight"};
                shapes = new long[][] {{r, in, 1, 1}, {r, r, k, k}, {out, r, 1, 1}};
            }
        }
        for (int i = 0; i < names.length; i++) {
            if (data.consumeInt(0, 15) == 15) {
                continue; // a piece missing
            }
            long[] shape = shapes[i].clone();
            if (data.consumeInt(0, 7) == 7) {
                shape[data.consumeInt(0, shape.length - 1)] = data.consumeInt(0, 6);
            }
            String dtype = new String[] {"F32", "F16", "BF16", "F64"}[data.consumeInt(0, 3)];
            put(header, weights, module + "." + names[i], dtype, shape, data);
        }
        if (!data.consumeBoolean()) {
            put(header, weights, module + ".alpha", "F32", new long[0], data);
        }
        byte[] h = JSON.writeValueAsBytes(header);
        byte[] w = weights.toByteArray();
        Path f = file();
        Files.write(f, ByteBuffer.allocate(8 + h.length + w.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).put(w).array());
        readAll(f);
    }

    private static void put(ObjectNode header, ByteArrayOutputStream weights, String key, String dtype, long[] shape, FuzzedDataProvider data) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        long bytes = n * DType.valueOf(dtype).bits() / 8;
        ObjectNode t = header.putObject(key);
        t.put("dtype", dtype);
        var s = t.putArray("shape");
        for (long d : shape) {
            s.add(d);
        }
        int begin = weights.size();
        byte[] values = data.consumeBytes((int) bytes);
        weights.writeBytes(values);
        weights.writeBytes(new byte[(int) bytes - values.length]);
        t.putArray("data_offsets").add(begin).add(weights.size());
    }

    /** Everything a batch command does with a file; only success or one InputException is allowed. */
    static void readAll(Path f) {
        try (LoraAdapter a = LoraReader.open(f)) {
            a.requireFinite();
            a.layout().fingerprint();
            a.layout().family();
            a.layout().ranks();
            a.kohya();
            dev.dsire.hub.DeclaredLabel.of(a.metadata()); // kohya's dataset records, read as JSON trees (json/JsonTree)
            a.alphas();
            a.dtype();
            try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
                Computed c = cpu.compute(List.of(a)).getFirst();
                if (!c.ok()) {
                    FuzzChecks.oneLineReason(c.error());
                }
            }
        } catch (InputException e) {
            FuzzChecks.oneLineReason(e);
        }
    }
}
