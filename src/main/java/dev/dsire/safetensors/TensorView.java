package dev.dsire.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A zero-copy view of one tensor's bytes inside a mapped file. Values are decoded to double on
 * access; only {@link DType#isDecodable() decodable} types can be read.
 */
public record TensorView(TensorInfo info, MemorySegment bytes) {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public DType dtype() {
        return info.dtype();
    }

    public long elementCount() {
        return info.elementCount();
    }

    /** Element i (flat, C order) as a double. */
    public double get(long i) {
        return switch (info.dtype()) {
            case F16 -> Float.float16ToFloat(bytes.get(F16, i * 2));
            case BF16 -> Float.intBitsToFloat(bytes.get(F16, i * 2) << 16);
            case F32 -> bytes.get(F32, i * 4);
            case F64 -> bytes.get(F64, i * 8);
            default -> throw new IllegalStateException("cannot decode " + info.dtype() + " tensor " + info.name());
        };
    }

    /**
     * Decodes count elements starting at flat index from into dst[at..]. Returns false if any of
     * them is NaN or infinite, so callers can refuse corrupt weights without a second pass.
     */
    public boolean decode(long from, int count, double[] dst, int at) {
        boolean finite = true;
        switch (info.dtype()) {
            case F16 -> {
                long off = from * 2;
                for (int i = 0; i < count; i++, off += 2) {
                    float v = Float.float16ToFloat(bytes.get(F16, off));
                    finite &= Float.isFinite(v);
                    dst[at + i] = v;
                }
            }
            case BF16 -> {
                long off = from * 2;
                for (int i = 0; i < count; i++, off += 2) {
                    float v = Float.intBitsToFloat(bytes.get(F16, off) << 16);
                    finite &= Float.isFinite(v);
                    dst[at + i] = v;
                }
            }
            case F32 -> {
                long off = from * 4;
                for (int i = 0; i < count; i++, off += 4) {
                    float v = bytes.get(F32, off);
                    finite &= Float.isFinite(v);
                    dst[at + i] = v;
                }
            }
            case F64 -> {
                long off = from * 8;
                for (int i = 0; i < count; i++, off += 8) {
                    double v = bytes.get(F64, off);
                    finite &= Double.isFinite(v);
                    dst[at + i] = v;
                }
            }
            default -> throw new IllegalStateException("cannot decode " + info.dtype() + " tensor " + info.name());
        }
        return finite;
    }

    /** The largest magnitude of any element (NaN if any is NaN); one pass over the bytes, long-indexed. */
    public double maxAbs() {
        long n = elementCount();
        double max = 0;
        double[] buf = new double[(int) Math.min(n, 4096)];
        for (long i = 0; i < n; i += buf.length) {
            int c = (int) Math.min(buf.length, n - i);
            decode(i, c, buf, 0);
            for (int j = 0; j < c; j++) {
                double v = Math.abs(buf[j]);
                max = v > max || Double.isNaN(v) ? v : max;
            }
        }
        return max;
    }

    /** Whether every element is a finite number. */
    public boolean allFinite() {
        long n = elementCount();
        double[] buf = new double[(int) Math.min(n, 4096)];
        for (long i = 0; i < n; i += buf.length) {
            int c = (int) Math.min(buf.length, n - i);
            if (!decode(i, c, buf, 0)) {
                return false;
            }
        }
        return true;
    }
}
