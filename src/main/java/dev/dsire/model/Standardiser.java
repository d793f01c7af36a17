package dev.dsire.model;

/** Per-coordinate shift and scale fitted on a voter's training features: (x − mean) / std. */
public record Standardiser(double[] mean, double[] std) {

    /** Fits on n vectors of dimension dim stored flat; a constant coordinate keeps scale 1. */
    public static Standardiser fit(double[] flat, int dim) {
        int n = flat.length / dim;
        double[] mean = new double[dim], std = new double[dim];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) {
                mean[j] += flat[i * dim + j] / n;
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) {
                double t = flat[i * dim + j] - mean[j];
                std[j] += t * t / n;
            }
        }
        for (int j = 0; j < dim; j++) {
            std[j] = Math.sqrt(std[j]);
            if (!(std[j] > 1e-12 * Math.max(1, Math.abs(mean[j])))) {
                std[j] = 1;
            }
        }
        return new Standardiser(mean, std);
    }

    /** The standardiser that changes nothing (the unstandardised view of a two-view transform). */
    public static Standardiser identity(int dim) {
        double[] zero = new double[dim], one = new double[dim];
        java.util.Arrays.fill(one, 1);
        return new Standardiser(zero, one);
    }

    public double[] apply(double[] x) {
        double[] out = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            out[j] = (x[j] - mean[j]) / std[j];
        }
        return out;
    }
}
