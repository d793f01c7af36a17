package dev.dsire.bench;

import dev.dsire.model.NearestNeighbour;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * One voter's exact 1-NN query over 10^2…10^5 reference spectra of dimension 32 (rank 32).
 * A DSiRe prediction for an SD1.5 adapter makes 384 such queries.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class NearestBench {
    @Param({"100", "1000", "10000", "100000"})
    int refs;

    NearestNeighbour index;
    double[][] queries = new double[64][32];
    int next;

    @Setup
    public void setup() {
        SplittableRandom r = new SplittableRandom(7);
        double[] flat = new double[refs * 32];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = r.nextDouble();
        }
        index = new NearestNeighbour(32, flat);
        for (double[] q : queries) {
            for (int j = 0; j < 32; j++) {
                q[j] = r.nextDouble();
            }
        }
    }

    @Benchmark
    public int query() {
        return index.nearest(queries[next++ & 63]);
    }
}
