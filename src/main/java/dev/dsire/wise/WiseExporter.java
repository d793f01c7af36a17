package dev.dsire.wise;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * LoRA-WiSE rows to files: one diffusers-named safetensors file per row (F64, values exactly as
 * stored) and {@code manifest.csv} ({@code path,group,size}), so every file-based command works on
 * the benchmark unchanged.
 */
public final class WiseExporter {
    /** Rows written, and how many files or rows failed (each reported on err). */
    public record Result(int written, int failed, Path manifest) {}

    private record Written(Path file, String group, int size) {}

    private WiseExporter() {}

    public static Result export(WiseInputs inputs, Path outDir, PrintWriter err, boolean terminal) throws IOException {
        Files.createDirectories(outDir);
        Majority<Written> rows = new Majority<>();
        int[] failed = {0};
        try (WiseReader reader = new WiseReader()) {
            long total = 0;
            for (WiseInputs.Input in : inputs.files()) {
                try {
                    total += reader.rowCount(in.file());
                } catch (WiseException e) {
                    // reported when the file is read
                }
            }
            RowProgress progress = new RowProgress(err, terminal, "wise", total);
            Set<String> stems = new HashSet<>();
            for (WiseInputs.Input in : inputs.files()) {
                String stem = stem(in.file(), stems);
                try {
                    int rank = WiseSubset.rankOf(in.file(), in.rank());
                    reader.read(in.file(), rank, reader.plan(in.file(), Long.MAX_VALUE).columns(), new WiseReader.Sink() {
                        @Override
                        public void row(WiseRow row) {
                            Path out = outDir.resolve(String.format(Locale.ROOT, "%s-%05d.safetensors", stem, row.index()));
                            try {
                                Files.write(out, row.safetensors());
                            } catch (IOException e) {
                                throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
                            }
                            rows.add(new Written(out, row.group(), row.size()), row.signature());
                            progress.row(row.bytes());
                        }

                        @Override
                        public void error(WiseException e) {
                            progress.clearLine();
                            err.println(e.getMessage());
                            failed[0]++;
                            progress.error();
                        }
                    });
                } catch (WiseException e) {
                    progress.clearLine();
                    err.println(e.getMessage());
                    failed[0]++;
                    progress.error();
                }
            }
            progress.finish();
        }
        for (Map.Entry<Written, String> bad : rows.disagreeing().entrySet()) {
            err.println(bad.getKey().file() + ": " + bad.getValue() + "; not exported");
            Files.deleteIfExists(bad.getKey().file());
            failed[0]++;
        }
        List<Written> ok = rows.agreeing();
        StringBuilder csv = new StringBuilder("path,group,size\n");
        for (Written w : ok) {
            csv.append(outDir.relativize(w.file())).append(',').append(w.group()).append(',').append(w.size()).append('\n');
        }
        Path manifest = outDir.resolve("manifest.csv");
        Files.writeString(manifest, csv);
        return new Result(ok.size(), failed[0], manifest);
    }

    /** The file's name without .parquet, made unique among the inputs (shards of two subsets share names). */
    private static String stem(Path file, Set<String> taken) {
        String base = file.getFileName().toString().replaceFirst("\\.parquet$", "");
        String s = WiseSubset.inPath(file).map(w -> w.name() + "-" + base).orElse(base);
        String out = s;
        for (int k = 2; !taken.add(out); k++) {
            out = s + "-" + k;
        }
        return out;
    }
}
