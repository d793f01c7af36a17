package dev.dsire.cli;

import dev.dsire.model.Manifest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** Where labelled adapters come from: a manifest CSV, or kohya metadata of the given files. */
final class LabelOptions {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--manifest", paramLabel = "CSV", description = "labels as CSV with header path,group,size (paths relative to the CSV)")
        Path manifest;

        @Option(names = "--labels-from-metadata", arity = "1..*", paramLabel = "FILE",
                description = "label these files by their kohya metadata (unique training images; group = training folder)")
        List<Path> files;
    }

    Manifest load(PrintWriter err) {
        if (source.manifest != null) {
            return Manifest.readCsv(source.manifest);
        }
        Manifest m = Manifest.fromKohyaMetadata(source.files, err::println);
        if (m.entries().isEmpty()) {
            throw new IllegalArgumentException("none of the files carries a kohya training-image count");
        }
        return m;
    }
}
