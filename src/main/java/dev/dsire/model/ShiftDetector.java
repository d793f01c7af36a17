package dev.dsire.model;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Says when an adapter is unlike the training adapters, from its standardised log spectra: the
 * Mahalanobis distance within the training adapters' main principal components, and the part of the
 * adapter outside them relative to the training adapters' own (each about 1 for a training adapter;
 * the score is their mean). The threshold is set on the training adapters' scores with their whole group
 * held out of the components, at the split-conformal rank for 1 in 10, so adapters from new groups of the
 * training recipe are flagged at most that often in expectation, and adapters trained another way — another learning rate, step count or
 * base — far more often.
 *
 * @param components  k principal directions over the p features, row-major (k×p)
 * @param variances   the training adapters' variance along each direction
 * @param residual    the training adapters' mean squared norm outside the directions
 * @param threshold   the score above which an adapter is out of distribution
 */
public record ShiftDetector(double[] components, double[] variances, double residual, double threshold) {

    /** Principal directions kept: enough for the main modes of recipe and group, few enough to estimate from 15 groups. */
    static final int COMPONENTS = 8;
    /** Share of held-out training adapters flagged. */
    static final double FLAGGED = 0.10;
    /** Held-out groups used to set the threshold, at most (each costs one eigendecomposition). */
    private static final int MAX_HELD_GROUPS = 40;

    public int dim() {
        return variances.length == 0 ? 0 : components.length / variances.length;
    }

    /** The score of one standardised feature vector. */
    public double score(double[] z) {
        int k = variances.length, p = z.length;
        double norm2 = 0;
        for (double v : z) {
            norm2 += v * v;
        }
        double mahal = 0, inside = 0;
        for (int e = 0; e < k; e++) {
            double t = 0;
            for (int c = 0; c < p; c++) {
                t += components[e * p + c] * z[c];
            }
            inside += t * t;
            mahal += t * t / variances[e];
        }
        return combined(mahal, Math.max(0, norm2 - inside), k, residual);
    }

    /** The mean of the per-direction Mahalanobis term and the relative residual (the residual alone without directions). */
    private static double combined(double mahal, double outside, int k, double residual) {
        return k == 0 ? outside / residual : 0.5 * (mahal / k + outside / residual);
    }

    /** Fits on the standardised training features, reusing the pooled regression's Gram matrix. */
    static ShiftDetector fit(double[] z, int n, int p, PooledScore.Gram gram, int[][] groups) {
        int k = Math.min(COMPONENTS, Math.max(0, n - 2));
        Integer[] order = order(gram.d());
        double[] comps = new double[k * p], vars = new double[k];
        for (int e = 0; e < k; e++) {
            int col = order[e];
            double de = gram.d()[col];
            vars[e] = Math.max(de / n, 1e-12);
            double inv = de > 0 ? 1 / Math.sqrt(de) : 0;
            for (int i = 0; i < n; i++) {
                double ui = gram.u()[i * n + col] * inv;
                for (int c = 0; c < p; c++) {
                    comps[e * p + c] += z[i * p + c] * ui;
                }
            }
        }
        double rest = 0;
        for (int e = k; e < n; e++) {
            rest += gram.d()[order[e]];
        }
        double residual = Math.max(rest / n, 1e-12);
        double threshold = heldOutThreshold(gram.k(), n, k, groups);
        return new ShiftDetector(comps, vars, residual, threshold);
    }

    /**
     * The score that {@link #FLAGGED} of held-out adapters exceed: for each held-out group, the
     * components are refitted on the other groups (kernel form: everything from the Gram matrix of the
     * rest, recentred) and the group's adapters scored against them.
     */
    private static double heldOutThreshold(double[] full, int n, int k, int[][] groups) {
        if (groups.length < 3) {
            return Double.POSITIVE_INFINITY; // too few groups to tell new groups from new recipes
        }
        int step = Math.max(1, (int) Math.ceil(groups.length / (double) MAX_HELD_GROUPS));
        double[] scores = new double[n];
        int scored = 0;
        boolean[] out = new boolean[n];
        for (int gi = 0; gi < groups.length; gi += step) {
            int[] g = groups[gi];
            Arrays.fill(out, false);
            for (int i : g) {
                out[i] = true;
            }
            int m = n - g.length;
            int[] rest = new int[m];
            for (int i = 0, r = 0; i < n; i++) {
                if (!out[i]) {
                    rest[r++] = i;
                }
            }
            // centre the rest's Gram matrix on the rest's mean
            double[] rowMean = new double[m];
            double all = 0;
            for (int a = 0; a < m; a++) {
                for (int b = 0; b < m; b++) {
                    rowMean[a] += full[rest[a] * n + rest[b]] / m;
                }
                all += rowMean[a] / m;
            }
            DMatrixRMaj kc = new DMatrixRMaj(m, m);
            for (int a = 0; a < m; a++) {
                for (int b = 0; b < m; b++) {
                    kc.unsafe_set(a, b, full[rest[a] * n + rest[b]] - rowMean[a] - rowMean[b] + all);
                }
            }
            EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(m, true, true);
            if (!eig.decompose(kc)) {
                continue;
            }
            double[] d = new double[m];
            double[][] u = new double[m][];
            for (int e = 0; e < m; e++) {
                d[e] = Math.max(0, eig.getEigenvalue(e).real);
                u[e] = eig.getEigenVector(e).getData().clone();
            }
            Integer[] order = order(d);
            int kk = Math.min(k, m - 1);
            double rest2 = 0;
            for (int e = kk; e < m; e++) {
                rest2 += d[order[e]];
            }
            double residual = Math.max(rest2 / m, 1e-12);
            for (int i : g) {
                double crossMean = 0;
                double[] cross = new double[m];
                for (int a = 0; a < m; a++) {
                    cross[a] = full[i * n + rest[a]];
                    crossMean += cross[a] / m;
                }
                double norm2 = full[i * n + i] - 2 * crossMean + all;
                double mahal = 0, inside = 0;
                for (int e = 0; e < kk; e++) {
                    int col = order[e];
                    if (d[col] <= 0) {
                        continue;
                    }
                    double t = 0;
                    for (int a = 0; a < m; a++) {
                        t += u[col][a] * (cross[a] - crossMean - rowMean[a] + all);
                    }
                    t /= Math.sqrt(d[col]);
                    inside += t * t;
                    mahal += t * t / Math.max(d[col] / m, 1e-12);
                }
                scores[scored++] = combined(mahal, Math.max(0, norm2 - inside), kk, residual);
            }
        }
        if (scored == 0) {
            return Double.POSITIVE_INFINITY;
        }
        double[] s = Arrays.copyOf(scores, scored);
        Arrays.sort(s);
        return conformalQuantile(s, FLAGGED);
    }

    /**
     * The score a new adapter exceeds with probability at most alpha when it is exchangeable with the
     * sorted held-out scores: the ⌈(1−alpha)(N+1)⌉-th smallest of N (split-conformal rank). The plain
     * empirical quantile sits one rank lower and lets ≈ 1/(N+1) more through; infinite when N is too small.
     */
    static double conformalQuantile(double[] sorted, double alpha) {
        int n = sorted.length;
        int rank = (int) Math.ceil((1 - alpha) * (n + 1) - 1e-9);
        return rank > n ? Double.POSITIVE_INFINITY : sorted[Math.max(rank, 1) - 1];
    }

    /** Eigenvalue indices, largest first. */
    private static Integer[] order(double[] d) {
        Integer[] order = new Integer[d.length];
        for (int i = 0; i < d.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(d[b], d[a]));
        return order;
    }
}
