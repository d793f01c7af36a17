package dev.dsire.model;

/**
 * What a model learns about itself by leave-one-group-out inside its training set: each voter's
 * typical held-out distance (tau), the voters' weights (empty for unweighted combiners), the
 * out-of-distribution threshold on an adapter's median scaled nearest distance, and the probability
 * mass of the posterior's interval (fitted so that 85% of the training adapters held out by group
 * fall inside theirs; 0.8 where nothing was held out).
 */
public record Calibration(double[] tau, double[] weights, double oodThreshold, double intervalMass) {

    /** The interval mass of models that could not calibrate one (and of files older than the field). */
    public static final double DEFAULT_INTERVAL_MASS = 0.8;

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
