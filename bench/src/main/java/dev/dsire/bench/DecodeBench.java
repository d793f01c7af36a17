package dev.dsire.bench;

import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsFile;
import dev.dsire.safetensors.SafetensorsWriter;
import dev.dsire.safetensors.TensorView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** Decoding 2^20 weights of each dtype from a mapped file into doubles, with the NaN/Inf check. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DecodeBench {
    static final int N = 1 << 20;

    @Param({"F16", "BF16", "F32"})
    String dtype;

    SafetensorsFile file;
    TensorView view;
    double[] out = new double[N];

    @Setup
    public void setup() throws IOException {
        double[] v = new double[N];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < N; i++) {
            v[i] = r.nextDouble(-1, 1);
        }
        Path p = Files.createTempFile("decode", ".safetensors");
        p.toFile().deleteOnExit();
        new SafetensorsWriter().put("w", DType.valueOf(dtype), new long[] {N}, v).write(p);
        file = SafetensorsFile.open(p);
        view = file.view("w");
    }

    @TearDown
    public void tearDown() {
        file.close();
    }

    @Benchmark
    public boolean decode() {
        return view.decode(0, N, out, 0);
    }
}
