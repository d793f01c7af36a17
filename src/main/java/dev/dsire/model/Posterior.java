package dev.dsire.model;

import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A probability for every training size (ascending). The answer is the median, which minimises the
 * expected absolute error; the 80% credible interval runs from the 10% to the 90% quantile.
 */
public record Posterior(List<Integer> sizes, double[] p) {

    /** Normalised softmax of log-scores. */
    public static Posterior fromLogScores(List<Integer> sizes, double[] score) {
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
        return new Posterior(List.copyOf(sizes), p);
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

    /** [10% quantile, 90% quantile]: equal tails, so at least 80% of the mass lies inside. */
    public int[] interval80() {
        return new int[] {quantile(0.1), quantile(0.9)};
    }

    public double probability(int size) {
        int k = sizes.indexOf(size);
        return k < 0 ? 0 : p[k];
    }

    /**
     * A continuous size: the posterior mean Σ p·n. (The model takes it from its posterior softened
     * by a temperature fitted on held-out sizes.) An adapter between two trained sizes splits its
     * mass between them and gets an answer between them instead of snapping to one. Chosen over the
     * geometric mean (pulled far down by size 1 in the 1, 10 … 50 range) and over interpolating
     * between the median and its heavier neighbour, measured on zoo-low and zoo-medium.
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
        return o instanceof Posterior q && sizes.equals(q.sizes) && java.util.Arrays.equals(p, q.p);
    }

    @Override
    public int hashCode() {
        return 31 * sizes.hashCode() + java.util.Arrays.hashCode(p);
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
