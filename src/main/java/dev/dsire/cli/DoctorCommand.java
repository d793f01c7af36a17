package dev.dsire.cli;

import dev.dsire.cuda.CudaBandwidth;
import dev.dsire.cuda.CudaContext;
import dev.dsire.cuda.CudaParity;
import dev.dsire.cuda.CudaProbe;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import jdk.incubator.vector.DoubleVector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "doctor", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reports Java, the OS, the CPU, the CUDA driver, each library dsire binds (its soname and version, or why it did not load), the GPUs, and the backend --device auto would pick.",
                "It works, and exits 0, on machines without any GPU.",
                "--parity then checks the GPU against the CPU on generated adapters (exit 4 without a usable GPU, 3 on a mismatch);",
                "--bandwidth measures pinned host-to-device copies (bench/gpu-report.sh relates the CUDA backend's MB/s to it)."},
        footer = {"", "Examples:",
                "  dsire doctor",
                "  dsire doctor --json",
                "  dsire doctor --parity --bandwidth"})
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--parity", description = "Also compare CUDA with the CPU: spectra of every dtype at ranks 1-48, 1-NN predictions, near-ties and all-NaN queries.")
    boolean parity;

    @Option(names = "--bandwidth", description = "Also measure the pinned host-to-device copy bandwidth (256 MiB x 8) on the GPU.")
    boolean bandwidth;

    @Option(names = "--json", description = "Print one JSON object instead: java, os, cpu_cores, vector_bits, cuda (the probe's lines), gpu_usable, auto, and the checks' results.")
    boolean json;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("java", Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        report.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " (" + System.getProperty("os.arch") + ")");
        report.put("cpu_cores", Runtime.getRuntime().availableProcessors());
        report.put("vector_bits", DoubleVector.SPECIES_PREFERRED.vectorBitSize());
        CudaProbe p = CudaProbe.run();
        report.put("cuda", p.lines());
        report.put("gpu_usable", p.usable());
        report.put("auto", p.usable() ? p.gpu() : "cpu (" + p.reason() + ")");
        if (!json) {
            out.printf("java      %s%n", report.get("java"));
            out.printf("os        %s%n", report.get("os"));
            out.printf("cpu       %d cores; Vector API %d-bit double lanes%n", report.get("cpu_cores"), report.get("vector_bits"));
            p.lines().forEach(out::println);
            out.printf("auto      %s%n", report.get("auto"));
        }
        int code = checks(p, report, out);
        if (json) {
            out.println(Json.line(report));
        }
        return code;
    }

    /** --parity and --bandwidth: each result a line (text) and a field (JSON); the exit code. */
    private int checks(CudaProbe p, Map<String, Object> report, PrintWriter out) throws IOException {
        if (!parity && !bandwidth) {
            return 0;
        }
        if (!p.usable()) {
            report.put("not_run", "no usable GPU (" + p.reason() + ")");
            if (!json) {
                out.println((parity ? "parity" : "bandwidth") + "    not run: no usable GPU (" + p.reason() + ")");
                out.flush();
            }
            return Main.DEVICE_ERROR;
        }
        if (bandwidth) {
            try (CudaContext cuda = CudaContext.open()) {
                double bps = CudaBandwidth.hostToDevice(cuda, 256L << 20, 8);
                report.put("bandwidth_gb_per_s", bps / 1e9);
                if (!json) {
                    out.printf(java.util.Locale.ROOT, "bandwidth host->device, pinned: %.2f GB/s (256 MiB x 8)%n", bps / 1e9);
                    out.flush();
                }
            }
            if (!parity) {
                return 0;
            }
        }
        Path dir = Files.createTempDirectory("dsire-parity");
        boolean ok = true;
        List<Map<String, Object>> checks = new ArrayList<>();
        try (CudaContext cuda = CudaContext.open()) {
            PrintWriter err = spec.commandLine().getErr();
            for (CudaParity.Check c : new CudaParity(cuda, dir, line -> {
                if (!output.quiet) {
                    err.println(line);
                    err.flush();
                }
            }).run()) {
                checks.add(Map.of("check", c.line(), "ok", c.ok()));
                if (!json) {
                    out.println("parity    " + c.line());
                    out.flush();
                }
                ok &= c.ok();
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        report.put("parity", checks);
        report.put("parity_ok", ok);
        if (!json) {
            out.println("parity    " + (ok ? "all checks passed" : "FAILED"));
        }
        return ok ? 0 : Main.INTERNAL_ERROR;
    }
}
