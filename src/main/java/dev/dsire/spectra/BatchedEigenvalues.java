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
 * blends). Every lane sees exactly the arithmetic of the scalar solver, in the same order: the
 * results are bitwise those of {@link SymmetricEigenvalues} (tests check it), so the accuracy
 * argument carries over unchanged.
 *
 * <p>Storage is lane-interleaved: element x of matrix k lives at x·LANES + k. Instances hold
 * scratch space: one per thread.
 */
final class BatchedEigenvalues {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    /** Matrices per batch: the number of doubles in the preferred vector (8 with AVX-512, 4 with AVX2). */
    static final int LANES = S.length();
    private static final int W = LANES;

    private double[] a = new double[0], d = new double[0], e = new double[0], v = new double[0], p = new double[0];
    private final int[] lo = new int[W], hi = new int[W], iter = new int[W], exp = new int[W];
    private final double[] tmp = new double[W], lv = new double[W], mv = new double[W], g0 = new double[W];

    /**
     * The eigenvalues of the symmetric n×n matrices g[0..count) (row-major, only read), each in
     * descending order into out[k][0..n). count ≤ {@link #LANES}.
     */
    void compute(double[][] g, int count, int n, double[][] out) {
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
        for (int k = 0; k < W; k++) {
            if (k < count) {
                // scale by a power of two near the largest diagonal entry: exact, keeps squares in range
                double[] x = g[k];
                double max = 0;
                for (int i = 0; i < n; i++) {
                    max = Math.max(max, Math.abs(x[i * n + i]));
                }
                int s = max == 0 || !Double.isFinite(max) ? 0 : Math.getExponent(max);
                exp[k] = s;
                for (int i = 0, j = k; i < n * n; i++, j += W) {
                    a[j] = Math.scalb(x[i], -s);
                }
            } else { // an idle lane: the zero matrix, which converges at once
                for (int i = 0, j = k; i < n * n; i++, j += W) {
                    a[j] = 0;
                }
            }
        }
        tridiagonalize(n);
        ql(n, count);
        for (int k = 0; k < count; k++) {
            double[] o = out[k];
            for (int i = 0; i < n; i++) {
                o[i] = Math.scalb(d[i * W + k], exp[k]);
            }
            Arrays.sort(o, 0, n);
            for (int i = 0, j = n - 1; i < j; i++, j--) {
                double t = o[i];
                o[i] = o[j];
                o[j] = t;
            }
        }
    }

    private static DoubleVector at(double[] x, int i) {
        return DoubleVector.fromArray(S, x, i * W);
    }

    /** a → H·a·H, every lane; diagonal to d, subdiagonal to e (e[n-1] = 0). */
    void tridiagonalize(int n) {
        DoubleVector zero = DoubleVector.zero(S);
        for (int k = 0; k < n - 2; k++) {
            int m = n - k - 1, o = k + 1;
            DoubleVector norm2 = zero;
            for (int i = 0; i < m; i++) {
                DoubleVector x = at(a, (o + i) * n + k);
                x.intoArray(v, i * W);
                norm2 = norm2.add(x.mul(x)); // no FMA: the scalar solver's exact rounding
            }
            at(a, k * n + k).intoArray(d, k * W);
            DoubleVector v0 = at(v, 0);
            DoubleVector root = norm2.sqrt();
            DoubleVector alpha = root.blend(root.neg(), v0.compare(VectorOperators.GT, 0));
            VectorMask<Double> none = norm2.compare(VectorOperators.EQ, 0);
            alpha.blend(zero, none).intoArray(e, k * W);
            v0.sub(alpha).intoArray(v, 0);
            DoubleVector vv = zero;
            for (int i = 0; i < m; i++) {
                DoubleVector x = at(v, i);
                vv = vv.add(x.mul(x));
            }
            // a zero column: β = 0 makes the reflector the identity, as the scalar solver's skip does
            DoubleVector beta = DoubleVector.broadcast(S, 2).div(vv).blend(zero, none);
            // p = β·A22·v as a sum of A22's rows scaled by β·v (A22 symmetric)
            Arrays.fill(p, 0, m * W, 0);
            for (int j = 0; j < m; j++) {
                DoubleVector vj = beta.mul(at(v, j));
                int row = (o + j) * n + o;
                for (int i = 0; i < m; i++) {
                    at(p, i).add(vj.mul(at(a, row + i))).intoArray(p, i * W);
                }
            }
            DoubleVector vp = zero;
            for (int i = 0; i < m; i++) {
                vp = vp.add(at(v, i).mul(at(p, i)));
            }
            DoubleVector kk = beta.mul(vp).div(2);
            for (int i = 0; i < m; i++) {
                at(p, i).sub(kk.mul(at(v, i))).intoArray(p, i * W);
            }
            for (int i = 0; i < m; i++) {
                int row = (o + i) * n + o;
                DoubleVector vi = at(v, i), pi = at(p, i);
                for (int j = 0; j < m; j++) {
                    DoubleVector t = vi.mul(at(p, j)).add(pi.mul(at(v, j)));
                    at(a, row + j).sub(t).intoArray(a, (row + j) * W);
                }
            }
        }
        if (n >= 2) {
            at(a, (n - 2) * n + n - 2).intoArray(d, (n - 2) * W);
            at(a, (n - 1) * n + n - 2).intoArray(e, (n - 2) * W);
        }
        at(a, (n - 1) * n + n - 1).intoArray(d, (n - 1) * W);
        zero.intoArray(e, (n - 1) * W);
    }

