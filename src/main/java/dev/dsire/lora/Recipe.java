package dev.dsire.lora;

import java.util.Map;

/**
 * The training recipe a file states: learning rate and step count, from kohya's metadata
 * ({@code ss_learning_rate}, else {@code ss_unet_lr}; {@code ss_max_train_steps}, else {@code ss_steps}).
 * NaN where the file does not say. Epochs are left out on purpose: kohya derives them from the steps
 * and the image count, so they would hand the answer back to a recipe-aware model.
 */
public record Recipe(double learningRate, double steps) {
    public static final Recipe UNKNOWN = new Recipe(Double.NaN, Double.NaN);

    /** The recipe's fields, in the order of {@link #values()}. */
    public static final java.util.List<String> FIELDS = java.util.List.of("learning_rate", "steps");

    public static Recipe of(Map<String, String> meta) {
        double lr = positive(meta.get("ss_learning_rate"));
        if (Double.isNaN(lr)) {
            lr = positive(meta.get("ss_unet_lr"));
        }
        double steps = positive(meta.get("ss_max_train_steps"));
        if (Double.isNaN(steps)) {
            steps = positive(meta.get("ss_steps"));
        }
        return new Recipe(lr, steps);
    }

    /** From the values a scan or inspect stores: null where not stated. */
    public static Recipe of(Double learningRate, Long steps) {
        return new Recipe(learningRate == null ? Double.NaN : learningRate, steps == null ? Double.NaN : steps);
    }

    /** The learning rate as JSON and the scan database hold it: null where not stated. */
    public Double statedLearningRate() {
        return Double.isNaN(learningRate) ? null : learningRate;
    }

    /** The steps as JSON and the scan database hold them: a whole number, null where not stated. */
    public Long statedSteps() {
        return Double.isNaN(steps) ? null : (long) steps;
    }

    /** The fields' values in {@link #FIELDS} order (NaN: not stated). */
    public double[] values() {
        return new double[] {learningRate, steps};
    }

    /** A finite positive number, else NaN (absent, garbled, "None", zero or negative: not a recipe anyone trained with). */
    private static double positive(String s) {
        if (s == null) {
            return Double.NaN;
        }
        try {
            double x = Double.parseDouble(s.trim());
            return x > 0 && Double.isFinite(x) ? x : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
