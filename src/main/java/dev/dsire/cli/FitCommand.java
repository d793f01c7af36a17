package dev.dsire.cli;

import dev.dsire.hub.HubFit;
import dev.dsire.hub.HubIndex;
import dev.dsire.hub.LayoutLabels;
import dev.dsire.hub.ScanSource;
import dev.dsire.model.DsireModel;
import dev.dsire.eval.Sample;
import dev.dsire.model.Method;
import dev.dsire.model.ModelFile;
import dev.dsire.model.ScoreTarget;
import dev.dsire.model.VoterRule;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fit", mixinStandardHelpOptions = true, modelTransformer = MethodsFooter.class, sortOptions = false,
        description = {"Fits a model on labelled adapters of one base layout and saves it as JSON.",
                "The labels come from a manifest (path,group,size), from the files' kohya metadata, or from LoRA-WiSE Parquet files;",
                "--from-scan fits one model per layout of a scan, from the files whose metadata states their size."},
        footer = {"", "Examples:",
                "  dsire fit --manifest examples/zoo-low/manifest.csv --out model.json",
                "  dsire fit --from-scan scan.sqlite --out models/",
                "  dsire fit --method dsire --out model.json --labels-from-metadata *.safetensors"})
final class FitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    LabelOptions labels;

    @Option(names = "--out", required = true, paramLabel = "<model>", description = {"Where to write the model (JSON);",
            "with --from-scan a folder: one model per layout (LAYOUT.json) and index.json."})
    Path out;

    @Option(names = "--method", defaultValue = "pooled-recipe", paramLabel = "<method>",
            description = "The method (default: ${DEFAULT-VALUE}); the list is below.")
    String method;

    @Mixin
    HubOptions hub;

    @Option(names = "--json", description = "Print the fitted model's summary as one JSON object: method, composition, adapters, layout, sizes, out.")
    boolean json;

    @Mixin
    ComputeOptions compute;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        Method m = Method.byKey(method);
        if (labels.source.fromScan != null) {
            return fromScan(m);
        }
        Inputs.writable(out);
        LabelledSamples data;
        DsireModel model;
        try (Progress progress = Progress.of(err, compute.output)) {
            try (ComputeOptions.Engine engine = compute.open(err)) {
                data = labels.samples(engine.spectra(), err, progress, compute.output.quiet);
            }
            progress.status("fitting " + m.key() + " on " + data.samples().size() + " adapters...");
            model = DsireModel.fit(m, data.samples().stream().map(Sample::labelled).toList());
        }
        ModelFile.save(model, out);
        if (json) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("method", m.key());
            row.put("composition", m.composition());
            row.put("adapters", data.samples().size());
            row.put("layout", model.layout().describe());
            row.put("sizes", model.sizes());
            if (m.rule().pooled()) {
                row.put("target", model.pooled().target().label());
            }
            if (m.rule() == VoterRule.POOLED_RIDGE_RECIPE) {
                row.put("recipe_fields", model.recipe() == null ? List.of() : model.recipe().fields());
                row.put("recipe_target", model.recipe() == null ? null : model.recipe().score().target().label());
            }
            row.put("out", out.toString());
            spec.commandLine().getOut().println(Json.line(row));
        } else {
            spec.commandLine().getOut().printf("fitted %s (%s) on %d adapters (%s; sizes %s) -> %s%n", m.key(), m.composition(),
                    data.samples().size(), model.layout().describe(), model.sizes(), out);
            if (m.rule().pooled()) {
                spec.commandLine().getOut().println("score: ridge on " + words(model.pooled().target())
                        + (model.recipe() == null ? "" : "; with the recipe, on " + words(model.recipe().score().target()))
                        + " (chosen with the penalty by the held-out error)");
            }
            if (m.rule() == VoterRule.POOLED_RIDGE_RECIPE) {
                spec.commandLine().getOut().println(model.recipe() == null
                        ? "recipe: no field (learning rate, steps) is stated by every training file and varies among them; answers come from the weights alone"
                        : "recipe: " + String.join(", ", model.recipe().fields()) + " (column weight " + (int) model.recipe().weight()
                          + "); files that state them get the recipe-conditioned answer, others pooled's");
            }
        }
        return data.failed() == 0 ? 0 : Main.INPUT_ERROR;
    }

    private static String words(ScoreTarget t) {
        return t == ScoreTarget.RANK ? "the size's rank among the training sizes" : "log n";
    }

    /** One model per layout of a scan, each cross-validated by training run; prints the index's table. */
    private int fromScan(Method m) throws IOException {
        PrintWriter print = spec.commandLine().getOut();
        try (ScanSource source = ScanSource.open(labels.source.fromScan)) {
            HubFit fit = new HubFit(source, hub.options(List.of(m)), spec.commandLine().getErr());
            List<LayoutLabels> layouts = fit.layouts();
            HubOptions.header(print);
            HubIndex index = fit.fit(out, layouts, r -> HubOptions.row(print, r.labels(), r.cv().getFirst()));
            HubOptions.skipped(print, layouts, hub.minRuns);
            print.printf("%d model%s (%s) -> %s%n", index.layouts().size(), index.layouts().size() == 1 ? "" : "s", m.key(),
                    out.resolve(HubIndex.FILE));
        }
        return 0;
    }
}
