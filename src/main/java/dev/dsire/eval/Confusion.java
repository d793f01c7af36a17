package dev.dsire.eval;

import java.util.List;

/** Counts of (true size, predicted size) over all repeats; rows are true sizes, columns predictions. */
public record Confusion(List<Integer> sizes, long[][] counts) {

    public static Confusion empty(List<Integer> sizes) {
        return new Confusion(List.copyOf(sizes), new long[sizes.size()][sizes.size()]);
    }

    /** Per true size, the share of its adapters answered exactly (NaN where a size was never tested). */
    public java.util.SortedMap<Integer, Double> recall() {
        java.util.SortedMap<Integer, Double> r = new java.util.TreeMap<>();
        for (int t = 0; t < sizes.size(); t++) {
            long all = 0;
            for (long c : counts[t]) {
                all += c;
            }
            r.put(sizes.get(t), all == 0 ? Double.NaN : (double) counts[t][t] / all);
        }
        return r;
    }

    void add(int truth, int predicted) {
        counts[sizes.indexOf(truth)][sizes.indexOf(predicted)]++;
    }
}
