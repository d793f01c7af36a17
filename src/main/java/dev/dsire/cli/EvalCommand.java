package dev.dsire.cli;

import dev.dsire.eval.Evaluation;
import dev.dsire.eval.HtmlReport;
import dev.dsire.eval.MethodResult;
import dev.dsire.eval.Protocol;
import dev.dsire.eval.SweepPoint;
import dev.dsire.eval.UnseenResult;
import dev.dsire.hub.HubFit;
import dev.dsire.hub.LayoutLabels;
import dev.dsire.hub.RunCrossValidation;
import dev.dsire.hub.ScanSource;
import dev.dsire.model.Method;
import dev.dsire.spectra.SpectrumBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true, modelTransformer = MethodsFooter.class, sortOptions = false,
        description = {"Runs the paper's protocol on labelled adapters: split by group, fit on the training groups, predict the rest, and repeat.",
                "It reports MAE, MAPE (%%), accuracy (%%) and, for the posterior methods, the interval's coverage, as mean ± std over the repeats.",
                "Spectra are extracted once per file."},
        footer = {"", "Examples:",
                "  dsire eval --manifest examples/zoo-low/manifest.csv",
                "  dsire eval --manifest examples/zoo-low/manifest.csv --methods all --json",
                "  dsire eval --manifest examples/zoo-medium/manifest.csv --unseen-sizes 20,30",
                "  dsire eval --from-scan scan.sqlite --methods dsire,posterior"})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    LabelOptions labels;

    @Option(names = "--train-groups", defaultValue = "15", paramLabel = "<n>", description = "Groups to train on in each repeat (default: ${DEFAULT-VALUE}).")
    int trainGroups;

    @Option(names = "--repeats", defaultValue = "10", paramLabel = "<n>", description = "Random splits to average over (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "<seed>", description = "Seed of the random splits (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--methods", defaultValue = "dsire,posterior,pooled,pooled-recipe", paramLabel = "<methods>",
            description = "Comma-separated method names, or all (default: ${DEFAULT-VALUE}); the list is below.")
    String methods;

    @Option(names = "--unseen-sizes", split = ",", paramLabel = "<sizes>",
            description = "Also fit without these sizes and test on the held-out groups' adapters of them: the MAE of each method's continuous estimate.")
    List<Integer> unseenSizes;

    @Option(names = "--sweep-train-groups", arity = "0..1", fallbackValue = "15", paramLabel = "<max>",
            description = "Also run the protocol with 1 to this many training groups (default ${FALLBACK-VALUE}): MAE and accuracy per count (Figure 5).")
    Integer sweepGroups;

    @Option(names = "--json", description = "Print {\"methods\": [...], \"confusion\": {...}} instead of a table.")
    boolean json;

    @Option(names = "--report", paramLabel = "<html>", description = "Also write a self-contained HTML report to this file.")
    Path report;

    @Mixin
    HubOptions hub;

    @Mixin
    ComputeOptions compute;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Method> chosen = parseMethods(methods);
        if (sweepGroups != null && sweepGroups < 1) {
            throw new IllegalArgumentException("--sweep-train-groups needs at least 1 group");
        }
        if (labels.source.fromScan != null) {
            return fromScan(out, err, chosen);
        }
        if (labels.source.transfer != null) {
            return transfer(out, err, chosen);
        }
        Protocol protocol = new Protocol(trainGroups, repeats, seed);
        LabelledSamples data;
        List<MethodResult> results = new java.util.ArrayList<>();
        Set<Integer> unseen = unseenSizes == null ? Set.of() : new TreeSet<>(unseenSizes);
        List<UnseenResult> unseenResults = new java.util.ArrayList<>();
        List<SweepPoint> sweep = new java.util.ArrayList<>();
        try (Progress progress = Progress.of(err, compute.output)) {
            try (ComputeOptions.Engine engine = compute.open(err)) {
                SpectrumBackend backend = engine.spectra();
                data = labels.samples(backend, err, progress, compute.output.quiet);
            }
            // a method at a time (each is independent of the others): the progress moves as they finish
            progress.phase("protocol", (long) chosen.size() * (1 + (unseen.isEmpty() ? 0 : 1) + (sweepGroups == null ? 0 : 1)), "method runs");
            for (Method m : chosen) {
                results.addAll(Evaluation.run(data.samples(), List.of(m), protocol));
                progress.step();
            }
            if (!unseen.isEmpty()) {
                for (Method m : chosen) {
                    unseenResults.addAll(Evaluation.unseen(data.samples(), List.of(m), protocol, unseen));
                    progress.step();
                }
            }
            if (sweepGroups != null) {
                List<List<SweepPoint>> each = new java.util.ArrayList<>();
                for (Method m : chosen) {
                    each.add(Evaluation.sweepTrainGroups(data.samples(), List.of(m), protocol, sweepGroups));
                    progress.step();
                }
                sweep.addAll(mergeSweep(each));
            }
        }
        if (json) {
            Map<String, Object> root = ResultsTable.json(results);
            if (!unseen.isEmpty()) {
                root.put("unseen_sizes", List.copyOf(unseen));
                root.put("unseen", ResultsTable.unseenJson(unseenResults));
            }
            if (sweepGroups != null) {
                root.put("sweep_train_groups", ResultsTable.sweepJson(sweep));
            }
            out.println(Json.line(root));
        } else {
            ResultsTable.print(out, results);
            if (!unseen.isEmpty()) {
                ResultsTable.printUnseen(out, unseen, unseenResults);
            }
            if (sweepGroups != null) {
                ResultsTable.printSweep(out, sweep);
            }
        }
        if (report != null) {
            HtmlReport.write(report, "dsire evaluation",
                    List.of(new HtmlReport.Section("evaluation", data.samples(), results, protocol, unseen, unseenResults, sweep)));
            if (!compute.output.quiet) {
                err.println("report written to " + report);
            }
        }
        return data.failed() == 0 ? 0 : Main.INPUT_ERROR;
    }

    /** Fit on the first manifest, predict the second: errors of ok and flagged answers, flagged share of big errors. */
    private int transfer(PrintWriter out, PrintWriter err, List<Method> chosen) {
        Path trainCsv = labels.source.transfer.get(0), testCsv = labels.source.transfer.get(1);
        LabelledSamples train, test;
        List<dev.dsire.eval.Transfer> results = new java.util.ArrayList<>();
        try (Progress progress = Progress.of(err, compute.output)) {
            try (ComputeOptions.Engine engine = compute.open(err)) {
                train = LabelledSamples.extract(dev.dsire.model.Manifest.readCsv(trainCsv), engine.spectra(), err, progress);
                test = LabelledSamples.extract(dev.dsire.model.Manifest.readCsv(testCsv), engine.spectra(), err, progress);
            }
            if (train.samples().isEmpty() || test.samples().isEmpty()) {
                throw new IllegalArgumentException((train.samples().isEmpty() ? trainCsv : testCsv) + ": no adapter could be read");
            }
            progress.phase("transfer", chosen.size(), "methods");
            for (Method m : chosen) {
                results.addAll(dev.dsire.eval.Transfer.run(train.samples(), test.samples(), List.of(m)));
                progress.step();
            }
        }
        if (json) {
            out.println(Json.line(Map.of("train", trainCsv.toString(), "test", testCsv.toString(), "methods", ResultsTable.transferJson(results))));
        } else {
            out.printf("fit on %s (%d adapters), predicted %s (%d adapters)%n", trainCsv, train.samples().size(), testCsv, test.samples().size());
            ResultsTable.printTransfer(out, results);
        }
        return train.failed() + test.failed() == 0 ? 0 : Main.INPUT_ERROR;
    }

    /** Per layout of a scan, every method cross-validated by training run: how far to trust each layout's model. */
    private int fromScan(PrintWriter out, PrintWriter err, List<Method> chosen) {
        try (ScanSource source = ScanSource.open(labels.source.fromScan)) {
            HubFit fit = new HubFit(source, hub.options(chosen), err);
            List<LayoutLabels> layouts = fit.layouts();
            List<Map<String, Object>> rows = new java.util.ArrayList<>();
            if (!json) {
                HubOptions.header(out);
            }
            fit.forEachLayout(layouts, r -> {
                for (RunCrossValidation.Result cv : r.cv()) {
                    if (json) {
                        Map<String, Object> m = new java.util.LinkedHashMap<>();
                        m.put("layout", r.labels().name());
                        m.put("family", r.labels().family());
                        m.put("method", cv.method());
                        m.put("adapters", cv.adapters());
                        m.put("runs", cv.runs());
                        m.put("folds", cv.folds());
                        m.put("sizes", r.labels().sizes());
                        m.put("mae", cv.mae());
                        m.put("mape", cv.mape());
                        m.put("accuracy", cv.accuracy());
                        m.put("coverage80", ResultsTable.orNull(cv.coverage80()));
                        m.put("constant_mae", cv.constantMae());
                        m.put("answered", cv.answered());
                        rows.add(m);
                    } else {
                        HubOptions.row(out, r.labels(), cv);
                    }
                }
            });
            if (json) {
                out.println(Json.line(Map.of("layouts", rows)));
            } else {
                HubOptions.skipped(out, layouts, hub.minRuns);
            }
        }
        return 0;
    }

    /** Per-method sweeps in the order one sweep of all methods gives: by training groups, then method. */
    static List<SweepPoint> mergeSweep(List<List<SweepPoint>> perMethod) {
        List<SweepPoint> all = new java.util.ArrayList<>();
        perMethod.forEach(all::addAll);
        all.sort(java.util.Comparator.comparingInt(SweepPoint::trainGroups)); // stable: methods keep their order
        return all;
    }

    static List<Method> parseMethods(String list) {
        if (list.trim().equals("all")) {
            return Method.all();
        }
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Method::byKey).distinct().toList();
    }
}
