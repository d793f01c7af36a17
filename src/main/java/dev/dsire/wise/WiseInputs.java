package dev.dsire.wise;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The Parquet files a command works on, each with its rank: folders are searched for
 * {@code *.parquet} (so the downloaded dataset's root works); {@code --subset} keeps the files of
 * that configuration there and gives their rank; {@code --rank} overrides every rank. Whatever a
 * folder holds under a .parquet name is kept, FIFOs and links to devices included, so the reader
 * names it in a line of its own; so does a folder that cannot be listed.
 */
public record WiseInputs(List<Input> files) {

    /** A file to read, or (problem not null) a path found while searching that cannot be read. */
    public record Input(Path file, Integer rank, String problem) {
        public Input(Path file, Integer rank) {
            this(file, rank, null);
        }
    }

    public static WiseInputs of(List<Path> args, String subsetName, Integer rank) {
        WiseSubset subset = subsetName == null ? null : WiseSubset.named(subsetName);
        Integer given = rank != null ? rank : subset == null ? null : subset.rank();
        List<Input> out = new ArrayList<>();
        for (Path a : args) {
            if (Files.isDirectory(a)) {
                List<Input> found = new ArrayList<>();
                try {
                    Files.walkFileTree(a, new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path p, BasicFileAttributes attrs) {
                            if (p.getFileName().toString().endsWith(".parquet") && !Files.isDirectory(p)
                                    && (subset == null || WiseSubset.inPath(p).equals(Optional.of(subset)))) {
                                found.add(new Input(p, given));
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path p, IOException e) {
                            found.add(new Input(p, given, "cannot list: " + e.getClass().getSimpleName().replace("Exception", "")));
                            return FileVisitResult.CONTINUE;
                        }
                    });
                } catch (IOException e) {
                    found.add(new Input(a, given, "cannot list: " + e.getMessage()));
                }
                found.sort(Comparator.comparing(Input::file));
                out.addAll(found);
            } else {
                out.add(new Input(a, given));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no Parquet files" + (subset == null ? "" : " of subset " + subset.name()) + " in " + args);
        }
        return new WiseInputs(out);
    }

    /** Throws the input's problem, if it has one, as the file's error. */
    static void check(Input in) {
        if (in.problem() != null) {
            throw new WiseException(in.file(), in.problem());
        }
    }
}
