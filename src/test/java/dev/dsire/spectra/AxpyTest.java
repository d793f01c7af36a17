package dev.dsire.spectra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Axpy's vector loops give the scalar loops' bits, at every length and offset (tails included). */
class AxpyTest {
    private static double[] random(SplittableRandom rnd, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(-20, 20));
        }
        return x;
    }

    @Test
    void vectorLoopsGiveTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(31);
        for (int len = 0; len <= 41; len++) {
            for (int off = 0; off < 3; off++) {
                double[] x = random(rnd, len + 3), p = random(rnd, len + 3), v = random(rnd, len + 3), a = random(rnd, len + 3);
                double f = rnd.nextGaussian(), g = rnd.nextGaussian(), h = rnd.nextGaussian();
                double[][] out = new double[2][];
                double[][] next = new double[2][];
                for (int mode = 0; mode < 2; mode++) {
                    boolean vector = mode == 1;
                    double[] y = a.clone(), n = x.clone();
                    Axpy.add(y, off, f, x, 2 - off, len, vector);
                    Axpy.add(y, off, -g, p, off, len, vector);
                    Axpy.rank2(y, off, f, p, g, v, 0, len, vector);
                    Axpy.rank2(y, 2 - off, g, v, h, p, 1, len, vector);
                    Axpy.rank2ThenAdd(y, off, h, p, f, v, len, g, n, vector);
                    out[mode] = y;
                    next[mode] = n;
                }
                assertArrayEquals(out[0], out[1], "len " + len + " offset " + off);
                assertArrayEquals(next[0], next[1], "next, len " + len + " offset " + off);
            }
        }
    }
}
