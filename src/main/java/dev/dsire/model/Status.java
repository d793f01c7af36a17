package dev.dsire.model;

/** What kind of answer a prediction is. */
public enum Status {
    /** A size, from an adapter like the training ones. */
    OK("ok"),
    /** A size, but the adapter is much farther from every training adapter than they are from each other. */
    OUT_OF_DISTRIBUTION("out_of_distribution"),
    /** The bound of the trained sizes: the adapter looks trained on more images than the largest training size. */
    ABOVE_RANGE("above_range"),
    /** The bound of the trained sizes: the adapter looks trained on fewer images than the smallest training size. */
    BELOW_RANGE("below_range"),
    /** No size: no model fits this file's layout. */
    NO_MODEL("no_model"),
    /** No size: B is zero in every layer, a LoRA that was never trained. */
    UNTRAINED("untrained"),
    /** No size: ΔW = s·B·A is zero in every layer, though B is not. */
    DEGENERATE("degenerate"),
    /** No size: the file could not be read or does not fit the model. */
    ERROR("error");

    private final String key;

    Status(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public boolean hasSize() {
        return this == OK || this == OUT_OF_DISTRIBUTION || this == ABOVE_RANGE || this == BELOW_RANGE;
    }
}
