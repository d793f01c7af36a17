package dev.dsire.lora;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.re2j.Pattern;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing of the Python-to-RE2 pattern translation (Jazzer): any key a config can
 * hold either compiles to a linear-time pattern or is refused as Untranslatable, never another
 * exception, and the compiled pattern matches a long module name. CI replays
 * {@code .../PythonRegexFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class PythonRegexFuzzTest {
    private static final String NAME = "base_model.model.model.layers.31.self_attn." + "a".repeat(200) + "_proj";

    @FuzzTest(maxDuration = "10m")
    void patternsCompileOrRefuse(byte[] key) {
        String k = new String(key, StandardCharsets.UTF_8);
        Pattern p;
        try {
            p = PythonRegex.peftKey(k);
            PythonRegex.cost(k);
        } catch (PythonRegex.Untranslatable e) {
            return;
        }
        p.matches(NAME);
    }
}
