package dev.dsire.spectra;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * The two Gram kernels alone on one decoded rank-32 block (in this package: they are package
 * private): {@code dotTiles} forms A·Aᵀ from A's rows (4×4 tiles of dot products, the down
 * factor's path), {@code rowTiles} forms BᵀB from B's stored rows (rank-one updates in 8-row × 2-vector
 * tiles, the up factor's path). Both do 32·33/2·len useful FMAs (a little more on the diagonal tiles).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GramBench {
    private static final int RANK = 32;

    @Param({"320", "1280"})
    int len;

    double[] x, g, acc;

    @Setup
    public void setup() {
        SplittableRandom r = new SplittableRandom(5);
        x = new double[RANK * len];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        g = new double[RANK * RANK];
        acc = new double[LayerCore.tileLanes(RANK)];
    }

    @Benchmark
    public double[] dotTiles() {
        LayerCore.gramAdd(x, RANK, len, g, acc);
        return g;
    }

    @Benchmark
    public double[] rowTiles() {
        LayerCore.gramRowsAdd(x, len, RANK, g);
        return g;
    }
}
