package dev.dsire.cli;

import dev.dsire.model.DsireModel;
import dev.dsire.model.ModelFile;
import dev.dsire.scan.ScanDb;
import dev.dsire.scan.ScanRecord;
import dev.dsire.scan.Scanner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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

@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {"Inventories (and with --model, predicts) every LoRA file under the given folders into an SQLite database.",
                "Resumable: a rerun skips files whose path, size and mtime are unchanged; a killed scan loses at most its last batch.",
                "Pickle files (.ckpt .pt .pth .bin) are recorded as such and never read. Bad files become error rows;",
                "the exit code is 0 when the scan itself completed."})
final class ScanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ComputeOptions compute;

    @Parameters(arity = "1..*", paramLabel = "DIR")
    List<Path> roots;

    @Option(names = "--db", required = true, paramLabel = "SQLITE", description = "database file (created if missing)")
    Path db;

    @Option(names = "--model", paramLabel = "MODEL", description = "also predict each file; another layout is a per-file 'mismatch'")
    Path modelPath;

    @Option(names = "--jsonl", paramLabel = "OUT", description = "also write one JSON line per scanned file")
    Path jsonl;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        for (Path r : roots) {
            if (!Files.isDirectory(r)) {
                throw new IllegalArgumentException(r + " is not a directory");
            }
        }
        DsireModel model = modelPath == null ? null : ModelFile.load(modelPath);
        String modelId = modelPath == null ? null : sha256(modelPath);
        try (ComputeOptions.Engine engine = compute.open(err);
             ScanDb database = ScanDb.open(db);
             PrintWriter lines = jsonl == null ? null : new PrintWriter(Files.newBufferedWriter(jsonl))) {
            boolean terminal = System.console() != null && System.console().isTerminal();
            Scanner.Summary s = new Scanner(database, db, model, modelId, compute.threads,
                    engine.cuda() != null ? engine.spectra() : null).run(roots, err, terminal, r -> {
                if (lines != null) {
                    lines.println(Json.line(row(r)));
                }
            });
            spec.commandLine().getOut().printf("%d scanned, %d skipped (unchanged), %d errors -> %s%n", s.scanned(), s.skipped(), s.errors(), db);
        }
        return 0;
    }

    static Map<String, Object> row(ScanRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", r.path());
        m.put("status", r.status().key());
        m.put("error", r.error());
        m.put("format", r.format());
        m.put("family", r.family());
        m.put("rank", r.rank());
        m.put("layers", r.layers());
        m.put("dtype", r.dtype());
        m.put("bytes", r.bytes());
        m.put("train_images", r.trainImages());
        m.put("prediction", r.prediction());
        return m;
    }

    private static String sha256(Path p) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
