package dev.dsire.spectra;

import java.util.Arrays;

/**
 * Eigenvalues (no vectors) of small dense symmetric matrices: Householder reduction to tridiagonal
 * form, then implicit QL with Wilkinson shifts (EISPACK's tql1). Both steps are backward stable,
 * so each eigenvalue is exact within a few ε·‖G‖. Written for the r×r Gram matrices of LoRA
 * layers (r ≤ a few hundred), where a general library's per-call overhead and generic QR steps
 * cost more than the arithmetic. Instances hold scratch space: one per thread.
 */
final class SymmetricEigenvalues {
    private double[] a = new double[0], d = new double[0], e = new double[0], p = new double[0], v = new double[0];
    private double[] p2 = new double[0], v2 = new double[0]; // the next step's p and v, built during this step's update

    /**
     * The eigenvalues of the symmetric n×n matrix g (row-major; only read), in descending order,
     * written to out[0..n).
     */
    void compute(double[] g, int n, double[] out) {
        if (a.length < n * n) {
            a = new double[n * n];
            d = new double[n];
            e = new double[n];
            p = new double[n];
            v = new double[n];
            p2 = new double[n];
            v2 = new double[n];
        }
        // scale by a power of two near the largest diagonal entry: exact, and keeps squares in range
        double max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(g[i * n + i]));
        }
        int exp = max == 0 || !Double.isFinite(max) ? 0 : Math.getExponent(max);
        for (int i = 0; i < n * n; i++) {
            a[i] = Math.scalb(g[i], -exp);
        }
        tridiagonalize(n);
        ql(n);
        for (int i = 0; i < n; i++) {
            out[i] = Math.scalb(d[i], exp);
        }
        Arrays.sort(out, 0, n);
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            double t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
    }

    /**
     * a → H·a·H column by column; leaves the diagonal in d and the subdiagonal in e (e[n-1] = 0).
     *
     * <p>Each step reads its trailing block twice, once for p = β·A22·v and once to update it. The update of
     * step k is fused with the product of step k+1 ({@link #updateAndNextProduct}): that block's rows are
     * summed into the next p as each is updated, so the block is read once a step. Every entry gets the same
     * operations in the same order as with two passes: the same bits (SymmetricEigenvaluesTest).
     */
    void tridiagonalize(int n) {
        boolean vector = KernelWarmup.largeVector();
        boolean ready = false; // p already holds β·A22·v for this step, built by the last step's update
        for (int k = 0; k < n - 2; k++) {
            int m = n - k - 1; // length of the column below the diagonal
            double norm2 = 0;
            for (int i = 0; i < m; i++) {
                double x = a[(k + 1 + i) * n + k];
                v[i] = x;
                norm2 += x * x;
            }
            d[k] = a[k * n + k];
            if (norm2 < TINY) { // zero, or so small beside ‖G‖ ≈ 1 that β = 2/vᵀv would overflow: dropping it is far below ε·‖G‖
                e[k] = 0;
                ready = false;
                continue;
            }
            e[k] = reflector(v, norm2);
            double beta = beta(v, m);
            // p = β·A22·v, then q = p - (β/2)(vᵀp)·v, A22 -= v·qᵀ + q·vᵀ. A22 is symmetric, so
            // A22·v is a sum of its rows scaled by v: axpys on vectors (a dot-product loop would be one
            // latency-bound chain)
            int o = k + 1;
            if (!ready) {
                Arrays.fill(p, 0, m, 0);
                for (int j = 0; j < m; j++) {
                    Axpy.add(p, 0, beta * v[j], a, (o + j) * n + o, m, vector);
                }
            }
            double vp = 0;
            for (int i = 0; i < m; i++) {
                vp += v[i] * p[i];
            }
            double kk = beta * vp / 2;
            for (int i = 0; i < m; i++) {
                p[i] -= kk * v[i];
            }
            if (k + 1 < n - 2) {
                ready = updateAndNextProduct(n, o, m, vector);
            } else { // the last step: only its update
                for (int i = 0; i < m; i++) {
                    Axpy.rank2(a, (o + i) * n + o, v[i], p, p[i], v, 0, m, vector);
                }
            }
        }
        if (n >= 2) {
            d[n - 2] = a[(n - 2) * n + n - 2];
            e[n - 2] = a[(n - 1) * n + n - 2];
        }
        d[n - 1] = a[(n - 1) * n + n - 1];
        e[n - 1] = 0;
    }

    /**
     * The Householder vector of the column x (squared norm norm2, at least TINY), in place: x[0] −= α with
     * α = −sign(x[0])·‖x‖, the subdiagonal entry the reflection leaves, which it returns.
     */
    static double reflector(double[] x, double norm2) {
        double alpha = x[0] > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
        x[0] -= alpha;
        return alpha;
    }

    /** β = 2/vᵀv of the Householder vector v[0..m). */
    static double beta(double[] v, int m) {
        double vv = 0;
        for (int i = 0; i < m; i++) {
            vv += v[i] * v[i];
        }
        return 2 / vv;
    }

    /**
     * The update A22 -= v·pᵀ + p·vᵀ of the m×m block at (o, o), and, unless the next step's column is
     * negligible, that step's β'·A22'·v' into p (returns whether it did). The next step's column is this
     * block's first column below the diagonal, so it is updated first, and v' and β' are computed from it
     * exactly as the next step computes them; then each later row is updated and added, scaled by β'·v', to the
     * next p, as that step's product would add it. The block's first row right of the diagonal is left as it
     * was: no later step reads it (each reads its own trailing block, and its column through the rows below).
     */
    private boolean updateAndNextProduct(int n, int o, int m, boolean vector) {
        double v0 = v[0], p0 = p[0];
        a[o * n + o] -= v0 * p0 + p0 * v0;
        double norm2 = 0;
        for (int i = 1; i < m; i++) {
            int at = (o + i) * n + o;
            double x = a[at] - (v[i] * p0 + p[i] * v0); // what the update gives this entry: a -= vᵢ·p₀ + pᵢ·v₀
            a[at] = x;
            v2[i - 1] = x;
            norm2 += x * x;
        }
        if (norm2 < TINY) { // the next step skips its column: only the update
            for (int i = 1; i < m; i++) {
                Axpy.rank2(a, (o + i) * n + o, v[i], p, p[i], v, 1, m, vector);
            }
            return false;
        }
        reflector(v2, norm2);
        double beta = beta(v2, m - 1);
        double[] next = p2;
        Arrays.fill(next, 0, m - 1, 0);
        for (int i = 1; i < m; i++) {
            Axpy.rank2ThenAdd(a, (o + i) * n + o, v[i], p, p[i], v, m, beta * v2[i - 1], next, vector);
        }
        p2 = p;
        p = next;
        return true;
    }

    /** Implicit QL on the tridiagonal (d, e): eigenvalues into d. */
    void ql(int n) {
        for (int l = 0; l < n; l++) {
            int iter = 0;
            int m;
            do {
                for (m = l; m < n - 1; m++) {
                    double dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
                    if (Math.abs(e[m]) <= Math.max(0x1p-53 * dd, NEGLIGIBLE)) {
                        break;
                    }
                }
                if (m != l) {
                    if (iter++ == 60) {
                        throw new ArithmeticException("tridiagonal QL did not converge");
                    }
                    double g = (d[l + 1] - d[l]) / (2 * e[l]);
                    double r = hypot(g, 1);
                    g = d[m] - d[l] + e[l] / (g + Math.copySign(r, g));
                    double s = 1, c = 1, q = 0;
                    int i;
                    boolean deflated = false;
                    for (i = m - 1; i >= l; i--) {
                        double f = s * e[i], b = c * e[i];
                        r = hypot(f, g);
                        e[i + 1] = r;
                        if (r == 0) {
                            d[i + 1] -= q;
                            e[m] = 0;
                            deflated = true;
                            break;
                        }
                        double inv = 1 / r; // one division on the critical path, not two
                        s = f * inv;
                        c = g * inv;
                        g = d[i + 1] - q;
                        r = (d[i] - g) * s + 2 * c * b;
                        q = s * r;
                        d[i + 1] = g + q;
                        g = c * r - b;
                    }
                    if (deflated) {
                        continue;
                    }
                    d[l] -= q;
                    e[l] = g;
                    e[m] = 0;
                }
            } while (m != l);
        }
    }

    /**
     * √(x² + y²), Math.hypot's cost only where the squares leave the normal range. The matrix was
     * scaled to norm O(1), but an entry 1e-100 of that (one huge weight among ordinary ones) has
     * squares that underflow to 0: a rotation would read as vanished and QL never converge.
     */
    static double hypot(double x, double y) {
        double s = x * x + y * y;
        return s >= TINY && s < Double.POSITIVE_INFINITY ? Math.sqrt(s) : Math.hypot(x, y);
    }

    /** Below this a sum of squares has lost bits to underflow (2^52 times the smallest normal double). */
    static final double TINY = 0x1p-970;

    /**
     * An off-diagonal entry this small (the matrix scaled to ‖G‖ ≈ 1) is dropped whatever its
     * neighbours: hundreds of orders below ε·‖G‖, so every eigenvalue keeps its accuracy. The
     * relative test alone fails on a block of subnormal entries (2^-53 of them underflows to 0, and
     * the rotations lose their bits), and QL would never converge.
     */
    static final double NEGLIGIBLE = 0x1p-485;
}
