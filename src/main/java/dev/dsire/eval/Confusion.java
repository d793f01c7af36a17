package dev.dsire.eval;

import java.util.List;

/** Counts of (true size, predicted size) over all repeats; rows are true sizes, columns predictions. */
public record Confusion(List<Integer> sizes, long[][] counts) {

    public static Confusion empty(List<Integer> sizes) {
        return new Confusion(List.copyOf(sizes), new long[sizes.size()][sizes.size()]);
    }

    void add(int truth, int predicted) {
        counts[sizes.indexOf(truth)][sizes.indexOf(predicted)]++;
    }
}
