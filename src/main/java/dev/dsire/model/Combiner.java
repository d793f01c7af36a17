package dev.dsire.model;

/** How the voters' answers become one prediction. */
public enum Combiner implements MethodPart {
    /** Majority of votes; ties to the smaller size (as scipy.stats.mode). */
    VOTE("vote", "majority vote"),
    /** Mean of the voted sizes, snapped to the nearest training size (the paper's average vote). */
    MEAN_VOTE("mean-vote", "mean of the votes, snapped to the nearest training size"),
    /** Votes weighted by each voter's leave-one-group-out accuracy above chance. */
    WEIGHTED_VOTE("weighted-vote", "votes weighted by leave-one-group-out accuracy"),
    /**
     * Sum of the voters' log-likelihoods, all with one weight fitted by leave-one-group-out
     * likelihood (a temperature); posterior median as the answer, probabilities and an 80% interval.
     */
    POSTERIOR("posterior", "equal-weight log-likelihoods, one fitted temperature: posterior median, probabilities, 80% interval"),
    /**
     * As {@link #POSTERIOR} with a weight per voter, fitted by leave-one-group-out likelihood with an
     * L2 penalty. Measured: no better than equal weights on the untuned zoos (it learns the training groups).
     */
    WEIGHTED_POSTERIOR("weighted-posterior", "log-likelihoods weighted per voter by leave-one-group-out likelihood: posterior median, probabilities, 80% interval"),
    /**
     * One voter's score, Gaussian per size around the size's mean held-out score (one pooled
     * variance): the most probable size, probabilities, a calibrated interval, range and shift statuses.
     */
    SCORE_POSTERIOR("score-posterior", "Gaussian likelihood of the score per size (held-out means, pooled variance): most probable size, probabilities, interval");

    /** Whether the answer is a posterior over sizes (probabilities, interval, continuous estimate). */
    public boolean probabilistic() {
        return this == POSTERIOR || this == WEIGHTED_POSTERIOR || this == SCORE_POSTERIOR;
    }

    /** Whether the model keeps a weight per voter. */
    public boolean weighted() {
        return this == POSTERIOR || this == WEIGHTED_POSTERIOR || this == WEIGHTED_VOTE;
    }

    private final String key;
    private final String description;

    Combiner(String key, String description) {
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

    public static Combiner byKey(String key) {
        return MethodPart.byKey(values(), key, "combiner");
    }
}
