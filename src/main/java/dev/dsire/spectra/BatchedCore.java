package dev.dsire.spectra;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Cholesky core of up to {@link #LANES} layers at once, one SIMD lane per layer: from the Gram
 * matrices G_A = L_A·L_Aᵀ and G_B = L_B·L_Bᵀ (r×r), C = M·Mᵀ with M = L_Bᵀ·L_A, whose eigenvalues
 * are σ(B·A)². No step has data-dependent control flow, so every lane runs the same vector
 * instructions; the one-layer version of the same arithmetic was latency-bound (dot-product chains
 * and one division per entry) and took 11 % of a model's time.
 *
 * <p>Cholesky subtracts L[i][p]·L[k][p] from each entry in the same order (p ascending) as the
 * dot-product form: the scalar lanes right-looking (each column divided by its pivot, the trailing
 * matrix updated by independent products), the vector twin left-looking (each column finished from
 * the ones before it, which reads and writes far less memory). Like {@link BatchedEigenvalues} it has a vector
 * twin and a scalar-lane twin with the same bits. Storage is lane-interleaved (element x of layer k
 * at x·LANES + k). Instances hold scratch space: one per thread.
 */
final class BatchedCore {
    static final int LANES = BatchedEigenvalues.LANES;
    private static final int W = LANES;

    private double[] la = new double[0], lb = new double[0], m = new double[0], c = new double[0];

    /**
     * c[k] = M·Mᵀ (r×r row-major, full) for M = L_Bᵀ·L_A, L the lower Cholesky factors of the
     * symmetric positive semi-definite ga[k], gb[k] (r×r row-major; only the lower triangle is
     * read), k < count ≤ LANES.
     */
    void compute(double[][] ga, double[][] gb, int count, int r, double[][] out) {
        compute(ga, gb, count, r, out, KernelWarmup.vector());
    }

    /** As above, on the vector twins or on the scalar lanes: the same bits either way. */
    void compute(double[][] ga, double[][] gb, int count, int r, double[][] out, boolean vector) {
        if (count < 1 || count > W) {
            throw new IllegalArgumentException("batch of " + count);
        }
        int rr = r * r;
        if (la.length < rr * W) {
            la = new double[rr * W];
            lb = new double[rr * W];
            m = new double[rr * W];
            c = new double[rr * W];
        }
        for (int k = 0; k < W; k++) { // idle lanes factor the identity: no zero pivots, nothing undefined
            double[] a = k < count ? ga[k] : null, b = k < count ? gb[k] : null;
            for (int i = 0; i < r; i++) {
                for (int j = 0; j <= i; j++) {
                    int x = i * r + j;
                    la[x * W + k] = a != null ? a[x] : i == j ? 1 : 0;
                    lb[x * W + k] = b != null ? b[x] : i == j ? 1 : 0;
                }
            }
        }
        if (vector && VECTOR) {
            // lanes never mix: where a vector holds half the lanes (AVX2), each half runs every step in turn
            for (int off = 0; off < W; off += S.length()) {
                vCholesky(la, r, off);
                vCholesky(lb, r, off);
                vProduct(r, off);
                vOuter(r, off);
            }
        } else {
            cholesky(la, r);
            cholesky(lb, r);
            product(r);
            outer(r);
        }
        for (int k = 0; k < count; k++) {
            double[] o = out[k];
            for (int i = 0; i < r; i++) {
                for (int j = 0; j <= i; j++) {
                    double v = c[(i * r + j) * W + k];
                    o[i * r + j] = v;
                    o[j * r + i] = v;
                }
            }
        }
    }

    // the steps are separate methods so that C2 inlines every vector operation of each (one large
    // method ran out of inlining budget and called the vector loads out of line)

    private void product(int r) {
        int rr = r * r;
        // M = L_Bᵀ·L_A, both lower triangular: M[i][j] = Σ_{p ≥ max(i, j)} L_B[p][i]·L_A[p][j]
        java.util.Arrays.fill(m, 0, rr * W, 0);
        for (int p = 0; p < r; p++) {
            int ap = p * r;
            for (int i = 0; i <= p; i++) {
                int f = (ap + i) * W, mi = i * r;
                for (int j = 0; j <= p; j++) {
                    int at = (mi + j) * W, x = (ap + j) * W;
                    for (int k = 0; k < W; k++) {
                        m[at + k] += lb[f + k] * la[x + k];
                    }
                }
            }
        }
    }

    private final double[] s0 = new double[W], s1 = new double[W];

    private void outer(int r) {
        // C = M·Mᵀ, lower triangle: C[i][j] = Σ_q M[i][q]·M[j][q]
        for (int i = 0; i < r; i++) {
            int mi = i * r;
            for (int j = 0; j <= i; j++) {
                int mj = j * r;
                for (int k = 0; k < W; k++) {
                    s0[k] = 0;
                }
                for (int q = 0; q < r; q++) {
                    int x = (mi + q) * W, y = (mj + q) * W;
                    for (int k = 0; k < W; k++) {
                        s0[k] += m[x + k] * m[y + k];
                    }
                }
                System.arraycopy(s0, 0, c, (mi + j) * W, W);
            }
        }
    }

    /**
     * In place, lower triangle: the Cholesky factor of every lane's matrix. A pivot that rounds to
     * zero or below gives a zero column, as the scalar form's guard did; the callers have checked
     * the matrices well-conditioned, so that never decides a result.
     */
    private void cholesky(double[] l, int r) {
        double[] piv = s1;
        for (int j = 0; j < r; j++) {
            int jj = (j * r + j) * W;
            for (int k = 0; k < W; k++) {
                piv[k] = Math.sqrt(Math.max(l[jj + k], 0));
                l[jj + k] = piv[k];
            }
            for (int i = j + 1; i < r; i++) {
                int ij = (i * r + j) * W;
                for (int k = 0; k < W; k++) {
                    l[ij + k] = piv[k] == 0 ? 0 : l[ij + k] / piv[k];
                }
            }
            for (int i = j + 1; i < r; i++) { // trailing update, lower triangle: A[i][k] -= L[i][j]·L[k][j]
                int ij = (i * r + j) * W, row = i * r;
                for (int t = j + 1; t <= i; t++) {
                    int at = (row + t) * W, tj = (t * r + j) * W;
                    for (int k = 0; k < W; k++) {
                        l[at + k] -= l[ij + k] * l[tj + k];
                    }
                }
            }
        }
    }

    // ---- the vector twins: the same operations in the same order on one vector of lanes ----

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    /** Whether the vector twins run here: vectors of all the lanes (AVX-512) or of half of them (AVX2). */
    static final boolean VECTOR = S.length() >= 4 && W % S.length() == 0;


    private void vProduct(int r, int o) {
        int rr = r * r;
        // M = L_Bᵀ·L_A, both lower triangular: M[i][j] = Σ_{p ≥ max(i, j)} L_B[p][i]·L_A[p][j]
        if (o == 0) {
            java.util.Arrays.fill(m, 0, rr * W, 0);
        }
        for (int p = 0; p < r; p++) {
            for (int i = 0; i <= p; i++) {
                DoubleVector f = at(lb, p * r + i, o);
                int mi = i * r, ap = p * r;
                for (int j = 0; j <= p; j++) {
                    at(m, mi + j, o).add(f.mul(at(la, ap + j, o))).intoArray(m, (mi + j) * W + o);
                }
            }
        }
    }

    private void vOuter(int r, int o) {
        // C = M·Mᵀ, lower triangle: C[i][j] = Σ_q M[i][q]·M[j][q], four entries of a row at a time
        for (int i = 0; i < r; i++) {
            int mi = i * r, j = 0;
            for (; j + 4 <= i + 1; j += 4) {
                int m0 = j * r, m1 = m0 + r, m2 = m1 + r, m3 = m2 + r;
                DoubleVector s0 = DoubleVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
                for (int q = 0; q < r; q++) {
                    DoubleVector x = at(m, mi + q, o);
                    s0 = s0.add(x.mul(at(m, m0 + q, o)));
                    s1 = s1.add(x.mul(at(m, m1 + q, o)));
                    s2 = s2.add(x.mul(at(m, m2 + q, o)));
                    s3 = s3.add(x.mul(at(m, m3 + q, o)));
                }
                s0.intoArray(c, (mi + j) * W + o);
                s1.intoArray(c, (mi + j + 1) * W + o);
                s2.intoArray(c, (mi + j + 2) * W + o);
                s3.intoArray(c, (mi + j + 3) * W + o);
            }
            for (; j <= i; j++) {
                int mj = j * r;
                DoubleVector s = DoubleVector.zero(S);
                for (int q = 0; q < r; q++) {
                    s = s.add(at(m, mi + q, o).mul(at(m, mj + q, o)));
                }
                s.intoArray(c, (mi + j) * W + o);
            }
        }
    }

    /** Element i's lanes o .. o + S.length() - 1. */
    private static DoubleVector at(double[] x, int i, int o) {
        return DoubleVector.fromArray(S, x, i * W + o);
    }

    /**
     * In place, lower triangle: the Cholesky factor of every lane's matrix. A pivot that rounds to
     * zero or below gives a zero column, as the scalar form's guard did; the callers have checked
     * the matrices well-conditioned, so that never decides a result.
     *
     * <p>Left-looking: column j is finished from the columns before it, each entry taking L[i][p]·L[j][p] off in
     * p order (the scalar twin's right-looking updates reach it in that same order: the same bits), four rows at
     * a time so that four chains of subtractions overlap. The right-looking form read and wrote the whole
     * trailing matrix at every column (8 lanes of 128×128 doubles are 1 MB, this core's L2); this reads the
     * finished columns and writes each entry once.
     */
    private static void vCholesky(double[] l, int r, int o) {
        DoubleVector zero = DoubleVector.zero(S);
        for (int j = 0; j < r; j++) {
            int rj = j * r;
            DoubleVector d = at(l, rj + j, o);
            for (int p = 0; p < j; p++) {
                DoubleVector ljp = at(l, rj + p, o);
                d = d.sub(ljp.mul(ljp));
            }
            DoubleVector ljj = d.max(zero).sqrt();
            ljj.intoArray(l, (rj + j) * W + o);
            var pivotless = ljj.compare(VectorOperators.EQ, 0);
            int i = j + 1;
            for (; i + 4 <= r; i += 4) {
                int r0 = i * r, r1 = r0 + r, r2 = r1 + r, r3 = r2 + r;
                DoubleVector s0 = at(l, r0 + j, o), s1 = at(l, r1 + j, o), s2 = at(l, r2 + j, o), s3 = at(l, r3 + j, o);
                for (int p = 0; p < j; p++) {
                    DoubleVector ljp = at(l, rj + p, o);
                    s0 = s0.sub(at(l, r0 + p, o).mul(ljp));
                    s1 = s1.sub(at(l, r1 + p, o).mul(ljp));
                    s2 = s2.sub(at(l, r2 + p, o).mul(ljp));
                    s3 = s3.sub(at(l, r3 + p, o).mul(ljp));
                }
                s0.div(ljj).blend(zero, pivotless).intoArray(l, (r0 + j) * W + o);
                s1.div(ljj).blend(zero, pivotless).intoArray(l, (r1 + j) * W + o);
                s2.div(ljj).blend(zero, pivotless).intoArray(l, (r2 + j) * W + o);
                s3.div(ljj).blend(zero, pivotless).intoArray(l, (r3 + j) * W + o);
            }
            for (; i < r; i++) {
                int ri = i * r;
                DoubleVector si = at(l, ri + j, o);
                for (int p = 0; p < j; p++) {
                    si = si.sub(at(l, ri + p, o).mul(at(l, rj + p, o)));
                }
                si.div(ljj).blend(zero, pivotless).intoArray(l, (ri + j) * W + o);
            }
        }
    }
}
