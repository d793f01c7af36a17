package dev.dsire.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * What this machine offers for CUDA, found without ever failing: the driver and its version,
 * the GPUs, the libraries dsire binds, and whether a context with the kernels loaded comes up.
 */
public record CudaProbe(List<String> lines, boolean usable, String gpu, String reason) {

    public static CudaProbe run() {
        List<String> lines = new ArrayList<>();
        Driver driver;
        try {
            driver = Driver.load();
        } catch (CudaException | UnsatisfiedLinkError e) {
            lines.add("driver    not found (libcuda.so.1)");
            addLibraries(lines);
            return new CudaProbe(lines, false, null, "no CUDA driver");
        }
        lines.add("driver    " + driver.lib.name);
        try {
            driver.init();
            int v = driver.version();
            lines.add(String.format("          CUDA driver API %d.%d", v / 1000, v % 1000 / 10));
            int n = driver.deviceCount();
            lines.add("gpus      " + n);
            for (int i = 0; i < n; i++) {
                int d = driver.device(i);
                lines.add(String.format("  [%d]     %s, sm_%d%d, %.1f GiB", i, driver.deviceName(d), driver.attribute(CudaContext.CC_MAJOR, d),
                        driver.attribute(CudaContext.CC_MINOR, d), driver.totalMem(d) / (double) (1L << 30)));
            }
        } catch (CudaException e) {
            lines.add("          " + e.getMessage());
            addLibraries(lines);
            return new CudaProbe(lines, false, null, e.getMessage());
        }
        addLibraries(lines);
        try (CudaContext c = CudaContext.open()) {
            lines.add("context   ok: " + c.describe());
            lines.add("          cuBLAS " + c.blas.version() + ", cuSOLVER " + c.solver.version());
            return new CudaProbe(lines, true, c.describe(), null);
        } catch (CudaException e) {
            lines.add("context   failed: " + e.getMessage());
            return new CudaProbe(lines, false, null, e.getMessage());
        }
    }

    private static void addLibraries(List<String> lines) {
        lines.add("cublas    " + NativeLibrary.find("libcublas.so.13", "libcublas.so.12").map(l -> l.name).orElse("not found"));
        lines.add("cusolver  " + NativeLibrary.find("libcusolver.so.12", "libcusolver.so.11").map(l -> l.name).orElse("not found"));
        lines.add("nvrtc     " + Nvrtc.find().map(l -> l.name + ", " + versionOf(l)).orElse("not found (only needed for drivers older than the PTX)"));
    }

    private static String versionOf(NativeLibrary l) {
        try {
            return "version " + new Nvrtc(l).version();
        } catch (CudaException e) {
            return e.getMessage();
        }
    }
}
