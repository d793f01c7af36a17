package dev.dsire.eval;

/**
 * Reliability of a probabilistic method: test predictions binned by the probability it gave its
 * answer (ten bins of 0.1), with the mean probability and the share of exact hits per bin.
 */
public record Reliability(double[] confidenceSum, long[] hits, long[] count) {
    public static final int BINS = 10;

    public static Reliability empty() {
        return new Reliability(new double[BINS], new long[BINS], new long[BINS]);
    }

    void add(double confidence, boolean hit) {
        int b = Math.min(BINS - 1, (int) Math.floor(confidence * BINS));
        confidenceSum[b] += confidence;
        hits[b] += hit ? 1 : 0;
        count[b]++;
    }

    public long total() {
        long t = 0;
        for (long c : count) {
            t += c;
        }
        return t;
    }

    /** Expected calibration error: the count-weighted mean |accuracy − confidence| over bins. */
    public double expectedCalibrationError() {
        double e = 0;
        long n = total();
        for (int b = 0; b < BINS; b++) {
            if (count[b] > 0) {
                e += Math.abs((double) hits[b] / count[b] - confidenceSum[b] / count[b]) * count[b] / n;
            }
        }
        return e;
    }
}
