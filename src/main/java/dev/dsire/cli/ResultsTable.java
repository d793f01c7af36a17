package dev.dsire.cli;

import dev.dsire.eval.MethodResult;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Evaluation results as a text table or as the eval command's JSON. */
final class ResultsTable {
    private ResultsTable() {}

    static void print(PrintWriter out, List<MethodResult> results) {
        out.printf("%-10s  %-15s  %-15s  %-15s%n", "method", "MAE", "MAPE %", "accuracy %");
        for (MethodResult r : results) {
            out.printf("%-10s  %-15s  %-15s  %-15s%n", r.method().key(), r.mae().format(2), r.mape().format(1), r.accuracy().format(1));
        }
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
