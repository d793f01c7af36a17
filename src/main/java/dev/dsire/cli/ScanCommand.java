package dev.dsire.cli;

import dev.dsire.model.ModelSet;
import dev.dsire.scan.ScanDb;
import dev.dsire.hub.HubIndex;
import dev.dsire.scan.ScanRow;
import dev.dsire.scan.ScanStatus;
import dev.dsire.scan.Scanner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    @Option(names = "--model", paramLabel = "MODEL", description = {"also predict each file: a model file or a folder of them",
            "(a folder written by 'fit --from-scan' is read through its index.json); repeatable.",
            "Every model of a file's layout answers it, a row each under the model's name; a file no model fits gets status no_model"})
    List<Path> modelPaths = List.of();

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
        ModelSet models = ModelSet.load(modelPaths.stream()
                .flatMap(p -> Files.isRegularFile(p.resolve(HubIndex.FILE)) ? HubIndex.models(p).stream() : java.util.stream.Stream.of(p))
                .toList());
        String modelSet = models.id();
        long[] noModel = {0};
        try (ComputeOptions.Engine engine = compute.open(err);
             ScanDb database = ScanDb.open(db);
             PrintWriter lines = jsonl == null ? null : new PrintWriter(Files.newBufferedWriter(jsonl))) {
            boolean terminal = System.console() != null && System.console().isTerminal();
            Scanner.Summary s = new Scanner(database, db, models, modelSet, compute.threads,
                    engine.cuda() != null ? engine.spectra() : null).run(roots, err, terminal, r -> {
                if (r.status() == ScanStatus.OK && r.answers().isEmpty()) {
                    noModel[0]++;
                }
                if (lines != null) {
                    ScanRow.of(r, modelSet).forEach(row -> lines.println(Json.line(row.json())));
                }
            });
            spec.commandLine().getOut().printf("%d scanned, %d skipped (unchanged), %d errors%s -> %s%n", s.scanned(), s.skipped(), s.errors(),
                    models.isEmpty() ? "" : ", " + noModel[0] + " no_model (no model for their layout)", db);
        }
        return 0;
    }
}