    /** Implicit QL on every lane's tridiagonal (d, e): eigenvalues into d. */
    void ql(int n, int count) {
        for (int k = 0; k < W; k++) {
            lo[k] = k < count ? 0 : n;
            iter[k] = 0;
        }
        while (true) {
            int from = n, to = -1;
            for (int k = 0; k < W; k++) {
                // lane k: find its window [l, m), moving l past eigenvalues that have converged
                int l = lo[k], m = l;
                while (l < n) {
                    for (m = l; m < n - 1; m++) {
                        double dd = Math.abs(d[m * W + k]) + Math.abs(d[(m + 1) * W + k]);
                        if (Math.abs(e[m * W + k]) <= 0x1p-53 * dd) {
                            break;
                        }
                    }
                    if (m != l) {
                        break;
                    }
                    l++;
                    iter[k] = 0;
                }
                lo[k] = l;
                if (l >= n) {
                    lv[k] = n; // idle: no index is inside [n, -1)
                    mv[k] = -1;
                    continue;
                }
                if (iter[k]++ == 60) {
                    throw new ArithmeticException("tridiagonal QL did not converge");
                }
                hi[k] = m;
                lv[k] = l;
                mv[k] = m;
                double dl = d[l * W + k], el = e[l * W + k];
                double g = (d[(l + 1) * W + k] - dl) / (2 * el);
                double r = Math.sqrt(g * g + 1);
                g0[k] = d[m * W + k] - dl + el / (g + Math.copySign(r, g));
                from = Math.min(from, l);
                to = Math.max(to, m);
            }
            if (to < 0) {
                return;
            }
            DoubleVector lvec = DoubleVector.fromArray(S, lv, 0), mvec = DoubleVector.fromArray(S, mv, 0);
            VectorMask<Double> live = mvec.compare(VectorOperators.GE, 0);
            DoubleVector one = DoubleVector.broadcast(S, 1), two = DoubleVector.broadcast(S, 2);
            DoubleVector s = one, c = one, q = DoubleVector.zero(S), g = DoubleVector.fromArray(S, g0, 0);
            for (int i = to - 1; i >= from; i--) {
                DoubleVector iv = DoubleVector.broadcast(S, (double) i);
                VectorMask<Double> act = live.and(lvec.compare(VectorOperators.LE, iv)).and(mvec.compare(VectorOperators.GT, iv));
                DoubleVector ei = at(e, i), di = at(d, i), d1 = at(d, i + 1);
                DoubleVector f = s.mul(ei), b = c.mul(ei);
                DoubleVector r = f.mul(f).add(g.mul(g)).sqrt();
                at(e, i + 1).blend(r, act).intoArray(e, (i + 1) * W);
                VectorMask<Double> split = act.and(r.compare(VectorOperators.EQ, 0));
                if (split.anyTrue()) { // a lane's rotation vanished: it deflates here, as the scalar solver does
                    d1 = d1.blend(d1.sub(q), split);
                    d1.intoArray(d, (i + 1) * W);
                    for (int k = 0; k < W; k++) {
                        if (split.laneIsSet(k)) {
                            e[hi[k] * W + k] = 0;
                        }
                    }
                    live = live.andNot(split);
                    act = act.andNot(split);
                }
                DoubleVector inv = one.div(r);
                DoubleVector sn = f.mul(inv), cn = g.mul(inv);
                DoubleVector gg = d1.sub(q);
                DoubleVector rr = di.sub(gg).mul(sn).add(two.mul(cn).mul(b));
                DoubleVector qn = sn.mul(rr);
                d1.blend(gg.add(qn), act).intoArray(d, (i + 1) * W);
                DoubleVector gn = cn.mul(rr).sub(b);
                s = s.blend(sn, act);
                c = c.blend(cn, act);
                q = q.blend(qn, act);
                g = g.blend(gn, act);
            }
            q.intoArray(tmp, 0);
            g.intoArray(g0, 0);
            for (int k = 0; k < W; k++) {
                if (live.laneIsSet(k)) {
                    int l = lo[k];
                    d[l * W + k] -= tmp[k];
                    e[l * W + k] = g0[k];
                    e[hi[k] * W + k] = 0;
                }
            }
        }
    }
}
