package dev.dsire.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the header parser (Jazzer). In CI this replays the committed inputs
 * under {@code src/test/resources/dev/dsire/safetensors/HeaderFuzzTestInputs/}; {@code JAZZER_FUZZ=1}
 * fuzzes for real and saves each crash there (see README, "Fuzzing").
 *
 * <p>The contract: any byte string is either a valid file or one {@link SafetensorsException}
 * with a one-line reason; a valid file holds only well-formed text and consistent offsets.
 */
class HeaderFuzzTest {
    private static final Path PATH = Path.of("fuzz.safetensors");

    @FuzzTest(maxDuration = "15m")
    void headerParsesOrFailsCleanly(byte[] bytes) {
        SafetensorsFile.Header h;
        try {
            h = SafetensorsFile.readHeader(PATH, MemorySegment.ofArray(bytes));
        } catch (SafetensorsException e) {
            FuzzChecks.oneLineReason(e);
            return;
        }
        long end = 0;
        for (TensorInfo t : h.tensors().values()) {
            FuzzChecks.wellFormedText(t.name());
            if (t.begin() != end || t.end() < t.begin()) {
                throw new AssertionError("offsets not contiguous at " + t);
            }
            end = t.end();
        }
        if (h.dataStart() + end != bytes.length) {
            throw new AssertionError("data does not end the file");
        }
        h.metadata().forEach((k, v) -> {
            FuzzChecks.wellFormedText(k);
            FuzzChecks.wellFormedText(v);
        });
    }
}
