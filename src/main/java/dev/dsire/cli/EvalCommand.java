package dev.dsire.cli;

import dev.dsire.eval.Evaluation;
import dev.dsire.eval.HtmlReport;
import dev.dsire.eval.MethodResult;
import dev.dsire.eval.Protocol;
import dev.dsire.model.Method;
import dev.dsire.spectra.SpectrumBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Runs the paper's protocol: split by group, fit on the training groups, predict the rest, repeat;",
                "reports MAE, MAPE (%) and accuracy (%) as mean ± std. Spectra are extracted once per file."})
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

    @Option(names = "--methods", defaultValue = "dsire,frobenius", paramLabel = "LIST",
            description = "comma-separated: dsire, frobenius, a-only, b-only, ba-only, nn-full, avg-vote, or all (default: ${DEFAULT-VALUE})")
    String methods;

    @Option(names = "--json", description = "print {\"methods\": [...], \"confusion\": {...}} instead of a table")
    boolean json;

    @Option(names = "--report", paramLabel = "HTML", description = "also write a self-contained HTML report")
    Path report;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Method> chosen = parseMethods(methods);
        Protocol protocol = new Protocol(trainGroups, repeats, seed);
        LabelledSamples data;
        try (ComputeOptions.Engine engine = compute.open(err)) {
            SpectrumBackend backend = engine.spectra();
            data = labels.samples(backend, err);
        }
        List<MethodResult> results = Evaluation.run(data.samples(), chosen, protocol);
        if (json) {
            out.println(Json.line(ResultsTable.json(results)));
        } else {
            ResultsTable.print(out, results);
        }
        if (report != null) {
            HtmlReport.write(report, "dsire evaluation", List.of(new HtmlReport.Section("evaluation", data.samples(), results, protocol)));
            err.println("report written to " + report);
        }
        return data.failed() == 0 ? 0 : Main.INPUT_ERROR;
    }

    static List<Method> parseMethods(String list) {
        if (list.trim().equals("all")) {
            return List.of(Method.values());
        }
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Method::byKey).distinct().toList();
    }
}
