package dev.dsire.lora;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.dsire.safetensors.DType;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.ModuleSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzzing of the PEFT config reader (Jazzer): the fuzzer writes the
 * adapter_config.json beside a valid PEFT adapter (r, lora_alpha, rank_pattern, alpha_pattern,
 * use_rslora...), which is then read as every batch command reads it. Only success or one
 * InputException is allowed. CI replays {@code .../PeftConfigFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class PeftConfigFuzzTest {
    private static Path adapter;

    private static Path adapter() {
        if (adapter == null) {
            try {
                Path dir = Files.createTempDirectory("dsire-peft-fuzz");
                List<ModuleSpec> m = List.of(new ModuleSpec("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", 6, 5),
                        new ModuleSpec("unet", "mid_block.attentions.0.proj_in", 4, 4), new ModuleSpec("te1", "text_model.encoder.layers.0.self_attn.q_proj", 5, 5));
                adapter = AdapterWriter.write(dir.resolve("adapter_model.safetensors"), Naming.PEFT, m, 2, 4, DType.F32,
                        AdapterWriter.random(m, 2, 1), Map.of());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return adapter;
    }

    @FuzzTest(maxDuration = "15m")
    void configReadsOrFailsCleanly(byte[] config) throws IOException {
        Path a = adapter();
        Files.write(a.resolveSibling("adapter_config.json"), config);
        AdapterFuzzTest.readAll(a);
    }
}
