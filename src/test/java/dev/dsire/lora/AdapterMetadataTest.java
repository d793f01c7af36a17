package dev.dsire.lora;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diffusers' lora_adapter_metadata, as its pipelines save it: one config per component, keys prefixed. */
class AdapterMetadataTest {
    @TempDir
    Path dir;

    private static double[] ramp(int n, double step) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i % 7 - 3) * step;
        }
        return x;
    }

    private Path write(String meta) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        w.put("transformer.transformer_blocks.0.attn.to_q.lora_A.weight", DType.F32, new long[] {2, 8}, ramp(16, 0.1));
        w.put("transformer.transformer_blocks.0.attn.to_q.lora_B.weight", DType.F32, new long[] {8, 2}, ramp(16, 0.2));
        w.put("text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight", DType.F32, new long[] {4, 8}, ramp(32, 0.1));
        w.put("text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_B.weight", DType.F32, new long[] {8, 4}, ramp(32, 0.2));
        if (meta != null) {
            w.metadata("lora_adapter_metadata", meta);
        }
        Path p = dir.resolve("pytorch_lora_weights.safetensors");
        w.write(p);
        return p;
    }

    private static LoraLayer layer(LoraAdapter a, String prefix) {
        return a.layers().stream().filter(l -> l.name().startsWith(prefix)).findFirst().orElseThrow();
    }

    @Test
    void prefixedMetadataScalesEachComponentByItsOwnConfig() throws IOException {
        Path p = write("{\"transformer.r\": 2, \"transformer.lora_alpha\": 4, \"transformer.target_modules\": [\"to_q\"],"
                + " \"text_encoder.r\": 4, \"text_encoder.lora_alpha\": 1, \"text_encoder.use_rslora\": true}");
        try (LoraAdapter a = LoraReader.open(p)) {
            assertEquals(2.0, layer(a, "unet.").scale());
            assertEquals(4.0, layer(a, "unet.").alpha());
            assertEquals(0.5, layer(a, "te1.").scale()); // rsLoRA: 1/sqrt(4)
            assertEquals("metadata(text_encoder)+metadata(transformer)", a.facts().scaleSource());
        }
    }

    @Test
    void aComponentWithoutConfigIsAssumedOneAndSaysSo() throws IOException {
        try (LoraAdapter a = LoraReader.open(write("{\"transformer.r\": 2, \"transformer.lora_alpha\": 4}"))) {
            assertEquals(2.0, layer(a, "unet.").scale());
            assertEquals(1.0, layer(a, "te1.").scale());
            assertEquals("assumed+metadata(transformer)", a.facts().scaleSource());
        }
    }

    @Test
    void unprefixedMetadataStillApplies() throws IOException {
        try (LoraAdapter a = LoraReader.open(write("{\"r\": 2, \"lora_alpha\": 1, \"rank_pattern\": {\"q_proj\": 4}}"))) {
            assertEquals(0.5, layer(a, "unet.").scale());
            assertEquals(0.25, layer(a, "te1.").scale());
            assertEquals("metadata", a.facts().scaleSource());
        }
    }

    @Test
    void aPrefixedConfigThatDisagreesWithTheTensorsIsRefused() throws IOException {
        Path p = write("{\"transformer.r\": 8, \"transformer.lora_alpha\": 4}");
        LoraException e = assertThrows(LoraException.class, () -> LoraReader.open(p).close());
        assertEquals(LoraException.Kind.BAD_CONFIG, e.kind());
    }
}
