package dev.dsire.cli;

import dev.dsire.model.Manifest;
import dev.dsire.spectra.SpectrumBackend;
import dev.dsire.wise.WiseInputs;
import dev.dsire.wise.WiseSamples;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** Where labelled adapters come from: a manifest CSV, kohya metadata of the given files, or LoRA-WiSE Parquet files. */
final class LabelOptions {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--manifest", paramLabel = "<csv>",
                description = "Labels as CSV with the header path,group,size (paths relative to the CSV).")
        Path manifest;

        @Option(names = "--labels-from-metadata", arity = "1..*", paramLabel = "<adapter>",
                description = "Label these files (or PEFT adapter folders) by their kohya metadata: unique training images; group = training folder.")
        List<Path> files;

        @ArgGroup(exclusive = false)
        Wise wise;

        @Option(names = "--transfer", arity = "2", paramLabel = "<csv>",
                description = "Two manifests, TRAIN then TEST (eval only): fit on every adapter of the first, predict the second.")
        List<Path> transfer;

        @Option(names = "--from-scan", paramLabel = "<db>",
                description = "A scan (its SQLite database, or the Spark job's Parquet folder): per layout, the files whose metadata states their size.")
        Path fromScan;
    }

    /** LoRA-WiSE rows straight from Parquet: size = label, group = name. */
    static final class Wise {
        @Option(names = "--wise", arity = "1..*", required = true, paramLabel = "<parquet>",
                description = "LoRA-WiSE Parquet files or folders of them, streamed (nothing is written).")
        List<Path> parquet;

        @Option(names = "--subset", paramLabel = "<subset>",
                description = "With --wise: low_8, low_16, low_32, medium_16, medium_32, medium_32_2 or high_32; keeps that subset's files under folders and gives the rank.")
        String subset;

        @Option(names = "--rank", paramLabel = "<rank>", description = "With --wise: the LoRA rank (default: from --subset or the subset named in each path).")
        Integer rank;
    }

    Manifest load(PrintWriter err) {
        if (source.transfer != null) {
            throw new IllegalArgumentException("--transfer TRAIN TEST is eval's: fit with --manifest TRAIN instead");
        }
        if (source.fromScan != null) {
            throw new IllegalArgumentException("--from-scan fits one model per layout: it cannot be combined with this command's other options");
        }
        if (source.wise != null) {
            throw new IllegalArgumentException("--wise reads rows, not files: import them with 'dsire wise PARQUET... --out DIR', then use DIR/manifest.csv");
        }
        if (source.manifest != null) {
            return Manifest.readCsv(Inputs.existing(source.manifest, "manifest"));
        }
        Manifest m = Manifest.fromKohyaMetadata(source.files.stream().map(Inputs::adapterFile).toList(), err::println);
        if (m.entries().isEmpty()) {
            throw new IllegalArgumentException("none of the files carries a kohya training-image count");
        }
        return m;
    }

    /** The labelled samples with their spectra, from whichever source was given. */
    LabelledSamples samples(SpectrumBackend backend, PrintWriter err, Progress progress, boolean quiet) {
        if (source.wise == null) {
            return LabelledSamples.extract(load(err), backend, err, progress);
        }
        WiseInputs inputs = WiseInputs.of(source.wise.parquet, source.wise.subset, source.wise.rank);
        WiseSamples.Result r = WiseSamples.read(inputs, backend, err, !quiet && Main.stderrIsTerminal());
        return new LabelledSamples(r.samples(), r.failed());
    }
}
