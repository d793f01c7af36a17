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
            confusion.put(r.method().key(), c);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("methods", methods);
        root.put("confusion", confusion);
        return root;
    }
}
