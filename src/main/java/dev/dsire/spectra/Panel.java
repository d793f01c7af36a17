package dev.dsire.spectra;

import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.TensorView;

/**
 * One LoRA factor as the tall m×n matrix X whose singular values it shares (n = the rank): X = Aᵀ
 * for the down projection A (r×k), X = B for the up projection (d×r). The kernels read X a block of
 * rows at a time, straight from the mapped tensor, so no layer is ever decoded whole: heap per
 * layer is bounded by the block, not by the tensor, and every index is a long.
 *
 * <p>F64 values are divided by 2^{@link #exponent()} (a power of two near their largest magnitude)
 * as they are read, so squaring them in a Gram matrix neither underflows nor overflows; σ is
 * scale-equivariant and the caller multiplies it back exactly. F16, BF16 and F32 squares fit in a
 * double as they are.
 */
abstract sealed class Panel permits Panel.OfColumns, Panel.OfRows, Panel.OfArray, Panel.OfKhatriRao {
    private final long rows;
    private final int cols;
    private final int exponent;

    private Panel(long rows, int cols, int exponent) {
        this.rows = rows;
        this.cols = cols;
        this.exponent = exponent;
    }

    /** X = Tᵀ for a tensor T stored row-major as n rows of length m (A, r×k). */
    static Panel transposeOf(TensorView t, int n, long m) {
        return new OfColumns(t, n, m, exponentOf(t));
    }

    /** X = T for a tensor T stored row-major as m rows of length n (B, d×r). */
    static Panel of(TensorView t, long m, int n) {
        return new OfRows(t, m, n, exponentOf(t));
    }

    /** X = Tᵀ for a row-major double array of n rows of length m; for tests and callers holding doubles. */
    static Panel transposeOf(double[] t, int n, int m) {
        return new OfArray(t, n, m);
    }

    /**
     * X with rows x1[i,:] ⊗ x2[i,:] (x1 m×n1, x2 m×n2, row-major): LoHa's B = B₁ ⊙ᵣ B₂ (X_B), or, for
     * x1 = A₁ᵀ and x2 = A₂ᵀ, Aᵀ with A = A₁ ⊙꜀ A₂ (X_A). Formed a block of rows at a time as it is read.
     */
    static Panel rowKhatriRao(double[] x1, int n1, double[] x2, int n2, int m) {
        return new OfKhatriRao(x1, n1, x2, n2, m);
    }

    /** m, the number of rows of X. */
    final long rows() {
        return rows;
    }

    /** n, the number of columns of X: the rank. */
    final int cols() {
        return cols;
    }

    /** Values were divided by 2^exponent when read; σ(X) = 2^exponent · σ(what was read). */
    final int exponent() {
        return exponent;
    }

    /**
     * Rows [from, from+len) of X, transposed: out[c·len + i] = X[from+i, c] / 2^exponent.
     * scratch holds at least len·n doubles. Returns false if any value is NaN or infinite.
     */
    abstract boolean fill(long from, int len, double[] out, double[] scratch);

    /**
     * Rows [from, from+len) of X as stored, row-major (out[i·n + c] = X[from+i, c] / 2^exponent),
     * where that is a plain copy (X = B); null where X is stored transposed.
     */
    Boolean fillRows(long from, int len, double[] out) {
        return null;
    }

    private static int exponentOf(TensorView t) {
        if (t.dtype() != DType.F64) {
            return 0;
        }
        double max = t.maxAbs();
        return max == 0 || !Double.isFinite(max) ? 0 : Math.getExponent(max);
    }

    final boolean unscale(double[] out, int count, boolean finite) {
        if (exponent != 0) {
            for (int i = 0; i < count; i++) {
                out[i] = Math.scalb(out[i], -exponent);
            }
        }
        return finite;
    }

    private static final class OfColumns extends Panel {
        private final TensorView t;

