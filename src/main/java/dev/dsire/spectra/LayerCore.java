package dev.dsire.spectra;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Exact spectra of one layer from its factors, without forming the d×k product.
 *
 * <p>A is given as its r rows (length k) and B as the r rows of Bᵀ (length d), so both Gram
 * matrices are the same kernel: G_A = A·Aᵀ and G_B = Bᵀ·B, each r×r. Their eigenvalues are σ(A)²
 * and σ(B)². With Cholesky factors G_A = L_A·L_Aᵀ and G_B = L_B·L_Bᵀ, A = L_A·U and B = V·L_Bᵀ with
 * orthonormal U, V, so σ(B·A) = σ(L_Bᵀ·L_A): an r×r core.
 *
 * <p>Squaring loses accuracy for singular values far below σ_max, so when either factor's
 * σ_min/σ_max is below {@link #CONDITION_LIMIT} the layer takes the slower, backward-stable path:
 * Householder QR of Aᵀ and B, and σ(B·A) = σ(R_B·R_Aᵀ).
 *
 * <p>Instances hold scratch space and are not thread-safe: one per worker thread.
 */
final class LayerCore {
    static final double CONDITION_LIMIT = SpectrumBackend.GRAM_CONDITION_LIMIT;
    private static final VectorSpecies<Double> LANES = DoubleVector.SPECIES_PREFERRED;

    private int size = -1;
    private EigenDecomposition_F64<DMatrixRMaj> eig;
    private DMatrixRMaj ga, gb, work;

    /** Which path the last call took; for tests. */
    boolean lastUsedQr;

    /**
     * @param a  A row-major (r rows of length k); overwritten
     * @param bt Bᵀ row-major (r rows of length d); overwritten
     */
    LayerSpectrum spectrum(String layer, double[] a, double[] bt, int r, int k, int d, double scale) {
        prepare(r);
        gram(a, r, k, ga.data);
        gram(bt, r, d, gb.data);
        double[] sa = sqrtEigenvalues(ga, work);
        double[] sb = sqrtEigenvalues(gb, work);
        double[] sba;
        lastUsedQr = false;
        if (sa[0] == 0 || sb[0] == 0) {
            sba = new double[r]; // B·A = 0 exactly: an untrained layer
        } else if (sa[r - 1] >= CONDITION_LIMIT * sa[0] && sb[r - 1] >= CONDITION_LIMIT * sb[0]) {
            sba = choleskyCore(r, scale);
        } else {
            lastUsedQr = true;
            DMatrixRMaj ra = householderR(a, r, k);
            DMatrixRMaj rb = householderR(bt, r, d);
            sa = singularValues(ra, r);
            sb = singularValues(rb, r);
            DMatrixRMaj core = new DMatrixRMaj(rb.numRows, ra.numRows);
            CommonOps_DDRM.multTransB(Math.abs(scale), rb, ra, core);
            sba = singularValues(core, r);
        }
        return LayerSpectrum.of(layer, sa, sb, sba);
    }

    private void prepare(int r) {
        if (size != r) {
            size = r;
            eig = DecompositionFactory_DDRM.eig(r, false, true);
            ga = new DMatrixRMaj(r, r);
            gb = new DMatrixRMaj(r, r);
            work = new DMatrixRMaj(r, r);
        }
    }

    private double[] choleskyCore(int r, double scale) {
        // ga, gb still hold the Gram matrices: sqrtEigenvalues worked on copies
        DMatrixRMaj la = cholesky(ga, r);
        DMatrixRMaj lb = cholesky(gb, r);
        DMatrixRMaj core = new DMatrixRMaj(r, r);
        CommonOps_DDRM.multTransA(Math.abs(scale), lb, la, core);
        return singularValues(core, r);
    }

    /** Lower Cholesky factor of a symmetric positive definite matrix (checked well-conditioned). */
    private static DMatrixRMaj cholesky(DMatrixRMaj g, int r) {
        double[] s = g.data;
        DMatrixRMaj out = new DMatrixRMaj(r, r);
        double[] l = out.data;
        for (int j = 0; j < r; j++) {
            double diag = s[j * r + j];
            for (int p = 0; p < j; p++) {
                diag -= l[j * r + p] * l[j * r + p];
            }
            double ljj = Math.sqrt(Math.max(diag, 0));
            l[j * r + j] = ljj;
            for (int i = j + 1; i < r; i++) {
                double v = s[i * r + j];
                for (int p = 0; p < j; p++) {
                    v -= l[i * r + p] * l[j * r + p];
                }
                l[i * r + j] = ljj == 0 ? 0 : v / ljj;
            }
        }
        return out;
    }

    /** √ of the eigenvalues of symmetric g, descending, negatives (rounding) clipped to 0. */
    private double[] sqrtEigenvalues(DMatrixRMaj g, DMatrixRMaj scratch) {
        scratch.setTo(g);
        int r = g.numRows;
        double[] s = new double[r];
        if (!eig.decompose(scratch)) {
            throw new ArithmeticException("symmetric eigenvalue iteration did not converge");
        }
        for (int i = 0; i < r; i++) {
            s[i] = Math.sqrt(Math.max(eig.getEigenvalue(i).real, 0));
        }
        return descending(s);
    }

    /** Singular values of m, descending, padded with zeros to length r. */
    static double[] singularValues(DMatrixRMaj m, int r) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m.numRows, m.numCols, false, false, true);
        if (!svd.decompose(m.copy())) {
            throw new ArithmeticException("SVD did not converge");
        }
        double[] s = Arrays.copyOf(svd.getSingularValues(), r);
        Arrays.fill(s, Math.min(svd.numberOfSingularValues(), r), r, 0);
        return descending(s);
    }

    private static double[] descending(double[] s) {
        Arrays.sort(s);
        for (int i = 0, j = s.length - 1; i < j; i++, j--) {
            double t = s[i];
            s[i] = s[j];
            s[j] = t;
        }
        return s;
    }

    /** g = x·xᵀ for x with n rows of length len (row-major); g is n×n row-major. */
    static void gram(double[] x, int n, int len, double[] g) {
        if (n % 4 == 0) {
            // 4×4 tiles: 16 accumulators and 8 loads per step fit the 32 vector registers of AVX-512
            for (int i = 0; i < n; i += 4) {
                for (int j = 0; j <= i; j += 4) {
                    tile4(x, len, i, j, g, n);
                }
            }
            return;
        }
        for (int i = 0; i < n; i += 2) {
            for (int j = 0; j <= i; j += 2) {
                if (i + 1 < n) {
                    tile(x, len, i, j, j + 1 < n, g, n);
                } else {
                    for (int jj = j; jj < Math.min(j + 2, n); jj++) {
                        double v = dot(x, i * len, x, jj * len, len);
                        g[i * n + jj] = v;
                        g[jj * n + i] = v;
                    }
                }
            }
        }
    }

    /** Rows i..i+3 against rows j..j+3: sixteen dot products in one pass over the data. */
    private static void tile4(double[] x, int len, int i, int j, double[] g, int n) {
        int a0 = i * len, a1 = a0 + len, a2 = a1 + len, a3 = a2 + len;
        int b0 = j * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len;
        DoubleVector z = DoubleVector.zero(LANES);
        DoubleVector s00 = z, s01 = z, s02 = z, s03 = z, s10 = z, s11 = z, s12 = z, s13 = z;
        DoubleVector s20 = z, s21 = z, s22 = z, s23 = z, s30 = z, s31 = z, s32 = z, s33 = z;
        int u = 0, bound = LANES.loopBound(len);
        for (; u < bound; u += LANES.length()) {
            DoubleVector y0 = DoubleVector.fromArray(LANES, x, b0 + u);
            DoubleVector y1 = DoubleVector.fromArray(LANES, x, b1 + u);
            DoubleVector y2 = DoubleVector.fromArray(LANES, x, b2 + u);
            DoubleVector y3 = DoubleVector.fromArray(LANES, x, b3 + u);
            DoubleVector v = DoubleVector.fromArray(LANES, x, a0 + u);
            s00 = v.fma(y0, s00); s01 = v.fma(y1, s01); s02 = v.fma(y2, s02); s03 = v.fma(y3, s03);
            v = DoubleVector.fromArray(LANES, x, a1 + u);
            s10 = v.fma(y0, s10); s11 = v.fma(y1, s11); s12 = v.fma(y2, s12); s13 = v.fma(y3, s13);
            v = DoubleVector.fromArray(LANES, x, a2 + u);
            s20 = v.fma(y0, s20); s21 = v.fma(y1, s21); s22 = v.fma(y2, s22); s23 = v.fma(y3, s23);
            v = DoubleVector.fromArray(LANES, x, a3 + u);
            s30 = v.fma(y0, s30); s31 = v.fma(y1, s31); s32 = v.fma(y2, s32); s33 = v.fma(y3, s33);
        }
        double[] acc = { // reduced here, while every accumulator is still a register (an array of vectors would box them)
            s00.reduceLanes(VectorOperators.ADD), s01.reduceLanes(VectorOperators.ADD), s02.reduceLanes(VectorOperators.ADD),
            s03.reduceLanes(VectorOperators.ADD), s10.reduceLanes(VectorOperators.ADD), s11.reduceLanes(VectorOperators.ADD),
            s12.reduceLanes(VectorOperators.ADD), s13.reduceLanes(VectorOperators.ADD), s20.reduceLanes(VectorOperators.ADD),
            s21.reduceLanes(VectorOperators.ADD), s22.reduceLanes(VectorOperators.ADD), s23.reduceLanes(VectorOperators.ADD),
            s30.reduceLanes(VectorOperators.ADD), s31.reduceLanes(VectorOperators.ADD), s32.reduceLanes(VectorOperators.ADD),
            s33.reduceLanes(VectorOperators.ADD)};
        for (int p = 0; p < 4; p++) {
            for (int q = 0; q < 4; q++) {
                int ro = (i + p) * len, co = (j + q) * len;
                double v = acc[p * 4 + q];
                for (int t = u; t < len; t++) {
                    v += x[ro + t] * x[co + t];
                }
                g[(i + p) * n + j + q] = v;
                g[(j + q) * n + i + p] = v;
            }
        }
    }

    /** Rows i, i+1 against rows j, j+1 (j+1 only when twoCols): four dot products in one pass. */
    private static void tile(double[] x, int len, int i, int j, boolean twoCols, double[] g, int n) {
        int i0 = i * len, i1 = i0 + len, j0 = j * len, j1 = twoCols ? j0 + len : j0;
        DoubleVector s00 = DoubleVector.zero(LANES), s01 = s00, s10 = s00, s11 = s00;
        int u = 0, bound = LANES.loopBound(len);
        for (; u < bound; u += LANES.length()) {
            DoubleVector a0 = DoubleVector.fromArray(LANES, x, i0 + u);
            DoubleVector a1 = DoubleVector.fromArray(LANES, x, i1 + u);
            DoubleVector b0 = DoubleVector.fromArray(LANES, x, j0 + u);
            DoubleVector b1 = DoubleVector.fromArray(LANES, x, j1 + u);
            s00 = a0.fma(b0, s00);
            s01 = a0.fma(b1, s01);
            s10 = a1.fma(b0, s10);
            s11 = a1.fma(b1, s11);
        }
        double v00 = s00.reduceLanes(VectorOperators.ADD), v01 = s01.reduceLanes(VectorOperators.ADD);
        double v10 = s10.reduceLanes(VectorOperators.ADD), v11 = s11.reduceLanes(VectorOperators.ADD);
        for (; u < len; u++) {
            v00 += x[i0 + u] * x[j0 + u];
            v01 += x[i0 + u] * x[j1 + u];
            v10 += x[i1 + u] * x[j0 + u];
            v11 += x[i1 + u] * x[j1 + u];
        }
        g[i * n + j] = v00;
        g[j * n + i] = v00;
        g[(i + 1) * n + j] = v10;
        g[j * n + i + 1] = v10;
        if (twoCols) {
            g[i * n + j + 1] = v01;
            g[(j + 1) * n + i] = v01;
            g[(i + 1) * n + j + 1] = v11;
            g[(j + 1) * n + i + 1] = v11;
        }
    }

    private static double dot(double[] x, int xo, double[] y, int yo, int len) {
        DoubleVector s = DoubleVector.zero(LANES);
        int u = 0, bound = LANES.loopBound(len);
        for (; u < bound; u += LANES.length()) {
            s = DoubleVector.fromArray(LANES, x, xo + u).fma(DoubleVector.fromArray(LANES, y, yo + u), s);
        }
        double v = s.reduceLanes(VectorOperators.ADD);
        for (; u < len; u++) {
            v += x[xo + u] * y[yo + u];
        }
        return v;
    }

    /**
     * R of the Householder QR of the m×n matrix whose n columns are the rows of x (each length m):
     * min(m,n)×n upper trapezoidal, with σ(R) = σ(matrix). x is overwritten.
     */
    static DMatrixRMaj householderR(double[] x, int n, int m) {
        int p = Math.min(m, n);
        DMatrixRMaj r = new DMatrixRMaj(p, n);
        double[] v = new double[m];
        for (int j = 0; j < p; j++) {
            int cj = j * m;
            double norm2 = 0;
            for (int u = j; u < m; u++) {
                norm2 += x[cj + u] * x[cj + u];
            }
            double norm = Math.sqrt(norm2);
            if (norm != 0) {
                double alpha = x[cj + j] > 0 ? -norm : norm;
                int len = m - j;
                System.arraycopy(x, cj + j, v, 0, len);
                v[0] -= alpha;
                double vv = norm2 - x[cj + j] * x[cj + j] + v[0] * v[0];
                x[cj + j] = alpha;
                for (int l = j + 1; l < n; l++) {
                    int cl = l * m + j;
                    double t = 2 * dot(v, 0, x, cl, len) / vv;
                    for (int u = 0; u < len; u++) {
                        x[cl + u] -= t * v[u];
                    }
                }
            }
            for (int l = j; l < n; l++) {
                r.set(j, l, x[l * m + j]);
            }
        }
        return r;
    }
}
