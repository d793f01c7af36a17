package dev.dsire.wise;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * LoRA-WiSE rows to files: one diffusers-named safetensors file per row (F64, values exactly as
 * stored) and {@code manifest.csv} ({@code path,group,size}), so every file-based command works on
 * the benchmark unchanged. Two passes, both in slices of whole layers so memory stays bounded:
 * the lists' lengths lay out every file (and settle which rows agree on the layout) before any
 * value is read; then each slice's values are written into place.
 */
public final class WiseExporter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Rows written, and how many files or rows failed (each reported on err). */
    public record Result(int written, int failed, Path manifest) {}

    /** One row as laid out by the first pass. */
    private static final class Row {
        final int file;
        final long index;
        final int size;
        final String group;
        final long[] lengths;
        Path out;
        long[] offsets;
        boolean failed;

        Row(int file, long index, int size, String group, long[] lengths) {
            this.file = file;
            this.index = index;
            this.size = size;
            this.group = group;
            this.lengths = lengths;
        }
    }

    private record Source(WiseInputs.Input input, int rank, WiseReader.Plan plan, String stem) {}

    private WiseExporter() {}

    public static Result export(WiseInputs inputs, Path outDir, PrintWriter err, boolean terminal) throws IOException {
        return export(inputs, outDir, err, terminal, WiseSamples.SLICE_BYTES);
    }

    static Result export(WiseInputs inputs, Path outDir, PrintWriter err, boolean terminal, long sliceBytes) throws IOException {
        Files.createDirectories(outDir);
        int failed = 0;
        List<Row> written = new ArrayList<>();
        try (WiseReader reader = new WiseReader()) {
            // pass 1: labels and lengths
            List<Source> sources = new ArrayList<>();
            Map<Integer, Map<Long, Row>> rows = new HashMap<>();
            Majority<Row> layouts = new Majority<>();
            Set<String> stems = new HashSet<>();
            long total = 0;
            for (WiseInputs.Input in : inputs.files()) {
                Map<Long, Row> fileRows = new LinkedHashMap<>();
                Set<Long> bad = new HashSet<>();
                try {
                    WiseInputs.check(in);
                    int rank = WiseSubset.rankOf(in.file(), in.rank());
                    WiseReader.Plan plan = reader.plan(in.file(), sliceBytes);
                    int k = sources.size();
                    Source src = new Source(in, rank, plan, stem(in.file(), stems));
                    int from = 0;
                    for (List<String> slice : plan.slices()) {
                        int at = from;
                        reader.lengths(in.file(), rank, slice, new WiseReader.LengthSink() {
                            @Override
                            public void row(long index, int size, String group, long[] lengths) {
                                Row r = fileRows.computeIfAbsent(index, i -> new Row(k, index, size, group, new long[plan.columns().size()]));
                                System.arraycopy(lengths, 0, r.lengths, at, lengths.length);
                            }

                            @Override
                            public void error(WiseException e) {
                                if (bad.add(e.row())) {
                                    err.println(e.getMessage());
                                }
                            }
                        });
                        from += slice.size();
                    }
                    fileRows.keySet().removeAll(bad);
                    failed += bad.size();
                    sources.add(src);
                    rows.put(k, fileRows);
                    total += fileRows.size();
                    for (Row r : fileRows.values()) {
                        layouts.add(r, signature(plan.columns(), r.lengths, rank));
                    }
                } catch (WiseException e) {
                    err.println(e.getMessage());
                    failed += 1 + bad.size(); // bad rows already have their lines
                }
            }
            for (Map.Entry<Row, String> d : layouts.disagreeing().entrySet()) {
                Row r = d.getKey();
                err.println(WiseRow.where(sources.get(r.file).input().file(), r.index) + ": " + d.getValue() + "; not exported");
                failed++;
            }
            // pass 2: lay out the agreeing rows' files, then write each slice's values into place
            RowProgress progress = new RowProgress(err, terminal, "wise", total);
            progress.errors(failed); // the first pass's, files and rows: the closing count holds every error
            List<Row> agreeing = layouts.agreeing();
            for (Row r : agreeing) {
                Source src = sources.get(r.file);
                r.out = outDir.resolve(String.format(Locale.ROOT, "%s-%05d.safetensors", src.stem(), r.index));
                r.offsets = layOut(r, src);
            }
            Map<Integer, Map<Long, Row>> keep = new HashMap<>();
            for (Row r : agreeing) {
                keep.computeIfAbsent(r.file, f -> new HashMap<>()).put(r.index, r);
            }
            for (int k = 0; k < sources.size(); k++) {
                Source src = sources.get(k);
                Map<Long, Row> mine = keep.getOrDefault(k, Map.of());
                progress.plan((long) mine.size() * src.plan().slices().size());
                Map<String, Integer> column = new HashMap<>();
                for (int c = 0; c < src.plan().columns().size(); c++) {
                    column.put(src.plan().columns().get(c), c);
                }
                try {
                    for (int s = 0; s < src.plan().slices().size(); s++) {
                        boolean last = s == src.plan().slices().size() - 1;
                        reader.read(src.input().file(), src.rank(), src.plan().slices().get(s), new WiseReader.Sink() {
                            @Override
                            public void row(WiseRow row) {
                                Row r = mine.get(row.index());
                                if (r == null || r.failed) {
                                    return;
                                }
                                write(r, row, column);
                                progress.bytes(row.bytes());
                                if (last) {
                                    progress.row();
                                }
                            }

                            @Override
                            public void error(WiseException e) {
                                Row r = mine.get(e.row());
                                if (r != null && !r.failed) {
                                    r.failed = true;
                                    progress.clearLine();
                                    err.println(e.getMessage());
                                    progress.error();
                                }
                            }
                        });
                    }
                } catch (WiseException e) {
                    progress.clearLine();
                    err.println(e.getMessage());
                    mine.values().forEach(r -> {
                        if (!r.failed) {
                            r.failed = true;
                            progress.error();
                        }
                    });
                }
                for (Row r : mine.values()) {
                    if (r.failed) {
                        Files.deleteIfExists(r.out);
                        failed++;
                    }
                }
            }
            progress.finish();
            for (Row r : agreeing) {
                if (!r.failed) {
                    written.add(r);
                }
            }
        }
        StringBuilder csv = new StringBuilder("path,group,size\n");
        for (Row r : written) {
            csv.append(csv(outDir.relativize(r.out).toString())).append(',').append(csv(r.group)).append(',').append(r.size).append('\n');
        }
        Path manifest = outDir.resolve("manifest.csv");
        Files.writeString(manifest, csv);
        return new Result(written.size(), failed, manifest);
    }

    /** A CSV field, quoted where it holds a comma, a quote or a line break (RFC 4180), as Manifest reads it. */
    private static String csv(String v) {
        return v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r") || !v.strip().equals(v)
                ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }

    /** Names and shapes in column order, as WiseRow.signature() has them. */
    private static String signature(List<String> columns, long[] lengths, int rank) {
        StringBuilder s = new StringBuilder();
        for (int c = 0; c < columns.size(); c++) {
            s.append(columns.get(c)).append(Arrays.toString(shape(c, lengths[c], rank))).append('\n');
        }
        return s.toString();
    }

    private static long[] shape(int column, long length, int rank) {
        return column % 2 == 0 ? new long[] {rank, length / rank} : new long[] {length / rank, rank};
    }

    /**
     * Creates the row's file at its full size with the header SafetensorsWriter would write for the
     * same tensors (F64, column order, the same metadata); returns each tensor's file offset.
     */
    private static long[] layOut(Row r, Source src) throws IOException {
        List<String> columns = src.plan().columns();
        ObjectNode header = JSON.createObjectNode();
        long data = 0;
        long[] begin = new long[columns.size()];
        for (int c = 0; c < columns.size(); c++) {
            ObjectNode t = header.putObject(columns.get(c));
            t.put("dtype", "F64");
            var shape = t.putArray("shape");
            for (long d : shape(c, r.lengths[c], src.rank())) {
                shape.add(d);
            }
            begin[c] = data;
            data += 8 * r.lengths[c];
            t.putArray("data_offsets").add(begin[c]).add(data);
        }
        ObjectNode m = header.putObject("__metadata__");
        WiseRow.metadata(r.size, r.group).forEach(m::put);
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(h);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        try (FileChannel ch = FileChannel.open(r.out, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ch.write(head.flip(), 0);
            if (data > 0) {
                ch.write(ByteBuffer.allocate(1), 8 + padded + data - 1); // full size now; slices fill it in
            }
        }
        long[] offsets = new long[columns.size()];
        for (int c = 0; c < columns.size(); c++) {
            offsets[c] = 8 + padded + begin[c];
        }
        return offsets;
    }

    private static void write(Row r, WiseRow slice, Map<String, Integer> column) {
        try (FileChannel ch = FileChannel.open(r.out, StandardOpenOption.WRITE)) {
            for (WiseRow.Tensor t : slice.tensors()) {
                ByteBuffer b = ByteBuffer.allocate(8 * t.values().length).order(ByteOrder.LITTLE_ENDIAN);
                b.asDoubleBuffer().put(t.values());
                long at = r.offsets[column.get(t.name())];
                while (b.hasRemaining()) {
                    at += ch.write(b, at);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + r.out + ": " + e.getMessage(), e);
        }
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
