package dev.dsire.cli;

import dev.dsire.FileFailure;
import dev.dsire.InputException;
import dev.dsire.hub.DeclaredLabel;
import dev.dsire.model.DsireModel;
import dev.dsire.model.ModelFile;
import dev.dsire.model.Prediction;
import dev.dsire.model.Status;
import dev.dsire.safetensors.SafetensorsFile;
import dev.dsire.scan.Answer;
import dev.dsire.spectra.SpectraExtractor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Predicts the dataset size of adapters with a fitted model.",
                "Layers match by canonical name, so a model fitted on one format reads files of another of the same base layout."})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ComputeOptions compute;

    @Option(names = "--model", required = true, paramLabel = "MODEL")
    Path modelPath;

    @Parameters(arity = "1..*", paramLabel = "FILE")
    List<Path> files;

    @Option(names = "--json", description = {"one JSON object per line: path, prediction (a training size), estimate (continuous),",
            "probabilities (size -> p) and interval80 [lo, hi] (posterior methods), status (ok | out_of_distribution | untrained |",
            "degenerate | error), votes (vote methods), reason (of a status other than ok), error, declared_images (what the",
            "file's metadata states), agrees (declared_images inside interval80), model (docs/schema.md)"})
    boolean json;

    /** One batch: a single batched 1-NN search for the files of the model's layout, then one output row each. */
    private int predict(DsireModel model, ComputeOptions.Engine engine, List<SpectraExtractor.Extracted> batch, PrintWriter out, PrintWriter err) {
        int failed = 0;
        InputException[] errors = new InputException[batch.size()];
        List<List<double[]>> queries = new ArrayList<>();
        List<Integer> asked = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            SpectraExtractor.Extracted e = batch.get(i);
            try {
                if (!e.ok()) {
                    throw e.error();
                }
                queries.add(model.features(e.path(), e.spectra()));
                asked.add(i);
            } catch (RuntimeException | Error x) {
                errors[i] = FileFailure.of(e.path(), x);
            }
        }
        Prediction[] predictions = new Prediction[batch.size()];
        if (model.method().nearestVote()) { // 1-NN votes: one batched search on the chosen device
            try {
                int[][] nearest = engine.search().nearest(model, queries);
                for (int q = 0; q < asked.size(); q++) {
                    predictions[asked.get(q)] = model.answer(batch.get(asked.get(q)).spectra(), queries.get(q), nearest[q]);
                }
            } catch (RuntimeException | Error x) {
                FileFailure.of(null, x); // rethrows what cannot be contained
                // the batched search failed: search each file alone, so the failure stays with its file
                for (int q = 0; q < asked.size(); q++) {
                    int i = asked.get(q);
                    try {
                        predictions[i] = model.answer(batch.get(i).spectra(), queries.get(q),
                                engine.search().nearest(model, List.of(queries.get(q)))[0]);
                    } catch (RuntimeException | Error y) {
                        predictions[i] = null;
                        errors[i] = FileFailure.of(batch.get(i).path(), y);
                    }
                }
            }
        } else { // other rules run on the CPU, a file at a time; a failure stays with its file
            for (int i : asked) {
                try {
                    predictions[i] = model.predict(batch.get(i).path(), batch.get(i).spectra());
                } catch (RuntimeException | Error y) {
                    errors[i] = FileFailure.of(batch.get(i).path(), y);
                }
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            Path path = batch.get(i).path();
            Prediction p = predictions[i];
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("path", path.toString());
            row.put("prediction", p == null ? null : p.size());
            row.put("estimate", p == null || !p.status().hasSize() ? null : p.estimate());
            row.put("probabilities", p == null || p.posterior() == null ? null : p.posterior().asMap().entrySet().stream()
                    .collect(Collectors.toMap(v -> v.getKey().toString(), Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new)));
            row.put("interval80", p == null || p.posterior() == null ? null : p.posterior().interval80());
            row.put("status", p == null ? Status.ERROR.key() : p.status().key());
            row.put("votes", p == null || p.posterior() != null ? null : p.votes().entrySet().stream()
                    .collect(Collectors.toMap(v -> v.getKey().toString(), Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new)));
            row.put("reason", p == null ? null : p.reason());
            row.put("error", errors[i] == null ? null : errors[i].reason());
            Integer declared = declared(path);
            Boolean agrees = p == null ? null : Answer.of(modelName(), p).agrees(declared);
            row.put("declared_images", declared);
            row.put("agrees", agrees);
            row.put("model", modelName());
            if (errors[i] != null) {
                failed++;
                err.println(errors[i].getMessage());
            }
            if (json) {
                out.println(Json.line(row));
            } else if (p != null) {
                out.println(path + ": " + describe(p) + (declared == null ? ""
                        : "  declared " + declared + (agrees == null ? "" : agrees ? " (agrees)" : " (disagrees)")));
            }
        }
        return failed;
    }

    /** The training images the file's metadata states (see hub.DeclaredLabel), or null; read from the header alone. */
    private static Integer declared(Path path) {
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            return DeclaredLabel.of(f.metadata()).map(DeclaredLabel::images).orElse(null);
        } catch (RuntimeException e) {
            return null; // the file's own error is reported with its prediction
        }
    }

    /** What rows call the model: its file name without .json. */
    private String modelName() {
        String n = modelPath.getFileName().toString();
        return n.endsWith(".json") ? n.substring(0, n.length() - 5) : n;
    }

    /** One text line: the size, then the evidence (interval and probability, or votes), then any status. */
    static String describe(Prediction p) {
        if (!p.status().hasSize()) {
            return "no size, " + p.status().key() + ": " + p.reason();
        }
        String evidence;
        if (p.posterior() != null) {
            int[] iv = p.posterior().interval80();
            evidence = String.format(Locale.ROOT, "p=%.2f, 80%% interval %d-%d, estimate %.1f", p.posterior().probability(p.size()), iv[0], iv[1], p.estimate());
        } else {
            evidence = "votes " + p.votes().entrySet().stream().map(v -> v.getKey() + ":" + v.getValue()).collect(Collectors.joining(" "));
        }
        return p.size() + "  (" + evidence + ")" + (p.status() == Status.OK ? "" : "  " + p.status().key() + ": " + p.reason());
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DsireModel model = ModelFile.load(modelPath);
        int[] failed = {0};
        try (ComputeOptions.Engine engine = compute.open(err)) {
            new SpectraExtractor(engine.spectra()).forEachBatch(files, batch -> failed[0] += predict(model, engine, batch, out, err));
        }
        return failed[0] == 0 ? 0 : Main.INPUT_ERROR;
    }
}
