package dev.dsire.spectra;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The two Gram kernels alone on SD 1.5's rank-32 shapes (len 320, 640, 768, 1280), several jars in
 * one JVM (one class loader each), their batches interleaved so a busy machine slows all alike.
 * Usage (bench/gram-ab/run.sh): GramAB CLASSES_DIR ROUNDS REPS JAR...
 * Prints per jar and kernel (dot: A's gramAdd, rows: B's gramRowsAdd) the median over rounds of
 * µs of thread CPU per call summed over the four lens, and a checksum of the lower triangle's bits.
 */
public class GramAB {
    static final int RANK = 32;
    static final int[] LENS = {320, 640, 768, 1280};
    static double[][] xs = new double[LENS.length][];

    /** Thread CPU ns per call of one kernel on one len, and the bits of its g folded into a checksum. */
    public static double[] time(boolean dot, int which, int reps) {
        var bean = ManagementFactory.getThreadMXBean();
        int len = LENS[which];
        if (xs[which] == null) {
            SplittableRandom r = new SplittableRandom(len);
            xs[which] = new double[RANK * len];
            for (int i = 0; i < xs[which].length; i++) {
                xs[which][i] = r.nextGaussian();
            }
        }
        double[] x = xs[which], g = new double[RANK * RANK], acc = new double[LayerCore.tileLanes(RANK)];
        long c0 = bean.getCurrentThreadCpuTime();
        for (int k = 0; k < reps; k++) {
            Arrays.fill(g, 0);
            if (dot) {
                LayerCore.gramAdd(x, RANK, len, g, acc);
            } else {
                LayerCore.gramRowsAdd(x, len, RANK, g);
            }
        }
        double ns = (double) (bean.getCurrentThreadCpuTime() - c0) / reps;
        long bits = 0;
        for (int i = 0; i < RANK; i++) {
            for (int j = 0; j <= i; j++) {
                bits = bits * 31 + Double.doubleToRawLongBits(g[i * RANK + j]);
            }
        }
        return new double[] {ns, Double.longBitsToDouble(bits)};
    }

    public static void main(String[] args) throws Exception {
        Path classes = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]), reps = Integer.parseInt(args[2]), jars = args.length - 3;
        Method[] time = new Method[jars];
        for (int j = 0; j < jars; j++) {
            var loader = new URLClassLoader(new URL[] {classes.toUri().toURL(), Path.of(args[3 + j]).toUri().toURL()},
                    ClassLoader.getPlatformClassLoader());
            time[j] = loader.loadClass("dev.dsire.spectra.GramAB").getMethod("time", boolean.class, int.class, int.class);
        }
        double[][][] us = new double[jars][2][rounds];
        long[][] bits = new long[jars][2];
        for (int r = -2; r < rounds; r++) { // two rounds of warm-up
            for (int k = 0; k < 2; k++) {
                for (int l = 0; l < LENS.length; l++) {
                    for (int j = 0; j < jars; j++) {
                        double[] t = (double[]) time[j].invoke(null, k == 0, l, reps * 320 / LENS[l]);
                        if (r >= 0) {
                            us[j][k][r] += t[0] / 1e3;
                            bits[j][k] = bits[j][k] * 31 + Double.doubleToRawLongBits(t[1]);
                        }
                    }
                }
            }
        }
        for (int j = 0; j < jars; j++) {
            StringBuilder line = new StringBuilder(args[3 + j]);
            for (int k = 0; k < 2; k++) {
                double[] u = us[j][k].clone();
                Arrays.sort(u);
                line.append(String.format("  %s %.1f µs (rounds %s)", k == 0 ? "dot" : "rows", u[rounds / 2],
                        Arrays.toString(Arrays.stream(us[j][k]).map(v -> Math.round(v * 10) / 10.0).toArray())));
            }
            line.append(String.format("  bits %x %x", bits[j][0], bits[j][1]));
            System.out.println(line);
        }
    }
}
