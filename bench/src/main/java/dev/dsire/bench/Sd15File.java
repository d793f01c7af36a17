package dev.dsire.bench;

import dev.dsire.safetensors.DType;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.BaseModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The benchmarks' input: an SD1.5-shaped kohya adapter (128 attention layers), fp16, written once. */
final class Sd15File {
    private Sd15File() {}

    static Path write(int rank) throws IOException {
        Path dir = Files.createTempDirectory("dsire-bench");
        Path f = dir.resolve("sd15-r" + rank + ".safetensors");
        AdapterWriter.write(f, AdapterWriter.Naming.KOHYA, BaseModels.sd15(), rank, rank, DType.F16,
                AdapterWriter.random(BaseModels.sd15(), rank, 42), Map.of());
        f.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        return f;
    }
}
