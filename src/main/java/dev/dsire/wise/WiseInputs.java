package dev.dsire.wise;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The Parquet files a command works on, each with its rank: folders are searched for
 * {@code *.parquet} (so the downloaded dataset's root works); {@code --subset} keeps the files of
 * that configuration there and gives their rank; {@code --rank} overrides every rank.
 */
public record WiseInputs(List<Input> files) {

    public record Input(Path file, Integer rank) {}

    public static WiseInputs of(List<Path> args, String subsetName, Integer rank) {
        WiseSubset subset = subsetName == null ? null : WiseSubset.named(subsetName);
        Integer given = rank != null ? rank : subset == null ? null : subset.rank();
        List<Input> out = new ArrayList<>();
        for (Path a : args) {
            if (Files.isDirectory(a)) {
                try (Stream<Path> walk = Files.walk(a)) {
                    walk.filter(p -> p.getFileName().toString().endsWith(".parquet") && Files.isRegularFile(p)).sorted()
                            .filter(p -> subset == null || WiseSubset.inPath(p).equals(java.util.Optional.of(subset)))
                            .forEach(p -> out.add(new Input(p, given)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else {
                out.add(new Input(a, given));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no Parquet files" + (subset == null ? "" : " of subset " + subset.name()) + " in " + args);
        }
        return new WiseInputs(out);
    }
}
