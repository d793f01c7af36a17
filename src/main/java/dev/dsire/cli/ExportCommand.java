package dev.dsire.cli;

import dev.dsire.scan.ParquetExport;
import dev.dsire.scan.ScanDb;
import dev.dsire.scan.ScanRow;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes a scan database as CSV or JSON lines (one row per file and model that answered it, in path order), or as Parquet with the Spark job's columns.",
                "Every format has the fields of docs/schema.md.",
                "With --labels-from-metadata it writes instead a manifest (path,group,size) of the kohya-labelled files, for fit and eval."},
        footer = {"", "Examples:",
                "  dsire export --db scan.sqlite > scan.csv",
                "  dsire export --db scan.sqlite --json --status error,pickle",
                "  dsire export --db scan.sqlite --format parquet --out scan.parquet",
                "  dsire export --db scan.sqlite --labels-from-metadata --out manifest.csv"})
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--db", required = true, paramLabel = "<db>", description = "The scan database to read (written by dsire scan).")
    Path db;

    @Option(names = "--format", defaultValue = "csv", paramLabel = "<format>",
            description = "The format: csv (default), jsonl, or parquet (which needs --out).")
    String format;

    @Option(names = "--json", description = "The same as --format jsonl: one JSON object per line.")
    boolean json;

    @Option(names = "--status", split = ",", paramLabel = "<status>",
            description = "Only rows with one of these statuses (ok, out_of_distribution, above_range, below_range, untrained, degenerate, no_model, error, pickle), comma-separated.")
    List<String> statuses;

    @Option(names = "--out", paramLabel = "<file>", description = "Write here instead of standard output ('-' is standard output).")
    Path out;

    @Option(names = "--labels-from-metadata", description = "Write a manifest (path,group,size) of the files with a kohya training-image count instead.")
    boolean labels;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws IOException, SQLException {
        if (json) {
            format = "jsonl";
        }
        if (out != null && out.toString().equals("-")) {
            out = null;
        }
        if (!List.of("csv", "jsonl", "parquet").contains(format)) {
            throw new IllegalArgumentException("--format must be csv, jsonl or parquet");
        }
        String kind = dev.dsire.safetensors.FileKind.notRegular(db);
        if (kind != null || !Files.isRegularFile(db)) {
            throw new IllegalArgumentException(db + (kind != null ? ": " + kind : ": no such scan database"));
        }
        if (statuses != null && format.equals("parquet")) {
            throw new IllegalArgumentException("--status filters CSV and JSON lines; Parquet holds every row");
        }
        if (format.equals("parquet") && !labels) {
            if (out == null) {
                throw new IllegalArgumentException("--format parquet needs --out FILE");
            }
            try (ScanDb database = ScanDb.openReadOnly(db)) {
                long n = ParquetExport.write(database, out);
                if (!output.quiet) {
                    spec.commandLine().getErr().println(n + " rows -> " + out);
                }
            }
            return 0;
        }
        PrintWriter w = out == null ? spec.commandLine().getOut() : new PrintWriter(Files.newBufferedWriter(out));
        try (ScanDb database = ScanDb.openReadOnly(db)) {
            if (labels) {
                w.println("path,group,size");
                database.forEachRow("path, train_group, train_images, status", rs -> {
                    try {
                        if (rs.getObject(3) != null && !"error".equals(rs.getString(4)) && !"pickle".equals(rs.getString(4))) {
                            w.println(csv(rs.getString(1)) + "," + csv(rs.getString(2)) + "," + rs.getInt(3));
                        }
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
            } else {
                if (format.equals("csv")) {
                    w.println(ScanRow.csvHeader());
                }
                database.forEachScanRow(false, r -> {
                    if (statuses == null || statuses.contains(String.valueOf(r.get("status")))) {
                        w.println(format.equals("csv") ? r.csv() : Json.line(r.json()));
                    }
                });
            }
        } finally {
            if (out != null) {
                w.close();
            } else {
                w.flush();
            }
        }
        return 0;
    }

    private static String csv(String v) {
        return v.contains(",") || v.contains("\"") || v.contains("\n") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }
}
