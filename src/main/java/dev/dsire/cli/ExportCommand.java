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

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Writes a scan database as CSV or JSON lines, one row per file and model that answered it, in path order,",
                "or as Parquet (--format parquet --out FILE) with the Spark job's columns; every format has the fields of docs/schema.md.",
                "With --labels-from-metadata: a manifest (path,group,size) of the kohya-labelled files, for fit and eval."})
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--db", required = true, paramLabel = "SQLITE")
    Path db;

    @Option(names = "--format", defaultValue = "csv", paramLabel = "csv|jsonl|parquet", description = "csv (default), jsonl or parquet (needs --out)")
    String format;

    @Option(names = "--out", paramLabel = "FILE", description = "write here instead of standard output")
    Path out;

    @Option(names = "--labels-from-metadata", description = "emit a manifest of files with a kohya training-image count")
    boolean labels;

    @Override
    public Integer call() throws IOException, SQLException {
        if (!List.of("csv", "jsonl", "parquet").contains(format)) {
            throw new IllegalArgumentException("--format must be csv, jsonl or parquet");
        }
        if (!Files.isRegularFile(db)) {
            throw new IllegalArgumentException(db + " does not exist");
        }
        if (format.equals("parquet") && !labels) {
            if (out == null) {
                throw new IllegalArgumentException("--format parquet needs --out FILE");
            }
            try (ScanDb database = ScanDb.open(db)) {
                long n = ParquetExport.write(database, out);
                spec.commandLine().getErr().println(n + " rows -> " + out);
            }
            return 0;
        }
        PrintWriter w = out == null ? spec.commandLine().getOut() : new PrintWriter(Files.newBufferedWriter(out));
        try (ScanDb database = ScanDb.open(db)) {
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
                database.forEachScanRow(false, r -> w.println(format.equals("csv") ? r.csv() : Json.line(r.json())));
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
