package dev.dsire.spark;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dsire.safetensors.DType;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.testutil.Zoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A hub in miniature: the committed low zoo (one base layout), a synthetic zoo of another layout,
 * a file of a third layout, hostile mutations of zoo files, and pickles; with a model fitted on each
 * of the first two layouts.
 */
record ScanTree(Path root, Path lowModel, Path synthModel) {

    static ScanTree write(Path dir) throws IOException {
        Path root = Files.createDirectories(dir.resolve("hub"));
        Path low = Files.createDirectories(root.resolve("zoo-low"));
        List<Path> zoo;
        try (Stream<Path> s = Files.list(Path.of("examples/zoo-low"))) {
            zoo = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        for (Path p : zoo) {
            Files.copy(p, low.resolve(p.getFileName()));
        }
        Files.copy(Path.of("examples/zoo-low/manifest.csv"), low.resolve("manifest.csv"));
        Path synthManifest = Zoo.write(root.resolve("synth"), Naming.KOHYA, 2, List.of(1, 5, 20));
        AdapterWriter.write(root.resolve("other-layout.safetensors"), Naming.KOHYA, Zoo.MODULES.subList(0, 2), Zoo.RANK, Zoo.RANK,
                DType.F32, AdapterWriter.random(Zoo.MODULES.subList(0, 2), Zoo.RANK, 7), Map.of());

        Path bad = Files.createDirectories(root.resolve("hostile"));
        for (int i = 0; i < 12; i++) {
            byte[] b = Files.readAllBytes(zoo.get(i * 7));
            byte[] m = switch (i % 6) {
                case 0 -> java.util.Arrays.copyOf(b, b.length / 2); // truncated data
                case 1 -> java.util.Arrays.copyOf(b, 20); // truncated header
                case 2 -> new byte[0];
                case 3 -> { // header length far past the end
                    byte[] c = b.clone();
                    c[6] = 0x7f;
                    yield c;
                }
                case 4 -> { // garbage in the JSON header
                    byte[] c = b.clone();
                    for (int j = 9; j < 40; j++) {
                        c[j] = '#';
                    }
                    yield c;
                }
                default -> { // a flipped bit in the weights: still a readable adapter
                    byte[] c = b.clone();
                    c[c.length - 3] ^= 0x40;
                    yield c;
                }
            };
            Files.write(bad.resolve("m" + i + ".safetensors"), m);
        }
        Files.write(bad.resolve("model.ckpt"), new byte[] {(byte) 0x80, 2, 'x'});
        Files.write(bad.resolve("pytorch_lora.bin"), new byte[] {'P', 'K', 3, 4});
        Files.write(bad.resolve("pickled.safetensors"), new byte[] {(byte) 0x80, 2, ']', 'q', 0, '.'});
        Files.writeString(bad.resolve("notes.txt"), "not a candidate");

        Path models = Files.createDirectories(dir.resolve("models"));
        Path lowModel = models.resolve("low.json");
        Path synthModel = models.resolve("synth.json");
        // fit's default, the posterior: its probabilities show any last-bit difference between this JVM and a
        // freshly started job (spectra once depended on JIT warmth through reduceLanes' unspecified order)
        assertEquals(0, dsire("fit", "--manifest", low.resolve("manifest.csv"), "--out", lowModel).code());
        assertEquals(0, dsire("fit", "--manifest", synthManifest, "--out", synthModel).code());
        Files.delete(low.resolve("manifest.csv"));
        return new ScanTree(root, lowModel, synthModel);
    }
}
