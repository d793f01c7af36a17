package dev.dsire.lora;

import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.TensorInfo;
import dev.dsire.safetensors.TensorView;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Factors PEFT variants store in pieces, rebuilt as plain A (r×k) and B (d×r) so every backend
 * reads them like any LoRA factor: KaSA's diagonal and AdaLoRA's E folded into A's rows,
 * BD-LoRA's blocks laid out on the diagonal, one expert's columns gathered from a MoE B. Held as
 * F64 in memory (a view over the file where no rebuilding is needed), so no precision is lost.
 */
final class DerivedFactor {
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private DerivedFactor() {}

    /** All of v's elements (C order) as doubles. */
    static double[] decode(TensorView v) {
        long n = v.elementCount();
        double[] out = new double[Math.toIntExact(n)];
        v.decode(0, out.length, out, 0); // NaN/inf pass through: the backends refuse them by layer
        return out;
    }

    /** An F64 tensor view over values, shaped rows×cols. */
    static TensorView of(String name, double[] values, long rows, long cols) {
        MemorySegment seg = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 8)]);
        for (int i = 0; i < values.length; i++) {
            seg.set(F64, 8L * i, values[i]);
        }
        return new TensorView(new TensorInfo(name, DType.F64, new long[] {rows, cols}, 0, 8L * values.length), seg);
    }

    /** The same bytes seen as a 2-D rows×cols tensor (conv kernels flattened; no copy). */
    static TensorView flat(TensorView v, long rows, long cols) {
        TensorInfo i = v.info();
        return new TensorView(new TensorInfo(i.name(), i.dtype(), new long[] {rows, cols}, i.begin(), i.end()), v.bytes());
    }

    /** diag(d)·A: row i of A (r×k) times d[i]. */
    static TensorView scaleRows(TensorView a, int r, int k, double[] d, String name) {
        double[] x = decode(a);
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < k; j++) {
                x[i * k + j] *= d[i];
            }
        }
        return of(name, x, r, k);
    }

    /**
     * torch.block_diag of torch.chunk(w, n, dim=0): w (rows×cols) cut into n row blocks, block i
     * placed at rows i·rows/n, columns i·cols → a rows×(cols·n) matrix.
     */
    static TensorView blockDiagonal(TensorView w, int rows, int cols, int n, String name) {
        double[] x = decode(w);
        int br = rows / n, width = cols * n;
        double[] out = new double[Math.multiplyExact(rows, width)];
        for (int i = 0; i < rows; i++) {
            int block = i / br;
            System.arraycopy(x, i * cols, out, i * width + block * cols, cols);
        }
        return of(name, out, rows, width);
    }

    /** Rows [from, from+count) of a 2-D view (k columns), without copying. */
    static TensorView rows(TensorView a, int from, int count, int k) {
        long w = a.dtype().bits() / 8;
        TensorInfo i = a.info();
        return new TensorView(new TensorInfo(i.name(), i.dtype(), new long[] {count, k}, 0, count * k * w),
                a.bytes().asSlice((long) from * k * w, (long) count * k * w));
    }

    /** Columns e, e+stride, e+2·stride, … (count of them) of B (d×cols, decoded). */
    static TensorView strideColumns(double[] b, int d, int cols, int e, int stride, int count, String name) {
        double[] out = new double[Math.multiplyExact(d, count)];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < count; j++) {
                out[i * count + j] = b[i * cols + j * stride + e];
            }
        }
        return of(name, out, d, count);
    }
}
