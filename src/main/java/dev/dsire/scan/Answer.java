package dev.dsire.scan;

import dev.dsire.model.Prediction;
import dev.dsire.model.Status;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One model's answer for one file: the prediction's fields as the scan stores them.
 *
 * @param model         the model's name (a hub layout's name, or the model file's name without .json)
 * @param interval80    [lo, hi], or null for vote methods and sizeless answers
 * @param probabilities the posterior's probability of every training size, or null
 * @param votes         a vote method's votes per size, or null
 */
public record Answer(String model, Status status, Integer prediction, Double estimate, int[] interval80,
                     SortedMap<Integer, Double> probabilities, SortedMap<Integer, Integer> votes, String reason) {

    public static Answer of(String model, Prediction p) {
        boolean sized = p.status().hasSize();
        return new Answer(model, p.status(), p.size(), sized && Double.isFinite(p.estimate()) ? p.estimate() : null,
                sized && p.posterior() != null ? p.posterior().interval80() : null,
                p.posterior() == null ? null : new TreeMap<>(p.posterior().asMap()),
                p.posterior() != null || !sized ? null : new TreeMap<>(p.votes()), p.reason());
    }

    /**
     * Whether a declared size agrees with this answer: inside interval80 (a vote method: equal to the
     * prediction; above or below the trained range: beyond the bound). Null without both.
     */
    public Boolean agrees(Integer declared) {
        if (declared == null || prediction == null) {
            return null;
        }
        return switch (status) {
            case ABOVE_RANGE -> declared >= prediction;
            case BELOW_RANGE -> declared <= prediction;
            default -> interval80 != null ? interval80[0] <= declared && declared <= interval80[1] : declared.equals(prediction);
        };
    }
}
