package dev.dsire.spectra;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Eigenvalues (no vectors) of up to {@link #LANES} small dense symmetric matrices of one size at
 * once, one SIMD lane per matrix: the same Householder tridiagonalization and implicit QL with
 * Wilkinson shifts (EISPACK's tql1) as {@link SymmetricEigenvalues}, run in lockstep.
 *
 * <p>The scalar solver is latency-bound: each QL rotation waits on a square root and a division
 * of the one before. Here one vector square root and one vector division serve every matrix of
 * the batch, so a batch costs about what one matrix did. Tridiagonalization has no data-dependent
 * control flow (a zero column only zeroes its reflector), so it runs as plain vector arithmetic;
 * QL lanes converge at different times, so each lane keeps its own deflation window [l, m) and a
 * sweep over the union of the windows leaves the lanes outside their own window untouched (masked
 * blends). QL is exactly the scalar solver's arithmetic in the same order; the reduction works on
 * the lower triangle alone, with its sums in another order, so results agree with the scalar
 * solver to rounding (both backward stable: within a few ε·‖G‖), not bit for bit. A matrix's
 * lane never sees another lane's data: its eigenvalues are the same bits whatever batch, lane
 * or neighbours it gets (tests check it), so results do not depend on grouping or threads.
 *
 * <p>Two twins do the same operations in the same order, so they give the same bits (tests check
 * it): the vector one, and one on scalar lanes, an inner loop over the lanes whose independent
 * chains the core overlaps. The vector twin runs on vectors of all {@link #LANES} lanes (AVX-512)
 * or of half of them (AVX2: 4 doubles), the halves in turn for the reduction and side by side in
 * one loop for QL's latency-bound rotations. The scalar lanes run while a process is cold (Vector
 * API code is ~100× slower until C2 compiles it) and where vectors hold fewer than 4 doubles;
 * {@link KernelWarmup} decides.
 *
 * <p>Storage is lane-interleaved: element x of matrix k lives at x·LANES + k. Instances hold
 * scratch space: one per thread.
 */
final class BatchedEigenvalues {
    /** Matrices per batch: eight independent chains keep the core's divider and square root busy. */
    static final int LANES = 8;
    private static final int W = LANES;

    private double[] a = new double[0], d = new double[0], e = new double[0], v = new double[0], p = new double[0];
    private final int[] lo = new int[W], hi = new int[W], iter = new int[W], exp = new int[W];
    private final boolean[] live = new boolean[W], zero = new boolean[W];
    private final double[] beta = new double[W], t0 = new double[W], t1 = new double[W];
    private final double[] s = new double[W], c = new double[W], q = new double[W], g = new double[W];

    /**
     * The eigenvalues of the symmetric n×n matrices g[0..count) (row-major, only read), each in
     * descending order into out[k][0..n). count ≤ {@link #LANES}.
     */
    void compute(double[][] g, int count, int n, double[][] out) {
        compute(g, count, n, out, KernelWarmup.vector());
    }

    /**
     * As above, on the vector twins or on the scalar lanes (the same bits either way; the scalar
     * lanes are what runs while the JIT has not yet compiled the vector twins, which run 100×
     * slower interpreted).
     */
    void compute(double[][] g, int count, int n, double[][] out, boolean vector) {
        vector &= VECTOR;
        load(g, count, n);
        if (vector) {
            vTridiagonalize(n, count);
            vQl(n, count);
        } else {
            tridiagonalize(n);
            ql(n, count);
        }
        store(count, n, out);
    }

    private BatchedEigenvalues second; // the other batch of compute2's pair

    /**
     * Two batches of one size: g[0..count) into out, g2[0..count2) into out2, each matrix's
     * eigenvalues the same bits as {@link #compute} gives it (lanes never mix). Where a vector holds
     * all {@link #LANES} lanes (AVX-512), the two batches' QL sweeps run side by side in one loop
     * ({@link #vSweepPair}): each batch's rotations are one chain of square roots and divisions, and
     * two chains let the core overlap them. Elsewhere the batches run in turn.
     */
    void compute2(double[][] g, int count, double[][] g2, int count2, int n, double[][] out, double[][] out2) {
        compute2(g, count, g2, count2, n, out, out2, KernelWarmup.vector());
    }

    /** As above, on the vector twins or on the scalar lanes (the same bits either way). */
    void compute2(double[][] g, int count, double[][] g2, int count2, int n, double[][] out, double[][] out2, boolean vector) {
        vector &= VECTOR;
        if (!vector || H != W) {
            compute(g, count, n, out, vector);
            compute(g2, count2, n, out2, vector);
            return;
        }
        BatchedEigenvalues y = second != null ? second : (second = new BatchedEigenvalues());
        load(g, count, n);
        y.load(g2, count2, n);
        vTridiagonalize(n, count);
        y.vTridiagonalize(n, count2);
        vQlPair(y, n, count, count2);
        store(count, n, out);
        y.store(count2, n, out2);
    }

    /** The matrices g[0..count), each scaled by a power of two, into a's lanes; idle lanes zero. */
    private void load(double[][] g, int count, int n) {
        if (count < 1 || count > W) {
            throw new IllegalArgumentException("batch of " + count);
        }
        if (a.length < n * n * W) {
            a = new double[n * n * W];
            d = new double[n * W];
            e = new double[n * W];
            v = new double[n * W];
            p = new double[n * W];
        }
        double[] f = t0;
        for (int k = 0; k < count; k++) {
            // scale by a power of two near the largest diagonal entry: exact, keeps squares in range
            double[] x = g[k];
            double max = 0;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, Math.abs(x[i * n + i]));
            }
            int s = max == 0 || !Double.isFinite(max) ? 0 : Math.getExponent(max);
            exp[k] = s;
            // × 2^-s, a double for every s getExponent gives: one correctly rounded product, as scalb
            f[k] = Math.scalb(1.0, -s);
        }
        // the lower triangle is all the reduction reads; element by element, its W lanes written
        // side by side (a matrix at a time wrote one double per 64-byte line across 64 KB); an idle
        // lane holds the zero matrix, which converges at once
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                int x = i * n + j, at = x * W;
                for (int k = 0; k < count; k++) {
                    a[at + k] = g[k][x] * f[k];
                }
                for (int k = count; k < W; k++) {
                    a[at + k] = 0;
                }
            }
        }
    }

    /** The eigenvalues in d, scaled back, descending, into out[0..count). */
    private void store(int count, int n, double[][] out) {
        for (int k = 0; k < count; k++) {
            double[] o = out[k];
            double f = Math.scalb(1.0, exp[k]);
            for (int i = 0; i < n; i++) {
                o[i] = d[i * W + k] * f;
            }
            Arrays.sort(o, 0, n);
            for (int i = 0, j = n - 1; i < j; i++, j--) {
                double t = o[i];
                o[i] = o[j];
                o[j] = t;
            }
        }
    }

    /**
     * a → H·a·H, every lane, on the lower triangle alone (half the flops of the scalar solver's
     * full-matrix form; the sums are ordered differently, so results agree with it to rounding,
     * not bit for bit); diagonal to d, subdiagonal to e (e[n-1] = 0).
     */
    void tridiagonalize(int n) {
        for (int k = 0; k < n - 2; k++) {
            int m = n - k - 1;
            reflector(n, k);
            symv(n, k);
            correct(m);
            rank2(n, k);
        }
        for (int L = 0; L < W; L++) {
            if (n >= 2) {
                d[(n - 2) * W + L] = a[((n - 2) * n + n - 2) * W + L];
                e[(n - 2) * W + L] = a[((n - 1) * n + n - 2) * W + L];
            }
            d[(n - 1) * W + L] = a[((n - 1) * n + n - 1) * W + L];
            e[(n - 1) * W + L] = 0;
        }
    }

    /** Column k below the diagonal → v (the Householder vector), d[k], e[k], and β into beta. */
    private void reflector(int n, int k) {
        int m = n - k - 1, o = k + 1;
        double[] norm2 = t0, vv = t1;
        for (int L = 0; L < W; L++) {
            norm2[L] = 0;
            vv[L] = 0;
            d[k * W + L] = a[(k * n + k) * W + L];
        }
        for (int i = 0; i < m; i++) {
            int at = ((o + i) * n + k) * W, to = i * W;
            for (int L = 0; L < W; L++) {
                double x = a[at + L];
                v[to + L] = x;
                norm2[L] += x * x;
            }
        }
        for (int L = 0; L < W; L++) {
            double root = Math.sqrt(norm2[L]), v0 = v[L];
            double alpha = v0 > 0 ? -root : root;
            zero[L] = norm2[L] < SymmetricEigenvalues.TINY; // as the scalar solver: a negligible column is a zero one
            e[k * W + L] = zero[L] ? 0 : alpha;
            v[L] = v0 - alpha;
        }
        for (int i = 0; i < m; i++) {
            int at = i * W;
            for (int L = 0; L < W; L++) {
                double x = v[at + L];
                vv[L] += x * x;
            }
        }
        for (int L = 0; L < W; L++) { // a zero column: β = 0 makes the reflector the identity
            beta[L] = zero[L] ? 0 : 2 / vv[L];
        }
    }

    /**
     * p = A22·v from A22's lower triangle alone (symmetric): row i gives A_ij·v_j to p_i and
     * A_ij·v_i to p_j for j < i; each entry is read once for both.
     */
    private void symv(int n, int k) {
        int m = n - k - 1, o = k + 1;
        Arrays.fill(p, 0, m * W, 0);
        for (int i = 0; i < m; i++) {
            int row = ((o + i) * n + o) * W, pi = i * W;
            for (int L = 0; L < W; L++) {
                t0[L] = 0;
                t1[L] = 0;
            }
            int j = 0;
            for (; j + 1 < i; j += 2) { // two partial sums, even and odd j, as the vector twin
                int aj = row + j * W, pj = j * W;
                for (int L = 0; L < W; L++) {
                    double x0 = a[aj + L], x1 = a[aj + W + L];
                    t0[L] += x0 * v[pj + L];
                    t1[L] += x1 * v[pj + W + L];
                    p[pj + L] += x0 * v[pi + L];
                    p[pj + W + L] += x1 * v[pi + L];
                }
            }
            for (; j < i; j++) {
                int aj = row + j * W, pj = j * W;
                for (int L = 0; L < W; L++) {
                    double x = a[aj + L];
                    t0[L] += x * v[pj + L];
                    p[pj + L] += x * v[pi + L];
                }
            }
            int ai = row + i * W;
            for (int L = 0; L < W; L++) {
                p[pi + L] = p[pi + L] + (t0[L] + t1[L]) + a[ai + L] * v[pi + L];
            }
        }
    }

    /** p → β·p − (β/2)(vᵀ·β·p)·v. */
    private void correct(int m) {
        double[] vp = t0;
        for (int L = 0; L < W; L++) {
            vp[L] = 0;
        }
        for (int i = 0; i < m; i++) {
            int at = i * W;
            for (int L = 0; L < W; L++) {
                double x = beta[L] * p[at + L];
                p[at + L] = x;
                vp[L] += v[at + L] * x;
            }
        }
        for (int L = 0; L < W; L++) {
            vp[L] = beta[L] * vp[L] / 2;
        }
        for (int i = 0; i < m; i++) {
            int at = i * W;
            for (int L = 0; L < W; L++) {
                p[at + L] -= vp[L] * v[at + L];
            }
        }
    }

    /** A22 −= v·pᵀ + p·vᵀ, lower triangle. */
    private void rank2(int n, int k) {
        int m = n - k - 1, o = k + 1;
        for (int i = 0; i < m; i++) {
            int row = ((o + i) * n + o) * W, vi = i * W;
            for (int j = 0; j <= i; j++) {
                int aj = row + j * W, pj = j * W;
                for (int L = 0; L < W; L++) {
                    a[aj + L] -= v[vi + L] * p[pj + L] + p[vi + L] * v[pj + L];
                }
            }
        }
    }

    /** Implicit QL on every lane's tridiagonal (d, e): eigenvalues into d. */
    void ql(int n, int count) {
        for (int L = 0; L < W; L++) {
            lo[L] = L < count ? 0 : n;
            iter[L] = 0;
        }
        while (true) {
            int from = n, to = -1;
            for (int L = 0; L < W; L++) {
                // lane L: its window [l, m), l moved past the eigenvalues that have converged
                int l = lo[L], m = l;
                while (l < n) {
                    for (m = l; m < n - 1; m++) {
                        double dd = Math.abs(d[m * W + L]) + Math.abs(d[(m + 1) * W + L]);
                        if (Math.abs(e[m * W + L]) <= Math.max(0x1p-53 * dd, SymmetricEigenvalues.NEGLIGIBLE)) {
                            break;
                        }
                    }
                    if (m != l) {
                        break;
                    }
                    l++;
                    iter[L] = 0;
                }
                lo[L] = l;
                live[L] = l < n;
                if (l >= n) {
                    continue;
                }
                if (iter[L]++ == 60) {
                    throw new ArithmeticException("tridiagonal QL did not converge");
                }
                hi[L] = m;
                double dl = d[l * W + L], el = e[l * W + L];
                double x = (d[(l + 1) * W + L] - dl) / (2 * el);
                double r = SymmetricEigenvalues.hypot(x, 1);
                g[L] = d[m * W + L] - dl + el / (x + Math.copySign(r, x));
                s[L] = 1;
                c[L] = 1;
                q[L] = 0;
                from = Math.min(from, l);
                to = Math.max(to, m);
            }
            if (to < 0) {
                return;
            }
            // one rotation of every lane whose window holds i: eight independent chains of square
            // roots and divisions, which the core overlaps (one lane alone waits on each)
            for (int i = to - 1; i >= from; i--) {
                for (int L = 0; L < W; L++) {
                    if (!live[L] || i < lo[L] || i >= hi[L]) {
                        continue;
                    }
                    int at = i * W + L, up = at + W;
                    double ei = e[at];
                    double f = s[L] * ei, b = c[L] * ei, gl = g[L];
                    double r = SymmetricEigenvalues.hypot(f, gl);
                    e[up] = r;
                    if (r == 0) { // the rotation vanished: this lane deflates here
                        d[up] -= q[L];
                        e[hi[L] * W + L] = 0;
                        live[L] = false;
                        continue;
                    }
                    double inv = 1 / r;
                    double sn = f * inv, cn = gl * inv;
                    double gg = d[up] - q[L];
                    double rr = (d[at] - gg) * sn + 2 * cn * b;
                    double qn = sn * rr;
                    d[up] = gg + qn;
                    g[L] = cn * rr - b;
                    s[L] = sn;
                    c[L] = cn;
                    q[L] = qn;
                }
            }
            deflate(q, g);
        }
    }

    // ---- the vector twins: the same operations in the same order on one vector of lanes ----

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    /** Lanes per vector: all {@link #LANES} (AVX-512) or half of them (AVX2). */
    private static final int H = S.length();
    /**
     * Whether the vector twins can run here: a preferred vector of all the lanes (AVX-512) or of
     * half of them (AVX2), whose halves run in turn (lanes never mix, so the bits are the same).
     */
    static final boolean VECTOR = H >= 4 && W % H == 0;
    private final double[] tmp = new double[W], lv = new double[W], mv = new double[W], g0 = new double[W];

    /** Element i's lanes o .. o + H − 1. */
    private static DoubleVector at(double[] x, int i, int o) {
        return DoubleVector.fromArray(S, x, i * W + o);
    }

    /** The lanes [0, count) on vectors of H lanes: a half whose lanes are all idle is skipped. */
    private void vTridiagonalize(int n, int count) {
        // one step per method: C2 inlines every vector operation of a small method (a large one
        // ran out of inlining budget and boxed its vectors, 10× slower)
        for (int k = 0; k < n - 2; k++) {
            int m = n - k - 1;
            for (int o = 0; o < count; o += H) {
                vReflector(n, k, o);
                vSymv(n, k, o);
                vCorrect(m, o);
                vRank2(n, k, o);
            }
        }
        DoubleVector zero = DoubleVector.zero(S);
        for (int o = 0; o < count; o += H) {
            if (n >= 2) {
                at(a, (n - 2) * n + n - 2, o).intoArray(d, (n - 2) * W + o);
                at(a, (n - 1) * n + n - 2, o).intoArray(e, (n - 2) * W + o);
            }
            at(a, (n - 1) * n + n - 1, o).intoArray(d, (n - 1) * W + o);
            zero.intoArray(e, (n - 1) * W + o);
        }
    }

    private final double[] hf = new double[W], hg = new double[W], hr = new double[W];

    /** r with the lanes in fix replaced by Math.hypot(f, g). */
    private DoubleVector hypot(DoubleVector f, DoubleVector g, DoubleVector r, VectorMask<Double> fix) {
        f.intoArray(hf, 0);
        g.intoArray(hg, 0);
        r.intoArray(hr, 0);
        long bits = fix.toLong();
        for (int k = 0; k < H; k++) {
            if ((bits >>> k & 1) != 0) {
                hr[k] = Math.hypot(hf[k], hg[k]);
            }
        }
        return DoubleVector.fromArray(S, hr, 0);
    }

    /** Column k below the diagonal → v (the Householder vector), d[k], e[k], and β into beta. */
    private void vReflector(int n, int k, int o) {
        int m = n - k - 1, c = k + 1;
        DoubleVector zero = DoubleVector.zero(S);
        DoubleVector norm2 = zero;
        for (int i = 0; i < m; i++) {
            DoubleVector x = at(a, (c + i) * n + k, o);
            x.intoArray(v, i * W + o);
            norm2 = norm2.add(x.mul(x)); // no FMA: the scalar solver's rounding
        }
        at(a, k * n + k, o).intoArray(d, k * W + o);
        DoubleVector v0 = at(v, 0, o);
        DoubleVector root = norm2.sqrt();
        DoubleVector alpha = root.blend(root.neg(), v0.compare(VectorOperators.GT, 0));
        VectorMask<Double> none = norm2.compare(VectorOperators.LT, SymmetricEigenvalues.TINY);
        alpha.blend(zero, none).intoArray(e, k * W + o);
        v0.sub(alpha).intoArray(v, o);
        DoubleVector vv = zero;
        for (int i = 0; i < m; i++) {
            DoubleVector x = at(v, i, o);
            vv = vv.add(x.mul(x));
        }
        // a zero column: β = 0 makes the reflector the identity, as the scalar solver's skip does
        DoubleVector.broadcast(S, 2).div(vv).blend(zero, none).intoArray(beta, o);
    }

    /**
     * p = A22·v from A22's lower triangle alone (symmetric): row i gives A_ij·v_j to p_i and
     * A_ij·v_i to p_j for j < i; each entry is read once for both.
     */
    private void vSymv(int n, int k, int o) {
        int m = n - k - 1, c = k + 1;
        DoubleVector zero = DoubleVector.zero(S);
        for (int i = 0; i < m; i++) {
            zero.intoArray(p, i * W + o);
        }
        for (int i = 0; i < m; i++) {
            int row = (c + i) * n + c;
            DoubleVector vi = at(v, i, o), t0 = zero, t1 = zero;
            int j = 0;
            for (; j + 1 < i; j += 2) { // two partial sums: the chain of adds halves
                DoubleVector a0 = at(a, row + j, o), a1 = at(a, row + j + 1, o);
                t0 = t0.add(a0.mul(at(v, j, o)));
                t1 = t1.add(a1.mul(at(v, j + 1, o)));
                at(p, j, o).add(a0.mul(vi)).intoArray(p, j * W + o);
                at(p, j + 1, o).add(a1.mul(vi)).intoArray(p, (j + 1) * W + o);
            }
            for (; j < i; j++) {
                DoubleVector a0 = at(a, row + j, o);
                t0 = t0.add(a0.mul(at(v, j, o)));
                at(p, j, o).add(a0.mul(vi)).intoArray(p, j * W + o);
            }
            at(p, i, o).add(t0.add(t1)).add(at(a, row + i, o).mul(vi)).intoArray(p, i * W + o);
        }
    }

    /** p → β·p − (β/2)(vᵀ·β·p)·v. */
    private void vCorrect(int m, int o) {
        DoubleVector b = DoubleVector.fromArray(S, beta, o), vp = DoubleVector.zero(S);
        for (int i = 0; i < m; i++) {
            DoubleVector pi = b.mul(at(p, i, o));
            pi.intoArray(p, i * W + o);
            vp = vp.add(at(v, i, o).mul(pi));
        }
        DoubleVector kk = b.mul(vp).div(2);
        for (int i = 0; i < m; i++) {
            at(p, i, o).sub(kk.mul(at(v, i, o))).intoArray(p, i * W + o);
        }
    }

    /** A22 −= v·pᵀ + p·vᵀ, lower triangle. */
    private void vRank2(int n, int k, int o) {
        int m = n - k - 1, c = k + 1;
        for (int i = 0; i < m; i++) {
            int row = (c + i) * n + c;
            DoubleVector vi = at(v, i, o), pi = at(p, i, o);
            for (int j = 0; j <= i; j++) {
                DoubleVector t = vi.mul(at(p, j, o)).add(pi.mul(at(v, j, o)));
                at(a, row + j, o).sub(t).intoArray(a, (row + j) * W + o);
            }
        }
    }

    /**
     * The windows of the lanes [o, o + H), as the scalar solver finds them, in one vector pass: l
     * moves past the eigenvalues that have converged (a negligible e[l]), m is the first
     * negligible e at or after the new l (n−1 if none); a lane whose l reaches n−1 is done
     * (l = n). Into lo, hi.
     */
    private void vWindows(int n, int o) {
        int min = n;
        for (int k = o; k < o + H; k++) {
            min = Math.min(min, lo[k]);
            lv[k] = lo[k];
        }
        DoubleVector l = DoubleVector.fromArray(S, lv, o), m = DoubleVector.broadcast(S, n - 1);
        VectorMask<Double> found = S.maskAll(false);
        for (int i = min; i < n - 1; i++) {
            DoubleVector iv = DoubleVector.broadcast(S, (double) i);
            DoubleVector dd = at(d, i, o).abs().add(at(d, i + 1, o).abs());
            VectorMask<Double> small = at(e, i, o).abs().compare(VectorOperators.LE, dd.mul(0x1p-53).max(SymmetricEigenvalues.NEGLIGIBLE));
            VectorMask<Double> hit = small.and(iv.compare(VectorOperators.GT, l)).andNot(found);
            l = l.blend(iv.add(1), small.and(iv.compare(VectorOperators.EQ, l)));
            m = m.blend(iv, hit);
            found = found.or(hit);
        }
        l.intoArray(lv, o);
        m.intoArray(mv, o);
        long foundBits = found.toLong(); // one mask-to-bits move: laneIsSet on 4-double masks went through a boolean[] (3 % of AVX2 samples)
        for (int k = 0; k < H; k++) {
            int nl = (int) lv[o + k];
            if (nl >= n - 1 && (foundBits >>> k & 1) == 0) {
                nl = n; // m = l = n−1: the last eigenvalue has converged too
            }
            if (nl != lo[o + k]) {
                iter[o + k] = 0;
            }
            lo[o + k] = nl;
            hi[o + k] = (int) mv[o + k];
        }
    }

    /** Implicit QL on the tridiagonals (d, e) of the lanes [0, count): eigenvalues into d. */
    private void vQl(int n, int count) {
        qlStart(n, count);
        while (true) {
            long window = shifts(n, count);
            if (window < 0) {
                return;
            }
            int from = (int) (window >>> 32), to = (int) window;
            if (H == W) {
                vSweep(from, to, 0);
            } else if (count <= H) { // the upper half is idle
                vSweep(from, to, 0);
                Arrays.fill(live, H, W, false);
            } else if (H * 2 == W) {
                vSweepPair(this, H, from, to);
            } else {
                for (int o = 0; o < W; o += H) {
                    vSweep(from, to, o);
                }
            }
            deflate(tmp, g0);
        }
    }

    /**
     * vQl on this batch's lanes [0, count) and y's [0, countY) at once (H = W): every pass, each
     * batch's live lanes take one QL step, as in vQl, the two batches' sweeps in one loop while
     * both have lanes left.
     */
    private void vQlPair(BatchedEigenvalues y, int n, int count, int countY) {
        qlStart(n, count);
        y.qlStart(n, countY);
        boolean doneX = false, doneY = false;
        while (!doneX || !doneY) {
            long wx = doneX ? -1 : shifts(n, count), wy = doneY ? -1 : y.shifts(n, countY);
            doneX = wx < 0;
            doneY = wy < 0;
            if (!doneX && !doneY) {
                vSweepPair(y, 0, Math.min((int) (wx >>> 32), (int) (wy >>> 32)), Math.max((int) wx, (int) wy));
            } else if (!doneX) {
                vSweep((int) (wx >>> 32), (int) wx, 0);
            } else if (!doneY) {
                y.vSweep((int) (wy >>> 32), (int) wy, 0);
            }
            if (!doneX) {
                deflate(tmp, g0);
            }
            if (!doneY) {
                y.deflate(y.tmp, y.g0);
            }
        }
    }

    private void qlStart(int n, int count) {
        for (int k = 0; k < W; k++) {
            lo[k] = k < count ? 0 : n;
            iter[k] = 0;
        }
    }

    /**
     * One QL step's set-up for every lane: its window into lo/hi (lv/mv for the sweep: an idle
     * lane gets the empty [n, −1)) and its shift into g0. The union of the windows as from << 32 | to,
     * or −1 when every lane has converged.
     */
    private long shifts(int n, int count) {
        int from = n, to = -1;
        for (int o = 0; o < count; o += H) {
            vWindows(n, o);
        }
        for (int k = 0; k < W; k++) {
            int l = lo[k], m = hi[k];
            if (l >= n) {
                lv[k] = n; // idle: no index is inside [n, -1)
                mv[k] = -1;
                continue;
            }
            if (iter[k]++ == 60) {
                throw new ArithmeticException("tridiagonal QL did not converge");
            }
            lv[k] = l;
            mv[k] = m;
            double dl = d[l * W + k], el = e[l * W + k];
            double g = (d[(l + 1) * W + k] - dl) / (2 * el);
            double r = SymmetricEigenvalues.hypot(g, 1);
            g0[k] = d[m * W + k] - dl + el / (g + Math.copySign(r, g));
            from = Math.min(from, l);
            to = Math.max(to, m);
        }
        return to < 0 ? -1 : (long) from << 32 | to;
    }

    /** After a sweep: each live lane's d[l] −= q, e[l] = g, e[m] = 0 (the scalar lanes' q, g; the vector sweep's tmp, g0). */
    private void deflate(double[] q, double[] g) {
        for (int k = 0; k < W; k++) {
            if (live[k]) {
                int l = lo[k];
                d[l * W + k] -= q[k];
                e[l * W + k] = g[k];
                e[hi[k] * W + k] = 0;
            }
        }
    }

    /**
     * One QL sweep of the lanes [o, o + H), rotations i = to − 1 down to from, each lane inside
     * its own window [lv, mv) alone; the lanes' q into tmp, g into g0 (read from it first), and
     * whether the lane is still live (not deflated by a vanishing rotation) into live.
     */
    private void vSweep(int from, int to, int o) {
        DoubleVector lvec = DoubleVector.fromArray(S, lv, o), mvec = DoubleVector.fromArray(S, mv, o);
        VectorMask<Double> live = mvec.compare(VectorOperators.GE, 0);
        DoubleVector one = DoubleVector.broadcast(S, 1), two = DoubleVector.broadcast(S, 2);
        DoubleVector s = one, c = one, q = DoubleVector.zero(S), g = DoubleVector.fromArray(S, g0, o);
        for (int i = to - 1; i >= from; i--) {
            DoubleVector iv = DoubleVector.broadcast(S, (double) i);
            VectorMask<Double> act = live.and(lvec.compare(VectorOperators.LE, iv)).and(mvec.compare(VectorOperators.GT, iv));
            DoubleVector ei = at(e, i, o), di = at(d, i, o), d1 = at(d, i + 1, o);
            DoubleVector f = s.mul(ei), b = c.mul(ei);
            DoubleVector sum = f.mul(f).add(g.mul(g)), r = sum.sqrt();
            // (only the active lanes' r is used: an idle lane's zero sum needs no Math.hypot)
            VectorMask<Double> offRange = sum.compare(VectorOperators.LT, SymmetricEigenvalues.TINY)
                    .or(sum.compare(VectorOperators.EQ, Double.POSITIVE_INFINITY)).and(act);
            if (offRange.anyTrue()) { // squares left the normal range: Math.hypot, as the scalar twin
                r = hypot(f, g, r, offRange);
            }
            at(e, i + 1, o).blend(r, act).intoArray(e, (i + 1) * W + o);
            VectorMask<Double> split = act.and(r.compare(VectorOperators.EQ, 0));
            if (split.anyTrue()) { // a lane's rotation vanished: it deflates here, as the scalar solver does
                d1 = split(d1, q, split, i, o);
                live = live.andNot(split);
                act = act.andNot(split);
            }
            DoubleVector inv = one.div(r);
            DoubleVector sn = f.mul(inv), cn = g.mul(inv);
            DoubleVector gg = d1.sub(q);
            DoubleVector rr = di.sub(gg).mul(sn).add(two.mul(cn).mul(b));
            DoubleVector qn = sn.mul(rr);
            d1.blend(gg.add(qn), act).intoArray(d, (i + 1) * W + o);
            DoubleVector gn = cn.mul(rr).sub(b);
            s = s.blend(sn, act);
            c = c.blend(cn, act);
            q = q.blend(qn, act);
            g = g.blend(gn, act);
        }
        q.intoArray(tmp, o);
        g.intoArray(g0, o);
        live.intoArray(this.live, o);
    }

    /** The lanes in split deflate at rotation i: d[i+1] −= q, e[hi] = 0; the new d[i+1]. */
    private DoubleVector split(DoubleVector d1, DoubleVector q, VectorMask<Double> split, int i, int o) {
        d1 = d1.blend(d1.sub(q), split);
        d1.intoArray(d, (i + 1) * W + o);
        long bits = split.toLong();
        for (int k = 0; k < H; k++) {
            if ((bits >>> k & 1) != 0) {
                e[hi[o + k] * W + o + k] = 0;
            }
        }
        return d1;
    }

    /**
     * One QL step on two sets of lanes in one loop: this batch's lanes [0, H) and y's lanes [o, o + H).
     * Each set's rotations are a chain of square roots and divisions, and two independent chains let the
     * core overlap them (one set at a time would wait on every link). Used for the two halves of one
     * batch (y = this, o = H: AVX2) and for two batches (o = 0, H = W: AVX-512). Each set's operations
     * are vSweep's.
     */
    private void vSweepPair(BatchedEigenvalues y, int o, int from, int to) {
        DoubleVector lvA = DoubleVector.fromArray(S, lv, 0), mvA = DoubleVector.fromArray(S, mv, 0);
        DoubleVector lvB = DoubleVector.fromArray(S, y.lv, o), mvB = DoubleVector.fromArray(S, y.mv, o);
        VectorMask<Double> liveA = mvA.compare(VectorOperators.GE, 0), liveB = mvB.compare(VectorOperators.GE, 0);
        DoubleVector one = DoubleVector.broadcast(S, 1), two = DoubleVector.broadcast(S, 2);
        DoubleVector sA = one, cA = one, qA = DoubleVector.zero(S), gA = DoubleVector.fromArray(S, g0, 0);
        DoubleVector sB = one, cB = one, qB = DoubleVector.zero(S), gB = DoubleVector.fromArray(S, y.g0, o);
        for (int i = to - 1; i >= from; i--) {
            DoubleVector iv = DoubleVector.broadcast(S, (double) i);
            VectorMask<Double> actA = liveA.and(lvA.compare(VectorOperators.LE, iv)).and(mvA.compare(VectorOperators.GT, iv));
            VectorMask<Double> actB = liveB.and(lvB.compare(VectorOperators.LE, iv)).and(mvB.compare(VectorOperators.GT, iv));
            DoubleVector eiA = at(e, i, 0), diA = at(d, i, 0), d1A = at(d, i + 1, 0);
            DoubleVector eiB = at(y.e, i, o), diB = at(y.d, i, o), d1B = at(y.d, i + 1, o);
            DoubleVector fA = sA.mul(eiA), bA = cA.mul(eiA);
            DoubleVector fB = sB.mul(eiB), bB = cB.mul(eiB);
            DoubleVector sumA = fA.mul(fA).add(gA.mul(gA)), rA = sumA.sqrt();
            DoubleVector sumB = fB.mul(fB).add(gB.mul(gB)), rB = sumB.sqrt();
            VectorMask<Double> offA = sumA.compare(VectorOperators.LT, SymmetricEigenvalues.TINY)
                    .or(sumA.compare(VectorOperators.EQ, Double.POSITIVE_INFINITY)).and(actA);
            VectorMask<Double> offB = sumB.compare(VectorOperators.LT, SymmetricEigenvalues.TINY)
                    .or(sumB.compare(VectorOperators.EQ, Double.POSITIVE_INFINITY)).and(actB);
            if (offA.anyTrue()) { // squares left the normal range: Math.hypot, as the scalar twin
                rA = hypot(fA, gA, rA, offA);
            }
            if (offB.anyTrue()) {
                rB = y.hypot(fB, gB, rB, offB);
            }
            at(e, i + 1, 0).blend(rA, actA).intoArray(e, (i + 1) * W);
            at(y.e, i + 1, o).blend(rB, actB).intoArray(y.e, (i + 1) * W + o);
            VectorMask<Double> splitA = actA.and(rA.compare(VectorOperators.EQ, 0));
            VectorMask<Double> splitB = actB.and(rB.compare(VectorOperators.EQ, 0));
            if (splitA.anyTrue()) { // a lane's rotation vanished: it deflates here, as the scalar solver does
                d1A = split(d1A, qA, splitA, i, 0);
                liveA = liveA.andNot(splitA);
                actA = actA.andNot(splitA);
            }
            if (splitB.anyTrue()) {
                d1B = y.split(d1B, qB, splitB, i, o);
                liveB = liveB.andNot(splitB);
                actB = actB.andNot(splitB);
            }
            DoubleVector invA = one.div(rA), invB = one.div(rB);
            DoubleVector snA = fA.mul(invA), cnA = gA.mul(invA);
            DoubleVector snB = fB.mul(invB), cnB = gB.mul(invB);
            DoubleVector ggA = d1A.sub(qA), ggB = d1B.sub(qB);
            DoubleVector rrA = diA.sub(ggA).mul(snA).add(two.mul(cnA).mul(bA));
            DoubleVector rrB = diB.sub(ggB).mul(snB).add(two.mul(cnB).mul(bB));
            DoubleVector qnA = snA.mul(rrA), qnB = snB.mul(rrB);
            d1A.blend(ggA.add(qnA), actA).intoArray(d, (i + 1) * W);
            d1B.blend(ggB.add(qnB), actB).intoArray(y.d, (i + 1) * W + o);
            DoubleVector gnA = cnA.mul(rrA).sub(bA), gnB = cnB.mul(rrB).sub(bB);
            sA = sA.blend(snA, actA);
            cA = cA.blend(cnA, actA);
            qA = qA.blend(qnA, actA);
            gA = gA.blend(gnA, actA);
            sB = sB.blend(snB, actB);
            cB = cB.blend(cnB, actB);
            qB = qB.blend(qnB, actB);
            gB = gB.blend(gnB, actB);
        }
        qA.intoArray(tmp, 0);
        qB.intoArray(y.tmp, o);
        gA.intoArray(g0, 0);
        gB.intoArray(y.g0, o);
        liveA.intoArray(live, 0);
        liveB.intoArray(y.live, o);
    }
}
