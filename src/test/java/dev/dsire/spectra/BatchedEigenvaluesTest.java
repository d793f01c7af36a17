package dev.dsire.spectra;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/**
 * The lockstep solver against EJML's symmetric QR and the scalar solver, on batches mixing
 * matrices that converge at very different speeds; its vector twin and lane independence, bit
 * for bit, alone and in pairs of batches (compute2). The vector twin runs on vectors of LANES doubles
 * (AVX-512) or of half as many, two halves per batch (AVX2: run the tests with -XX:UseAVX=2 too);
 * where vectors hold fewer than 4 doubles both calls run the scalar lanes.
 */
class BatchedEigenvaluesTest {
    static final int W = BatchedEigenvalues.LANES;

    /**
     * Solves mats in batches of every size from 1 to LANES and checks each result against EJML,
     * against the scalar solver (to rounding) and against itself solved alone (bit for bit).
     */
    static void check(List<DMatrixRMaj> mats, String what) {
        int n = mats.getFirst().numRows;
        BatchedEigenvalues batched = new BatchedEigenvalues();
        double[][] alone = new double[mats.size()][n];
        for (int size = 1; size <= W; size++) {
            for (int from = 0; from < mats.size(); from += size) {
                int count = Math.min(size, mats.size() - from);
                double[][] in = new double[count][], out = new double[count][n];
                for (int k = 0; k < count; k++) {
                    in[k] = mats.get(from + k).data.clone();
                }
                batched.compute(in, count, n, out, false);
                double[][] twin = new double[count][n];
                batched.compute(in, count, n, twin, true);
                // in pairs (compute2: on AVX-512 the two batches' QL sweeps share a loop), with a
                // second batch of the same matrices reversed, one fewer: every matrix its own bits
                int count2 = Math.max(1, count - 1);
                double[][] in2 = new double[count2][];
                for (int j = 0; j < count2; j++) {
                    in2[j] = in[count - 1 - j];
                }
                for (boolean vector : new boolean[] {false, true}) {
                    double[][] p1 = new double[count][n], p2 = new double[count2][n];
                    batched.compute2(in, count, in2, count2, n, p1, p2, vector);
                    for (int k = 0; k < count; k++) {
                        assertArrayEquals(out[k], p1[k], what + " batch " + size + ": the first of a pair, vector " + vector);
                    }
                    for (int j = 0; j < count2; j++) {
                        assertArrayEquals(out[count - 1 - j], p2[j], what + " batch " + size + ": the second of a pair, vector " + vector);
                    }
                }
                for (int k = 0; k < count; k++) {
                    int at = from + k;
                    for (int i = 0; i < n; i++) {
                        assertEquals(out[k][i], twin[k][i], 0.0, what + " #" + at + " batch " + size + ": the vector twin's bits, λ" + i);
                    }
                    DMatrixRMaj g = mats.get(at);
                    assertArrayEquals(g.data, in[k], what + ": input left as it was");
                    if (size == 1) {
                        alone[at] = out[k];
                    }
                    for (int i = 0; i < n; i++) {
                        assertEquals(alone[at][i], out[k][i], 0.0, what + " #" + at + " batch " + size + ": the bits it has alone, λ" + i);
                    }
                    double[] scalar = new double[n];
                    new SymmetricEigenvalues().compute(g.data.clone(), n, scalar);
                    double[] want = SymmetricEigenvaluesTest.reference(g);
                    double norm = Math.max(Math.abs(want[0]), Math.abs(want[n - 1]));
                    double tol = 1e-13 * Math.max(norm, Double.MIN_NORMAL) * n;
                    for (int i = 0; i < n; i++) {
                        assertEquals(want[i], out[k][i], tol, what + " #" + at + " λ" + i);
                        assertEquals(scalar[i], out[k][i], tol, what + " #" + at + " against the scalar solver, λ" + i);
                    }
                }
            }
        }
    }

    static DMatrixRMaj gram(DMatrixRMaj x) {
        DMatrixRMaj g = new DMatrixRMaj(x.numRows, x.numRows);
        CommonOps_DDRM.multTransB(x, x, g);
        return g;
    }

    @Test
    void randomGramsAndIndefiniteMatricesOfManySizes() {
        SplittableRandom rnd = new SplittableRandom(31);
        for (int n : new int[] {1, 2, 3, 4, 5, 8, 17, 32, 33, 64, 100, 128}) {
            List<DMatrixRMaj> mats = new ArrayList<>();
            for (int i = 0; i < W + 3; i++) {
                if (i % 3 == 2) {
                    DMatrixRMaj sym = LayerCoreTest.gaussian(rnd, n, n);
                    CommonOps_DDRM.addEquals(sym, CommonOps_DDRM.transpose(sym, null));
                    mats.add(sym);
                } else {
                    mats.add(gram(LayerCoreTest.gaussian(rnd, n, n + i)));
                }
            }
            check(mats, "n=" + n);
        }
    }

