package dev.dsire.cli;

import dev.dsire.cuda.CudaBandwidth;
import dev.dsire.cuda.CudaContext;
import dev.dsire.cuda.CudaParity;
import dev.dsire.cuda.CudaProbe;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import jdk.incubator.vector.DoubleVector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Reports Java, OS, CPU, the CUDA driver and each library dsire binds (soname and version, or why it did not load),",
                "the GPUs, and the backend --device auto would pick. Works, and exits 0, on machines without any GPU.",
                "--parity then checks the GPU against the CPU on generated adapters (exit 4 without a usable GPU, 3 on a mismatch);",
                "--bandwidth measures pinned host-to-device copies (bench/gpu-report.sh relates the CUDA backend's MB/s to it)."})
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--parity", description = "also compare CUDA with the CPU: spectra of every dtype at ranks 1-48, 1-NN predictions, near-ties, all-NaN queries")
    boolean parity;

    @Option(names = "--bandwidth", description = "also measure pinned host-to-device copy bandwidth (256 MiB x 8) on the GPU")
    boolean bandwidth;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("java      %s (%s)%n", Runtime.version(), System.getProperty("java.vendor"));
        out.printf("os        %s %s (%s)%n", System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
        out.printf("cpu       %d cores; Vector API %d-bit double lanes%n", Runtime.getRuntime().availableProcessors(),
                DoubleVector.SPECIES_PREFERRED.vectorBitSize());
        CudaProbe p = CudaProbe.run();
        for (String line : p.lines()) {
            out.println(line);
        }
        out.printf("auto      %s%n", p.usable() ? p.gpu() : "cpu (" + p.reason() + ")");
        if (!parity && !bandwidth) {
            return 0;
        }
        if (!p.usable()) {
            out.println((parity ? "parity" : "bandwidth") + "    not run: no usable GPU (" + p.reason() + ")");
            out.flush();
            return Main.DEVICE_ERROR;
        }
        if (bandwidth) {
            try (CudaContext cuda = CudaContext.open()) {
                double bps = CudaBandwidth.hostToDevice(cuda, 256L << 20, 8);
                out.printf(java.util.Locale.ROOT, "bandwidth host->device, pinned: %.2f GB/s (256 MiB x 8)%n", bps / 1e9);
                out.flush();
            }
            if (!parity) {
                return 0;
            }
        }
        Path dir = Files.createTempDirectory("dsire-parity");
        boolean ok = true;
        try (CudaContext cuda = CudaContext.open()) {
            PrintWriter err = spec.commandLine().getErr();
            for (CudaParity.Check c : new CudaParity(cuda, dir, line -> {
                err.println(line);
                err.flush();
            }).run()) {
                out.println("parity    " + c.line());
                out.flush();
                ok &= c.ok();
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        out.println("parity    " + (ok ? "all checks passed" : "FAILED"));
        return ok ? 0 : Main.INTERNAL_ERROR;
    }
}
