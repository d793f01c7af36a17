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

    /** a → H·a·H column by column; leaves the diagonal in d and the subdiagonal in e (e[n-1] = 0). */
    void tridiagonalize(int n) {
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
                continue;
            }
            double alpha = v[0] > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
            e[k] = alpha;
            v[0] -= alpha;
            double vv = 0;
            for (int i = 0; i < m; i++) {
                vv += v[i] * v[i];
            }
            double beta = 2 / vv;
            // p = β·A22·v, then q = p - (β/2)(vᵀp)·v, A22 -= v·qᵀ + q·vᵀ. A22 is symmetric, so
            // A22·v is a sum of its rows scaled by v: axpys, which the JIT vectorizes (a dot-product
            // loop would be one latency-bound FMA chain)
            int o = k + 1;
            Arrays.fill(p, 0, m, 0);
            for (int j = 0; j < m; j++) {
                double vj = beta * v[j];
                int row = (o + j) * n + o;
                for (int i = 0; i < m; i++) {
                    p[i] += vj * a[row + i];
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
            for (int i = 0; i < m; i++) {
                int row = (o + i) * n + o;
                double vi = v[i], pi = p[i];
                for (int j = 0; j < m; j++) {
                    a[row + j] -= vi * p[j] + pi * v[j];
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
