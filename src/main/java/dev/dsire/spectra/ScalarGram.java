package dev.dsire.spectra;

/**
 * Scalar twins of {@link LayerCore}'s Gram kernels that give the same bits: each entry of the lower
 * triangle is the same fused multiply-adds in the same order, lane by lane, as the vector tiles do.
 * The vector tiles run ~100× slower until C2 has compiled them, and C2 takes a fresh process's first
 * ~0.3 s of foreground compiling to do it; plain loops are compiled at once by C1. So a process
 * runs these for its first {@link KernelWarmup#GRAM_SWITCH} Gram matrices (one SD 1.5 adapter's),
 * and a one-file process on C1 alone runs nothing else.
 * Only the lower triangle is written; the callers mirror it.
 *
 * <p>Written for C1, which keeps locals in registers but not array elements: the lanes of a dot
 * product are locals for the common widths (8 and 4), two dot products share each load of the row
 * they have in common, and the rank-one updates take four rows per pass over g. ~2× the plain loops
 * under C1 and 1.5–2× under C2 (the order of every entry's operations is unchanged).
 */
final class ScalarGram {
    private ScalarGram() {}

    /** As {@link LayerCore#gramRowsAdd}: g += xᵀx over len rows of x (row-major, n columns), lower triangle. */
    static void rowsAdd(double[] x, int len, int n, double[] g) {
        int i = 0, o = 0;
        for (; i + 3 < len; i += 4, o += 4 * n) { // g[p][q] takes rows i, i+1, i+2, i+3 in that order, as one at a time does
            int o1 = o + n, o2 = o1 + n, o3 = o2 + n;
            for (int p = 0; p < n; p++) {
                double x0 = x[o + p], x1 = x[o1 + p], x2 = x[o2 + p], x3 = x[o3 + p];
                int gp = p * n;
                for (int q = 0; q <= p; q++) {
                    double v = Math.fma(x0, x[o + q], g[gp + q]);
                    v = Math.fma(x1, x[o1 + q], v);
                    v = Math.fma(x2, x[o2 + q], v);
                    g[gp + q] = Math.fma(x3, x[o3 + q], v);
                }
            }
        }
        for (; i < len; i++, o += n) {
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
        if (w == 8) {
            add8(x, n, len, g);
        } else if (w == 4) {
            add4(x, n, len, g);
        } else {
            addAnyWidth(x, n, len, g, w);
        }
    }

    /** Eight lanes (AVX-512): rows j and j+1 against row i at once, sharing row i's loads. */
    private static void add8(double[] x, int n, int len, double[] g) {
        int bound = len - len % 8;
        for (int i = 0; i < n; i++) {
            int a = i * len, j = 0;
            for (; j < i; j += 2) { // j + 1 <= i
                int b = j * len, c = b + len;
                double l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
                double m0 = 0, m1 = 0, m2 = 0, m3 = 0, m4 = 0, m5 = 0, m6 = 0, m7 = 0;
                for (int u = 0; u < bound; u += 8) {
                    int pa = a + u, pb = b + u, pc = c + u;
                    double x0 = x[pa], x1 = x[pa + 1], x2 = x[pa + 2], x3 = x[pa + 3];
                    l0 = Math.fma(x0, x[pb], l0);
                    l1 = Math.fma(x1, x[pb + 1], l1);
                    l2 = Math.fma(x2, x[pb + 2], l2);
                    l3 = Math.fma(x3, x[pb + 3], l3);
                    m0 = Math.fma(x0, x[pc], m0);
                    m1 = Math.fma(x1, x[pc + 1], m1);
                    m2 = Math.fma(x2, x[pc + 2], m2);
                    m3 = Math.fma(x3, x[pc + 3], m3);
                    double x4 = x[pa + 4], x5 = x[pa + 5], x6 = x[pa + 6], x7 = x[pa + 7];
                    l4 = Math.fma(x4, x[pb + 4], l4);
                    l5 = Math.fma(x5, x[pb + 5], l5);
                    l6 = Math.fma(x6, x[pb + 6], l6);
                    l7 = Math.fma(x7, x[pb + 7], l7);
                    m4 = Math.fma(x4, x[pc + 4], m4);
                    m5 = Math.fma(x5, x[pc + 5], m5);
                    m6 = Math.fma(x6, x[pc + 6], m6);
                    m7 = Math.fma(x7, x[pc + 7], m7);
                }
                double v = l0 + l1 + l2 + l3 + l4 + l5 + l6 + l7, t = m0 + m1 + m2 + m3 + m4 + m5 + m6 + m7;
                for (int u = bound; u < len; u++) {
                    v += x[a + u] * x[b + u];
                    t += x[a + u] * x[c + u];
                }
                g[i * n + j] += v;
                g[i * n + j + 1] += t;
            }
            if (j == i) {
                int b = j * len;
                double l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
                for (int u = 0; u < bound; u += 8) {
                    int pa = a + u, pb = b + u;
                    l0 = Math.fma(x[pa], x[pb], l0);
                    l1 = Math.fma(x[pa + 1], x[pb + 1], l1);
                    l2 = Math.fma(x[pa + 2], x[pb + 2], l2);
                    l3 = Math.fma(x[pa + 3], x[pb + 3], l3);
                    l4 = Math.fma(x[pa + 4], x[pb + 4], l4);
                    l5 = Math.fma(x[pa + 5], x[pb + 5], l5);
                    l6 = Math.fma(x[pa + 6], x[pb + 6], l6);
                    l7 = Math.fma(x[pa + 7], x[pb + 7], l7);
                }
                double v = l0 + l1 + l2 + l3 + l4 + l5 + l6 + l7;
                for (int u = bound; u < len; u++) {
                    v += x[a + u] * x[b + u];
                }
                g[i * n + j] += v;
            }
        }
    }

    /** Four lanes (AVX2): rows j and j+1 against row i at once, as {@link #add8}. */
    private static void add4(double[] x, int n, int len, double[] g) {
        int bound = len - len % 4;
        for (int i = 0; i < n; i++) {
            int a = i * len, j = 0;
            for (; j < i; j += 2) {
                int b = j * len, c = b + len;
                double l0 = 0, l1 = 0, l2 = 0, l3 = 0, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
                for (int u = 0; u < bound; u += 4) {
                    int pa = a + u, pb = b + u, pc = c + u;
                    double x0 = x[pa], x1 = x[pa + 1], x2 = x[pa + 2], x3 = x[pa + 3];
                    l0 = Math.fma(x0, x[pb], l0);
                    l1 = Math.fma(x1, x[pb + 1], l1);
                    l2 = Math.fma(x2, x[pb + 2], l2);
                    l3 = Math.fma(x3, x[pb + 3], l3);
                    m0 = Math.fma(x0, x[pc], m0);
                    m1 = Math.fma(x1, x[pc + 1], m1);
                    m2 = Math.fma(x2, x[pc + 2], m2);
                    m3 = Math.fma(x3, x[pc + 3], m3);
                }
                double v = l0 + l1 + l2 + l3, t = m0 + m1 + m2 + m3;
                for (int u = bound; u < len; u++) {
                    v += x[a + u] * x[b + u];
                    t += x[a + u] * x[c + u];
                }
                g[i * n + j] += v;
                g[i * n + j + 1] += t;
            }
            if (j == i) {
                int b = j * len;
                double l0 = 0, l1 = 0, l2 = 0, l3 = 0;
                for (int u = 0; u < bound; u += 4) {
                    int pa = a + u, pb = b + u;
                    l0 = Math.fma(x[pa], x[pb], l0);
                    l1 = Math.fma(x[pa + 1], x[pb + 1], l1);
                    l2 = Math.fma(x[pa + 2], x[pb + 2], l2);
                    l3 = Math.fma(x[pa + 3], x[pb + 3], l3);
                }
                double v = l0 + l1 + l2 + l3;
                for (int u = bound; u < len; u++) {
                    v += x[a + u] * x[b + u];
                }
                g[i * n + j] += v;
            }
        }
    }

    /** Any other vector length: the lanes in an array (the reference the unrolled widths are tested against). */
    static void addAnyWidth(double[] x, int n, int len, double[] g, int w) {
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
