package dev.dsire.cli;

import dev.dsire.eval.Evaluation;
import dev.dsire.eval.HtmlReport;
import dev.dsire.eval.MethodResult;
import dev.dsire.eval.Protocol;
import dev.dsire.eval.UnseenResult;
import dev.dsire.model.Manifest;
import dev.dsire.model.Method;
import dev.dsire.spectra.SpectrumBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the paper's protocol (15 train groups, 10 repeats, seed 42) with every method on the bundled LoRA zoos, prints the tables and writes an HTML report.",
                "The zoos are zoo-low (sizes 1-6), zoo-medium (sizes 1, 10..50) and the recipe-varied zoo-mixed-low and zoo-epochs-low",
                "under examples/ (--all-zoos: every examples/zoo-*/manifest.csv, about a minute each); each is also run with its two",
                "middle sizes unseen in training."},
        footer = {"", "Examples:",
                "  dsire demo",
                "  dsire demo --report /tmp/demo.html --device cpu",
                "  dsire demo --all-zoos"})
final class DemoCommand implements Callable<Integer> {
    static final List<String> RANGES = List.of("zoo-low", "zoo-medium");
    /** Run by default beside the two ranges: one zoo of mixed recipes and one of epoch-scaled steps. */
    static final List<String> RECIPES = List.of("zoo-mixed-low", "zoo-epochs-low");

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "<dir>", description = "The folder holding zoo-low/ and zoo-medium/ (default: examples/ here or beside the jar).")
    Path data;

    @Option(names = "--report", defaultValue = "dsire-demo-report.html", paramLabel = "<html>", description = "The report file to write (default: ${DEFAULT-VALUE}).")
    Path report;

    @Option(names = "--all-zoos", description = "Runs every zoo under the data folder, not only the two ranges and the two recipe-varied zoos.")
    boolean allZoos;

    @Mixin
    ComputeOptions compute;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path dir = data != null ? data : findExamples();
        Protocol protocol = Protocol.PAPER;
        List<HtmlReport.Section> sections = new ArrayList<>();
        int failed = 0;
        try (ComputeOptions.Engine engine = compute.open(err); Progress progress = Progress.of(err, compute.output)) {
            SpectrumBackend backend = engine.spectra();
            for (String range : zoos(dir, allZoos)) {
                Path manifest = dir.resolve(range).resolve("manifest.csv");
                long t0 = System.nanoTime();
                LabelledSamples s = LabelledSamples.extract(Manifest.readCsv(manifest), backend, err, progress);
                long t1 = System.nanoTime();
                progress.phase(range + ": protocol", Method.all().size(), "methods");
                List<MethodResult> results = new ArrayList<>();
                for (Method m : Method.all()) { // a method at a time, so the progress moves
                    results.addAll(Evaluation.run(s.samples(), List.of(m), protocol));
                    progress.step();
                }
                progress.clear();
                long t2 = System.nanoTime();
                failed += s.failed();
                out.printf("%n%s: %d adapters, sizes %s; spectra %.0f ms on %s, protocol %.0f ms%n", range, s.samples().size(),
                        s.samples().stream().map(x -> x.size()).distinct().sorted().toList(), (t1 - t0) / 1e6, backend.describe(), (t2 - t1) / 1e6);
                ResultsTable.print(out, results);
                List<Integer> sizes = s.samples().stream().map(x -> x.size()).distinct().sorted().toList();
                Set<Integer> unseen = sizes.size() < 4 ? Set.of() : new TreeSet<>(sizes.subList(sizes.size() / 2 - 1, sizes.size() / 2 + 1));
                List<UnseenResult> unseenResults = unseen.isEmpty() ? List.of() : Evaluation.unseen(s.samples(), Method.all(), protocol, unseen);
                if (!unseen.isEmpty()) {
                    ResultsTable.printUnseen(out, unseen, unseenResults);
                }
                sections.add(new HtmlReport.Section(range, s.samples(), results, protocol, unseen, unseenResults, List.of()));
            }
        }
        HtmlReport.write(report, "dsire demo: the paper's protocol on the bundled LoRA zoos", sections);
        out.printf("%nreport: %s%n", report.toAbsolutePath());
        return failed == 0 ? 0 : Main.INPUT_ERROR;
    }

    /** zoo-low and zoo-medium first, then any other zoo-* folder with a manifest, by name. */
    private static List<String> zoos(Path dir, boolean all) throws IOException {
        List<String> out = new ArrayList<>(RANGES);
        try (var s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("zoo-") && !RANGES.contains(n))
                    .filter(n -> all || RECIPES.contains(n))
                    .filter(n -> Files.isRegularFile(dir.resolve(n).resolve("manifest.csv"))).sorted().forEach(out::add);
        }
        return out;
    }

    /** examples/ in the working directory, else beside the jar (target/dsire.jar → ../examples). */
    private static Path findExamples() {
        Path here = Path.of("examples");
        if (Files.isDirectory(here.resolve(RANGES.getFirst()))) {
            return here;
        }
        try {
            Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = jar.getParent(); p != null; p = p.getParent()) {
                if (Files.isDirectory(p.resolve("examples").resolve(RANGES.getFirst()))) {
                    return p.resolve("examples");
                }
            }
        } catch (URISyntaxException | SecurityException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("cannot find the bundled zoos (examples/zoo-low); pass --data DIR");
    }
}
