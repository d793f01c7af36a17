package dev.dsire.bench;

import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** Map, validate the header, classify and pair the tensors of an SD1.5 rank-32 file; no weights read. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class HeaderBench {
    Path file;

    @Setup
    public void setup() throws IOException {
        file = Sd15File.write(32);
    }

    @Benchmark
    public int openAndPair() {
        try (LoraAdapter a = LoraReader.open(file)) {
            return a.layers().size();
        }
    }
}