        OfColumns(TensorView t, int n, long m, int exponent) {
            super(m, n, exponent);
            this.t = t;
        }

        @Override
        boolean fill(long from, int len, double[] out, double[] scratch) {
            boolean finite = true;
            long m = rows();
            if (len == m) { // the whole tensor (an SD 1.5 down factor): its n rows in one call, not n
                finite = t.decode(0, (int) (m * cols()), out, 0);
            } else {
                for (int c = 0; c < cols(); c++) {
                    finite &= t.decode(c * m + from, len, out, c * len);
                }
            }
            return unscale(out, cols() * len, finite);
        }
    }

    private static final class OfRows extends Panel {
        private final TensorView t;

        OfRows(TensorView t, long m, int n, int exponent) {
            super(m, n, exponent);
            this.t = t;
        }

        @Override
        Boolean fillRows(long from, int len, double[] out) {
            return unscale(out, len * cols(), t.decode(from * cols(), len * cols(), out, 0));
        }

        @Override
        boolean fill(long from, int len, double[] out, double[] scratch) {
            int n = cols();
            boolean finite = t.decode(from * n, len * n, scratch, 0);
            for (int i = 0; i < len; i++) {
                for (int c = 0; c < n; c++) {
                    out[c * len + i] = scratch[i * n + c];
                }
            }
            return unscale(out, n * len, finite);
        }
    }

    private static final class OfKhatriRao extends Panel {
        private final double[] x1, x2;
        private final int n1, n2;

        OfKhatriRao(double[] x1, int n1, double[] x2, int n2, int m) {
            super(m, n1 * n2, exponentOf(x1, n1, x2, n2, m));
            this.x1 = x1;
            this.x2 = x2;
            this.n1 = n1;
            this.n2 = n2;
        }

        /** The exponent of the largest |x1[i,p]·x2[i,q]|: each row's largest magnitudes multiplied. */
        private static int exponentOf(double[] x1, int n1, double[] x2, int n2, int m) {
            double max = 0;
            for (int i = 0; i < m; i++) {
                double a = 0, b = 0;
                for (int p = 0; p < n1; p++) {
                    a = Math.max(a, Math.abs(x1[i * n1 + p]));
                }
                for (int q = 0; q < n2; q++) {
                    b = Math.max(b, Math.abs(x2[i * n2 + q]));
                }
                max = Math.max(max, a * b);
            }
            return max == 0 || !Double.isFinite(max) ? 0 : Math.getExponent(max);
        }

        @Override
        boolean fill(long from, int len, double[] out, double[] scratch) {
            boolean finite = true;
            int f = (int) from;
            for (int i = 0; i < len; i++) {
                int row = f + i;
                for (int p = 0; p < n1; p++) {
                    double a = x1[row * n1 + p];
                    for (int q = 0; q < n2; q++) {
                        double v = a * x2[row * n2 + q];
                        finite &= Double.isFinite(v);
                        out[(p * n2 + q) * len + i] = v;
                    }
                }
            }
            return unscale(out, cols() * len, finite);
        }
    }

    private static final class OfArray extends Panel {
        private final double[] t;

        OfArray(double[] t, int n, int m) {
            super(m, n, exponentOf(t));
            this.t = t;
        }

        private static int exponentOf(double[] t) {
            double max = 0;
            for (double v : t) {
                max = Math.max(max, Math.abs(v));
            }
            return max == 0 || !Double.isFinite(max) ? 0 : Math.getExponent(max);
        }

        @Override
        boolean fill(long from, int len, double[] out, double[] scratch) {
            boolean finite = true;
            int m = (int) rows();
            for (int c = 0; c < cols(); c++) {
                for (int i = 0; i < len; i++) {
                    double v = t[c * m + (int) from + i];
                    finite &= Double.isFinite(v);
                    out[c * len + i] = v;
                }
            }
            return unscale(out, cols() * len, finite);
        }
    }
}
