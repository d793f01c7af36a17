package dev.dsire.model;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the manifest reader (Jazzer): whatever the bytes, readCsv returns a
 * manifest or throws its one-line ManifestException; a manifest that reads has entries, each with
 * a positive size and a path no other entry means. Seeds: plain, BOM with quoted fields, a
 * duplicate through "..", Latin-1. CI replays {@code .../ManifestFuzzTestInputs/};
 * {@code JAZZER_FUZZ=1} fuzzes.
 */
class ManifestFuzzTest {
    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("dsire-manifest-fuzz");
            Files.createDirectories(DIR.resolve("x"));
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void manifestsReadOrFailCleanly(byte[] csv) throws IOException {
        Path file = DIR.resolve("x/m.csv");
        Files.write(file, csv);
        Manifest m;
        try {
            m = Manifest.readCsv(file);
        } catch (ManifestException e) {
            if (e.getMessage() == null || e.getMessage().lines().count() != 1) {
                throw new AssertionError("not one line: " + e.getMessage());
            }
            return;
        }
        if (m.entries().isEmpty()) {
            throw new AssertionError("a manifest with no entries was read");
        }
        Set<Path> seen = new HashSet<>();
        for (Manifest.Entry e : m.entries()) {
            if (e.size() <= 0) {
                throw new AssertionError("size " + e.size() + " was read");
            }
            if (!seen.add(e.path().toAbsolutePath().normalize())) {
                throw new AssertionError(e.path() + " was read twice");
            }
        }
    }
}
