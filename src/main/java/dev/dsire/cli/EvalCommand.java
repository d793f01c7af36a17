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

@Command(name = "eval", mixinStandardHelpOptions = true, modelTransformer = MethodsFooter.class,
        description = {"Runs the paper's protocol: split by group, fit on the training groups, predict the rest, repeat;",
                "reports MAE, MAPE (%), accuracy (%) and, for the posterior, 80%-interval coverage as mean ± std.",
                "Spectra are extracted once per file."})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ComputeOptions compute;

    @Mixin
    LabelOptions labels;

    @Option(names = "--train-groups", defaultValue = "15", description = "groups to train on in each repeat (default: ${DEFAULT-VALUE})")
    int trainGroups;

    @Option(names = "--repeats", defaultValue = "10", description = "random splits (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the splits (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--methods", defaultValue = "dsire,frobenius,posterior", paramLabel = "LIST",
            description = "comma-separated method names, or all (default: ${DEFAULT-VALUE}); the list is below")
    String methods;

    @Option(names = "--unseen-sizes", split = ",", paramLabel = "LIST",
            description = "also fit without these sizes and test on the held-out groups' adapters of them: MAE of each method's continuous estimate")
    List<Integer> unseenSizes;

    @Option(names = "--sweep-train-groups", arity = "0..1", fallbackValue = "15", paramLabel = "MAX",
            description = "also run the protocol with 1..MAX training groups (default MAX ${FALLBACK-VALUE}): MAE and accuracy per count (Figure 5)")
    Integer sweepGroups;

    @Option(names = "--json", description = "print {\"methods\": [...], \"confusion\": {...}} instead of a table")
    boolean json;

    @Option(names = "--report", paramLabel = "HTML", description = "also write a self-contained HTML report")
    Path report;

    @Mixin
    HubOptions hub;

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
        Protocol protocol = new Protocol(trainGroups, repeats, seed);
        LabelledSamples data;
        try (ComputeOptions.Engine engine = compute.open(err)) {
            SpectrumBackend backend = engine.spectra();
            data = labels.samples(backend, err);
        }
        List<MethodResult> results = Evaluation.run(data.samples(), chosen, protocol);
        Set<Integer> unseen = unseenSizes == null ? Set.of() : new TreeSet<>(unseenSizes);
        List<UnseenResult> unseenResults = unseen.isEmpty() ? List.of() : Evaluation.unseen(data.samples(), chosen, protocol, unseen);
        List<SweepPoint> sweep = sweepGroups == null ? List.of() : Evaluation.sweepTrainGroups(data.samples(), chosen, protocol, sweepGroups);
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
            err.println("report written to " + report);
        }
        return data.failed() == 0 ? 0 : Main.INPUT_ERROR;
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
                        m.put("coverage80", Double.isNaN(cv.coverage80()) ? null : cv.coverage80());
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

    static List<Method> parseMethods(String list) {
        if (list.trim().equals("all")) {
            return Method.all();
        }
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Method::byKey).distinct().toList();
    }
}
