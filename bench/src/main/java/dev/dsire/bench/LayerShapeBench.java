package dev.dsire.bench;

import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.safetensors.DType;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.ModuleSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** Spectra of one layer (σ(A), σ(B), σ(s·B·A)) by shape out×in and rank, one thread. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class LayerShapeBench {
    @Param({"320x320", "1280x768", "1280x1280", "3072x3072"})
    String shape;

    @Param({"8", "32", "64"})
    int rank;

    LoraAdapter adapter;
    CpuSpectrumBackend cpu = new CpuSpectrumBackend(1);

    @Setup
    public void setup() throws IOException {
        String[] s = shape.split("x");
        List<ModuleSpec> m = List.of(new ModuleSpec("unet", "x.to_q", Integer.parseInt(s[0]), Integer.parseInt(s[1])));
        Path p = Files.createTempFile("layer", ".safetensors");
        p.toFile().deleteOnExit();
        AdapterWriter.write(p, AdapterWriter.Naming.KOHYA, m, rank, rank, DType.F16, AdapterWriter.random(m, rank, 1), Map.of());
        adapter = LoraReader.open(p);
    }

    @TearDown
    public void tearDown() {
        adapter.close();
        cpu.close();
    }

    @Benchmark
    public Computed layer() {
        return cpu.compute(List.of(adapter)).getFirst();
    }
}
