package dev.dsire.spectra;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;

/** The tridiagonal-QL eigenvalues against EJML's symmetric QR on Grams, diagonals, ranks and ties. */
class SymmetricEigenvaluesTest {

    static double[] reference(DMatrixRMaj g) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(g.numRows, false, true);
        assertTrue(eig.decompose(g.copy()));
        double[] s = new double[g.numRows];
        for (int i = 0; i < s.length; i++) {
            s[i] = eig.getEigenvalue(i).real;
        }
        Arrays.sort(s);
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = s[s.length - 1 - i];
        }
        return out;
    }

    static void check(DMatrixRMaj g, String what) {
        int n = g.numRows;
        double[] got = new double[n];
        new SymmetricEigenvalues().compute(g.data.clone(), n, got);
        double[] want = reference(g);
        double norm = Math.max(Math.abs(want[0]), Math.abs(want[n - 1]));
        for (int i = 0; i < n; i++) {
            assertEquals(want[i], got[i], 1e-13 * Math.max(norm, Double.MIN_NORMAL) * n, what + " λ" + i);
        }
    }

    @Test
    void gramMatricesOfManySizes() {
        SplittableRandom rnd = new SplittableRandom(21);
        for (int n : new int[] {1, 2, 3, 4, 7, 16, 32, 33, 64, 128}) {
            DMatrixRMaj x = LayerCoreTest.gaussian(rnd, n, n + 5);
            DMatrixRMaj g = new DMatrixRMaj(n, n);
            CommonOps_DDRM.multTransB(x, x, g);
            check(g, "gram n=" + n);
            DMatrixRMaj sym = LayerCoreTest.gaussian(rnd, n, n); // indefinite too
            DMatrixRMaj t = CommonOps_DDRM.transpose(sym, null);
            CommonOps_DDRM.addEquals(sym, t);
            check(sym, "symmetric n=" + n);
        }
    }

    @Test
    void degenerateMatrices() {
        SplittableRandom rnd = new SplittableRandom(22);
        check(new DMatrixRMaj(8, 8), "zero");
        DMatrixRMaj diag = CommonOps_DDRM.diag(3, 1, 2, 2, 0, 5e-20, 7);
        check(diag, "diagonal with ties");
        check(CommonOps_DDRM.identity(6), "identity");
        DMatrixRMaj x = LayerCoreTest.gaussian(rnd, 20, 3); // rank 3 in 20×20
        DMatrixRMaj g = new DMatrixRMaj(20, 20);
        CommonOps_DDRM.multTransB(x, x, g);
        check(g, "rank 3");
        DMatrixRMaj wide = LayerCoreTest.conditioned(rnd, 16, 40, 6); // eigenvalues over 12 decades
        DMatrixRMaj gw = new DMatrixRMaj(16, 16);
        CommonOps_DDRM.multTransB(wide, wide, gw);
        check(gw, "12 decades");
        DMatrixRMaj huge = g.copy();
        CommonOps_DDRM.scale(1e200, huge);
        check(huge, "1e200");
        DMatrixRMaj tiny = g.copy();
        CommonOps_DDRM.scale(1e-200, tiny);
        check(tiny, "1e-200");
    }

    /**
     * One weight 1e100 times the others (a hostile adapter): after scaling, the rest of the Gram is
     * ~1e-200 and its squares underflow. QL must still converge, to within ε·‖G‖ of EJML.
     */
    @Test
    void oneHugeWeightAmongOrdinaryOnes() {
        for (double big : new double[] {1e100, 1e140, 1e150}) {
            check(oneHugeWeight(new SplittableRandom(23), 8, 40, big), "one weight ×" + big);
        }
    }

    /** XᵀX (r×r) of a k×r Gaussian X whose first entry is multiplied by big. */
    static DMatrixRMaj oneHugeWeight(SplittableRandom rnd, int r, int k, double big) {
        DMatrixRMaj x = LayerCoreTest.gaussian(rnd, r, k);
        x.data[0] *= big;
        DMatrixRMaj g = new DMatrixRMaj(r, r);
        CommonOps_DDRM.multTransB(x, x, g);
        return g;
    }

    /**
     * The reduction as two passes a step (the product, then the update): what the fused steps must equal bit for
     * bit. The reflector is the solver's own; what is checked is the fusion of each step's update with the next
     * step's product.
     */
    private static double[][] twoPass(double[] g, int n) {
        double[] a = g.clone(), d = new double[n], e = new double[n], p = new double[n], v = new double[n];
        for (int k = 0; k < n - 2; k++) {
            int m = n - k - 1;
            double norm2 = 0;
            for (int i = 0; i < m; i++) {
                double x = a[(k + 1 + i) * n + k];
                v[i] = x;
                norm2 += x * x;
            }
            d[k] = a[k * n + k];
            if (norm2 < SymmetricEigenvalues.TINY) {
                e[k] = 0;
                continue;
            }
            e[k] = SymmetricEigenvalues.reflector(v, norm2);
            double beta = SymmetricEigenvalues.beta(v, m);
            int o = k + 1;
            Arrays.fill(p, 0, m, 0);
            for (int j = 0; j < m; j++) {
                double vj = beta * v[j];
                for (int i = 0; i < m; i++) {
                    p[i] += vj * a[(o + j) * n + o + i];
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
                for (int j = 0; j < m; j++) {
                    a[(o + i) * n + o + j] -= v[i] * p[j] + p[i] * v[j];
                }
            }
        }
        if (n >= 2) {
            d[n - 2] = a[(n - 2) * n + n - 2];
            e[n - 2] = a[(n - 1) * n + n - 2];
        }
        d[n - 1] = a[(n - 1) * n + n - 1];
        return new double[][] {d, e};
    }

    private static double[] field(SymmetricEigenvalues s, String name) throws ReflectiveOperationException {
        java.lang.reflect.Field f = SymmetricEigenvalues.class.getDeclaredField(name);
        f.setAccessible(true);
        return (double[]) f.get(s);
    }

    @Test
    void fusedStepsGiveTheBitsOfTwoPasses() throws ReflectiveOperationException {
        SplittableRandom rnd = new SplittableRandom(23);
        for (int n : new int[] {1, 2, 3, 4, 5, 9, 33, 130, 200}) {
            DMatrixRMaj x = LayerCoreTest.gaussian(rnd, n, n + 3);
            DMatrixRMaj gram = new DMatrixRMaj(n, n);
            CommonOps_DDRM.multTransB(x, x, gram);
            DMatrixRMaj blocks = gram.copy(); // zero couplings: some steps' columns vanish (the fused step's skip)
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if ((i < n / 3) != (j < n / 3) || (i % 5 == 4) != (j % 5 == 4)) {
                        blocks.set(i, j, 0);
                    }
                }
            }
            DMatrixRMaj diagonal = CommonOps_DDRM.diag(x.data.length >= n ? Arrays.copyOf(x.data, n) : new double[n]);
            for (DMatrixRMaj g : new DMatrixRMaj[] {gram, blocks, diagonal}) {
                double[][] want = twoPass(g.data, n);
                SymmetricEigenvalues s = new SymmetricEigenvalues();
                s.compute(g.data.clone(), n, new double[n]); // sizes the scratch
                System.arraycopy(g.data, 0, field(s, "a"), 0, n * n);
                s.tridiagonalize(n);
                assertArrayEquals(want[0], Arrays.copyOf(field(s, "d"), n), "d, n=" + n);
                assertArrayEquals(want[1], Arrays.copyOf(field(s, "e"), n), "e, n=" + n);
            }
        }
    }
}
