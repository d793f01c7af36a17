package dev.dsire.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vector decode against the scalar definition: every one of the 65536 F16 and BF16 bit
 * patterns (zeros, subnormals, normals, infinities, NaNs), F32 specials and randoms, at every
 * start and length around the vector width, bit for bit, with the finite flag.
 */
class TensorViewDecodeTest {

    @TempDir
    static Path dir;

    /**
     * The tensor holding the raw little-endian bytes, twice: from a mapped file (the vector
     * paths) and from an in-memory image (the copied-out blocks, which a JVM on C1 alone also uses for mapped files).
     */
    private static List<TensorView> views(String dtype, byte[] data, long elements) {
        String header = "{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + elements + "],\"data_offsets\":[0," + data.length + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        try {
            Path p = Files.write(dir.resolve(dtype + "-" + System.nanoTime() + ".safetensors"), b.array());
            return List.of(SafetensorsFile.open(p).view("t"), SafetensorsFile.of(Path.of("decode-test"), b.array()).view("t"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double expected(String dtype, ByteBuffer raw, int i) {
        return switch (dtype) {
            case "F16" -> Float.float16ToFloat(raw.getShort(2 * i));
            case "BF16" -> Float.intBitsToFloat(raw.getShort(2 * i) << 16);
            case "F64" -> raw.getDouble(8 * i);
            default -> raw.getFloat(4 * i);
        };
    }

    /** Every window [from, from+count) for the starts and lengths given, against the scalar definition. */
    private static void checkWindows(String dtype, byte[] data, int n, int[] froms, int[] counts) {
        ByteBuffer raw = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        List<TensorView> both = views(dtype, data, n);
        assertTrue(both.get(0).bytes().isNative(), "mapped");
        assertFalse(both.get(1).bytes().isNative(), "in memory");
        for (TensorView v : both) {
            checkWindows(v, dtype, raw, n, froms, counts);
        }
    }

    private static void checkWindows(TensorView v, String dtype, ByteBuffer raw, int n, int[] froms, int[] counts) {
        for (int from : froms) {
            for (int count : counts) {
                if (from + count > n) {
                    continue;
                }
                double[] out = new double[count + 3];
                boolean finite = v.decode(from, count, out, 2);
                boolean want = true;
                for (int i = 0; i < count; i++) {
                    double e = expected(dtype, raw, from + i);
                    want &= Double.isFinite(e);
                    assertEquals(Double.doubleToRawLongBits(e), Double.doubleToRawLongBits(out[2 + i]),
                            dtype + " element " + (from + i) + " (from " + from + ", count " + count + "): " + e + " vs " + out[2 + i]);
                    assertEquals(Double.doubleToRawLongBits(e), Double.doubleToRawLongBits(v.get(from + i)));
                }
                assertEquals(want, finite, dtype + " finite flag, from " + from + " count " + count);
                if (dtype.equals("F16")) { // both forms of the check, whichever decode used
                    assertEquals(want, TensorView.finite16(v.bytes(), 2L * from, count, 0x7c00, true), "vector check, from " + from);
                    assertEquals(want, TensorView.finite16(v.bytes(), 2L * from, count, 0x7c00, false), "scalar check, from " + from);
                }
                if (dtype.endsWith("16")) { // allFinite's four-per-long check, every alignment and tail
                    int expMask = dtype.equals("F16") ? 0x7c00 : 0x7f80;
                    assertEquals(want, TensorView.finite16Words(v.bytes(), 2L * from, count, expMask), dtype + " word check, from " + from + " count " + count);
                }
                assertEquals(0.0, out[0]);
                assertEquals(0.0, out[count + 2], "nothing written past the window");
            }
        }
    }

    /** allFinite on 16-bit floats reads 32 KB blocks of words: one infinity or NaN anywhere, any lane, any block, the tail. */
    @Test
    void allFiniteFindsOneBadValueAnywhere() {
        int n = 4 * 4096 * 2 + 7;
        SplittableRandom rnd = new SplittableRandom(7);
        for (String t : new String[] {"F16", "BF16"}) {
            int top = t.equals("F16") ? 0x7c00 : 0x7f80;
            byte[] data = new byte[2 * n];
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) { // finite: exponent below all ones, any sign and mantissa
                int h = rnd.nextInt(top) | (rnd.nextBoolean() ? 0x8000 : 0);
                b.putShort(2 * i, (short) h);
            }
            for (TensorView v : views(t, data, n)) {
                assertTrue(v.allFinite(), t);
            }
            for (int at : new int[] {0, 1, 2, 3, 4095, 4096 * 4 - 1, 4096 * 4, 4096 * 4 + 3, n - 8, n - 7, n - 1}) {
                for (int bad : new int[] {top, top | 1, top | 0x8000, 0xffff}) { // ±infinity, NaNs
                    byte[] d = data.clone();
                    ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putShort(2 * at, (short) bad);
                    for (TensorView v : views(t, d, n)) {
                        assertFalse(v.allFinite(), t + " " + Integer.toHexString(bad) + " at " + at);
                    }
                }
            }
        }
    }

    @Test
    void everySixteenBitPatternDecodesExactly() {
        byte[] data = new byte[2 * 65536];
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 65536; i++) {
            b.putShort((short) i);
        }
        for (String t : new String[] {"F16", "BF16"}) {
            checkWindows(t, data, 65536, new int[] {0}, new int[] {65536}); // all at once: flagged non-finite
            // the finite patterns alone, positive and negative: 0x0000..0x7bff / 0x7f7f and 0x8000..
            int top = t.equals("F16") ? 0x7c00 : 0x7f80;
            checkWindows(t, data, 65536, new int[] {0, 0x8000}, new int[] {top, top - 1, top - 7});
            int[] froms = new int[20], counts = new int[20];
            for (int i = 0; i < 20; i++) {
                froms[i] = i == 19 ? top - 9 : i;
                counts[i] = i;
            }
            checkWindows(t, data, 65536, froms, counts);
            checkWindows(t, data, 65536, new int[] {top - 16, top - 8, top - 1, 0x7fff - 8}, new int[] {1, 8, 9, 16, 17});
        }
    }

    @Test
    void f32SpecialsAndRandomValuesDecodeExactly() {
        SplittableRandom rnd = new SplittableRandom(41);
        int n = 4096;
        byte[] data = new byte[4 * n];
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        float[] specials = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1e-40f, -3.5e-39f};
        for (int i = 0; i < n; i++) {
            float f = i < specials.length ? specials[i] : Float.intBitsToFloat(rnd.nextInt() & 0x7f7fffff | (rnd.nextBoolean() ? 0x80000000 : 0));
            b.putFloat(f);
        }
        checkWindows("F32", data, n, new int[] {0, 1, 3, 7}, new int[] {0, 1, 5, 8, 9, 31, 64, 1000});
        b.putFloat(4 * 100, Float.NaN);
        b.putFloat(4 * 200, Float.NEGATIVE_INFINITY);
        checkWindows("F32", data, n, new int[] {0, 96, 101, 199}, new int[] {1, 4, 5, 8, 9, 17, 200});
    }

