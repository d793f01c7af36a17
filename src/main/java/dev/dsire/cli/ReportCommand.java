package dev.dsire.cli;

import dev.dsire.eval.HubReport;
import dev.dsire.hub.HubIndex;
import dev.dsire.scan.ScanDb;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes one self-contained HTML page about a scan.",
                "It shows counts by family, format and status; per family the declared and inferred sizes; the files whose declared size",
                "disagrees with the answer; the answers flagged out_of_distribution, above_range or below_range; and with --models,",
                "each layout's cross-validated scores."},
        footer = {"", "Examples:",
                "  dsire report scan.sqlite --out hub.html",
                "  dsire report scan.sqlite --models models --out hub.html"})
final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<db>", description = "The scan's SQLite database.")
    Path db;

    @Option(names = "--out", required = true, paramLabel = "<html>", description = "The HTML file to write.")
    Path out;

    @Option(names = "--models", paramLabel = "<dir>", description = "The folder 'fit --from-scan' wrote (its index.json gives each layout's scores).")
    Path models;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws IOException, SQLException {
        if (!Files.isRegularFile(db)) {
            throw new IllegalArgumentException(db + ": no such scan database");
        }
        if (models != null && !Files.isRegularFile(models.resolve(HubIndex.FILE))) {
            throw new IllegalArgumentException(models + " holds no " + HubIndex.FILE + " (write it with fit --from-scan)");
        }
        Inputs.writable(out);
        HubReport report = new HubReport();
        try (ScanDb database = ScanDb.open(db)) {
            database.forEachScanRow(false, report::add);
        }
        report.write(out, "dsire hub report: " + db.getFileName(), models == null ? null : HubIndex.scores(models.resolve(HubIndex.FILE)));
        if (!output.quiet) {
            spec.commandLine().getErr().println("report written to " + out);
        }
        return 0;
    }
}
