package dev.dsire.model;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One adapter's answer. {@code size} is a training size (null when the status has no size);
 * {@code estimate} is a continuous size (the posterior's, between training sizes; else the size);
 * {@code posterior} is null for vote methods, {@code votes} empty for the posterior.
 */
public record Prediction(Status status, Integer size, double estimate, SortedMap<Integer, Integer> votes, Posterior posterior,
                         String reason) {

    /** A vote method's answer. */
    public Prediction(int size, SortedMap<Integer, Integer> votes) {
        this(Status.OK, size, size, votes, null, null);
    }

    /** No size, with the reason (untrained or degenerate adapters). */
    public static Prediction none(Status status, String reason) {
        return new Prediction(status, null, Double.NaN, new TreeMap<>(), null, reason);
    }

    /** The posterior's answer: its median, and the continuous estimate given (from the softened posterior). */
    public static Prediction of(Posterior p, double estimate) {
        return new Prediction(Status.OK, p.median(), estimate, new TreeMap<>(), p, null);
    }

    /** The same answer, flagged out of distribution with the reason. */
    public Prediction outOfDistribution(String why) {
        return new Prediction(Status.OUT_OF_DISTRIBUTION, size, estimate, votes, posterior, why);
    }

    /** The same answer with a note added to its reason (what a recipe-aware model read, for one). */
    public Prediction withNote(String note) {
        return new Prediction(status, size, estimate, votes, posterior, reason == null || reason.isBlank() ? note : reason + "; " + note);
    }
}
