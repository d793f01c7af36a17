package dev.dsire.model;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A voter's training features for the posterior's per-size neighbour search: float32, grouped by
 * size. The posterior has twice DSiRe's voters; in double, ungrouped, its references outgrew the
 * cache and a prediction spent most of its time streaming them from memory and sorting distances
 * into sizes (measured: 4 of 5 ms against 90 training adapters of SD 1.5's shape). In float32 they
 * take what DSiRe's take, and grouped by size each size's k nearest come from one contiguous run.
 * Differences are computed in double from the rounded references, so a distance is off by about
 * 1e-7 of itself: far below the spread between training adapters that scales the likelihood. The
 * vote methods keep the exact double search ({@link NearestNeighbour}), whose ties the GPU kernel
 * reproduces bit for bit.
 */
public record CompactIndex(int dim, float[] refs, int[] start) {
    private static final VectorSpecies<Float> HALF = FloatVector.SPECIES_128;
    private static final VectorSpecies<Double> LANES = DoubleVector.SPECIES_256;

    /** The references of nn regrouped by class (classOf[i] of reference i), in their order within a class. */
    static CompactIndex of(NearestNeighbour nn, int[] classOf, int classes) {
        int dim = nn.dim();
        int[] start = new int[classes + 1];
        for (int c : classOf) {
            start[c + 1]++;
        }
        for (int c = 0; c < classes; c++) {
            start[c + 1] += start[c];
        }
        int[] at = java.util.Arrays.copyOf(start, classes);
        float[] f = new float[nn.refs().length];
        double[] r = nn.refs();
        for (int i = 0; i < classOf.length; i++) {
            int o = at[classOf[i]]++ * dim;
            for (int j = 0; j < dim; j++) {
                f[o + j] = (float) r[i * dim + j];
            }
        }
        return new CompactIndex(dim, f, start);
    }

    /**
     * For each class, the mean L2 distance from q to its k nearest references (all of them when it
     * has fewer; +∞ when none), as {@link NearestNeighbour#meanNearestPerClass} over float32 references.
     */
    public double[] meanNearestPerClass(double[] q, int k) {
        int classes = start.length - 1;
        double[] out = new double[classes], best = new double[k];
        boolean vector = dim % LANES.length() == 0;
        for (int c = 0; c < classes; c++) {
            java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
            for (int i = start[c]; i < start[c + 1]; i++) {
                NearestNeighbour.insert(best, 0, k, vector ? squaredDistance(i, q) : scalarDistance(i, q));
            }
            out[c] = NearestNeighbour.meanOfRoots(best, 1, k)[0];
        }
        return out;
    }

    private double squaredDistance(int i, double[] q) {
        int o = i * dim;
        DoubleVector acc = DoubleVector.zero(LANES);
        for (int j = 0; j < dim; j += LANES.length()) {
            DoubleVector wide = (DoubleVector) FloatVector.fromArray(HALF, refs, o + j).convertShape(VectorOperators.F2D, LANES, 0);
            DoubleVector t = wide.sub(DoubleVector.fromArray(LANES, q, j));
            acc = t.fma(t, acc);
        }
        return (acc.lane(0) + acc.lane(1)) + (acc.lane(2) + acc.lane(3)); // a fixed order: reduceLanes' is unspecified
    }

    private double scalarDistance(int i, double[] q) {
        double s = 0;
        for (int j = 0, o = i * dim; j < dim; j++) {
            double t = refs[o + j] - q[j];
            s += t * t;
        }
        return s;
    }
}
