package dev.dsire.model;

/**
 * What a model learns about itself by leave-one-group-out inside its training set: each voter's
 * typical held-out nearest distance (tau), the voters' weights (empty for unweighted combiners),
 * the out-of-distribution threshold on an adapter's median scaled nearest distance, and the
 * temperature that softens the posterior for the continuous size estimate (fitted by holding out
 * whole sizes, so the estimate interpolates between trained sizes; 1 for other combiners).
 */
public record Calibration(double[] tau, double[] weights, double oodThreshold, double estimateTemperature) {

    /** An adapter's distance from the training set: the median over voters of nearest distance / tau. */
    public double oodScore(double[] nearestDistance) {
        double[] r = new double[nearestDistance.length];
        for (int v = 0; v < r.length; v++) {
            r[v] = nearestDistance[v] / tau[v];
        }
        java.util.Arrays.sort(r);
        return r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
    }
}
