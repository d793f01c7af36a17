package dev.dsire.model;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact 1-nearest-neighbour (L2) over n reference vectors of one dimension, stored flat.
 * Ties go to the earliest reference, so results do not depend on anything but the fit order.
 * The summation order is fixed, whatever the machine's vector width, and the GPU's nn_argmin
 * kernel (kernels/dsire.cu) follows it exactly, so near-ties fall the same way on both: 4 lanes
 * of fused multiply-adds, the lanes summed as (0 + 1) + (2 + 3), then the tail unfused.
 */
public record NearestNeighbour(int dim, double[] refs) {
    private static final VectorSpecies<Double> LANES = DoubleVector.SPECIES_256;

    public int size() {
        return refs.length / dim;
    }

    /**
     * Index of the reference nearest to q; -1 only when q holds a NaN. A finite q so large that
     * every squared distance overflows (σ near 1e300) is compared in units of its largest value.
     */
    public int nearest(double[] q) {
        int best = -1;
        double bestDist = Double.POSITIVE_INFINITY;
        int bound = LANES.loopBound(dim);
        for (int i = 0, n = size(); i < n; i++) {
            double d = squaredDistance(i, q, bound);
            if (d < bestDist) {
                bestDist = d;
                best = i;
            }
        }
        return best >= 0 ? best : nearestScaled(q);
    }

    /**
     * The overflow fallback of {@link #nearest}: distances of q/s to refs/s, s the largest |value| of q and
     * of the references (scaling by q's alone left a huge reference's distance infinite); -1 when q holds
     * a non-finite value.
     */
    private int nearestScaled(double[] q) {
        double s = 0;
        for (double x : q) {
            s = Math.max(s, Math.abs(x));
        }
        if (!Double.isFinite(s)) {
            return -1;
        }
        for (double x : refs) {
            s = Math.max(s, Math.abs(x));
        }
        if (!Double.isFinite(s)) {
            return -1;
        }
        if (s == 0) {
            return 0; // every value zero: every distance is 0, the first reference wins as in nearest
        }
        int best = -1;
        double bestDist = Double.POSITIVE_INFINITY;
        for (int i = 0, n = size(), o = 0; i < n; i++, o += dim) {
            double d = 0;
            for (int j = 0; j < dim; j++) {
                double t = refs[o + j] / s - q[j] / s;
                d += t * t;
            }
            if (d < bestDist) {
                bestDist = d;
                best = i;
            }
        }
        return best;
    }

    /**
     * For each class c, the squared distance from q to its nearest reference of that class
     * (classOf[i] is reference i's class; +∞ for a class without references). One pass, as {@link #nearest}.
     */
    public double[] nearestPerClass(double[] q, int[] classOf, int classes) {
        double[] best = new double[classes];
        java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
        int bound = LANES.loopBound(dim);
        for (int i = 0, n = size(); i < n; i++) {
            double d = squaredDistance(i, q, bound);
            int c = classOf[i];
            if (d < best[c]) {
                best[c] = d;
            }
        }
        return best;
    }

    /**
     * For each class c, the mean L2 distance (not squared) from q to its k nearest references of
     * that class, or to all of them when it has fewer; +∞ for a class without references. One pass:
     * each class keeps its k smallest squared distances in ascending order. The exact double
     * reference of the posterior's float32 search ({@link CompactIndex}).
     */
    public double[] meanNearestPerClass(double[] q, int[] classOf, int classes, int k) {
        double[] best = new double[classes * k];
        java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
        int bound = LANES.loopBound(dim);
        for (int i = 0, n = size(); i < n; i++) {
            insert(best, classOf[i] * k, k, squaredDistance(i, q, bound));
        }
        return meanOfRoots(best, classes, k);
    }

    /** Puts d into the ascending run best[at .. at+k) if it is among the k smallest. */
    static void insert(double[] best, int at, int k, double d) {
        int j = at + k - 1;
        if (!(d < best[j])) {
            return;
        }
        while (j > at && best[j - 1] > d) {
            best[j] = best[j - 1];
            j--;
        }
        best[j] = d;
    }

    /** Per class, the mean square root of its finite entries among k (+∞ when none). */
    static double[] meanOfRoots(double[] best, int classes, int k) {
        double[] out = new double[classes];
        for (int c = 0; c < classes; c++) {
            double sum = 0;
            int m = 0;
            for (int j = 0; j < k; j++) {
                double d = best[c * k + j];
                if (d < Double.POSITIVE_INFINITY) {
                    sum += Math.sqrt(d);
                    m++;
                }
            }
            out[c] = m == 0 ? Double.POSITIVE_INFINITY : sum / m;
        }
        return out;
    }

    /** Squared L2 distance between reference i and q. */
    public double squaredDistance(int i, double[] q) {
        return squaredDistance(i, q, LANES.loopBound(dim));
    }

    private double squaredDistance(int i, double[] q, int bound) {
        int o = i * dim;
        double d = 0;
        int j = 0;
        if (bound > 0) {
            // spectra are 8-64 long: whole vectors of differences, one reduction per reference
            DoubleVector acc = DoubleVector.zero(LANES);
            for (; j < bound; j += LANES.length()) {
                DoubleVector t = DoubleVector.fromArray(LANES, refs, o + j).sub(DoubleVector.fromArray(LANES, q, j));
                acc = t.fma(t, acc);
            }
            d = (acc.lane(0) + acc.lane(1)) + (acc.lane(2) + acc.lane(3)); // reduceLanes' order is unspecified
        }
        for (; j < dim; j++) {
            double t = refs[o + j] - q[j];
            d += t * t;
        }
        return d;
    }

    /** Reference i as its own vector. */
    public double[] ref(int i) {
        return java.util.Arrays.copyOfRange(refs, i * dim, (i + 1) * dim);
    }
}
