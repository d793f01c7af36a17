package dev.dsire.bench;

import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * Spectra of A, B and s·B·A for every layer of an SD1.5-shaped fp16 adapter (128 attention
 * layers, dims 320–1280, context 768): one model per operation, from an open (mapped) file, and
 * end to end from the path.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SpectraBench {
    @Param({"1", "2"})
    int threads;

    @Param({"32"})
    int rank;

    Path file;
    LoraAdapter adapter;
    CpuSpectrumBackend cpu;

    @Setup
    public void setup() throws IOException {
        file = Sd15File.write(rank);
        adapter = LoraReader.open(file);
        cpu = new CpuSpectrumBackend(threads);
    }

    @TearDown
    public void tearDown() {
        adapter.close();
        cpu.close();
    }

    @Benchmark
    public Computed spectraPerModel() {
        return cpu.compute(List.of(adapter)).getFirst();
    }

    @Benchmark
    public Computed openAndSpectraPerModel() {
        try (LoraAdapter a = LoraReader.open(file)) {
            return cpu.compute(List.of(a)).getFirst();
        }
    }
}
