package dev.dsire.spectra;

/** The three matrices of a LoRA layer whose spectra DSiRe uses. */
public enum MatrixKind {
    /** A, the down projection (r×k). */
    A("a"),
    /** B, the up projection (d×r). */
    B("b"),
    /** s·B·A, the weight update (d×k, rank ≤ r). */
    BA("ba");

    private final String key;

    MatrixKind(String key) {
        this.key = key;
    }

    /** The lower-case name used in JSON and on the command line. */
    public String key() {
        return key;
    }
}
