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
    SOFT_NEAREST("soft-1nn", "softmax over each size's nearest distance, scaled by the voter's typical distance", 1),
    /**
     * As {@link #SOFT_NEAREST}, with each size's distance the mean over its 3 nearest training
     * adapters: one lucky neighbour of a size counts less (measured better than 1, 2 or 5 on every zoo but one).
     */
    SOFT_3NN("soft-3nn", "softmax over each size's mean distance to its 3 nearest training adapters, scaled by the voter's typical distance", 3),
    /**
     * One ridge regression of log n over the (concatenated) features, its penalty chosen
     * leave-one-group-out; the score's held-out distribution per size turns it into a likelihood
     * (see {@link PooledScore}).
     */
    POOLED_RIDGE("pooled-ridge", "ridge regression of log size over every layer at once, read per size leave-one-group-out"),
    /**
     * As {@link #POOLED_RIDGE}, with a second ridge that also reads the training recipe (learning rate,
     * steps) where every training file states it; a query that states it gets that answer (see {@link RecipeScore}).
     */
    POOLED_RIDGE_RECIPE("pooled-ridge+recipe", "as pooled-ridge, plus the stated learning rate and steps where the file states them");

    private final String key;
    private final String description;
    private final int neighbours;

    VoterRule(String key, String description) {
        this(key, description, 1);
    }

    VoterRule(String key, String description, int neighbours) {
        this.key = key;
        this.description = description;
        this.neighbours = neighbours;
    }

    /** Whether the rule gives a likelihood over sizes (for the posterior combiners) rather than a vote. */
    public boolean soft() {
        return this == SOFT_NEAREST || this == SOFT_3NN;
    }

    /** Whether the rule is the pooled ridge (with or without the recipe). */
    public boolean pooled() {
        return this == POOLED_RIDGE || this == POOLED_RIDGE_RECIPE;
    }

    /** How many nearest training adapters of each size a soft rule averages (1 for the others). */
    public int neighbours() {
        return neighbours;
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
