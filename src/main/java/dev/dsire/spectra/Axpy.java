package dev.dsire.spectra;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise loops of the one-at-a-time solvers for ranks above {@link LayerCore#BATCH_LIMIT} (the
 * Householder reduction, the Cholesky factor and the core product), on whole vectors. C2 does not vectorise
 * them as plain loops: each writes one array while reading another it cannot prove distinct, so they ran one
 * double at a time. Each entry gets one multiply and one add or subtract per term, never fused, lane by lane
 * as the scalar loop does: the same bits on vectors of any width, or on none (a JVM on C1 alone, where the
 * Vector API is ~100× slower, takes the scalar loops: {@link KernelWarmup#largeVector()}).
 */
final class Axpy {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    private Axpy() {}

    /** y[yo + i] += f·x[xo + i] for i in [0, len). With −f it subtracts, the same bits as y −= f·x: IEEE defines a − b as a + (−b). */
    static void add(double[] y, int yo, double f, double[] x, int xo, int len, boolean vector) {
        int i = 0;
        if (vector) {
            for (; i <= len - W; i += W) {
                DoubleVector.fromArray(S, y, yo + i).add(DoubleVector.fromArray(S, x, xo + i).mul(f)).intoArray(y, yo + i);
            }
        }
        for (; i < len; i++) {
            y[yo + i] += f * x[xo + i];
        }
    }

    /** The rank-2 update of one row: a[ao + j] −= vi·p[j] + pi·v[j] for j in [from, to). */
    static void rank2(double[] a, int ao, double vi, double[] p, double pi, double[] v, int from, int to, boolean vector) {
        int j = from;
        if (vector) {
            for (; j <= to - W; j += W) {
                DoubleVector t = DoubleVector.fromArray(S, p, j).mul(vi).add(DoubleVector.fromArray(S, v, j).mul(pi));
                DoubleVector.fromArray(S, a, ao + j).sub(t).intoArray(a, ao + j);
            }
        }
        for (; j < to; j++) {
            a[ao + j] -= vi * p[j] + pi * v[j];
        }
    }

    /** {@link #rank2} on j in [1, to), each updated entry then added, scaled by f, to next[j − 1]. */
    static void rank2ThenAdd(double[] a, int ao, double vi, double[] p, double pi, double[] v, int to, double f, double[] next, boolean vector) {
        int j = 1;
        if (vector) {
            for (; j <= to - W; j += W) {
                DoubleVector t = DoubleVector.fromArray(S, p, j).mul(vi).add(DoubleVector.fromArray(S, v, j).mul(pi));
                DoubleVector x = DoubleVector.fromArray(S, a, ao + j).sub(t);
                x.intoArray(a, ao + j);
                DoubleVector.fromArray(S, next, j - 1).add(x.mul(f)).intoArray(next, j - 1);
            }
        }
        for (; j < to; j++) {
            double x = a[ao + j] - (vi * p[j] + pi * v[j]);
            a[ao + j] = x;
            next[j - 1] += f * x;
        }
    }
}
