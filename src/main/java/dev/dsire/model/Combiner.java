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
     * Weighted sum of the voters' log-likelihoods (weights fitted by leave-one-group-out likelihood),
     * posterior median as the answer, probabilities and an 80% credible interval.
     */
    POSTERIOR("posterior", "weighted log-likelihoods: posterior median, probabilities, 80% interval");

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
