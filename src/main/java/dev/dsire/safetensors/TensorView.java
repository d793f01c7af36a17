package dev.dsire.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A zero-copy view of one tensor's bytes inside a mapped file. Values are decoded to double on
 * access; only {@link DType#isDecodable() decodable} types can be read.
 */
public record TensorView(TensorInfo info, MemorySegment bytes) {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    // the finiteness check of 16- and 32-bit floats runs on whole vectors of their bits
    private static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    /**
     * F16 checks done four values per long (finite16Words) before the vector loop takes over (one check per
     * tensor: ≈ 390 SD 1.5 adapters): until C2 has compiled it, Vector API code boxes every vector, and the
     * vector check cost a cold 24-file run 13 % of its samples. Warm, the two cost the same (switching after
     * 2,000 checks instead changed no in-process A/B, docs/benchmarks-history.md). Racy on purpose: a lost count only
     * delays the switch.
     */
    private static final int WARM_CHECKS = 100_000;
    /**
     * Decode by {@link #copied}: in a JVM on C1 alone (the launcher's one-file process says so with the same
     * property that keeps the kernels scalar), where each segment read is a call through the memory-access
     * machinery (~13 ns a value; copied, ~1 ns), and always for heap segments (uploads, WiSE rows), where C2
     * does not turn the reads into vector loads either (1.5× there).
     */
    private static final boolean COPY_OUT = "scalar".equals(System.getProperty("dsire.kernels"));
    private static final int COPY_BLOCK = 2048;
    private static int warmChecks;

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
     *
     * <p>On mapped files, F16 and F32 convert in a loop with nothing else in it, which C2 compiles to vector
     * conversions (vcvtph2ps, vcvtps2pd: 6–8× the scalar loop, which also tested each value); the
     * finiteness test then reads the same bytes again, still in L1, as whole vectors of bits.
     */
    public boolean decode(long from, int count, double[] dst, int at) {
        if (COPY_OUT || !bytes.isNative()) {
            return copied(from, count, dst, at);
        }
        return switch (info.dtype()) {
            case F16 -> {
                f16(bytes, from * 2, count, dst, at);
                yield finite16(bytes, from * 2, count, 0x7c00);
            }
            case F32 -> {
                f32(bytes, from * 4, count, dst, at);
                yield finite32(bytes, from * 4, count);
            }
            default -> copied(from, count, dst, at);
        };
    }

    private static void f16(MemorySegment bytes, long off, int count, double[] dst, int at) {
        for (int i = 0; i < count; i++, off += 2) {
            dst[at + i] = Float.float16ToFloat(bytes.get(F16, off));
        }
    }

    private static void f32(MemorySegment bytes, long off, int count, double[] dst, int at) {
        for (int i = 0; i < count; i++, off += 4) {
            dst[at + i] = bytes.get(F32, off);
        }
    }

    /**
     * Whether no 16-bit float among count at byte offset off has all exponent bits (expMask) set:
     * (h & expMask) + lowest exponent bit carries into bit 15 exactly then.
     */
    private static boolean finite16(MemorySegment bytes, long off, int count, int expMask) {
        if (warmChecks < WARM_CHECKS) { // a cold process: the word check (same answer) while C2 compiles the vector one
            warmChecks++;
            return finite16Words(bytes, off, count, expMask);
        }
        return finite16(bytes, off, count, expMask, true);
    }

    /** The check on whole vectors of bits (vector), or four values per long ({@link #finite16Words}): the same answer. */
    static boolean finite16(MemorySegment bytes, long off, int count, int expMask, boolean vector) {
        if (!vector) {
            return finite16Words(bytes, off, count, expMask);
        }
        short mask = (short) expMask, carry = (short) (expMask & -expMask);
        int i = 0, w = SHORTS.length();
        ShortVector acc = ShortVector.zero(SHORTS);
        for (; i + w <= count; i += w, off += 2L * w) {
            acc = acc.or(ShortVector.fromMemorySegment(SHORTS, bytes, off, ByteOrder.LITTLE_ENDIAN).and(mask).add(carry));
        }
        int bits = acc.reduceLanes(VectorOperators.OR);
        for (; i < count; i++, off += 2) {
            bits |= (bytes.get(F16, off) & expMask) + carry;
        }
        return (bits & 0x8000) == 0;
    }

    private static final ValueLayout.OfLong WORDS = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * {@link #finite16}'s answer, four values per long (SWAR): each 16-bit lane's (h & expMask) + its carry is
     * at most 0x8000, so no lane carries into the next, and bit 15 of a lane is set exactly where the exponent
     * is all ones. The words are copied out in 32 KB blocks (a memcpy) and tested on a long[], which even an
     * interpreted loop runs fast: `inspect` checks every weight of a file, and in a fresh JVM the vector loop
     * (boxed until C2) and the decoding loop it replaces took ~90 ms of an SD 1.5 file's 6.4 M values.
     */
    static boolean finite16Words(MemorySegment bytes, long off, long count, int expMask) {
        long lanes = 0x0001_0001_0001_0001L, mask = (expMask & 0xffff) * lanes, carry = (expMask & -expMask) * lanes, bits = 0;
        long[] block = new long[(int) Math.min(4096, count / 4)];
        long i = 0;
        while (count - i >= 4) {
            int words = (int) Math.min(block.length, (count - i) / 4);
            MemorySegment.copy(bytes, WORDS, off, block, 0, words);
            for (int k = 0; k < words; k++) {
                bits |= (block[k] & mask) + carry;
            }
            i += 4L * words;
            off += 8L * words;
        }
        for (; i < count; i++, off += 2) {
            bits |= (bytes.get(F16, off) & expMask) + (expMask & -expMask);
        }
        return (bits & 0x8000_8000_8000_8000L) == 0;
    }

    /** As {@link #finite16} for 32-bit floats: the exponent's carry reaches bit 31. */
    private static boolean finite32(MemorySegment bytes, long off, int count) {
        int i = 0, w = INTS.length();
        IntVector acc = IntVector.zero(INTS);
        for (; i + w <= count; i += w, off += 4L * w) {
            acc = acc.or(IntVector.fromMemorySegment(INTS, bytes, off, ByteOrder.LITTLE_ENDIAN).and(0x7f800000).add(0x00800000));
        }
        int bits = acc.reduceLanes(VectorOperators.OR);
        for (; i < count; i++, off += 4) {
            bits |= (Float.floatToRawIntBits(bytes.get(F32, off)) & 0x7f800000) + 0x00800000;
        }
        return bits >= 0;
    }

    /**
     * As {@link #decode}, the bits copied out a block at a time (a memcpy each) and converted from the array.
     * Finiteness as in {@link #finite16}: bit 15 (31) of (bits & exponent mask) + the exponent's lowest bit is
     * set exactly where the exponent is all ones.
     */
    private boolean copied(long from, int count, double[] dst, int at) {
        switch (info.dtype()) {
            case F16, BF16 -> {
                boolean brain = info.dtype() == DType.BF16;
                int mask = brain ? 0x7f80 : 0x7c00, carry = mask & -mask, bits = 0;
                short[] block = new short[Math.min(count, COPY_BLOCK)];
                for (int done = 0; done < count; ) {
                    int k = Math.min(block.length, count - done);
                    MemorySegment.copy(bytes, F16, (from + done) * 2, block, 0, k);
                    for (int i = 0, o = at + done; i < k; i++) {
                        short h = block[i];
                        bits |= (h & mask) + carry;
                        dst[o + i] = brain ? Float.intBitsToFloat(h << 16) : Float.float16ToFloat(h);
                    }
                    done += k;
                }
                return (bits & 0x8000) == 0;
            }
            case F32 -> {
                int bits = 0;
                float[] block = new float[Math.min(count, COPY_BLOCK)];
                for (int done = 0; done < count; ) {
                    int k = Math.min(block.length, count - done);
                    MemorySegment.copy(bytes, F32, (from + done) * 4, block, 0, k);
                    for (int i = 0, o = at + done; i < k; i++) {
                        float v = block[i];
                        bits |= (Float.floatToRawIntBits(v) & 0x7f800000) + 0x00800000;
                        dst[o + i] = v;
                    }
                    done += k;
                }
                return bits >= 0;
            }
            case F64 -> {
                MemorySegment.copy(bytes, F64, from * 8, dst, at, count);
                boolean finite = true;
                for (int i = at; i < at + count; i++) {
                    finite &= Double.isFinite(dst[i]);
                }
                return finite;
            }
            default -> throw new IllegalStateException("cannot decode " + info.dtype() + " tensor " + info.name());
        }
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
        switch (info.dtype()) { // 16-bit floats (most adapters): their bits only, nothing decoded
            case F16 -> {
                return finite16Words(bytes, 0, n, 0x7c00);
            }
            case BF16 -> {
                return finite16Words(bytes, 0, n, 0x7f80);
            }
            default -> { }
        }
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
