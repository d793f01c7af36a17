package dev.dsire.cli;

import dev.dsire.FileFailure;
import dev.dsire.InputException;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Describes LoRA files: format, base-model family, rank, alpha, where the scale comes from, PEFT variants,"
                + " layers, dtype, size and the kohya training-image count.",
                "A failing file gets one line 'PATH: reason' on stderr; the others are still inspected."},
        footer = {"", "Examples:",
                "  dsire inspect my-lora.safetensors",
                "  dsire inspect --json path/to/peft-adapter-folder",
                "  ls *.safetensors | dsire inspect --files-from -"})
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "<adapter>", description = "Adapter files (.safetensors) or PEFT adapter folders.")
    List<Path> files;

    @picocli.CommandLine.Mixin
    Inputs inputs;

    @Option(names = "--json", description = "Print one JSON object per line instead: path, format, family, rank, alpha, layers, dtype, bytes, train_images, learning_rate and train_steps (kohya metadata), scale_source, variants, error.")
    boolean json;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        return run(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The command, its options set (by picocli or {@link FastPath}). */
    int run(PrintWriter out, PrintWriter err) {
        int failed = 0;
        for (Path f : inputs.files(files)) {
            Inspected i = inspect(f);
            if (i.error() != null) {
                failed++;
                err.println(i.error().getMessage());
                if (!json) {
                    continue;
                }
            }
            out.println(json ? Json.line(i.json()) : text(i.json()));
        }
        return failed == 0 ? 0 : Main.INPUT_ERROR;
    }

    /** One file's `--json` object and, where it failed, why (every field then null but path and error). */
    record Inspected(Map<String, Object> json, InputException error) {}

    static Inspected inspect(Path f) {
        return inspect(f, LoraReader::open);
    }

    /** As {@link #inspect(Path)}, the file opened by open (an upload held in memory, say). */
    static Inspected inspect(Path f, java.util.function.Function<Path, LoraAdapter> open) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("path", f.toString());
        try (LoraAdapter a = open.apply(f)) {
            a.requireFinite();
            List<Integer> ranks = a.layout().ranks();
            List<Double> alphas = a.alphas();
            row.put("format", a.format().label());
            row.put("family", a.base().label()); // the variant where known: SD3.5 large, Wan 2.1 1.3B, FramePack
            row.put("rank", ranks.size() == 1 ? ranks.getFirst() : ranks);
            row.put("alpha", alphas.isEmpty() ? null : alphas.size() == 1 ? alphas.getFirst() : alphas);
            row.put("layers", a.layers().size());
            row.put("dtype", a.dtype());
            row.put("bytes", a.bytes());
            row.put("train_images", a.kohya().trainImages().isPresent() ? a.kohya().trainImages().getAsInt() : null);
            dev.dsire.lora.Recipe recipe = a.recipe(); // what pooled-recipe reads
            row.put("learning_rate", recipe.statedLearningRate());
            row.put("train_steps", recipe.statedSteps());
            row.put("scale_source", a.facts().scaleSource());
            row.put("variants", a.facts().variants());
            row.put("error", null);
            return new Inspected(row, null);
        } catch (RuntimeException | Error x) {
            InputException e = FileFailure.of(f, x); // whatever one file does, the batch goes on
            for (String k : List.of("format", "family", "rank", "alpha", "layers", "dtype", "bytes", "train_images", "learning_rate", "train_steps",
                    "scale_source", "variants")) {
                row.put(k, null);
            }
            row.put("error", e.reason());
            return new Inspected(row, e);
        }
    }

    private static String text(Map<String, Object> row) {
        StringBuilder s = new StringBuilder(row.get("path").toString()).append(':');
        row.forEach((k, v) -> {
            if (!k.equals("path") && !k.equals("error") && v != null && !(v instanceof List<?> l && l.isEmpty())) {
                s.append(' ').append(k).append('=').append(v.toString().replace(", ", ",").replace(' ', '_'));
            }
        });
        return s.toString();
    }
}