    @Test
    void degenerateMatricesMixedWithOrdinaryOnes() {
        SplittableRandom rnd = new SplittableRandom(32);
        int n = 20;
        List<DMatrixRMaj> mats = new ArrayList<>();
        mats.add(new DMatrixRMaj(n, n)); // zero
        mats.add(CommonOps_DDRM.identity(n));
        double[] ties = new double[n];
        for (int i = 0; i < n; i++) {
            ties[i] = i % 4 == 0 ? 0 : i % 3; // repeated eigenvalues and zeros, already diagonal
        }
        mats.add(CommonOps_DDRM.diag(ties));
        mats.add(gram(LayerCoreTest.gaussian(rnd, n, 3))); // rank 3
        mats.add(gram(LayerCoreTest.gaussian(rnd, n, 1))); // rank 1
        mats.add(gram(LayerCoreTest.conditioned(rnd, n, 40, 6))); // 12 decades
        DMatrixRMaj huge = gram(LayerCoreTest.gaussian(rnd, n, n));
        CommonOps_DDRM.scale(1e200, huge);
        mats.add(huge);
        DMatrixRMaj tiny = gram(LayerCoreTest.gaussian(rnd, n, n));
        CommonOps_DDRM.scale(1e-200, tiny);
        mats.add(tiny);
        DMatrixRMaj block = new DMatrixRMaj(n, n); // two decoupled blocks: splits in the middle of the tridiagonal
        DMatrixRMaj top = gram(LayerCoreTest.gaussian(rnd, n / 2, n)), bottom = gram(LayerCoreTest.gaussian(rnd, n / 2, 4));
        CommonOps_DDRM.insert(top, block, 0, 0);
        CommonOps_DDRM.insert(bottom, block, n / 2, n / 2);
        mats.add(block);
        mats.add(gram(LayerCoreTest.gaussian(rnd, n, n + 7)));
        DMatrixRMaj tridiagonal = new DMatrixRMaj(n, n); // already tridiagonal, with a zero off-diagonal
        for (int i = 0; i < n; i++) {
            tridiagonal.set(i, i, 2 + i % 5);
            if (i + 1 < n && i != 7) {
                tridiagonal.set(i, i + 1, 1);
                tridiagonal.set(i + 1, i, 1);
            }
        }
        mats.add(tridiagonal);
        check(mats, "degenerate");
    }

    /** The vector twin runs wherever vectors hold 4 or 8 doubles (AVX2 as two halves, AVX-512 whole). */
    @Test
    void vectorTwinWhereVectorsHoldHalfTheLanesOrAll() {
        int w = jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length();
        assertEquals(w == W || w == W / 2, BatchedEigenvalues.VECTOR, "vectors of " + w + " doubles");
    }

    @Test
    void refusesBatchesOutsideTheLanes() {
        BatchedEigenvalues b = new BatchedEigenvalues();
        assertThrows(IllegalArgumentException.class, () -> b.compute(new double[0][], 0, 2, new double[0][]));
        double[][] many = new double[W + 1][4];
        assertThrows(IllegalArgumentException.class, () -> b.compute(many, W + 1, 2, new double[W + 1][2]));
    }

    /** As the scalar solver: one weight far above the others must not stop QL converging, in either twin. */
    @Test
    void oneHugeWeightAmongOrdinaryOnes() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(24);
        List<DMatrixRMaj> mats = new java.util.ArrayList<>();
        for (double big : new double[] {1, 1e100, 1e120, 1e140, 1e150, 1e100, 3, 1e130, 1e110}) {
            mats.add(SymmetricEigenvaluesTest.oneHugeWeight(rnd, 8, 40, big));
        }
        check(mats, "one huge weight");
    }

    /**
     * A Gram matrix with normal and subnormal entries beside an O(1) one (from a fuzzed LyCORIS
     * file): the relative deflation test alone never held on its subnormal block, so QL gave up.
     */
    @Test
    void subnormalEntriesBesideOrdinaryOnes() {
        double[] g = {1.529714822769165, 4.612299089875518E-156, 4.612299089854544E-156, 4.5475512388823926E-156,
            4.612299089875518E-156, 6.4151327448329646E-111, 2.7809179239694E-311, 1.37114880029E-311,
            4.612299089854544E-156, 2.7809179239694E-311, 2.7804936543213E-311, 1.371148800284E-311,
            4.5475512388823926E-156, 1.37114880029E-311, 1.371148800284E-311, 1.3519004955985E-311};
        List<DMatrixRMaj> mats = new ArrayList<>();
        for (double f : new double[] {1, 0x1p-900, 0x1p600, 1, 0x1p-1000}) {
            DMatrixRMaj m = new DMatrixRMaj(4, 4);
            for (int i = 0; i < 16; i++) {
                m.data[i] = g[i] * f;
            }
            mats.add(m);
        }
        check(mats, "subnormal entries");
    }
}
