package dev.dsire.spectra;

import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Whole extraction (read, decode, Gram, eigen; one thread) of a folder of adapters with several
 * jars in one JVM, one class loader each, passes interleaved so a busy machine slows all alike.
 * Usage: E2E DIR PASSES JAR...  Prints per jar the median wall ms per model over the passes and
 * the process CPU ms per model summed over them.
 */
public class E2E {
    public static void main(String[] args) throws Exception {
        List<Path> files;
        try (var s = Files.list(Path.of(args[0]))) {
            files = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        int passes = Integer.parseInt(args[1]), jars = args.length - 2;
        Object[] extractors = new Object[jars];
        java.lang.reflect.Method[] extract = new java.lang.reflect.Method[jars];
        for (int j = 0; j < jars; j++) {
            var loader = new URLClassLoader(new URL[] {Path.of(args[2 + j]).toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            Class<?> backend = loader.loadClass("dev.dsire.spectra.CpuSpectrumBackend");
            backend.getMethod("steadyStateNow").invoke(null);
            Object b = backend.getConstructor(int.class).newInstance(1);
            Class<?> ex = loader.loadClass("dev.dsire.spectra.SpectraExtractor");
            extractors[j] = ex.getConstructor(loader.loadClass("dev.dsire.spectra.SpectrumBackend")).newInstance(b);
            extract[j] = ex.getMethod("extract", List.class, Consumer.class);
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Consumer<Object> none = e -> {};
        double[][] wall = new double[jars][passes];
        double[] cpu = new double[jars];
        for (int p = -passes / 2; p < passes; p++) { // the first half as many passes warm up
            for (int j = 0; j < jars; j++) {
                long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                extract[j].invoke(extractors[j], files, none);
                if (p >= 0) {
                    wall[j][p] = (System.nanoTime() - t0) / 1e6 / files.size();
                    cpu[j] += (os.getProcessCpuTime() - c0) / 1e6 / files.size() / passes;
                }
            }
        }
        for (int j = 0; j < jars; j++) {
            double[] w = wall[j].clone();
            Arrays.sort(w);
            System.out.printf("%s  wall %.2f ms/model (median; quartiles %.2f-%.2f)  cpu %.2f ms/model%n", args[2 + j],
                    w[passes / 2], w[passes / 4], w[3 * passes / 4], cpu[j]);
        }
    }
}
