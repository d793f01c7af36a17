package dev.dsire.cli;

import dev.dsire.eval.MethodResult;
import dev.dsire.eval.SweepPoint;
import dev.dsire.eval.UnseenResult;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Evaluation results as a text table or as the eval command's JSON. */
final class ResultsTable {
    private ResultsTable() {}

    static void print(PrintWriter out, List<MethodResult> results) {
        out.printf("%-18s  %-15s  %-15s  %-15s  %-15s%n", "method", "MAE", "MAPE %", "accuracy %", "in 85% range");
        for (MethodResult r : results) {
            out.printf("%-18s  %-15s  %-15s  %-15s  %-15s%n", r.method().key(), r.mae().format(2), r.mape().format(1), r.accuracy().format(1),
                    r.method().probabilistic() ? r.coverage80().format(2) : "-");
        }
        printRecall(out, results.stream().map(r -> Map.entry(r.method().key(), r.confusion())).toList());
    }

    /** Per method, the share of each true size answered exactly: whether the extremes are kept. */
    static void printRecall(PrintWriter out, List<Map.Entry<String, dev.dsire.eval.Confusion>> confusions) {
        if (confusions.isEmpty()) {
            return;
        }
        List<Integer> sizes = confusions.getFirst().getValue().sizes();
        out.printf("%nrecall per true size (share answered exactly):%n%-18s", "method");
        for (int s : sizes) {
            out.printf("  %6s", s);
        }
        out.println();
        for (var e : confusions) {
            out.printf("%-18s", e.getKey());
            for (double r : e.getValue().recall().values()) {
                out.printf("  %6s", cell(r));
            }
            out.println();
        }
    }

    static void printUnseen(PrintWriter out, Set<Integer> unseen, List<UnseenResult> results) {
        out.printf("%nunseen sizes %s (fitted without them; MAE of the continuous estimate):%n", unseen);
        out.printf("%-18s  %-15s  %-15s  %-15s  %s%n", "method", "MAE", "MAPE %", "in 85% range", "MAE by size");
        for (UnseenResult r : results) {
            out.printf("%-18s  %-15s  %-15s  %-15s  %s%n", r.method().key(), r.mae().format(2), r.mape().format(1),
                    r.method().probabilistic() ? r.coverage80().format(2) : "-",
                    r.maeBySize().entrySet().stream().map(e -> String.format(Locale.ROOT, "%d: %.2f", e.getKey(), e.getValue()))
                            .collect(Collectors.joining(", ")));
        }
    }

    static void printSweep(PrintWriter out, List<SweepPoint> sweep) {
        out.printf("%ntraining groups sweep:%n%-18s  %6s  %-15s  %-15s%n", "method", "groups", "MAE", "accuracy %");
        for (SweepPoint p : sweep) {
            out.printf("%-18s  %6d  %-15s  %-15s%n", p.method().key(), p.trainGroups(), p.mae().format(2), p.accuracy().format(1));
        }
    }

