package dev.dsire.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What this machine offers for CUDA, found without ever failing: the driver and its version, the
 * GPUs, each library dsire binds (the soname that loaded and its version, or the loader's reason
 * why none did), and whether a context with the kernels loaded comes up.
 */
public record CudaProbe(List<String> lines, boolean usable, String gpu, String reason) {

    public static CudaProbe run() {
        List<String> lines = new ArrayList<>();
        NativeLibrary.Search found = NativeLibrary.search("libcuda.so.1");
        if (found.library().isEmpty()) {
            lines.add("driver    not found: " + found.error());
            addLibraries(lines, 13000);
            return new CudaProbe(lines, false, null, "no CUDA driver");
        }
        Driver driver;
        int version = 13000;
        try {
            driver = new Driver(found.library().get());
            driver.init();
            version = driver.version();
            lines.add(String.format("driver    %s, CUDA %d.%d", driver.lib.name, version / 1000, version % 1000 / 10));
            int n = driver.deviceCount();
            lines.add("gpus      " + n);
            for (int i = 0; i < n; i++) {
                int d = driver.device(i);
                lines.add(String.format("  [%d]     %s, sm_%d%d, %.1f GiB", i, driver.deviceName(d), driver.attribute(CudaContext.CC_MAJOR, d),
                        driver.attribute(CudaContext.CC_MINOR, d), driver.totalMem(d) / (double) (1L << 30)));
            }
        } catch (CudaException e) {
            lines.add("driver    " + found.library().get().name + ": " + e.getMessage());
            addLibraries(lines, version);
            return new CudaProbe(lines, false, null, e.getMessage());
        }
        addLibraries(lines, version);
        try (CudaContext c = CudaContext.open()) {
            lines.add("context   ok: " + c.describe());
            return new CudaProbe(lines, true, c.describe(), null);
        } catch (CudaException e) {
            lines.add("context   failed: " + e.getMessage());
            return new CudaProbe(lines, false, null, e.getMessage());
        }
    }

    private static void addLibraries(List<String> lines, int driverVersion) {
        lines.add(library("cublas    ", NativeLibrary.search(Blas.SONAMES), l -> new Blas(l).version()));
        lines.add(library("cusolver  ", NativeLibrary.search(Solver.SONAMES), l -> {
            int v = new Solver(l).version();
            return v / 1000 + "." + v % 1000 / 100 + "." + v % 100;
        }));
        String nvrtc = library("nvrtc     ", Nvrtc.find(driverVersion), l -> new Nvrtc(l).version());
        lines.add(nvrtc + (nvrtc.contains("not found") ? " (only needed where the driver cannot load the fatbin or PTX)" : ""));
    }

    /** "name  soname, version V" or "name  not found: <dlerror>". */
    private static String library(String label, NativeLibrary.Search s, Function<NativeLibrary, String> version) {
        if (s.library().isEmpty()) {
            return label + "not found: " + s.error();
        }
        NativeLibrary l = s.library().get();
        try {
            return label + l.name + ", version " + version.apply(l);
        } catch (CudaException e) {
            return label + l.name + ", version unknown: " + e.getMessage();
        }
    }
}
