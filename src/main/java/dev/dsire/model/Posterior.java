package dev.dsire.model;

import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A probability for every training size (ascending). The answer is the median, which minimises the
 * expected absolute error. The interval is the narrowest run of consecutive sizes holding at least
 * {@code mass} of the probability; the model calibrates that mass (see {@link Calibration}) so
 * the "80% interval" covers its share of held-out adapters, where equal 10%/90% tails over a
 * handful of discrete sizes covered 89-95%.
 */
public record Posterior(List<Integer> sizes, double[] p, double mass) {

    /** A posterior whose interval holds 80% of its probability. */
    public Posterior(List<Integer> sizes, double[] p) {
        this(sizes, p, Calibration.DEFAULT_INTERVAL_MASS);
    }

    /** Normalised softmax of log-scores, with an 80% interval. */
    public static Posterior fromLogScores(List<Integer> sizes, double[] score) {
        return fromLogScores(sizes, score, Calibration.DEFAULT_INTERVAL_MASS);
    }

    /** Normalised softmax of log-scores; the interval holds the given mass. */
    public static Posterior fromLogScores(List<Integer> sizes, double[] score, double mass) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : score) {
            max = Math.max(max, s);
        }
        double[] p = new double[score.length];
        double sum = 0;
        for (int k = 0; k < score.length; k++) {
            p[k] = Math.exp(score[k] - max);
            sum += p[k];
        }
        for (int k = 0; k < p.length; k++) {
            p[k] /= sum;
        }
        return new Posterior(List.copyOf(sizes), p, mass);
    }

    /** The smallest size whose cumulative probability reaches q. */
    public int quantile(double q) {
        double c = 0;
        for (int k = 0; k < p.length; k++) {
            c += p[k];
            if (c >= q - 1e-12) {
                return sizes.get(k);
            }
        }
        return sizes.getLast();
    }

    public int median() {
        return quantile(0.5);
    }

    /**
     * [lo, hi]: the narrowest run of consecutive sizes (in images) whose probability reaches the
     * interval mass; of equally narrow runs the one with more probability, then the smaller sizes.
     */
    public int[] interval80() {
        return interval(mass);
    }

    /** The narrowest run of consecutive sizes holding at least the given probability. */
    public int[] interval(double m) {
        int bestLo = 0, bestHi = p.length - 1;
        double bestWidth = Double.POSITIVE_INFINITY, bestMass = -1;
        for (int lo = 0; lo < p.length; lo++) {
            double c = 0;
            for (int hi = lo; hi < p.length; hi++) {
                c += p[hi];
                if (c >= m - 1e-12) {
                    double width = sizes.get(hi) - sizes.get(lo);
                    if (width < bestWidth || (width == bestWidth && c > bestMass + 1e-15)) {
                        bestWidth = width;
                        bestMass = c;
                        bestLo = lo;
                        bestHi = hi;
                    }
                    break;
                }
            }
        }
        return new int[] {sizes.get(bestLo), sizes.get(bestHi)};
    }

    /**
     * The interval mass whose narrowest intervals contain the true size of at least {@code coverage} of
     * the given held-out posteriors: the smallest of 0.50, 0.51 … 0.99 that does (0.99 if none). Over a
     * few discrete sizes a nominal 80% interval covers far more than 80%; this says what it covers.
     */
    static double calibratedMass(Posterior[] heldOut, int[] trueSize, double coverage) {
        for (int step = 50; step <= 99; step++) {
            double m = step / 100.0;
            int covered = 0;
            for (int i = 0; i < heldOut.length; i++) {
                int[] iv = heldOut[i].interval(m);
                covered += iv[0] <= trueSize[i] && trueSize[i] <= iv[1] ? 1 : 0;
            }
            if (covered >= coverage * heldOut.length - 1e-9) {
                return m;
            }
        }
        return 0.99;
    }

    public double probability(int size) {
        int k = sizes.indexOf(size);
        return k < 0 ? 0 : p[k];
    }

    /**
     * The posterior mean Σ p·n: a continuous size. (The model's own estimate interpolates its
     * voters' distances instead; this is the fallback when no voter can place the adapter.)
     */
    public double estimate() {
        return estimate(sizes, p);
    }

    /** The mean size under unnormalised weights over the sizes. */
    static double estimate(List<Integer> sizes, double[] w) {
        double e = 0, z = 0;
        for (int k = 0; k < w.length; k++) {
            e += w[k] * sizes.get(k);
            z += w[k];
        }
        return e / z;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Posterior q && sizes.equals(q.sizes) && java.util.Arrays.equals(p, q.p) && mass == q.mass;
    }

    @Override
    public int hashCode() {
        return 31 * sizes.hashCode() + java.util.Arrays.hashCode(p) + Double.hashCode(mass);
    }

    @Override
    public String toString() {
        return asMap().toString();
    }

    public SortedMap<Integer, Double> asMap() {
        SortedMap<Integer, Double> m = new TreeMap<>();
        for (int k = 0; k < p.length; k++) {
            m.put(sizes.get(k), p[k]);
        }
        return m;
    }
}
