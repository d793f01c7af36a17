package dev.dsire.spectra;

/**
 * Scalar twins of {@link LayerCore}'s Gram kernels that give the same bits: each entry of the lower
 * triangle is the same fused multiply-adds in the same order, lane by lane, as the vector tiles do.
 * The vector tiles run ~100× slower until C2 has compiled them, and C2 takes a fresh process's first
 * ~0.3 s of foreground compiling to do it; plain loops are compiled at once by C1. So a process
 * runs these for its first {@link KernelWarmup#GRAM_SWITCH} Gram matrices (one SD 1.5 adapter's).
 * Only the lower triangle is written; the callers mirror it.
 */
final class ScalarGram {
    private ScalarGram() {}

    /** As {@link LayerCore#gramRowsAdd}: g += xᵀx over len rows of x (row-major, n columns), lower triangle. */
    static void rowsAdd(double[] x, int len, int n, double[] g) {
        for (int i = 0, o = 0; i < len; i++, o += n) {
            for (int p = 0; p < n; p++) {
                double xp = x[o + p];
                int gp = p * n;
                for (int q = 0; q <= p; q++) {
                    g[gp + q] = Math.fma(xp, x[o + q], g[gp + q]);
                }
            }
        }
    }

    /**
     * As {@link LayerCore#gramAdd}: g += x·xᵀ for n rows of x of length len, lower triangle. Each dot
     * product keeps w lanes (the vector length) summed in lane order, then adds the last len mod w
     * products one by one, as the tiles and {@code dot} do.
     */
    static void add(double[] x, int n, int len, double[] g, int w) {
        double[] lanes = new double[w];
        int bound = len - len % w;
        for (int i = 0; i < n; i++) {
            int a = i * len;
            for (int j = 0; j <= i; j++) {
                int b = j * len;
                java.util.Arrays.fill(lanes, 0);
                for (int u = 0; u < bound; u += w) {
                    for (int l = 0; l < w; l++) {
                        lanes[l] = Math.fma(x[a + u + l], x[b + u + l], lanes[l]);
                    }
                }
                double v = lanes[0];
                for (int l = 1; l < w; l++) {
                    v += lanes[l];
                }
                for (int u = bound; u < len; u++) {
                    v += x[a + u] * x[b + u];
                }
                g[i * n + j] += v;
            }
        }
    }
}