    static void printTransfer(PrintWriter out, List<dev.dsire.eval.Transfer> results) {
        out.printf("%-18s  %6s  %10s  %10s  %-16s  %-16s  %s%n", "method", "MAE", "accuracy %", "in range", "ok: MAE (n)", "flagged: MAE (n)",
                "big errors flagged");
        for (var r : results) {
            int ok = r.statuses().getOrDefault("ok", 0);
            int flagged = r.statuses().entrySet().stream().filter(e -> !e.getKey().equals("ok")).mapToInt(Map.Entry::getValue).sum();
            out.printf("%-18s  %6.2f  %10.1f  %10s  %-16s  %-16s  %s%n", r.method().key(), r.mae(), r.accuracy(),
                    cell(r.coverage80()), cell(r.okMae()) + " (" + ok + ")", cell(r.flaggedMae()) + " (" + flagged + ")",
                    r.bigErrors() == 0 ? "no big errors" : String.format(Locale.ROOT, "%d of %d (%.0f%%)", r.bigFlagged(), r.bigErrors(),
                            100 * r.flaggedShareOfBigErrors()));
        }
        out.printf("%nstatuses:%n");
        for (var r : results) {
            out.printf("%-18s  %s%n", r.method().key(), r.statuses().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", ")));
        }
        printRecall(out, results.stream().map(r -> Map.entry(r.method().key(), r.confusion())).toList());
    }

    static List<Map<String, Object>> transferJson(List<dev.dsire.eval.Transfer> results) {
        return results.stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", r.method().key());
            m.put("tested", r.tested());
            m.put("mae", r.mae());
            m.put("accuracy", r.accuracy());
            m.put("coverage80", orNull(r.coverage80()));
            m.put("ok_mae", orNull(r.okMae()));
            m.put("flagged_mae", orNull(r.flaggedMae()));
            m.put("statuses", r.statuses());
            m.put("big_errors", r.bigErrors());
            m.put("big_errors_flagged", r.bigFlagged());
            m.put("recall", recallJson(r.confusion()));
            return m;
        }).toList();
    }

    /** Size → recall, null where a size was never tested. */
    private static Map<String, Object> recallJson(dev.dsire.eval.Confusion c) {
        Map<String, Object> recall = new LinkedHashMap<>();
        c.recall().forEach((k, v) -> recall.put(k.toString(), orNull(v)));
        return recall;
    }

    /** A table cell: two decimals, or "-" for a figure that does not exist (NaN). */
    static String cell(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.2f", x);
    }

    /** A JSON number, or null for a figure that does not exist (NaN). */
    static Double orNull(double x) {
        return Double.isNaN(x) ? null : x;
    }

    static List<Map<String, Object>> unseenJson(List<UnseenResult> results) {
        return results.stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", r.method().key());
            m.put("mae_mean", r.mae().mean());
            m.put("mae_std", r.mae().std());
            m.put("mape_mean", r.mape().mean());
            m.put("mape_std", r.mape().std());
            m.put("coverage80_mean", r.method().probabilistic() ? r.coverage80().mean() : null);
            Map<String, Object> by = new LinkedHashMap<>();
            r.maeBySize().forEach((k, v) -> by.put(k.toString(), v));
            m.put("mae_by_size", by);
            return m;
        }).toList();
    }

    static List<Map<String, Object>> sweepJson(List<SweepPoint> sweep) {
        return sweep.stream().map(p -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", p.method().key());
            m.put("train_groups", p.trainGroups());
            m.put("mae_mean", p.mae().mean());
            m.put("mae_std", p.mae().std());
            m.put("acc_mean", p.accuracy().mean());
            m.put("acc_std", p.accuracy().std());
            return m;
        }).toList();
    }

    static Map<String, Object> json(List<MethodResult> results) {
        List<Map<String, Object>> methods = results.stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", r.method().key());
            m.put("mae_mean", r.mae().mean());
            m.put("mae_std", r.mae().std());
            m.put("mape_mean", r.mape().mean());
            m.put("mape_std", r.mape().std());
            m.put("acc_mean", r.accuracy().mean());
            m.put("acc_std", r.accuracy().std());
            m.put("coverage80_mean", r.method().probabilistic() ? r.coverage80().mean() : null);
            m.put("coverage80_std", r.method().probabilistic() ? r.coverage80().std() : null);
            m.put("ood_rate", r.oodRate());
            m.put("composition", r.method().composition());
            return m;
        }).toList();
        Map<String, Object> confusion = new LinkedHashMap<>();
        for (MethodResult r : results) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("sizes", r.confusion().sizes());
            c.put("counts", r.confusion().counts());
            c.put("recall", recallJson(r.confusion()));
            confusion.put(r.method().key(), c);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("methods", methods);
        root.put("confusion", confusion);
        return root;
    }
}
