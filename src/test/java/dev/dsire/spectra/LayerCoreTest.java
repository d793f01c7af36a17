package dev.dsire.spectra;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;

/** Exact math: every path of LayerCore against an explicit SVD of the formed matrices. */
class LayerCoreTest {
    static final double TOL = SpectrumBackend.TOLERANCE;

    /** Descending singular values of an explicit matrix, padded to r. */
    static double[] explicit(DMatrixRMaj m, int r) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m.numRows, m.numCols, false, false, true);
        assertTrue(svd.decompose(m.copy()));
        double[] s = Arrays.copyOf(svd.getSingularValues(), Math.max(r, svd.numberOfSingularValues()));
        Arrays.sort(s);
        double[] out = new double[r];
        for (int i = 0; i < r; i++) {
            out[i] = s[s.length - 1 - i];
        }
        return out;
    }

    static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double tol = TOL * Math.max(expected[0], Double.MIN_NORMAL);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, what + " σ" + i + " " + Arrays.toString(actual));
        }
    }

    /** A r×k with singular values spread over `decades` decades. */
    static DMatrixRMaj conditioned(SplittableRandom rnd, int rows, int cols, double decades) {
        DMatrixRMaj m = gaussian(rnd, rows, cols);
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(rows, cols, true, true, true); // compact: U is rows×p, not rows×rows
        svd.decompose(m.copy());
        DMatrixRMaj u = svd.getU(null, false), v = svd.getV(null, true), w = svd.getW(null);
        int p = Math.min(rows, cols);
        for (int i = 0; i < p; i++) {
            w.set(i, i, Math.pow(10, -decades * i / Math.max(1, p - 1)));
        }
        DMatrixRMaj uw = new DMatrixRMaj(rows, p);
        CommonOps_DDRM.mult(u, w, uw);
        DMatrixRMaj out = new DMatrixRMaj(rows, cols);
        CommonOps_DDRM.mult(uw, v, out);
        return out;
    }

    static DMatrixRMaj gaussian(SplittableRandom rnd, int rows, int cols) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < m.data.length; i++) {
            m.data[i] = Math.sqrt(-2 * Math.log1p(-rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
        }
        return m;
    }

    /** Runs LayerCore on A (r×k) and B (d×r) and compares with explicit SVDs of A, B and s·B·A. */
    static boolean check(DMatrixRMaj a, DMatrixRMaj b, double scale) {
        int r = a.numRows, k = a.numCols, d = b.numRows;
        DMatrixRMaj bt = CommonOps_DDRM.transpose(b, null);
        LayerCore core = new LayerCore();
        LayerSpectrum s = core.spectrum("x", a.data.clone(), bt.data.clone(), r, k, d, scale);
        DMatrixRMaj ba = new DMatrixRMaj(d, k);
        CommonOps_DDRM.mult(scale, b, a, ba);
        assertClose(explicit(a, r), s.a(), "A");
        assertClose(explicit(b, r), s.b(), "B");
        assertClose(explicit(ba, r), s.ba(), "BA");
        assertEquals(CommonOps_DDRM.elementSumAbs(ba) > 0 ? Math.sqrt(CommonOps_DDRM.elementSum(elementSquare(ba))) : 0, s.normBA(), 1e-9 * (1 + s.normBA()));
        return core.lastUsedQr;
    }

    private static DMatrixRMaj elementSquare(DMatrixRMaj m) {
        DMatrixRMaj out = m.copy();
        CommonOps_DDRM.elementMult(out, m);
        return out;
    }

    @Test
    void randomLayersOfManyShapesTakeTheFastPathAndAreExact() {
        SplittableRandom rnd = new SplittableRandom(1);
        // rank 136 and 160: above BATCH_LIMIT, one eigenproblem and one Cholesky core at a time
        int[][] shapes = {{4, 40, 30}, {8, 64, 64}, {16, 77, 200}, {32, 320, 768}, {7, 33, 21}, {1, 5, 9}, {3, 3, 3},
                {136, 300, 200}, {160, 170, 640}};
        for (int[] sh : shapes) {
            boolean qr = check(gaussian(rnd, sh[0], sh[2]), gaussian(rnd, sh[1], sh[0]), 0.5);
            assertFalse(qr, "well-conditioned factors use the Gram/Cholesky core");
        }
    }

    @Test
    void illConditionedAndRankDeficientLayersTakeTheQrPathAndAreExact() {
        SplittableRandom rnd = new SplittableRandom(2);
        assertTrue(check(conditioned(rnd, 8, 100, 6), gaussian(rnd, 50, 8), 1.0));
        assertTrue(check(gaussian(rnd, 8, 100), conditioned(rnd, 50, 8, 12), 2.0));
        // rank 3 B in a rank-8 layer
        DMatrixRMaj b = new DMatrixRMaj(60, 8);
        CommonOps_DDRM.mult(gaussian(rnd, 60, 3), gaussian(rnd, 3, 8), b);
        assertTrue(check(gaussian(rnd, 8, 90), b, 1.0));
        // more rank than rows or columns
        assertTrue(check(gaussian(rnd, 16, 10), gaussian(rnd, 12, 16), 1.0));
    }

    @Test
    void conditioningJustAtTheLimitStaysExact() {
        SplittableRandom rnd = new SplittableRandom(3);
        double decades = -Math.log10(LayerCore.CONDITION_LIMIT) * 0.999;
        for (int i = 0; i < 5; i++) {
            assertFalse(check(conditioned(rnd, 32, 1280, decades), conditioned(rnd, 1280, 32, decades), 0.25));
        }
    }

    @Test
    void untrainedLayersHaveZeroBAndZeroUpdate() {
        SplittableRandom rnd = new SplittableRandom(4);
        DMatrixRMaj a = gaussian(rnd, 8, 40);
        LayerSpectrum s = new LayerCore().spectrum("x", a.data.clone(), new double[8 * 30], 8, 40, 30, 1.0);
        assertArrayEquals(new double[8], s.b());
        assertArrayEquals(new double[8], s.ba());
        assertEquals(0, s.normBA());
        assertClose(explicit(a, 8), s.a(), "A");
    }

    @Test
    void gramKernelMatchesNaiveProducts() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int n : new int[] {1, 2, 3, 5, 8}) {
            for (int len : new int[] {1, 3, 4, 7, 17}) {
                DMatrixRMaj x = gaussian(rnd, n, len);
                double[] g = new double[n * n];
                LayerCore.gram(x.data, n, len, g);
                DMatrixRMaj expect = new DMatrixRMaj(n, n);
                CommonOps_DDRM.multTransB(x, x, expect);
                for (int i = 0; i < g.length; i++) {
                    assertEquals(expect.data[i], g[i], 1e-12, "n=" + n + " len=" + len);
                }
            }
        }
    }

    @Test
    void rowMajorGramKernelMatchesNaiveProducts() {
        SplittableRandom rnd = new SplittableRandom(6);
        int w = jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length();
        for (int n : new int[] {w, 2 * w, 3 * w, 4 * w, 8 * w}) {
            if (n % 4 != 0) {
                continue;
            }
            for (int len : new int[] {1, 3, 17, 100}) {
                DMatrixRMaj x = gaussian(rnd, len, n);
                double[] g = new double[n * n];
                LayerCore.gramRowsAdd(x.data, len, n, g);
                DMatrixRMaj expect = new DMatrixRMaj(n, n);
                CommonOps_DDRM.multTransA(x, x, expect);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j <= i; j++) {
                        assertEquals(expect.get(i, j), g[i * n + j], 1e-12, "n=" + n + " len=" + len);
                    }
                }
            }
        }
    }

    /**
     * The Gram kernels' bits, whatever their tiles: A's entry (i, j) is one FMA chain per vector lane
     * over columns u ≡ lane (mod w) below the vector loop's bound, the lanes summed in order, then the
     * remaining columns' products added; B's entry is one FMA chain over the rows. Large ranks reach
     * every tile shape (and, at len 2100 with rank 32, gramAdd's chunks).
     */
    @Test
    void gramKernelsGiveTheBitsOfTheirFmaChains() {
        SplittableRandom rnd = new SplittableRandom(11);
        int w = jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length();
        for (int n : new int[] {4, 7, 8, 12, 16, 20, 24, 28, 30, 32, 36, 44, 64}) {
            for (int len : new int[] {1, 5, 17, 323, n == 32 ? 2100 : 64}) {
                double[] x = new double[n * len];
                for (int i = 0; i < x.length; i++) {
                    x[i] = Math.scalb(rnd.nextDouble() - 0.5, rnd.nextInt(40) - 20);
                }
                double[] g = new double[n * n];
                LayerCore.gram(x, n, len, g);
                int bound = len / w * w;
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j <= i; j++) {
                        double[] lanes = new double[w];
                        for (int u = 0; u < bound; u += w) {
                            for (int l = 0; l < w; l++) {
                                lanes[l] = Math.fma(x[i * len + u + l], x[j * len + u + l], lanes[l]);
                            }
                        }
                        double v = lanes[0];
                        for (int l = 1; l < w; l++) {
                            v += lanes[l];
                        }
                        for (int u = bound; u < len; u++) {
                            v += x[i * len + u] * x[j * len + u];
                        }
                        assertEquals(v, g[i * n + j], 0, "gramAdd n=" + n + " len=" + len + " (" + i + ", " + j + ")");
                        assertEquals(v, g[j * n + i], 0, "mirror n=" + n + " len=" + len);
                    }
                }
                if (n % w != 0 || n % 4 != 0) {
                    continue;
                }
                double[] rows = new double[n * n];
                LayerCore.gramRowsAdd(x, len, n, rows); // x read as len rows of length n
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j <= i; j++) {
                        double v = 0;
                        for (int r = 0; r < len; r++) {
                            v = Math.fma(x[r * n + i], x[r * n + j], v);
                        }
                        assertEquals(v, rows[i * n + j], 0, "gramRowsAdd n=" + n + " len=" + len + " (" + i + ", " + j + ")");
                    }
                }
            }
        }
    }

    @Test
    void aGroupOfMixedLayersGivesEachLayerItsOwnSpectra() {
        SplittableRandom rnd = new SplittableRandom(7);
        List<DMatrixRMaj[]> layers = new ArrayList<>();
        int[][] shapes = {{8, 40, 30}, {8, 64, 64}, {4, 40, 30}, {8, 50, 70}, {16, 77, 200}, {8, 33, 21}, {3, 3, 3},
            {8, 90, 60}, {8, 45, 45}, {8, 20, 80}, {130, 140, 150}, {16, 10, 12}};
        for (int[] sh : shapes) {
            layers.add(new DMatrixRMaj[] {gaussian(rnd, sh[0], sh[2]), gaussian(rnd, sh[1], sh[0])});
        }
        layers.add(new DMatrixRMaj[] {conditioned(rnd, 8, 100, 6), gaussian(rnd, 50, 8)}); // QR path inside a group
        layers.add(new DMatrixRMaj[] {gaussian(rnd, 8, 40), new DMatrixRMaj(30, 8)}); // untrained: B = 0
        int n = layers.size();
        LayerCore.Job[] jobs = new LayerCore.Job[n];
        for (int i = 0; i < n; i++) {
            DMatrixRMaj a = layers.get(i)[0], bt = CommonOps_DDRM.transpose(layers.get(i)[1], null);
            jobs[i] = new LayerCore.Job("l" + i, Panel.transposeOf(a.data, a.numRows, a.numCols), Panel.transposeOf(bt.data, bt.numRows, bt.numCols), 0.75);
        }
        LayerSpectrum[] out = new LayerSpectrum[n];
        LayerCore core = new LayerCore();
        core.spectra(jobs, n, out);
        assertTrue(core.lastUsedQr);
        for (int i = 0; i < n; i++) {
            DMatrixRMaj a = layers.get(i)[0], b = layers.get(i)[1];
            LayerSpectrum alone = new LayerCore().spectrum("l" + i, a.data.clone(), CommonOps_DDRM.transpose(b, null).data, a.numRows, a.numCols, b.numRows, 0.75);
            assertEquals("l" + i, out[i].layer());
            assertArrayEquals(alone.a(), out[i].a(), "A of layer " + i + " as computed alone");
            assertArrayEquals(alone.b(), out[i].b(), "B of layer " + i);
            assertArrayEquals(alone.ba(), out[i].ba(), "BA of layer " + i);
            DMatrixRMaj ba = new DMatrixRMaj(b.numRows, a.numCols);
            CommonOps_DDRM.mult(0.75, b, a, ba);
            assertClose(explicit(a, a.numRows), out[i].a(), "A " + i);
            assertClose(explicit(b, a.numRows), out[i].b(), "B " + i);
            assertClose(explicit(ba, a.numRows), out[i].ba(), "BA " + i);
        }
    }

    @Test
    void aNonFiniteFactorNamesItsLayer() {
        SplittableRandom rnd = new SplittableRandom(8);
        LayerCore.Job[] jobs = new LayerCore.Job[3];
        for (int i = 0; i < 3; i++) {
            DMatrixRMaj a = gaussian(rnd, 8, 40), bt = gaussian(rnd, 8, 30);
            if (i == 1) {
                bt.data[17] = Double.NaN;
            }
            jobs[i] = new LayerCore.Job("l" + i, Panel.transposeOf(a.data, 8, 40), Panel.transposeOf(bt.data, 8, 30), 1.0);
        }
        LayerCore.NonFiniteException e = assertThrows(LayerCore.NonFiniteException.class, () -> new LayerCore().spectra(jobs, 3, new LayerSpectrum[3]));
        assertEquals("l1", e.layer);
    }

    @Test
    void gramSumsDoNotDependOnJitWarmth() {
        // values whose sum depends on the order of the additions; the first call runs interpreted
        SplittableRandom rnd = new SplittableRandom(9);
        int n = 5, len = 37;
        double[] x = new double[n * len];
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.scalb(rnd.nextDouble() - 0.5, rnd.nextInt(60) - 30);
        }
        double[] first = new double[n * n];
        LayerCore.gram(x, n, len, first);
        for (int rep = 0; rep < 20_000; rep++) { // interpreted, then compiled: the same bits
            double[] g = new double[n * n];
            LayerCore.gram(x, n, len, g);
            assertArrayEquals(first, g, "repeat " + rep);
        }
    }
}