    /** Windows longer than the blocks the in-memory decode copies out (2,048 values), each type, a bad value past the first block. */
    @Test
    void longWindowsCrossTheCopiedBlocks() {
        SplittableRandom rnd = new SplittableRandom(43);
        int n = 5000;
        for (String dtype : new String[] {"F16", "BF16", "F32", "F64"}) {
            int width = dtype.equals("F64") ? 8 : dtype.equals("F32") ? 4 : 2;
            byte[] data = new byte[width * n];
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                double v = rnd.nextGaussian();
                switch (dtype) {
                    case "F16" -> b.putShort(Float.floatToFloat16((float) v));
                    case "BF16" -> b.putShort((short) (Float.floatToRawIntBits((float) v) >>> 16));
                    case "F32" -> b.putFloat((float) v);
                    default -> b.putDouble(v);
                }
            }
            checkWindows(dtype, data, n, new int[] {0, 1, 7}, new int[] {2047, 2048, 2049, 4500, 4993});
            switch (dtype) { // an infinity at 3000: only windows that reach it are not finite
                case "F16" -> b.putShort(2 * 3000, (short) 0x7c00);
                case "BF16" -> b.putShort(2 * 3000, (short) 0x7f80);
                case "F32" -> b.putFloat(4 * 3000, Float.POSITIVE_INFINITY);
                default -> b.putDouble(8 * 3000, Double.NaN);
            }
            checkWindows(dtype, data, n, new int[] {0, 1, 7, 3000, 3001}, new int[] {1, 2047, 2048, 2049, 1999});
        }
    }
}
