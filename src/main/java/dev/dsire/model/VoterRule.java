package dev.dsire.model;

/** How one voter turns the training adapters into evidence about a query's size. */
public enum VoterRule implements MethodPart {
    /** 1-NN: the size of the nearest training adapter (DSiRe's rule). */
    NEAREST("1nn", "nearest training adapter's size"),
    /** Ridge regression of the size on the voter's features, snapped to the nearest training size (Table 5). */
    RIDGE("ridge", "ridge regression on size, snapped to the nearest training size"),
    /** Gaussian discriminant analysis: class means, one shared shrunk covariance, equal priors (Table 5). */
    GDA("gda", "Gaussian discriminant analysis (shared covariance)"),
    /**
     * A likelihood over the training sizes: for each size the distance to its nearest training adapter,
     * divided by the voter's typical held-out nearest distance, through a softmax.
     */
    SOFT_NEAREST("soft-1nn", "softmax over each size's nearest distance, scaled by the voter's typical distance");

    private final String key;
    private final String description;

    VoterRule(String key, String description) {
        this.key = key;
        this.description = description;
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String description() {
        return description;
    }

    public static VoterRule byKey(String key) {
        return MethodPart.byKey(values(), key, "voter rule");
    }
}
