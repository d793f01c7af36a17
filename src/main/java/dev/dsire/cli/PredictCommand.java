package dev.dsire.cli;

import dev.dsire.FileFailure;
import dev.dsire.InputException;
import dev.dsire.hub.DeclaredLabel;
import dev.dsire.model.DsireModel;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Estimates how many images each adapter was fine-tuned on, with a fitted model.",
                "A line reads like '≈3 images (85%%: 2–4, p=0.55)': the size, the range that holds the true size for 85%% of held-out",
                "training adapters, and the probability of the size itself; an unusual answer says why in words.",
                "Layers match by canonical name, so a model fitted on one format reads files of another of the same base layout."},
        footer = {"", "Examples:",
                "  dsire predict --model model.json my-lora.safetensors",
                "  dsire predict --model model.json --json path/to/peft-adapter-folder",
                "  find loras -name '*.safetensors' | dsire predict --model m.json --files-from -"})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "<model>", description = "The model file written by dsire fit.")
    Path modelPath;

    @Parameters(arity = "0..*", paramLabel = "<adapter>", description = "Adapter files (.safetensors) or PEFT adapter folders.")
    List<Path> files;

    @Mixin
    Inputs inputs;

    @Option(names = "--json", description = {"Print one JSON object per line instead: path, prediction (a trained size), estimate (between sizes),",
            "probabilities (size -> p) and interval80 [lo, hi] (posterior methods), status (ok, out_of_distribution, above_range,",
            "below_range, no_model, untrained, degenerate or error), votes (vote methods), reason (of a status other than ok; for pooled-recipe also whether the stated recipe was read), error,",
            "declared_images (what the file's metadata states), agrees (declared_images inside interval80) and model; see docs/schema.md."})
    boolean json;

    @Mixin
    ComputeOptions compute;

    /** One file's answer: its prediction, or the error that stopped it. */
    record Row(Path path, Prediction prediction, InputException error) {
        /** The `--json` object, keys in their documented order; model is the model's name. */
        Map<String, Object> json(String model) {
            return json(model, declared(path));
        }

        /** As {@link #json(String)}, with the images the file's metadata states (null: none) already read. */
        Map<String, Object> json(String model, Integer declared) {
            Prediction p = prediction;
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
            row.put("error", error == null ? null : error.reason());
            row.put("declared_images", declared);
            row.put("agrees", agrees(model, declared));
            row.put("model", model);
            return row;
        }

        Boolean agrees(String model, Integer declared) {
            return prediction == null ? null : Answer.of(model, prediction).agrees(declared);
        }
    }

    /** One batch: a single batched 1-NN search for the files of the model's layout, then one row each, in order. */
    static List<Row> rows(DsireModel model, ComputeOptions.Engine engine, List<SpectraExtractor.Extracted> batch) {
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
        List<Row> rows = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            rows.add(new Row(batch.get(i).path(), predictions[i], errors[i]));
        }
        return rows;
    }

    /** Writes a batch's rows; returns how many files failed. */
    private int predict(DsireModel model, ComputeOptions.Engine engine, List<SpectraExtractor.Extracted> batch, PrintWriter out, PrintWriter err) {
        int failed = 0;
        for (Row r : rows(model, engine, batch)) {
            if (r.error() != null) {
                failed++;
                err.println(r.error().getMessage());
            }
            if (json) {
                out.println(Json.line(r.json(modelName())));
            } else if (r.prediction() != null) {
                Integer declared = declared(r.path());
                out.println(r.path() + ": " + describe(r.prediction()) + declaredInWords(declared, r.agrees(modelName(), declared)));
            }
        }
        return failed;
    }

    /** The training images the file's metadata states (see hub.DeclaredLabel), or null; read from the header alone. */
    private static Integer declared(Path path) {
        return declared(() -> SafetensorsFile.open(path));
    }

    /** The same, for a file opened by open (an upload held in memory, say). */
    static Integer declared(java.util.function.Supplier<SafetensorsFile> open) {
        try (SafetensorsFile f = open.get()) {
            return declared(f.metadata());
        } catch (RuntimeException e) {
            return null; // the file's own error is reported with its prediction
        }
    }

    /** The same, from a header's metadata already read; null where it states none or states it badly. */
    static Integer declared(Map<String, String> metadata) {
        try {
            return DeclaredLabel.of(metadata).map(DeclaredLabel::images).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** What the file's metadata says, and whether the answer agrees: "; its metadata says 24 images, which agrees". */
    static String declaredInWords(Integer declared, Boolean agrees) {
        if (declared == null) {
            return "";
        }
        return "; its metadata says " + declared + (declared == 1 ? " image" : " images")
                + (agrees == null ? "" : agrees ? ", which agrees" : ", which disagrees");
    }

    /** What rows call the model: its file name without .json. */
    private String modelName() {
        String n = modelPath.getFileName().toString();
        return n.endsWith(".json") ? n.substring(0, n.length() - 5) : n;
    }

    /**
     * The interval's share of held-out adapters: a calibrated model fits its interval's mass so that
     * 85% of its training adapters, held out by group, fall inside theirs (the model package's
     * LeaveOneGroupOut.INTERVAL_COVERAGE); an uncalibrated one holds 80% of the probability.
     */
    static final int CALIBRATED_COVERAGE_PERCENT = 85;

    /** Below this probability of its size an answer is called uncertain. */
    static final double UNCERTAIN_BELOW = 0.3;

    /** One line in words: "≈3 images (85%: 2–4, p=0.55)", then what is unusual about the answer. */
    static String describe(Prediction p) {
        if (!p.status().hasSize()) {
            return "no estimate: " + inWords(p);
        }
        int size = p.size();
        String bound = p.status() == Status.ABOVE_RANGE ? "≥" : p.status() == Status.BELOW_RANGE ? "≤" : "≈";
        StringBuilder s = new StringBuilder(bound).append(size).append(size == 1 ? " image" : " images");
        if (p.posterior() != null) {
            int[] iv = p.posterior().interval80();
            double prob = p.posterior().probability(size);
            if (prob < UNCERTAIN_BELOW) {
                s.append(", uncertain");
            }
            int coverage = p.posterior().mass() == dev.dsire.model.Calibration.DEFAULT_INTERVAL_MASS ? 80 : CALIBRATED_COVERAGE_PERCENT;
            s.append(String.format(Locale.ROOT, " (%d%%: %s, p=%.2f", coverage, iv[0] == iv[1] ? Integer.toString(iv[0]) : iv[0] + "–" + iv[1], prob));
            if (Math.abs(p.estimate() - size) >= 0.5) { // the answer is a trained size; between them the estimate says where
                s.append(String.format(Locale.ROOT, "; between trained sizes: %.1f", p.estimate()));
            }
            s.append(')');
        } else {
            s.append(" (votes ").append(p.votes().entrySet().stream().map(v -> v.getKey() + ":" + v.getValue()).collect(Collectors.joining(" "))).append(')');
        }
        String words = inWords(p);
        return words.isEmpty() ? s.toString() : s + "; " + words;
    }

    /** The status in words, with its reason; empty for a plain answer. Every status is named here. */
    static String inWords(Prediction p) {
        String why = p.reason() == null || p.reason().isBlank() ? "" : ": " + p.reason();
        return switch (p.status()) {
            case OK -> why.isEmpty() ? "" : p.reason(); // a recipe-aware model says what it read
            case OUT_OF_DISTRIBUTION -> "unlike the training adapters" + why;
            case ABOVE_RANGE -> "above the trained range (≥ " + p.size() + ")" + why;
            case BELOW_RANGE -> "below the trained range (≤ " + p.size() + ")" + why;
            case NO_MODEL -> "no model fits this file's layout" + why;
            case UNTRAINED -> "never trained" + why;
            case DEGENERATE -> "its weight change s·B·A is zero" + why;
            case ERROR -> "could not be read" + why;
        };
    }

    @Override
    public Integer call() {
        return run(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The command, its options set (by picocli or {@link FastPath}). */
    int run(PrintWriter out, PrintWriter err) {
        List<Path> adapters = inputs.files(files);
        FutureTask<DsireModel> model = loading(Inputs.existing(modelPath, "model file"));
        int[] failed = {0};
        try (ComputeOptions.Engine engine = compute.open(err)) {
            new SpectraExtractor(engine.spectra()).forEachBatch(adapters, batch -> failed[0] += predict(loaded(model), engine, batch, out, err));
        }
        loaded(model); // a bad model file is an error even where no adapter was read
        return failed[0] == 0 ? 0 : Main.INPUT_ERROR;
    }

    /**
     * The model file read on a thread of its own while the first adapters are read and computed: a fresh
     * one-file predict spent ~0.1 s of its main thread parsing a 24-adapter model before opening the adapter.
     */
    private static FutureTask<DsireModel> loading(Path file) {
        FutureTask<DsireModel> task = new FutureTask<>(() -> LoadedModels.load(file));
        Thread.ofPlatform().daemon().name("dsire-model-load").start(task);
        return task;
    }

    /** The loaded model, or the exception loading it threw, as if it had been thrown here. */
    private static DsireModel loaded(FutureTask<DsireModel> model) {
        try {
            return model.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error x) {
                throw x;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the model loaded", e);
        }
    }
}
