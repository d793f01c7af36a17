package dev.dsire.cli;

import dev.dsire.hub.HubFit;
import dev.dsire.hub.LayoutLabels;
import dev.dsire.hub.RunCrossValidation;
import dev.dsire.model.Method;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The options of fitting and evaluating per layout from a scan ({@code --from-scan}), and the table both print. */
final class HubOptions {
    @Option(names = "--min-runs", defaultValue = "8", paramLabel = "<n>",
            description = "With --from-scan: a layout needs this many training runs with a declared size (default: ${DEFAULT-VALUE}).")
    int minRuns;

    @Option(names = "--folds", defaultValue = "10", paramLabel = "<k>",
            description = "With --from-scan: cross-validate in at most this many folds of whole training runs (leave-one-run-out with fewer runs; default: ${DEFAULT-VALUE}).")
    int folds;

    HubFit.Options options(List<Method> methods) {
        if (minRuns < 2) {
            throw new IllegalArgumentException("--min-runs must be at least 2");
        }
        if (folds < 2) {
            throw new IllegalArgumentException("--folds must be at least 2");
        }
        return new HubFit.Options(methods, minRuns, folds, 42);
    }

    static void header(PrintWriter out) {
        out.printf(Locale.ROOT, "%-34s %-18s %8s %5s %-16s %7s %7s %6s %9s %9s%n", "layout", "method", "adapters", "runs", "sizes", "MAE",
                "const", "acc%", "cover80", "answered");
    }

    static void row(PrintWriter out, LayoutLabels l, RunCrossValidation.Result r) {
        List<Integer> s = l.sizes();
        String sizes = s.size() <= 3 ? s.toString() : s.getFirst() + ".." + s.getLast() + " (" + s.size() + ")";
        out.printf(Locale.ROOT, "%-34s %-18s %8d %5d %-16s %7.2f %7.2f %6.1f %9s %8.0f%%%n", l.name(), r.method(), r.adapters(), r.runs(), sizes,
                r.mae(), r.constantMae(), r.accuracy(), ResultsTable.cell(r.coverage80()),
                100 * r.answered());
    }

    static void skipped(PrintWriter out, List<LayoutLabels> layouts, int minRuns) {
        for (LayoutLabels l : layouts) {
            String why = l.tooFew(minRuns);
            if (why != null) {
                out.printf("no model for %s (%s, %d labelled adapters): %s%n", l.name(), l.family(), l.files().size(), why);
            }
        }
    }
}
