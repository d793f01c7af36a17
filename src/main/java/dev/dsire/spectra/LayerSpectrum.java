package dev.dsire.spectra;

/**
 * The singular values (descending, r of each) of A, B and s·B·A of one layer, and their Frobenius
 * norms. Arrays are owned by the record's creator and not copied: treat them as read-only.
 */
public record LayerSpectrum(String layer, double[] a, double[] b, double[] ba, double normA, double normB, double normBA) {

    /** A spectrum with its norms: ‖M‖_F² is the sum of σ². */
    public static LayerSpectrum of(String layer, double[] a, double[] b, double[] ba) {
        return new LayerSpectrum(layer, a, b, ba, norm(a), norm(b), norm(ba));
    }

    private static double norm(double[] s) {
        double sum = 0;
        for (double v : s) {
            sum += v * v;
        }
        return Math.sqrt(sum);
    }

    public double[] values(MatrixKind kind) {
        return switch (kind) {
            case A -> a;
            case B -> b;
            case BA -> ba;
        };
    }

    public double norm(MatrixKind kind) {
        return switch (kind) {
            case A -> normA;
            case B -> normB;
            case BA -> normBA;
        };
    }
}
