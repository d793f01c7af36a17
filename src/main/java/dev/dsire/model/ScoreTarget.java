package dev.dsire.model;

/**
 * What the pooled ridge regresses on. log n suits sizes spread over orders of magnitude evenly (1–6);
 * the size's rank among the training sizes suits sizes spaced evenly in n (1, 10…50), where log n
 * crowds the large sizes together and the regression spends its fit on telling 1 from 10. Neither is
 * right for every zoo, so the fit chooses, as it chooses the penalty: whichever errs less held out.
 */
public enum ScoreTarget {
    LOG_SIZE("log-size"),
    RANK("rank");

    private final String label;

    ScoreTarget(String label) {
        this.label = label;
    }

    /** The name written in model files. */
    public String label() {
        return label;
    }

    /** The target of an adapter of training size {@code size}, the {@code rank}-th smallest (from 0). */
    double value(int size, int rank) {
        return this == LOG_SIZE ? Math.log(size) : rank;
    }

    /** The target named {@code label}, or null. */
    static ScoreTarget of(String label) {
        for (ScoreTarget t : values()) {
            if (t.label.equals(label)) {
                return t;
            }
        }
        return null;
    }
}
