package dev.dsire.model;

import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.MatrixKind;

/** What a voter sees of one matrix's spectrum. */
public enum FeatureTransform implements MethodPart {
    /** The singular values as they are (the paper's features). */
    SPECTRUM("spectrum", "singular values", false),
    /** The Frobenius norm alone (the paper's baseline). */
    NORM("norm", "Frobenius norm", false),
    /** log σ, then each coordinate standardised by the training adapters' mean and std (per voter). */
    LOG_STANDARDISED("log-std", "log singular values, standardised per voter", true),
    /**
     * Two voters per matrix: log σ standardised (as {@link #LOG_STANDARDISED}) and σ as it is. The log
     * view compares the shape of small singular values, the raw one the scale of the large ones;
     * together they beat either alone on every zoo measured.
     */
    LOG_STD_AND_SPECTRUM("log-std+spectrum", "two voters per matrix: log singular values standardised, and the singular values", true);

    private final String key;
    private final String description;
    private final boolean standardised;

    FeatureTransform(String key, String description, boolean standardised) {
        this.key = key;
        this.description = description;
        this.standardised = standardised;
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String description() {
        return description;
    }

    /** Whether the model keeps a per-voter {@link Standardiser} fitted on the training adapters. */
    public boolean standardised() {
        return standardised;
    }

    /** How many voters this transform makes of one matrix (its views). */
    public int views() {
        return this == LOG_STD_AND_SPECTRUM ? 2 : 1;
    }

    /** Whether the given view is standardised (the raw view of {@link #LOG_STD_AND_SPECTRUM} is not). */
    public boolean standardises(int view) {
        return standardised && !(this == LOG_STD_AND_SPECTRUM && view == 1);
    }

    /** The suffix a view adds to its voter's name ("" for one-view transforms). */
    public String viewSuffix(int view) {
        return views() == 1 ? "" : view == 0 ? "/log" : "/raw";
    }

    /** The untransformed-by-training part of one view: values before standardisation. */
    public double[] apply(LayerSpectrum l, MatrixKind k, int view) {
        return switch (this) {
            case SPECTRUM -> l.values(k);
            case NORM -> new double[] {l.norm(k)};
            case LOG_STANDARDISED -> log(l.values(k));
            case LOG_STD_AND_SPECTRUM -> view == 0 ? log(l.values(k)) : l.values(k);
        };
    }

    /** log σ with a floor a million times below σ₁, so rank-deficient zeros stay finite and do not dominate. */
    static double[] log(double[] s) {
        double floor = Math.max((s.length == 0 ? 0 : s[0]) * 1e-6, 1e-30);
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = Math.log(Math.max(s[i], floor));
        }
        return out;
    }

    public static FeatureTransform byKey(String key) {
        return MethodPart.byKey(values(), key, "feature transform");
    }
}
