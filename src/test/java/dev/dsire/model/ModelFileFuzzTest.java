package dev.dsire.model;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the model-file reader (Jazzer): whatever the bytes, parse returns a
 * model or throws its one ModelFileException. Seeds: a small model of every format (3 with base64
 * vectors, 2 with numbers, 1 without calibration). CI replays {@code .../ModelFileFuzzTestInputs/};
 * {@code JAZZER_FUZZ=1} fuzzes.
 */
class ModelFileFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void modelsLoadOrFailCleanly(byte[] json) {
        try {
            ModelFile.parse(Path.of("fuzz.json"), json);
        } catch (ModelFileException e) {
            if (e.getMessage() == null || e.getMessage().lines().count() != 1) {
                throw new AssertionError("not one line: " + e.getMessage());
            }
        }
    }
}
