package dev.dsire.cli;

import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.safetensors.DType;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.MatrixKind;
import dev.dsire.spectra.SpectraExtractor;
import dev.dsire.spectra.SpectrumBackend;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.BaseModels;
import dev.dsire.synth.ModuleSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Times feature extraction and prediction end to end on every available backend, checks that the backends agree, and prints models/s, MB/s and the ratios.",
                "It generates SD1.5- or SDXL-shaped fp16 kohya adapters unless --dir holds some. Each backend first warms up",
                "(until the JIT has compiled its vector kernels, at least 3 passes and 3 s of CPU) so the timed runs measure the engine, not the JIT."},
        footer = {"", "Examples:",
                "  dsire bench",
                "  dsire bench --family sdxl --files 8 --repeats 5 --json"})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--files", defaultValue = "16", paramLabel = "<n>", description = "Adapters to generate (default: ${DEFAULT-VALUE}).")
    int files;

    @Option(names = "--rank", defaultValue = "32", paramLabel = "<rank>", description = "The rank of generated adapters (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--family", defaultValue = "sd15", paramLabel = "<family>", description = "The layout of generated adapters: sd15 or sdxl (default: ${DEFAULT-VALUE}).")
    String family;

    @Option(names = "--dir", paramLabel = "<dir>", description = "Use the .safetensors files in this folder; if it holds none, generate into it and keep them.")
    Path dir;

    @Option(names = "--repeats", defaultValue = "3", paramLabel = "<n>", description = "Timed runs per backend; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--json", description = "Print one JSON object (inputs, backends with their timings, agreement) instead of the table.")
    boolean json;

    @Mixin
    ComputeOptions compute;

    /** Where each backend's passes are reported: warm-up passes, then timed runs. */
    private Progress progress;

    /** Medians of wall seconds and of the process's CPU seconds (which a shared machine inflates less). */
    record Timing(String backend, double seconds, double cpuSeconds, List<AdapterSpectra> spectra, List<Integer> predictions) {}

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        boolean temporary = dir == null;
        Path where = temporary ? Files.createTempDirectory("dsire-bench") : Files.createDirectories(dir);
        Progress shown = Progress.of(spec.commandLine().getErr(), compute.output);
        progress = shown;
        try (shown) {
            List<Path> inputs = list(where);
            if (inputs.isEmpty()) {
                inputs = generate(where);
            }
            long bytes = 0;
            for (Path p : inputs) {
                bytes += Files.size(p);
            }
            List<Timing> timings = new ArrayList<>();
            try (SpectrumBackend one = new CpuSpectrumBackend(1)) {
                timings.add(time(one, inputs));
            }
            if (compute.threads > 1) {
                try (SpectrumBackend all = new CpuSpectrumBackend(compute.threads)) {
                    timings.add(time(all, inputs));
                }
            }
            if (compute.device != ComputeOptions.Device.cpu) {
                try (ComputeOptions.Engine engine = compute.open(spec.commandLine().getErr())) {
                    if (engine.cuda() != null) {
                        timings.add(time(engine.spectra(), inputs));
                    }
                }
            }
            progress.clear();
            Timing base = timings.getFirst();
            List<Map<String, Object>> backends = new ArrayList<>(), agreement = new ArrayList<>();
            boolean agree = true;
            for (Timing t : timings) {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("backend", t.backend());
                b.put("seconds", t.seconds());
                b.put("models_per_s", inputs.size() / t.seconds());
                b.put("mb_per_s", bytes / 1e6 / t.seconds());
                b.put("ratio", base.seconds() / t.seconds());
                b.put("cpu_ms_per_model", t.cpuSeconds() * 1e3 / inputs.size());
                backends.add(b);
            }
            for (Timing t : timings.subList(1, timings.size())) {
                double d = maxDeviation(base.spectra(), t.spectra());
                boolean same = base.predictions().equals(t.predictions());
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("backend", t.backend());
                a.put("baseline", base.backend());
                a.put("max_relative_deviation", d);
                a.put("tolerance", SpectrumBackend.TOLERANCE);
                a.put("predictions_identical", same);
                agreement.add(a);
                agree &= d <= SpectrumBackend.TOLERANCE && same;
            }
            if (json) {
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("adapters", inputs.size());
                root.put("mb", bytes / 1e6);
                root.put("dir", where.toString());
                root.put("backends", backends);
                root.put("agreement", agreement);
                out.println(Json.line(root));
            } else {
                out.printf(Locale.ROOT, "%d adapters, %.1f MB, in %s%n", inputs.size(), bytes / 1e6, where);
                out.printf(Locale.ROOT, "%-22s %10s %10s %10s %8s %12s%n", "backend", "seconds", "models/s", "MB/s", "ratio", "cpu ms/model");
                for (Map<String, Object> b : backends) {
                    out.printf(Locale.ROOT, "%-22s %10.3f %10.1f %10.1f %7.2fx %12.1f%n", b.get("backend"), b.get("seconds"), b.get("models_per_s"),
                            b.get("mb_per_s"), b.get("ratio"), b.get("cpu_ms_per_model"));
                }
                for (Map<String, Object> a : agreement) {
                    out.printf(Locale.ROOT, "agreement %s vs %s: max |Δσ|/σ_max = %.2e (tolerance %.0e), predictions %s%n", a.get("backend"),
                            a.get("baseline"), a.get("max_relative_deviation"), a.get("tolerance"),
                            (Boolean) a.get("predictions_identical") ? "identical" : "DIFFER");
                }
            }
            return agree ? 0 : Main.INTERNAL_ERROR;
        } finally {
            if (temporary) {
                try (Stream<Path> s = Files.walk(where)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    private List<Path> generate(Path where) throws IOException {
        List<ModuleSpec> modules = switch (family) {
            case "sd15" -> BaseModels.sd15();
            case "sdxl" -> BaseModels.sdxl();
            default -> throw new IllegalArgumentException("--family must be sd15 or sdxl");
        };
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            Path f = where.resolve(String.format(Locale.ROOT, "%s-r%d-%03d.safetensors", family, rank, i));
            out.add(AdapterWriter.write(f, AdapterWriter.Naming.KOHYA, modules, rank, rank, DType.F16,
                    AdapterWriter.random(modules, rank, i), Map.of()));
        }
        return out;
    }

    /** Median of the repeats of: extract every file's spectra, fit on half (labels 1..4), predict all. */
    private Timing time(SpectrumBackend backend, List<Path> inputs) {
        double[] secs = new double[Math.max(1, repeats)];
        double[] cpu = new double[secs.length];
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        List<AdapterSpectra> spectra = null;
        List<Integer> predictions = null;
        // warm-up to the steady state: until the engine has moved its lockstep kernels to their
        // vector twins (a process starts on scalar lanes, which warm up faster; same bits), then at
        // least 3 passes and 3 s of the process's CPU more, for C2 to compile the vector twins (a
        // median over repeats still running interpreted vector code measured the JIT, not the engine)
        progress.phase("bench " + backend.describe() + ": warming up", 0, "passes");
        // Counting the files' own kernel calls never reaches the switch where their eigenproblems run one at a time
        // (an SD 1.5 rank-256 file warmed up for hours) or where the JVM keeps the scalar lanes (-Ddsire.kernels=
        // scalar): after 30 s of CPU without it the kernels are primed as the resident process's are (on synthetic
        // data, on a thread of their own), and 2 minutes of CPU end the warm-up whatever happens
        long p0 = os.getProcessCpuTime();
        for (int pass = 0; !CpuSpectrumBackend.steadyState() && pass < 10_000; pass++) {
            long spent = os.getProcessCpuTime() - p0;
            if (spent > 120_000_000_000L) {
                break;
            }
            if (spent > 30_000_000_000L) {
                CpuSpectrumBackend.primeVectorKernels();
            }
            time(backend, inputs, new ArrayList<>());
            progress.step();
        }
        long w0 = os.getProcessCpuTime();
        for (int pass = 0; pass < 3 || (os.getProcessCpuTime() - w0 < 3_000_000_000L && pass < 100); pass++) {
            time(backend, inputs, new ArrayList<>());
            progress.step();
        }
        progress.phase("bench " + backend.describe() + ": timing", secs.length, "runs");
        for (int r = 0; r < secs.length; r++) {
            List<Integer> p = new ArrayList<>();
            long c0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            spectra = time(backend, inputs, p);
            secs[r] = (System.nanoTime() - t0) / 1e9;
            cpu[r] = (os.getProcessCpuTime() - c0) / 1e9;
            predictions = p;
            progress.step();
        }
        Arrays.sort(secs);
        Arrays.sort(cpu);
        String label = backend.describe();
        if (label.startsWith("cuda (") && !json) {
            spec.commandLine().getOut().println("cuda = " + label);
            label = "cuda";
        }
        return new Timing(label, secs[secs.length / 2], cpu[cpu.length / 2], spectra, predictions);
    }

    private static List<AdapterSpectra> time(SpectrumBackend backend, List<Path> inputs, List<Integer> predictions) {
        List<AdapterSpectra> spectra = new ArrayList<>();
        for (var e : new SpectraExtractor(backend).extract(inputs, x -> {})) {
            if (!e.ok()) {
                throw e.error();
            }
            spectra.add(e.spectra());
        }
        List<Labelled> train = new ArrayList<>();
        for (int i = 0; i < spectra.size(); i += 2) {
            train.add(new Labelled(inputs.get(i), spectra.get(i), 1 + i % 4));
        }
        DsireModel model = DsireModel.fit(Method.DSIRE, train);
        for (int i = 0; i < spectra.size(); i++) {
            predictions.add(model.predict(inputs.get(i), spectra.get(i)).size());
        }
        return spectra;
    }

    static double maxDeviation(List<AdapterSpectra> a, List<AdapterSpectra> b) {
        double worst = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int l = 0; l < a.get(i).layers().size(); l++) {
                LayerSpectrum x = a.get(i).layers().get(l), y = b.get(i).layers().get(l);
                for (MatrixKind k : MatrixKind.values()) {
                    double[] u = x.values(k), v = y.values(k);
                    double scale = Math.max(u[0], Double.MIN_NORMAL);
                    for (int j = 0; j < u.length; j++) {
                        worst = Math.max(worst, Math.abs(u[j] - v[j]) / scale);
                    }
                }
            }
        }
        return worst;
    }
}
