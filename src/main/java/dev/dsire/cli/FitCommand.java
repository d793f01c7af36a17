package dev.dsire.cli;

import dev.dsire.hub.HubFit;
import dev.dsire.hub.HubIndex;
import dev.dsire.hub.LayoutLabels;
import dev.dsire.hub.ScanSource;
import dev.dsire.model.DsireModel;
import dev.dsire.eval.Sample;
import dev.dsire.model.Method;
import dev.dsire.model.ModelFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fit", mixinStandardHelpOptions = true, modelTransformer = MethodsFooter.class,
        description = "Fits a model on labelled adapters of one base layout and saves it as JSON.")
final class FitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ComputeOptions compute;

    @Mixin
    LabelOptions labels;

    @Option(names = "--out", required = true, paramLabel = "MODEL", description = {"where to write the model (JSON);",
            "with --from-scan a folder: one model per layout (LAYOUT.json) and index.json"})
    Path out;

    @Mixin
    HubOptions hub;

    @Option(names = "--method", defaultValue = "posterior", paramLabel = "NAME",
            description = "method (default: ${DEFAULT-VALUE}); the list is below")
    String method;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        Method m = Method.byKey(method);
        if (labels.source.fromScan != null) {
            return fromScan(m);
        }
        LabelledSamples data;
        try (ComputeOptions.Engine engine = compute.open(err)) {
            data = labels.samples(engine.spectra(), err);
        }
        DsireModel model = DsireModel.fit(m, data.samples().stream().map(Sample::labelled).toList());
        ModelFile.save(model, out);
        spec.commandLine().getOut().printf("fitted %s (%s) on %d adapters (%s; sizes %s) -> %s%n", m.key(), m.composition(), data.samples().size(),
                model.layout().describe(), model.sizes(), out);
        return data.failed() == 0 ? 0 : Main.INPUT_ERROR;
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
