package dev.dsire.spectra;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.junit.jupiter.api.Test;

/** The lockstep Cholesky core against EJML's Cholesky and explicit products, in batches of every size. */
class BatchedCoreTest {
    static final int W = BatchedCore.LANES;

    private static DMatrixRMaj lower(DMatrixRMaj g) {
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(g.numRows, true);
        assertTrue(chol.decompose(g.copy()));
        return chol.getT(null);
    }

    /** C = M·Mᵀ, M = L_Bᵀ·L_A, formed explicitly. */
    private static DMatrixRMaj expected(DMatrixRMaj ga, DMatrixRMaj gb) {
        DMatrixRMaj la = lower(ga), lb = lower(gb);
        DMatrixRMaj m = new DMatrixRMaj(ga.numRows, ga.numRows);
        CommonOps_DDRM.multTransA(lb, la, m);
        DMatrixRMaj c = new DMatrixRMaj(ga.numRows, ga.numRows);
        CommonOps_DDRM.multTransB(m, m, c);
        return c;
    }

    private static DMatrixRMaj gram(SplittableRandom rnd, int r, int m, double decades) {
        DMatrixRMaj x = LayerCoreTest.conditioned(rnd, r, m, decades);
        DMatrixRMaj g = new DMatrixRMaj(r, r);
        CommonOps_DDRM.multTransB(x, x, g);
        return g;
    }

    @Test
    void coresMatchExplicitProductsInBatchesOfEverySize() {
        SplittableRandom rnd = new SplittableRandom(51);
        BatchedCore core = new BatchedCore();
        for (int r : new int[] {1, 2, 3, 5, 8, 13, 32, 40}) {
            for (int count = 1; count <= W; count++) {
                double[][] ga = new double[count][], gb = new double[count][], out = new double[count][r * r];
                DMatrixRMaj[] want = new DMatrixRMaj[count];
                for (int k = 0; k < count; k++) {
                    DMatrixRMaj a = gram(rnd, r, r + 20 + k, k % 3), b = gram(rnd, r, 3 * r + k, 1.9);
                    CommonOps_DDRM.scale(Math.pow(10, k - 3), a); // lanes of very different magnitudes
                    ga[k] = a.data.clone();
                    gb[k] = b.data.clone();
                    want[k] = expected(a, b);
                }
                core.compute(ga, gb, count, r, out, false);
                double[][] twin = new double[count][r * r];
                core.compute(ga, gb, count, r, twin, true);
                for (int k = 0; k < count; k++) {
                    assertArrayEquals(out[k], twin[k], "r=" + r + " batch " + count + " lane " + k + ": the vector twin's bits");
                    double norm = CommonOps_DDRM.elementMaxAbs(want[k]);
                    for (int i = 0; i < r * r; i++) {
                        assertEquals(want[k].data[i], out[k][i], 1e-12 * norm, "r=" + r + " batch " + count + " lane " + k + " entry " + i);
                    }
                    assertTrue(out[k][r * r - 1] == out[k][r * r - 1], "no NaN");
                }
            }
        }
    }

    @Test
    void singularGramsGiveFiniteCoresAndTheirEigenvaluesStayExact() {
        // a rank-deficient G_A (a zero pivot): the guard zeroes the column instead of dividing by zero
        SplittableRandom rnd = new SplittableRandom(52);
        int r = 6;
        DMatrixRMaj x = LayerCoreTest.gaussian(rnd, r, 3);
        DMatrixRMaj ga = new DMatrixRMaj(r, r);
        CommonOps_DDRM.multTransB(x, x, ga);
        DMatrixRMaj gb = gram(rnd, r, 20, 0);
        double[][] out = {new double[r * r], new double[r * r]};
        new BatchedCore().compute(new double[][] {ga.data, new double[r * r]}, new double[][] {gb.data, gb.data}, 2, r, out);
        for (double[] o : out) {
            for (double v : o) {
                assertTrue(Double.isFinite(v));
            }
        }
        for (double v : out[1]) {
            assertEquals(0.0, v, "a zero G_A gives a zero core");
        }
    }

    @Test
    void refusesBatchesOutsideTheLanes() {
        BatchedCore c = new BatchedCore();
        assertThrows(IllegalArgumentException.class, () -> c.compute(new double[0][], new double[0][], 0, 2, new double[0][]));
    }
}
