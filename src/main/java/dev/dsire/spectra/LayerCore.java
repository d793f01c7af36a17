package dev.dsire.spectra;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Exact spectra of one layer from its factors, without forming the d×k product.
 *
 * <p>Both factors come as tall panels X (m×r): X_A = Aᵀ, X_B = B, read a block of rows at a time
 * from the mapped tensor, so one kernel serves both and no factor is ever decoded whole. When
 * r ≤ min(d, k), G = XᵀX (r×r) is accumulated block by block; its eigenvalues are σ². With Cholesky
 * factors G_A = L_A·L_Aᵀ and G_B = L_B·L_Bᵀ, A = L_A·U and B = V·L_Bᵀ with orthonormal U, V, so
 * σ(B·A) = σ(L_Bᵀ·L_A): an r×r core.
 *
 * <p>Squaring loses accuracy for singular values far below σ_max, so when either factor's
 * σ_min/σ_max is below {@link #CONDITION_LIMIT}, and always when r exceeds d or k (the Gram would be
 * r×r and singular: a "rank bomb" of r = 4096 on tiny dimensions would cost an r³ eigenproblem), the
 * layer takes the backward-stable path: R factors of X_A and X_B by a blocked (tall-skinny)
 * Householder QR, min(m, r)×r each, and σ(B·A) = σ(R_B·R_Aᵀ), a min(d, r)×min(k, r) core. Work
 * is then O(r·(d + k)·min(r, d, k)) and heap O(r·min(r, d, k)).
 *
 * <p>Heap per call: r ≤ min(d, k): 5·r² doubles of matrices plus two blocks of r·L doubles, where L
 * is {@link #blockRows(int)}; the QR path: (min(d, r) + min(k, r) + 2·L')·r doubles, L' = max(L, r).
 *
 * <p>Instances hold scratch space and are not thread-safe: one per worker thread.
 */
final class LayerCore {
    static final double CONDITION_LIMIT = SpectrumBackend.GRAM_CONDITION_LIMIT;
    private static final VectorSpecies<Double> LANES = DoubleVector.SPECIES_PREFERRED;
    /**
     * Doubles per Gram block: 2^16 (512 KB, half of L2): an SD 1.5 down factor (r = 32, k ≤ 1280)
     * is one block, read from the file as one sequential stream; 2^14 read it as 32 strided runs
     * per block and took 8 % more per model, 2^17 more again.
     */
    private static final int BLOCK = 1 << 16;

    private final SymmetricEigenvalues eig = new SymmetricEigenvalues();
    private double[] laneBuf = new double[0]; // gramAdd's tile lanes
    private double[] block = new double[0], scratch = new double[0], rows = new double[0];

    /** Which path the last call took; for tests. */
    boolean lastUsedQr;

    /** The panel rows read per block for rank n: a multiple of 8 (whole vectors), at least 8. */
    static int blockRows(int n) {
        return Math.max(8, (BLOCK / Math.max(1, n)) & ~7);
    }

    /** For callers holding doubles: A row-major (r rows of length k), Bᵀ row-major (r rows of length d). */
    LayerSpectrum spectrum(String layer, double[] a, double[] bt, int r, int k, int d, double scale) {
        return spectrum(layer, Panel.transposeOf(a, r, k), Panel.transposeOf(bt, r, d), scale);
    }

    /** One layer: X_A = Aᵀ (k×r), X_B = B (d×r), and the scale of B·A. */
    record Job(String layer, Panel xa, Panel xb, double scale) {}

    /**
     * Layers per group worth handing to {@link #spectra}: two Grams each fill the eigen solver's
     * lanes twice (a pair of batches, whose QL sweeps share a loop: see solve), the cores once.
     * Groups of 16 layers, whose cores pair too, measured no faster per model (within the noise)
     * and give two threads half as many tasks to share.
     */
    static final int GROUP = BatchedEigenvalues.LANES;
    /** Above this rank the eigenproblems run one at a time (the lockstep solver's scratch grows as LANES·r², twice that for a pair of batches). */
    static final int BATCH_LIMIT = 128;

    /**
     * Spectra of A, B and scale·B·A, given X_A = Aᵀ (k×r) and X_B = B (d×r). Throws
     * {@link NonFiniteException} if either holds NaN or infinity.
     */
    LayerSpectrum spectrum(String layer, Panel xa, Panel xb, double scale) {
        LayerSpectrum[] out = new LayerSpectrum[1];
        spectra(new Job[] {new Job(layer, xa, xb, scale)}, 1, out);
        return out[0];
    }

    /**
     * Spectra of jobs[0..count) into out[0..count): each exactly what {@link #spectrum} gives for
     * that layer alone. The layers' r×r eigenproblems are solved together, a SIMD lane per matrix.
     * Throws {@link NonFiniteException} (naming the layer) at the first factor holding NaN or infinity.
     */
    void spectra(Job[] jobs, int count, LayerSpectrum[] out) {
        lastUsedQr = false;
        int small = 0;
        for (int j = 0; j < count; j++) { // large ranks alone, in slot 0: scratch stays O(r²), not O(GROUP·r²)
            if (jobs[j].xa().cols() > BATCH_LIMIT) {
                group[0] = jobs[j];
                process(1);
                out[j] = results[0];
                results[0] = null;
            }
        }
        int[] at = new int[count];
        for (int j = 0; j < count; j++) {
            if (jobs[j].xa().cols() <= BATCH_LIMIT) {
                slots(small + 1);
                at[small] = j;
                group[small++] = jobs[j];
            }
        }
        if (small > 0) {
            process(small);
            for (int i = 0; i < small; i++) {
                out[at[i]] = results[i];
            }
        }
        Arrays.fill(group, null); // no references to the caller's tensors outlive the call
        Arrays.fill(results, null);
    }

    // per-slot state of process(): the group's jobs, Gram/core matrices, spectra, and which path each takes
    private Job[] group = new Job[1];
    private LayerSpectrum[] results = new LayerSpectrum[1];
    private double[][] gA = new double[1][], gB = new double[1][], cores = new double[1][];
    private double[][] sA = new double[1][], sB = new double[1][], sBA = new double[1][];
    private int[] path = new int[1];
    private boolean[] queued = new boolean[1];
    private double[] la = new double[0], lb = new double[0], mm = new double[0], col = new double[0];
    private final double[][] batchIn = new double[BatchedEigenvalues.LANES][], batchOut = new double[BatchedEigenvalues.LANES][];
    private final BatchedEigenvalues batched = new BatchedEigenvalues();
    private final BatchedCore batchedCore = new BatchedCore();
    private final double[][] batchIn2 = new double[BatchedEigenvalues.LANES][];
    private static final int GRAM = 1, CORE = 2, QR = 3, ZERO = 4;

    private void slots(int n) {
        if (group.length < n) {
            int c = Math.max(n, 2 * group.length);
            group = Arrays.copyOf(group, c);
            results = Arrays.copyOf(results, c);
            gA = Arrays.copyOf(gA, c);
            gB = Arrays.copyOf(gB, c);
            cores = Arrays.copyOf(cores, c);
            sA = Arrays.copyOf(sA, c);
            sB = Arrays.copyOf(sB, c);
            sBA = Arrays.copyOf(sBA, c);
            path = Arrays.copyOf(path, c);
            queued = Arrays.copyOf(queued, c);
        }
    }

    private static double[] sized(double[][] pool, int j, int n) {
        double[] x = pool[j];
        return x != null && x.length >= n ? x : (pool[j] = new double[n]);
    }

    /** The jobs in group[0..count) into results[0..count). */
    private void process(int count) {
        pendingCount = 0; // nothing left waiting by a call that threw
        for (int j = 0; j < count; j++) {
            Job job = group[j];
            int r = job.xa().cols();
            path[j] = r <= job.xa().rows() && r <= job.xb().rows() ? GRAM : QR;
            if (path[j] == GRAM) {
                try {
                    gram(job.xa(), sized(gA, j, r * r));
                    gram(job.xb(), sized(gB, j, r * r));
                } catch (NonFiniteException e) {
                    throw new NonFiniteException(job.layer());
                }
                sA[j] = new double[r];
                sB[j] = new double[r];
            }
        }
        eigenvalues(count, GRAM, gA, sA);
        eigenvalues(count, GRAM, gB, sB); // paired with gA's batches of its size: see solve
        flush();
        for (int j = 0; j < count; j++) {
            if (path[j] != GRAM) {
                continue;
            }
            int r = group[j].xa().cols();
            double[] sa = sqrtClipped(sA[j], r), sb = sqrtClipped(sB[j], r);
            if (sa[0] == 0 || sb[0] == 0) {
                sBA[j] = new double[r]; // B·A = 0 exactly: an untrained layer
                path[j] = ZERO;
            } else if (sa[r - 1] >= CONDITION_LIMIT * sa[0] && sb[r - 1] >= CONDITION_LIMIT * sb[0]) {
                sized(cores, j, r * r);
                sBA[j] = new double[r];
                path[j] = CORE;
            } else {
                path[j] = QR;
            }
        }
        coreMatrices(count);
        eigenvalues(count, CORE, cores, sBA);
        flush();
        for (int j = 0; j < count; j++) {
            Job job = group[j];
            int r = job.xa().cols();
            double[] sa = sA[j], sb = sB[j], sba = sBA[j];
            if (path[j] == CORE) {
                sqrtClipped(sba, r);
                double scale = Math.abs(job.scale());
                for (int i = 0; i < r; i++) {
                    sba[i] *= scale;
                }
            } else if (path[j] == QR) {
                lastUsedQr = true;
                try {
                    DMatrixRMaj ra = tallR(job.xa());
                    DMatrixRMaj rb = tallR(job.xb());
                    sa = singularValues(ra, r);
                    sb = singularValues(rb, r);
                    DMatrixRMaj core = new DMatrixRMaj(rb.numRows, ra.numRows);
                    CommonOps_DDRM.multTransB(Math.abs(job.scale()), rb, ra, core);
                    sba = singularValues(core, r);
                } catch (NonFiniteException e) {
                    throw new NonFiniteException(job.layer());
                }
            }
            for (int i = 0; i < r; i++) { // undo the panels' power-of-two scaling: exact
                sa[i] = Math.scalb(sa[i], job.xa().exponent());
                sb[i] = Math.scalb(sb[i], job.xb().exponent());
                sba[i] = Math.scalb(sba[i], job.xa().exponent() + job.xb().exponent());
            }
            results[j] = LayerSpectrum.of(job.layer(), sa, sb, sba);
            sA[j] = sB[j] = sBA[j] = null;
        }
    }

    /** Eigenvalues of mats[j] into vals[j] for the slots on path `which`: a lane each, batches of one size. */
    private void eigenvalues(int count, int which, double[][] mats, double[][] vals) {
        for (int j = 0; j < count; j++) {
            if (path[j] != which || queued[j]) {
                continue;
            }
            int n = group[j].xa().cols();
            if (n > BATCH_LIMIT) {
                eig.compute(mats[j], n, vals[j]);
                continue;
            }
            // this slot and every later one of the same size on the same path, LANES at a time
            int b = 0;
            for (int i = j; i < count; i++) {
                if (path[i] == which && !queued[i] && group[i].xa().cols() == n) {
                    queued[i] = true;
                    batchIn[b] = mats[i];
                    batchOut[b++] = vals[i];
                    if (b == batchIn.length) {
                        solve(b, n);
                        b = 0;
                    }
                }
            }
            if (b > 0) {
                solve(b, n);
            }
        }
        Arrays.fill(queued, 0, count, false);
    }

    /** The Cholesky cores of the slots on the CORE path: a lane each, batches of one size. */
    private void coreMatrices(int count) {
        for (int j = 0; j < count; j++) {
            if (path[j] != CORE || queued[j]) {
                continue;
            }
            int n = group[j].xa().cols();
            if (n > BATCH_LIMIT) {
                choleskyCore(n, gA[j], gB[j], cores[j]);
                continue;
            }
            int b = 0;
            for (int i = j; i < count; i++) {
                if (path[i] == CORE && !queued[i] && group[i].xa().cols() == n) {
                    queued[i] = true;
                    batchIn[b] = gA[i];
                    batchIn2[b] = gB[i];
                    batchOut[b++] = cores[i];
                    if (b == batchIn.length) {
                        batchedCore.compute(batchIn, batchIn2, b, n, batchOut);
                        b = 0;
                    }
                }
            }
            if (b > 0) {
                batchedCore.compute(batchIn, batchIn2, b, n, batchOut);
            }
        }
        Arrays.fill(queued, 0, count, false);
    }

    // a batch waiting for a second of its size (batchIn/batchOut's contents, pendingCount matrices of order pendingN)
    private final double[][] pendingIn = new double[BatchedEigenvalues.LANES][], pendingOut = new double[BatchedEigenvalues.LANES][];
    private int pendingCount, pendingN;

    /**
     * Always the lockstep solver, even for one matrix: a layer's bits must not depend on its group.
     * Batches go in pairs of one size (a group's Grams of A with its Grams of B), whose QL sweeps
     * share a loop (BatchedEigenvalues.compute2); each matrix's bits are what it gets alone. The
     * first of a pair waits here until its second comes or {@link #flush} runs it alone.
     */
    private void solve(int b, int n) {
        if (pendingCount > 0 && pendingN == n) {
            batched.compute2(pendingIn, pendingCount, batchIn, b, n, pendingOut, batchOut);
            clearPending();
            return;
        }
        flush();
        System.arraycopy(batchIn, 0, pendingIn, 0, b);
        System.arraycopy(batchOut, 0, pendingOut, 0, b);
        pendingCount = b;
        pendingN = n;
    }

    /** Solves the batch waiting for a second, if any. */
    private void flush() {
        if (pendingCount > 0) {
            batched.compute(pendingIn, pendingCount, pendingN, pendingOut);
            clearPending();
        }
    }

    /** Nothing waits any more (the references dropped: the arrays belong to the group's layers). */
    private void clearPending() {
        pendingCount = 0;
        Arrays.fill(pendingIn, null);
        Arrays.fill(pendingOut, null);
    }

    /** A factor held NaN or infinity; layer names it where known. */
    static final class NonFiniteException extends RuntimeException {
        final String layer;

        NonFiniteException() {
            this(null);
        }

        NonFiniteException(String layer) {
            super(layer, null, false, false);
            this.layer = layer;
        }
    }

    private double[] block(int n) {
        return block.length >= n ? block : (block = new double[n]);
    }

    private double[] scratch(int n) {
        return scratch.length >= n ? scratch : (scratch = new double[n]);
    }

    private double[] lanes(int n) {
        int size = tileLanes(n);
        return laneBuf.length >= size ? laneBuf : (laneBuf = new double[size]);
    }

    /** g = XᵀX (n×n row-major), accumulated over blocks of rows of X. */
    private void gram(Panel x, double[] g) {
        int n = x.cols();
        long m = x.rows();
        int len = (int) Math.min(m, blockRows(n));
        double[] buf = block(n * len), tmp = scratch(n * len);
        Arrays.fill(g, 0, n * n, 0);
        boolean rowMajor = n % LANES.length() == 0 && n % 4 == 0;
        boolean vector = KernelWarmup.gramVector(); // same bits either way (ScalarGram)
        for (long from = 0; from < m; from += len) {
            int l = (int) Math.min(len, m - from);
            Boolean finite = rowMajor ? x.fillRows(from, l, buf) : null;
            if (finite != null) { // B as stored: rank-one updates, no transposition
                if (vector) {
                    gramRowsAdd(buf, l, n, g);
                } else {
                    ScalarGram.rowsAdd(buf, l, n, g);
                }
            } else {
                finite = x.fill(from, l, buf, tmp);
                if (vector) {
                    gramAdd(buf, n, l, g, lanes(n));
                } else {
                    ScalarGram.add(buf, n, l, g, LANES.length());
                }
            }
            if (!finite) {
                throw new NonFiniteException();
            }
        }
        mirror(g, n);
    }

    /**
     * R (min(m, n)×n, upper trapezoidal) of the QR of X, with σ(R) = σ(X): Householder QR of the
     * stack [R so far; next block of rows], so only R and one block are ever held.
     */
    private DMatrixRMaj tallR(Panel x) {
        int n = x.cols();
        long m = x.rows();
        int len = (int) Math.min(m, Math.max(blockRows(n), n));
        double[] tmp = scratch(n * len);
        DMatrixRMaj r = new DMatrixRMaj(0, n);
        for (long from = 0; from < m; from += len) {
            int l = (int) Math.min(len, m - from);
            int p = r.numRows, h = p + l;
            double[] stack = block(n * h);
            // block rows go to the bottom of each column: fill writes them as n runs of length l
            double[] rows = this.rows.length >= n * l ? this.rows : (this.rows = new double[n * l]);
            if (!x.fill(from, l, rows, tmp)) {
                throw new NonFiniteException();
            }
            for (int c = 0; c < n; c++) {
                for (int u = 0; u < p; u++) {
                    stack[c * h + u] = r.data[u * n + c];
                }
                System.arraycopy(rows, c * l, stack, c * h + p, l);
            }
            r = householderR(stack, n, h);
        }
        return r;
    }

    /**
     * c = M·Mᵀ, M = L_Bᵀ·L_A: its eigenvalues are σ(L_Bᵀ·L_A)², and a symmetric eigenproblem costs
     * half an SVD. Squaring is safe here: both factors passed the condition check, so
     * cond(M) ≤ 1/CONDITION_LIMIT² and the error stays below ε·cond(M)·σ_max ≈ 1e-12·σ_max.
     */
    private void choleskyCore(int r, double[] ga, double[] gb, double[] c) {
        if (mm.length < r * r) {
            la = new double[r * r];
            lb = new double[r * r];
            mm = new double[r * r];
            col = new double[r];
        }
        cholesky(ga, r, mm, col); // L_Aᵀ into mm, then L_A into la
        for (int i = 0; i < r; i++) {
            for (int j = i; j < r; j++) {
                la[j * r + i] = mm[i * r + j];
            }
        }
        cholesky(gb, r, lb, col); // L_Bᵀ
        // M = L_Bᵀ·L_A, both lower triangular: M[i][j] = Σ_{p ≥ max(i, j)} L_B[p][i]·L_A[p][j]. Row by row of M,
        // as axpys of L_A's rows scaled by row i of L_Bᵀ: a row of M stays in L1 while L_A streams past, where
        // sweeping all of M for each p went through L2 twice per term. Each entry's terms in p order: the same bits.
        double[] m = mm, a = la, bt = lb;
        boolean vector = KernelWarmup.largeVector();
        Arrays.fill(m, 0, r * r, 0);
        for (int i = 0; i < r; i++) {
            for (int p = i; p < r; p++) {
                Axpy.add(m, i * r, bt[i * r + p], a, p * r, p + 1, vector);
            }
        }
        gram(m, r, r, c); // M·Mᵀ: the same eigenvalues as MᵀM
    }

    /**
     * The transposed Cholesky factor of s (checked well-conditioned): L's lower triangle (and diagonal) as the upper
     * triangle of u, u[p·r + i] = L[i][p]. Column j of L is s's column j less Σ_{p<j} L[·][p]·L[j][p], each
     * entry's terms in p order as a dot product takes them; here as axpys along rows of u, on vectors, where
     * each dot product was one latency-bound chain. The same operations per entry in the same order: the same bits.
     */
    private static void cholesky(double[] s, int r, double[] u, double[] col) {
        boolean vector = KernelWarmup.largeVector();
        for (int j = 0; j < r; j++) {
            for (int i = j; i < r; i++) {
                col[i] = s[i * r + j];
            }
            for (int p = 0; p < j; p++) {
                Axpy.add(col, j, -u[p * r + j], u, p * r + j, r - j, vector); // col −= L[·][p]·L[j][p]
            }
            double ljj = Math.sqrt(Math.max(col[j], 0));
            int uj = j * r;
            u[uj + j] = ljj;
            for (int i = j + 1; i < r; i++) {
                u[uj + i] = ljj == 0 ? 0 : col[i] / ljj;
            }
        }
    }

    /** √ of eigenvalues in place, negatives (rounding) clipped to 0. */
    private static double[] sqrtClipped(double[] s, int r) {
        for (int i = 0; i < r; i++) {
            s[i] = Math.sqrt(Math.max(s[i], 0));
        }
        return s;
    }

    /** Singular values of m, descending, padded with zeros to length r. */
    static double[] singularValues(DMatrixRMaj m, int r) {
        if (m.numRows == 0 || m.numCols == 0) {
            return new double[r];
        }
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
        Arrays.fill(g, 0, n * n, 0);
        gramAdd(x, n, len, g);
        mirror(g, n);
    }

    /** Copies the lower triangle of g onto the upper. */
    private static void mirror(double[] g, int n) {
        for (int i = 1; i < n; i++) {
            for (int j = 0; j < i; j++) {
                g[j * n + i] = g[i * n + j];
            }
        }
    }

    /**
     * Runs both vector Gram kernels on synthetic rows enough times for the JIT to compile them (KernelWarmup.primeGram):
     * rank 32, the most common, and a few rows at a time, so that the calls made before they are compiled, which
     * box every vector, stay short. The results are thrown away.
     */
    static void exerciseVectorGram() {
        int n = 32, len = 4 * LANES.length();
        double[] x = new double[n * len], g = new double[n * n], acc = new double[tileLanes(n)];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextDouble(-1, 1);
        }
        for (int call = 0; call < 400; call++) {
            gramAdd(x, n, len, g, acc);
            gramRowsAdd(x, len, n, g);
        }
    }

    /**
     * Runs the vector twins of the batched eigen solver (single and paired batches) and of the batched core on
     * full batches of synthetic rank-32 Gram matrices, enough times for the JIT to compile them (KernelWarmup.prime).
     */
    static void exerciseVectorBatches() {
        int n = 32, lanes = BatchedEigenvalues.LANES;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(2);
        double[][] ga = new double[lanes][], gb = new double[lanes][], out = new double[lanes][n], out2 = new double[lanes][n],
                core = new double[lanes][n * n];
        for (int k = 0; k < lanes; k++) {
            double[] x = new double[n * (n + 8)];
            for (int i = 0; i < x.length; i++) {
                x[i] = rnd.nextDouble(-1, 1);
            }
            ga[k] = new double[n * n];
            gb[k] = new double[n * n];
            gramAdd(x, n, n + 8, ga[k]); // full-rank positive definite: what the core's Cholesky factors take
            mirror(ga[k], n);
            System.arraycopy(ga[k], 0, gb[k], 0, n * n);
            for (int i = 0; i < n; i++) {
                gb[k][i * n + i] += 1;
            }
        }
        BatchedEigenvalues eig = new BatchedEigenvalues();
        BatchedCore cores = new BatchedCore();
        for (int call = 0; call < 40; call++) {
            eig.compute(ga, lanes, n, out, true);
            eig.compute2(ga, lanes, gb, lanes, n, out, out2, true);
            cores.compute(ga, gb, lanes, n, core, true);
        }
    }

    /** Adds x·xᵀ into the lower triangle of g (the upper is left as it was); x has n rows of length len. */
    static void gramAdd(double[] x, int n, int len, double[] g) {
        gramAdd(x, n, len, g, new double[tileLanes(n)]);
    }

    /**
     * Doubles of x gramRowsAdd's tiles work on at a time (32 KB): a chunk stays in L1 while every
     * tile passes over it. Chunking leaves each sum in the same order (same bits).
     */
    private static final int CHUNK = 1 << 12;
    /**
     * The same for gramAdd's dot-product tiles: a whole block (512 KB, in L2). On Ice Lake one
     * tile's pass over a block streamed from L2 too slowly and 32 KB chunks were faster; on Zen 4
     * (1 MB L2 per core) 32 KB chunks cost more: each chunk reloads and stores every tile's 16
     * accumulators (36 KB of lanes on AVX-512, which with the chunk overflow L1), and a tile's
     * loop ran 16 steps between them. One thread, in-process A/B, CPU per model: 13.9 → 13.4 ms
     * on AVX-512, 15.9 → 15.5 ms on AVX2 (2^14 and 2^15 in between).
     */
    private static final int DOT_CHUNK = 1 << 16;

    /** Doubles gramAdd keeps its tiles' lanes in, for rank n. */
    static int tileLanes(int n) {
        int panels = n / 4;
        return Math.max(1, panels * (panels + 1) / 2) * 16 * LANES.length();
    }

    /**
     * Where row r's lanes start in acc (in vectors) when acc holds them row by row: the rows of
     * 4-row panel I each hold 4(I+1) entries (the panel's columns up to its diagonal tile's end).
     */
    private static int rowLanes(int r) {
        int panel = r / 4;
        return 8 * panel * (panel + 1) + 4 * (r % 4) * (panel + 1);
    }

    /** As above, with acc ({@link #tileLanes} doubles) to hold the tiles' lanes between chunks. */
    static void gramAdd(double[] x, int n, int len, double[] g, double[] acc) {
        int w = LANES.length(), bound = LANES.loopBound(len), chunk = Math.max(w, (DOT_CHUNK / Math.max(1, n)) / w * w);
        Arrays.fill(acc, 0, tileLanes(n), 0);
        // 4×4 tiles: 16 accumulators and 8 loads per step fit the 32 vector registers of AVX-512.
        // Where there are 16 (AVX2, whose vectors hold 4 doubles; 4×4 spilled there: 1.45× the time)
        // each 4-row panel runs as two row pairs, each against its columns left of the diagonal tile
        // in 2×6 tiles (12 accumulators, 2 row vectors and one column vector at a time: 15
        // registers, 8 loads per 12 FMAs) and 2×4 tiles where 6 does not divide; acc then holds the
        // lanes row by row (rowLanes). A diagonal tile forms only its 10 entries on and below the
        // diagonal (the upper ones are mirrored). Each entry is the same FMAs in the same order
        // whichever tile forms it: same bits
        boolean pairs = w < 8; // 16 registers: row pairs, acc row by row
        for (int from = 0; from < bound; from += chunk) {
            int to = Math.min(bound, from + chunk);
            for (int i = 0, t = 0; i + 4 <= n; i += 4) {
                if (pairs) {
                    int six = i % 6 == 2 ? (i - 8) / 6 : i / 6, rs = (i + 4) * w;
                    for (int r = i; r < i + 4; r += 2) {
                        int at = rowLanes(r) * w, j = 0;
                        for (; j < 6 * six; j += 6) {
                            tile2x6(x, len, r, j, from, to, acc, at + j * w, rs);
                        }
                        for (; j < i; j += 4) {
                            tile2x4(x, len, r, j, from, to, acc, at + j * w, rs);
                        }
                    }
                    tileDiag4(x, len, i, from, to, acc, (rowLanes(i) + i) * w, rs);
                    continue;
                }
                for (int j = 0; j < i; j += 4, t++) {
                    tile4(x, len, i, j, from, to, acc, t * 16 * w);
                }
                tileDiag4(x, len, i, from, to, acc, t++ * 16 * w, 4 * w);
            }
        }
        for (int i = 0, t = 0; i + 4 <= n; i += 4) {
            for (int j = 0; j <= i; j += 4, t++) {
                for (int p = 0; p < 4; p++) {
                    for (int q = 0; q < 4 && j + q <= i + p; q++) {
                        int ro = (i + p) * len, co = (j + q) * len;
                        double v = laneSum(acc, (pairs ? rowLanes(i + p) + j + q : t * 16 + p * 4 + q) * w);
                        for (int u = bound; u < len; u++) {
                            v += x[ro + u] * x[co + u];
                        }
                        g[(i + p) * n + j + q] += v;
                    }
                }
            }
        }
        for (int i = n / 4 * 4; i < n; i++) { // the last n mod 4 rows, against every row up to themselves
            for (int j = 0; j <= i; j++) {
                g[i * n + j] += dot(x, i * len, x, j * len, len);
            }
        }
    }

    /**
     * Adds xᵀx into the lower triangle of g (n×n), x row-major with len rows of length n, n a
     * multiple of the vector length: tiles of 8 rows × 2 vectors of g (4 rows where a vector holds
     * fewer than 8 doubles), each a sweep over a chunk of x's rows with one broadcast per row of the tile
     * and one vector load per column vector. Loads, not FMAs, bound these tiles (bench/README):
     * 8 rows × 2 vectors take 10 loads per 16 FMAs where 4 × 2 took 6 per 8.
     */
    static void gramRowsAdd(double[] x, int len, int n, double[] g) {
        // 8-row tiles hold 16 accumulators: only where there are 32 vector registers (AVX-512, whose
        // 8-double vectors make n a multiple of 8); where there are 16 (AVX2) rowsColumnPairs' 6- and
        // 4-row tiles, and 4-row tiles for other widths
        int w = LANES.length(), h = w >= 8 ? 8 : 4, chunk = Math.max(1, CHUNK / n);
        for (int from = 0; from < len; from += chunk) {
            int to = Math.min(len, from + chunk);
            if (w == 4) {
                rowsColumnPairs(x, from, to, n, g);
                continue;
            }
            for (int p = 0; p < n; p += h) {
                // a second vector only where it reaches below the diagonal of rows p..p+h-1
                for (int q = 0; q < p + h && q < n; q += 2 * w) {
                    boolean two = q + 2 * w <= n && q + w < p + h;
                    if (h == 8) {
                        if (two) {
                            rowsTile8x2(x, from, to, n, p, q, g);
                        } else {
                            rowsTile8x1(x, from, to, n, p, q, g);
                        }
                    } else if (two) {
                        rowsTile2(x, from, to, n, p, q, g);
                    } else {
                        rowsTile1(x, from, to, n, p, q, g);
                    }
                }
            }
        }
    }

    /**
     * gramRowsAdd's tiles where vectors hold 4 doubles (AVX2: 16 registers), by pairs of column
     * vectors (columns q..q+7): rowsDiag8 on rows q..q+7, then the rows below in 6-row tiles (12
     * accumulators, 2 column vectors and one broadcast at a time: 15 registers, 8 loads per 12
     * FMAs; ~1.3× the FMA rate of 4-row tiles, -XX:UseAVX=2 on Zen 4) and 4-row tiles where 6 does
     * not divide. A last lone column vector (n mod 8 = 4) has only its 4 diagonal rows.
     */
    private static void rowsColumnPairs(double[] x, int from, int to, int n, double[] g) {
        for (int q = 0; q < n; q += 8) {
            if (q + 8 > n) {
                rowsTile1(x, from, to, n, q, q, g);
                continue;
            }
            rowsDiag8(x, from, to, n, q, g);
            int p = q + 8, rest = n - p, six = rest % 6 == 2 ? (rest - 8) / 6 : rest / 6;
            for (int k = 0; k < six; k++, p += 6) {
                rowsTile6x2(x, from, to, n, p, q, g);
            }
            for (; p < n; p += 4) {
                rowsTile2(x, from, to, n, p, q, g);
            }
        }
    }

    /** Rows p..p+5 of g against column vectors q, q+4 (4-double vectors): see rowsColumnPairs. */
    private static void rowsTile6x2(double[] x, int from, int to, int n, int p, int q, double[] g) {
        int o0 = p * n + q, o1 = o0 + 4;
        DoubleVector a0 = load(g, o0), a1 = load(g, o1), b0 = load(g, o0 + n), b1 = load(g, o1 + n);
        DoubleVector c0 = load(g, o0 + 2 * n), c1 = load(g, o1 + 2 * n), d0 = load(g, o0 + 3 * n), d1 = load(g, o1 + 3 * n);
        DoubleVector e0 = load(g, o0 + 4 * n), e1 = load(g, o1 + 4 * n), f0 = load(g, o0 + 5 * n), f1 = load(g, o1 + 5 * n);
        for (int i = from, o = from * n; i < to; i++, o += n) {
            DoubleVector y0 = DoubleVector.fromArray(LANES, x, o + q);
            DoubleVector y1 = DoubleVector.fromArray(LANES, x, o + q + 4);
            DoubleVector v = DoubleVector.broadcast(LANES, x[o + p]);
            a0 = v.fma(y0, a0); a1 = v.fma(y1, a1);
            v = DoubleVector.broadcast(LANES, x[o + p + 1]);
            b0 = v.fma(y0, b0); b1 = v.fma(y1, b1);
            v = DoubleVector.broadcast(LANES, x[o + p + 2]);
            c0 = v.fma(y0, c0); c1 = v.fma(y1, c1);
            v = DoubleVector.broadcast(LANES, x[o + p + 3]);
            d0 = v.fma(y0, d0); d1 = v.fma(y1, d1);
            v = DoubleVector.broadcast(LANES, x[o + p + 4]);
            e0 = v.fma(y0, e0); e1 = v.fma(y1, e1);
            v = DoubleVector.broadcast(LANES, x[o + p + 5]);
            f0 = v.fma(y0, f0); f1 = v.fma(y1, f1);
        }
        a0.intoArray(g, o0); a1.intoArray(g, o1); b0.intoArray(g, o0 + n); b1.intoArray(g, o1 + n);
        c0.intoArray(g, o0 + 2 * n); c1.intoArray(g, o1 + 2 * n); d0.intoArray(g, o0 + 3 * n); d1.intoArray(g, o1 + 3 * n);
        e0.intoArray(g, o0 + 4 * n); e1.intoArray(g, o1 + 4 * n); f0.intoArray(g, o0 + 5 * n); f1.intoArray(g, o1 + 5 * n);
    }

    // g's entries are the accumulators, loaded and stored once per chunk: the sum of a lane is the
    // same sequence of FMAs in the same order however the rows are chunked or tiled
    private static void rowsTile8x2(double[] x, int from, int to, int n, int p, int q, double[] g) {
        int w = LANES.length(), o0 = p * n + q, o1 = o0 + w;
        DoubleVector a0 = load(g, o0), a1 = load(g, o1), b0 = load(g, o0 + n), b1 = load(g, o1 + n);
        DoubleVector c0 = load(g, o0 + 2 * n), c1 = load(g, o1 + 2 * n), d0 = load(g, o0 + 3 * n), d1 = load(g, o1 + 3 * n);
        DoubleVector e0 = load(g, o0 + 4 * n), e1 = load(g, o1 + 4 * n), f0 = load(g, o0 + 5 * n), f1 = load(g, o1 + 5 * n);
        DoubleVector g0 = load(g, o0 + 6 * n), g1 = load(g, o1 + 6 * n), h0 = load(g, o0 + 7 * n), h1 = load(g, o1 + 7 * n);
        for (int i = from, o = from * n; i < to; i++, o += n) {
            DoubleVector y0 = DoubleVector.fromArray(LANES, x, o + q);
            DoubleVector y1 = DoubleVector.fromArray(LANES, x, o + q + w);
            DoubleVector v = DoubleVector.broadcast(LANES, x[o + p]);
            a0 = v.fma(y0, a0); a1 = v.fma(y1, a1);
            v = DoubleVector.broadcast(LANES, x[o + p + 1]);
            b0 = v.fma(y0, b0); b1 = v.fma(y1, b1);
            v = DoubleVector.broadcast(LANES, x[o + p + 2]);
            c0 = v.fma(y0, c0); c1 = v.fma(y1, c1);
            v = DoubleVector.broadcast(LANES, x[o + p + 3]);
            d0 = v.fma(y0, d0); d1 = v.fma(y1, d1);
            v = DoubleVector.broadcast(LANES, x[o + p + 4]);
            e0 = v.fma(y0, e0); e1 = v.fma(y1, e1);
            v = DoubleVector.broadcast(LANES, x[o + p + 5]);
            f0 = v.fma(y0, f0); f1 = v.fma(y1, f1);
            v = DoubleVector.broadcast(LANES, x[o + p + 6]);
            g0 = v.fma(y0, g0); g1 = v.fma(y1, g1);
            v = DoubleVector.broadcast(LANES, x[o + p + 7]);
            h0 = v.fma(y0, h0); h1 = v.fma(y1, h1);
        }
        a0.intoArray(g, o0); a1.intoArray(g, o1); b0.intoArray(g, o0 + n); b1.intoArray(g, o1 + n);
        c0.intoArray(g, o0 + 2 * n); c1.intoArray(g, o1 + 2 * n); d0.intoArray(g, o0 + 3 * n); d1.intoArray(g, o1 + 3 * n);
        e0.intoArray(g, o0 + 4 * n); e1.intoArray(g, o1 + 4 * n); f0.intoArray(g, o0 + 5 * n); f1.intoArray(g, o1 + 5 * n);
        g0.intoArray(g, o0 + 6 * n); g1.intoArray(g, o1 + 6 * n); h0.intoArray(g, o0 + 7 * n); h1.intoArray(g, o1 + 7 * n);
    }

    private static void rowsTile8x1(double[] x, int from, int to, int n, int p, int q, double[] g) {
        int o0 = p * n + q;
        DoubleVector a = load(g, o0), b = load(g, o0 + n), c = load(g, o0 + 2 * n), d = load(g, o0 + 3 * n);
        DoubleVector e = load(g, o0 + 4 * n), f = load(g, o0 + 5 * n), gg = load(g, o0 + 6 * n), h = load(g, o0 + 7 * n);
        for (int i = from, o = from * n; i < to; i++, o += n) {
            DoubleVector y = DoubleVector.fromArray(LANES, x, o + q);
            a = DoubleVector.broadcast(LANES, x[o + p]).fma(y, a);
            b = DoubleVector.broadcast(LANES, x[o + p + 1]).fma(y, b);
            c = DoubleVector.broadcast(LANES, x[o + p + 2]).fma(y, c);
            d = DoubleVector.broadcast(LANES, x[o + p + 3]).fma(y, d);
            e = DoubleVector.broadcast(LANES, x[o + p + 4]).fma(y, e);
            f = DoubleVector.broadcast(LANES, x[o + p + 5]).fma(y, f);
            gg = DoubleVector.broadcast(LANES, x[o + p + 6]).fma(y, gg);
            h = DoubleVector.broadcast(LANES, x[o + p + 7]).fma(y, h);
        }
        a.intoArray(g, o0); b.intoArray(g, o0 + n); c.intoArray(g, o0 + 2 * n); d.intoArray(g, o0 + 3 * n);
        e.intoArray(g, o0 + 4 * n); f.intoArray(g, o0 + 5 * n); gg.intoArray(g, o0 + 6 * n); h.intoArray(g, o0 + 7 * n);
    }

    // 4-row twins of the above, for 16-register machines (AVX2), where 8-row tiles would spill
    private static void rowsTile2(double[] x, int from, int to, int n, int p, int q, double[] g) {
        int w = LANES.length();
        DoubleVector a0 = load(g, p * n + q), a1 = load(g, p * n + q + w);
        DoubleVector b0 = load(g, (p + 1) * n + q), b1 = load(g, (p + 1) * n + q + w);
        DoubleVector c0 = load(g, (p + 2) * n + q), c1 = load(g, (p + 2) * n + q + w);
        DoubleVector d0 = load(g, (p + 3) * n + q), d1 = load(g, (p + 3) * n + q + w);
        for (int i = from, o = from * n; i < to; i++, o += n) {
            DoubleVector y0 = DoubleVector.fromArray(LANES, x, o + q);
            DoubleVector y1 = DoubleVector.fromArray(LANES, x, o + q + w);
            DoubleVector v = DoubleVector.broadcast(LANES, x[o + p]);
            a0 = v.fma(y0, a0); a1 = v.fma(y1, a1);
            v = DoubleVector.broadcast(LANES, x[o + p + 1]);
            b0 = v.fma(y0, b0); b1 = v.fma(y1, b1);
            v = DoubleVector.broadcast(LANES, x[o + p + 2]);
            c0 = v.fma(y0, c0); c1 = v.fma(y1, c1);
            v = DoubleVector.broadcast(LANES, x[o + p + 3]);
            d0 = v.fma(y0, d0); d1 = v.fma(y1, d1);
        }
        a0.intoArray(g, p * n + q); a1.intoArray(g, p * n + q + w);
        b0.intoArray(g, (p + 1) * n + q); b1.intoArray(g, (p + 1) * n + q + w);
        c0.intoArray(g, (p + 2) * n + q); c1.intoArray(g, (p + 2) * n + q + w);
        d0.intoArray(g, (p + 3) * n + q); d1.intoArray(g, (p + 3) * n + q + w);
    }

    /**
     * The 8×8 diagonal block at rows and columns p..p+7 (4-double vectors): rows p..p+3 against
     * columns p..p+3 and rows p+4..p+7 against p..p+7, 12 accumulators. It replaces a 4-row
     * one-vector tile (4 accumulators: FMA latency, not throughput, bound it) and the 4×2 tile
     * below it; each entry is the same FMAs in the same order.
     */
    private static void rowsDiag8(double[] x, int from, int to, int n, int p, double[] g) {
        int o0 = p * n + p, o1 = o0 + 4;
        DoubleVector a = load(g, o0), b = load(g, o0 + n), c = load(g, o0 + 2 * n), d = load(g, o0 + 3 * n);
        DoubleVector e0 = load(g, o0 + 4 * n), e1 = load(g, o1 + 4 * n), f0 = load(g, o0 + 5 * n), f1 = load(g, o1 + 5 * n);
        DoubleVector g0 = load(g, o0 + 6 * n), g1 = load(g, o1 + 6 * n), h0 = load(g, o0 + 7 * n), h1 = load(g, o1 + 7 * n);
        for (int i = from, o = from * n + p; i < to; i++, o += n) {
            DoubleVector y0 = DoubleVector.fromArray(LANES, x, o);
            DoubleVector y1 = DoubleVector.fromArray(LANES, x, o + 4);
            a = DoubleVector.broadcast(LANES, x[o]).fma(y0, a);
            b = DoubleVector.broadcast(LANES, x[o + 1]).fma(y0, b);
            c = DoubleVector.broadcast(LANES, x[o + 2]).fma(y0, c);
            d = DoubleVector.broadcast(LANES, x[o + 3]).fma(y0, d);
            DoubleVector v = DoubleVector.broadcast(LANES, x[o + 4]);
            e0 = v.fma(y0, e0); e1 = v.fma(y1, e1);
            v = DoubleVector.broadcast(LANES, x[o + 5]);
            f0 = v.fma(y0, f0); f1 = v.fma(y1, f1);
            v = DoubleVector.broadcast(LANES, x[o + 6]);
            g0 = v.fma(y0, g0); g1 = v.fma(y1, g1);
            v = DoubleVector.broadcast(LANES, x[o + 7]);
            h0 = v.fma(y0, h0); h1 = v.fma(y1, h1);
        }
        a.intoArray(g, o0); b.intoArray(g, o0 + n); c.intoArray(g, o0 + 2 * n); d.intoArray(g, o0 + 3 * n);
        e0.intoArray(g, o0 + 4 * n); e1.intoArray(g, o1 + 4 * n); f0.intoArray(g, o0 + 5 * n); f1.intoArray(g, o1 + 5 * n);
        g0.intoArray(g, o0 + 6 * n); g1.intoArray(g, o1 + 6 * n); h0.intoArray(g, o0 + 7 * n); h1.intoArray(g, o1 + 7 * n);
    }

    private static void rowsTile1(double[] x, int from, int to, int n, int p, int q, double[] g) {
        DoubleVector a = load(g, p * n + q), b = load(g, (p + 1) * n + q);
        DoubleVector c = load(g, (p + 2) * n + q), d = load(g, (p + 3) * n + q);
        for (int i = from, o = from * n; i < to; i++, o += n) {
            DoubleVector y = DoubleVector.fromArray(LANES, x, o + q);
            a = DoubleVector.broadcast(LANES, x[o + p]).fma(y, a);
            b = DoubleVector.broadcast(LANES, x[o + p + 1]).fma(y, b);
            c = DoubleVector.broadcast(LANES, x[o + p + 2]).fma(y, c);
            d = DoubleVector.broadcast(LANES, x[o + p + 3]).fma(y, d);
        }
        a.intoArray(g, p * n + q);
        b.intoArray(g, (p + 1) * n + q);
        c.intoArray(g, (p + 2) * n + q);
        d.intoArray(g, (p + 3) * n + q);
    }

    private static DoubleVector load(double[] a, int at) {
        return DoubleVector.fromArray(LANES, a, at);
    }

    /** Rows i..i+3 against rows j..j+3 over columns [from, to): sixteen dot products' lanes, kept in acc at at. */
    private static void tile4(double[] x, int len, int i, int j, int from, int to, double[] acc, int at) {
        int a0 = i * len, a1 = a0 + len, a2 = a1 + len, a3 = a2 + len;
        int b0 = j * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len;
        int w = LANES.length();
        DoubleVector s00 = load(acc, at), s01 = load(acc, at + w), s02 = load(acc, at + 2 * w), s03 = load(acc, at + 3 * w);
        DoubleVector s10 = load(acc, at + 4 * w), s11 = load(acc, at + 5 * w), s12 = load(acc, at + 6 * w), s13 = load(acc, at + 7 * w);
        DoubleVector s20 = load(acc, at + 8 * w), s21 = load(acc, at + 9 * w), s22 = load(acc, at + 10 * w), s23 = load(acc, at + 11 * w);
        DoubleVector s30 = load(acc, at + 12 * w), s31 = load(acc, at + 13 * w), s32 = load(acc, at + 14 * w), s33 = load(acc, at + 15 * w);
        for (int u = from; u < to; u += w) {
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
        // the lanes stay in memory and are summed there in lane order at the end: a fixed order
        // (reduceLanes' is unspecified and differed between interpreted and compiled code, so a
        // layer's last bits depended on how warm the JIT was), and no call that would box a vector
        s00.intoArray(acc, at); s01.intoArray(acc, at + w); s02.intoArray(acc, at + 2 * w); s03.intoArray(acc, at + 3 * w);
        s10.intoArray(acc, at + 4 * w); s11.intoArray(acc, at + 5 * w); s12.intoArray(acc, at + 6 * w); s13.intoArray(acc, at + 7 * w);
        s20.intoArray(acc, at + 8 * w); s21.intoArray(acc, at + 9 * w); s22.intoArray(acc, at + 10 * w); s23.intoArray(acc, at + 11 * w);
        s30.intoArray(acc, at + 12 * w); s31.intoArray(acc, at + 13 * w); s32.intoArray(acc, at + 14 * w); s33.intoArray(acc, at + 15 * w);
    }

    /** Rows i, i+1 against rows j..j+3 over columns [from, to): lanes in acc at at (row i) and at + rs (row i+1), for 16-register machines. */
    private static void tile2x4(double[] x, int len, int i, int j, int from, int to, double[] acc, int at, int rs) {
        int a0 = i * len, a1 = a0 + len;
        int b0 = j * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len;
        int w = LANES.length(), at1 = at + rs;
        DoubleVector s00 = load(acc, at), s01 = load(acc, at + w), s02 = load(acc, at + 2 * w), s03 = load(acc, at + 3 * w);
        DoubleVector s10 = load(acc, at1), s11 = load(acc, at1 + w), s12 = load(acc, at1 + 2 * w), s13 = load(acc, at1 + 3 * w);
        for (int u = from; u < to; u += w) {
            DoubleVector y0 = DoubleVector.fromArray(LANES, x, b0 + u);
            DoubleVector y1 = DoubleVector.fromArray(LANES, x, b1 + u);
            DoubleVector y2 = DoubleVector.fromArray(LANES, x, b2 + u);
            DoubleVector y3 = DoubleVector.fromArray(LANES, x, b3 + u);
            DoubleVector v = DoubleVector.fromArray(LANES, x, a0 + u);
            s00 = v.fma(y0, s00); s01 = v.fma(y1, s01); s02 = v.fma(y2, s02); s03 = v.fma(y3, s03);
            v = DoubleVector.fromArray(LANES, x, a1 + u);
            s10 = v.fma(y0, s10); s11 = v.fma(y1, s11); s12 = v.fma(y2, s12); s13 = v.fma(y3, s13);
        }
        s00.intoArray(acc, at); s01.intoArray(acc, at + w); s02.intoArray(acc, at + 2 * w); s03.intoArray(acc, at + 3 * w);
        s10.intoArray(acc, at1); s11.intoArray(acc, at1 + w); s12.intoArray(acc, at1 + 2 * w); s13.intoArray(acc, at1 + 3 * w);
    }

    /**
     * Rows i, i+1 against rows j..j+5, lanes as tile2x4's: the two row vectors stay in registers and
     * each column vector is loaded once and used twice, so 12 accumulators fit 16 registers.
     * On AVX2 (-XX:UseAVX=2, Zen 4) ~1.2× tile2x4's FMA rate.
     */
    private static void tile2x6(double[] x, int len, int i, int j, int from, int to, double[] acc, int at, int rs) {
        int a0 = i * len, a1 = a0 + len;
        int b0 = j * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len, b4 = b3 + len, b5 = b4 + len;
        int w = LANES.length(), at1 = at + rs;
        DoubleVector s00 = load(acc, at), s01 = load(acc, at + w), s02 = load(acc, at + 2 * w);
        DoubleVector s03 = load(acc, at + 3 * w), s04 = load(acc, at + 4 * w), s05 = load(acc, at + 5 * w);
        DoubleVector s10 = load(acc, at1), s11 = load(acc, at1 + w), s12 = load(acc, at1 + 2 * w);
        DoubleVector s13 = load(acc, at1 + 3 * w), s14 = load(acc, at1 + 4 * w), s15 = load(acc, at1 + 5 * w);
        for (int u = from; u < to; u += w) {
            DoubleVector v0 = DoubleVector.fromArray(LANES, x, a0 + u), v1 = DoubleVector.fromArray(LANES, x, a1 + u);
            DoubleVector y = DoubleVector.fromArray(LANES, x, b0 + u);
            s00 = v0.fma(y, s00); s10 = v1.fma(y, s10);
            y = DoubleVector.fromArray(LANES, x, b1 + u);
            s01 = v0.fma(y, s01); s11 = v1.fma(y, s11);
            y = DoubleVector.fromArray(LANES, x, b2 + u);
            s02 = v0.fma(y, s02); s12 = v1.fma(y, s12);
            y = DoubleVector.fromArray(LANES, x, b3 + u);
            s03 = v0.fma(y, s03); s13 = v1.fma(y, s13);
            y = DoubleVector.fromArray(LANES, x, b4 + u);
            s04 = v0.fma(y, s04); s14 = v1.fma(y, s14);
            y = DoubleVector.fromArray(LANES, x, b5 + u);
            s05 = v0.fma(y, s05); s15 = v1.fma(y, s15);
        }
        s00.intoArray(acc, at); s01.intoArray(acc, at + w); s02.intoArray(acc, at + 2 * w);
        s03.intoArray(acc, at + 3 * w); s04.intoArray(acc, at + 4 * w); s05.intoArray(acc, at + 5 * w);
        s10.intoArray(acc, at1); s11.intoArray(acc, at1 + w); s12.intoArray(acc, at1 + 2 * w);
        s13.intoArray(acc, at1 + 3 * w); s14.intoArray(acc, at1 + 4 * w); s15.intoArray(acc, at1 + 5 * w);
    }

    /**
     * Rows i..i+3 against themselves: the 10 entries on and below the diagonal, entry (p, q) in acc
     * at at + p·rs + q·w. 4 loads per 10 FMAs, where a 4×4 tile spent 8 loads on 16 FMAs, 6 of them
     * on entries the mirror overwrites.
     */
    private static void tileDiag4(double[] x, int len, int i, int from, int to, double[] acc, int at, int rs) {
        int a0 = i * len, a1 = a0 + len, a2 = a1 + len, a3 = a2 + len;
        int w = LANES.length(), at1 = at + rs, at2 = at1 + rs, at3 = at2 + rs;
        DoubleVector s00 = load(acc, at);
        DoubleVector s10 = load(acc, at1), s11 = load(acc, at1 + w);
        DoubleVector s20 = load(acc, at2), s21 = load(acc, at2 + w), s22 = load(acc, at2 + 2 * w);
        DoubleVector s30 = load(acc, at3), s31 = load(acc, at3 + w), s32 = load(acc, at3 + 2 * w), s33 = load(acc, at3 + 3 * w);
        for (int u = from; u < to; u += w) {
            DoubleVector v0 = DoubleVector.fromArray(LANES, x, a0 + u);
            DoubleVector v1 = DoubleVector.fromArray(LANES, x, a1 + u);
            DoubleVector v2 = DoubleVector.fromArray(LANES, x, a2 + u);
            DoubleVector v3 = DoubleVector.fromArray(LANES, x, a3 + u);
            s00 = v0.fma(v0, s00);
            s10 = v1.fma(v0, s10); s11 = v1.fma(v1, s11);
            s20 = v2.fma(v0, s20); s21 = v2.fma(v1, s21); s22 = v2.fma(v2, s22);
            s30 = v3.fma(v0, s30); s31 = v3.fma(v1, s31); s32 = v3.fma(v2, s32); s33 = v3.fma(v3, s33);
        }
        s00.intoArray(acc, at);
        s10.intoArray(acc, at1); s11.intoArray(acc, at1 + w);
        s20.intoArray(acc, at2); s21.intoArray(acc, at2 + w); s22.intoArray(acc, at2 + 2 * w);
        s30.intoArray(acc, at3); s31.intoArray(acc, at3 + w); s32.intoArray(acc, at3 + 2 * w); s33.intoArray(acc, at3 + 3 * w);
    }

    /** acc[at] + acc[at+1] + … over one vector's lanes, in lane order. */
    static double laneSum(double[] acc, int at) {
        double t = acc[at];
        for (int i = 1; i < LANES.length(); i++) {
            t += acc[at + i];
        }
        return t;
    }

    private static double dot(double[] x, int xo, double[] y, int yo, int len) {
        DoubleVector s = DoubleVector.zero(LANES);
        int u = 0, bound = LANES.loopBound(len);
        for (; u < bound; u += LANES.length()) {
            s = DoubleVector.fromArray(LANES, x, xo + u).fma(DoubleVector.fromArray(LANES, y, yo + u), s);
        }
        double[] lanes = new double[LANES.length()];
        s.intoArray(lanes, 0);
        double v = laneSum(lanes, 0);
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
