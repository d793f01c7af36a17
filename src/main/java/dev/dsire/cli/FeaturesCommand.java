package dev.dsire.cli;

import dev.dsire.FileFailure;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.SpectraExtractor;
import dev.dsire.spectra.SpectrumBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "features", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints each file's spectra as one JSON line: {\"path\", \"layers\": {LAYER: {\"a\": [...], \"b\": [...], \"ba\": [...]}}}.",
                "Singular values are exact, in descending order; ba is the spectrum of s·B·A."},
        footer = {"", "Examples:",
                "  dsire features my-lora.safetensors > spectra.jsonl",
                "  dsire features --out spectra.jsonl examples/zoo-low/g00-*-n01.safetensors"})
final class FeaturesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "<adapter>", description = "Adapter files (.safetensors) or PEFT adapter folders.")
    List<Path> files;

    @Mixin
    Inputs inputs;

    @Option(names = "--json", description = "Accepted for symmetry with the other commands: the output is always JSON lines.")
    boolean json;

    @Option(names = "--out", paramLabel = "<file>", description = "Write the lines to this file instead of standard output ('-' is standard output).")
    void out(Path file) {
        jsonl = file.toString().equals("-") ? null : file;
    }

    Path jsonl;

    @Option(names = "--jsonl", hidden = true, paramLabel = "<file>", description = "The former name of --out.")
    void legacyOut(Path file) {
        jsonl = file;
    }

    @Mixin
    ComputeOptions compute;

    @Override
    public Integer call() throws IOException {
        return run(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The command, its options set (by picocli or {@link FastPath}). */
    int run(PrintWriter stdout, PrintWriter err) throws IOException {
        int[] failed = {0};
        PrintWriter out = jsonl == null ? stdout : new PrintWriter(Files.newBufferedWriter(jsonl));
        try (ComputeOptions.Engine engine = compute.open(err)) {
            SpectrumBackend backend = engine.spectra();
            new SpectraExtractor(backend).forEachBatch(inputs.files(files), batch -> batch.forEach(e -> {
                String line;
                try {
                    if (!e.ok()) {
                        throw e.error();
                    }
                    line = Json.line(row(e));
                } catch (RuntimeException | Error x) {
                    failed[0]++;
                    err.println(FileFailure.of(e.path(), x).getMessage());
                    return;
                }
                out.println(line);
            }));
        } finally {
            if (jsonl != null) {
                out.close();
            } else {
                out.flush();
            }
        }
        return failed[0] == 0 ? 0 : Main.INPUT_ERROR;
    }

    private static Map<String, Object> row(SpectraExtractor.Extracted e) {
        Map<String, Object> layers = new LinkedHashMap<>();
        for (LayerSpectrum l : e.spectra().layers()) {
            Map<String, double[]> kinds = new LinkedHashMap<>();
            kinds.put("a", l.a());
            kinds.put("b", l.b());
            kinds.put("ba", l.ba());
            layers.put(l.layer(), kinds);
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("path", e.path().toString());
        row.put("layers", layers);
        return row;
    }
}
