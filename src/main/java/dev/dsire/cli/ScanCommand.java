package dev.dsire.cli;

import dev.dsire.hub.HubIndex;
import dev.dsire.model.ModelSet;
import dev.dsire.scan.ScanDb;
import dev.dsire.scan.ScanRow;
import dev.dsire.scan.Scanner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "scan", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Inventories every LoRA file under the given folders (or the given files) into an SQLite database, and with --model predicts each.",
                "Resumable: a rerun skips files whose path, size and mtime are unchanged; a killed scan loses at most its last batch.",
                "Pickle files (.ckpt .pt .pth .bin) are recorded as such and never read. Bad files become error rows.",
                "The closing summary counts the rows by status and the files by family, and gives the commands that list the suspicious ones.",
                "The exit code is 0 when the scan itself completed."},
        footer = {"", "Examples:",
                "  dsire scan ~/models --db scan.sqlite",
                "  dsire scan ~/models --db scan.sqlite --model models/",
                "  find /data -name '*.safetensors' -mtime -1 | dsire scan --files-from - --db s",
                "  dsire export --db scan.sqlite --status error,pickle,out_of_distribution"})
final class ScanCommand implements Callable<Integer> {
    /**
     * Row statuses worth a look: unreadable or hostile files, pickles (which can run code when loaded),
     * and answers unlike anything the model was trained on or beyond its trained sizes.
     */
    static final List<String> SUSPICIOUS = List.of("error", "pickle", "out_of_distribution", "above_range", "below_range");

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "<path>", description = "Folders to walk (every .safetensors and pickle file under them) or single files.")
    List<Path> roots;

    @Mixin
    Inputs inputs;

    @Option(names = "--db", required = true, paramLabel = "<db>", description = "The SQLite database to fill (created if missing).")
    Path db;

    @Option(names = "--model", paramLabel = "<model>", description = {"Also predict each file with this model file, or with the models in this folder",
            "(a folder written by 'fit --from-scan' is read through its index.json); repeatable.",
            "Every model of a file's layout answers it, a row each under the model's name; a file no model fits gets status no_model."})
    List<Path> modelPaths = List.of();

    @Option(names = "--json", description = "Also print one JSON line per row on standard output (the summary then goes to stderr).")
    boolean json;

    @Option(names = "--jsonl", hidden = true, paramLabel = "<file>", description = "Also write one JSON line per row to this file (--json > FILE does the same).")
    Path jsonl;

    @Mixin
    ComputeOptions compute;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Path> paths = inputs.all(roots);
        for (Path r : paths) {
            if (!Files.exists(r)) {
                throw new IllegalArgumentException(r + ": no such file or folder");
            }
            // a file named on purpose that the walk would pass over: say so rather than scan nothing
            String name = r.getFileName() == null ? "" : r.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            if (!Files.isDirectory(r) && !name.endsWith(".safetensors") && !dev.dsire.lora.LoraReader.isPickleName(r)) {
                throw new IllegalArgumentException(r + ": not an adapter (.safetensors) or a pickle checkpoint; scan takes those and folders");
            }
        }
        ModelSet models = ModelSet.load(modelPaths.stream()
                .flatMap(p -> Files.isRegularFile(p.resolve(HubIndex.FILE)) ? HubIndex.models(p).stream() : java.util.stream.Stream.of(p))
                .toList());
        String modelSet = models.id();
        Map<String, Long> byStatus = new TreeMap<>(), byFamily = new TreeMap<>(), declared = new TreeMap<>();
        try (ComputeOptions.Engine engine = compute.open(err);
             ScanDb database = ScanDb.open(db);
             PrintWriter lines = jsonl == null ? null : new PrintWriter(Files.newBufferedWriter(jsonl))) {
            boolean bar = !compute.output.quiet && Main.stderrIsTerminal();
            Scanner.Summary s = new Scanner(database, db, models, modelSet, compute.threads,
                    engine.cuda() != null ? engine.spectra() : null).run(paths, compute.output.quiet ? new PrintWriter(PrintWriter.nullWriter()) : err, bar, r -> {
                byFamily.merge(r.family() == null ? "unknown" : r.family(), 1L, Long::sum);
                for (ScanRow row : ScanRow.of(r, modelSet)) {
                    byStatus.merge(String.valueOf(row.get("status")), 1L, Long::sum);
                    if (row.get("agrees") instanceof Boolean agrees) {
                        declared.merge(agrees ? "agree" : "disagree", 1L, Long::sum);
                    }
                    if (lines != null) {
                        lines.println(Json.line(row.json()));
                    }
                    if (json) {
                        out.println(Json.line(row.json()));
                    }
                }
            });
            PrintWriter summary = json ? err : out;
            if (!(json && compute.output.quiet)) {
                summary.print(summary(s, byStatus, byFamily, declared));
                summary.flush();
            }
        }
        return 0;
    }

    /** The closing lines: totals, rows by status, files by family, declared sizes, and how to list what deserves a look. */
    String summary(Scanner.Summary s, Map<String, Long> byStatus, Map<String, Long> byFamily, Map<String, Long> declared) {
        String nl = System.lineSeparator();
        StringBuilder b = new StringBuilder(String.format("%d scanned, %d skipped (unchanged), %d errors -> %s%n", s.scanned(), s.skipped(), s.errors(), db));
        if (byStatus.isEmpty()) {
            return b.toString();
        }
        b.append("  by status: ").append(counts(byStatus)).append(nl);
        b.append("  by family: ").append(counts(byFamily)).append(nl);
        if (!declared.isEmpty()) { // with --model: answers checked against the sizes the files' metadata states
            b.append("  declared sizes: ").append(declared.getOrDefault("agree", 0L)).append(" agree with the answer, ")
                    .append(declared.getOrDefault("disagree", 0L)).append(" disagree (dsire report lists them)").append(nl);
        }
        long suspicious = SUSPICIOUS.stream().mapToLong(k -> byStatus.getOrDefault(k, 0L)).sum();
        if (suspicious > 0) {
            b.append("  ").append(suspicious).append(suspicious == 1 ? " row deserves" : " rows deserve").append(" a look; list them with:").append(nl);
            b.append("    ").append(exportLine(db, byStatus)).append(nl);
            b.append("    ").append(sqlLine(db)).append(nl);
        }
        return b.toString();
    }

    private static String counts(Map<String, Long> m) {
        return m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "));
    }

    /** The export line for the suspicious statuses this scan found (all of them when none is known). */
    static String exportLine(Path db, Map<String, Long> byStatus) {
        List<String> found = SUSPICIOUS.stream().filter(byStatus::containsKey).toList();
        return "dsire export --db " + shellWord(db.toString()) + " --status " + String.join(",", found.isEmpty() ? SUSPICIOUS : found);
    }

    /** The same rows straight from the database: files not read, and answers flagged by the model. */
    static String sqlQuery() {
        return "SELECT f.path, coalesce(a.status, f.status), coalesce(f.error, a.reason) FROM files f LEFT JOIN answers a ON a.path = f.path"
                + " WHERE f.status IN ('error', 'pickle') OR a.status IN ('out_of_distribution', 'above_range', 'below_range') ORDER BY f.path";
    }

    static String sqlLine(Path db) {
        return "sqlite3 " + shellWord(db.toString()) + " \"" + sqlQuery() + "\"";
    }

    /** A path as one shell word: quoted when it holds anything a shell would split or expand. */
    static String shellWord(String s) {
        return s.matches("[A-Za-z0-9_./+:=@%-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
