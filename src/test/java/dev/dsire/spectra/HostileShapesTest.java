package dev.dsire.spectra;

import static dev.dsire.spectra.LayerCoreTest.assertClose;
import static dev.dsire.spectra.LayerCoreTest.explicit;
import static dev.dsire.spectra.LayerCoreTest.gaussian;
import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile shapes and values (issue 12): rank bombs, tensors past 2^31 elements, F64 weights whose
 * squares leave the double range. Each is checked against an explicit SVD. The timeouts are hang
 * guards (the unfixed code took minutes or ran out of memory), not speed targets.
 */
class HostileShapesTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rankFarAboveTheDimensionsCostsOnlyTheSmallerSide() {
        SplittableRandom rnd = new SplittableRandom(11);
        // r = 4096 on 3×2 dimensions: a 4096² Gram and its eigenproblem would take minutes
        LayerCoreTest.check(gaussian(rnd, 4096, 2), gaussian(rnd, 3, 4096), 0.5);
        // r between the dimensions: Gram of the small side of A, QR of B
        LayerCoreTest.check(gaussian(rnd, 96, 40), gaussian(rnd, 200, 96), 2.0);
        LayerCoreTest.check(gaussian(rnd, 96, 300), gaussian(rnd, 50, 96), 2.0);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rank16384OnTinyDimensionsNeedsNoR2Memory() {
        SplittableRandom rnd = new SplittableRandom(12);
        int r = 16384; // three r×r double matrices would be 6 GiB
        DMatrixRMaj a = gaussian(rnd, r, 2), b = gaussian(rnd, 2, r);
        DMatrixRMaj bt = CommonOps_DDRM.transpose(b, null);
        LayerSpectrum s = new LayerCore().spectrum("x", a.data, bt.data, r, 2, 2, 1.0);
        assertEquals(r, s.a().length);
        DMatrixRMaj ba = new DMatrixRMaj(2, 2);
        CommonOps_DDRM.mult(b, a, ba);
        assertClose(explicit(a, r), s.a(), "A");
        assertClose(explicit(b, r), s.b(), "B");
        assertClose(explicit(ba, r), s.ba(), "BA");
    }

    @Test
    void f64WeightsNearTheEndsOfTheDoubleRangeKeepExactSpectra() {
        SplittableRandom rnd = new SplittableRandom(13);
        for (double[] sc : new double[][] {{1e-300, 1e300}, {1e300, 1e-300}, {1e-160, 1e-150}, {1e150, 1e140}, {1e-300, 1}}) {
            for (int[] sh : new int[][] {{8, 40, 30}, {6, 4, 50}}) { // Gram path, rank above d (QR path)
                DMatrixRMaj a0 = gaussian(rnd, sh[0], sh[2]), b0 = gaussian(rnd, sh[1], sh[0]);
                DMatrixRMaj a = a0.copy(), b = b0.copy();
                CommonOps_DDRM.scale(sc[0], a);
                CommonOps_DDRM.scale(sc[1], b);
                DMatrixRMaj bt = CommonOps_DDRM.transpose(b, null);
                LayerSpectrum s = new LayerCore().spectrum("x", a.data, bt.data, sh[0], sh[2], sh[1], 0.5);
                DMatrixRMaj ba = new DMatrixRMaj(sh[1], sh[2]);
                CommonOps_DDRM.mult(0.5, b0, a0, ba);
                assertClose(scaled(explicit(a0, sh[0]), sc[0]), s.a(), "A " + sc[0]);
                assertClose(scaled(explicit(b0, sh[0]), sc[1]), s.b(), "B " + sc[1]);
                assertClose(scaled(explicit(ba, sh[0]), sc[0] * sc[1]), s.ba(), "BA " + sc[0] * sc[1]);
            }
        }
    }

    private static double[] scaled(double[] s, double f) {
        double[] out = s.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= f;
        }
        return out;
    }

    @Test
    void f64FileWithTinyWeightsGoesThroughTheBackendExactly() throws IOException {
        SplittableRandom rnd = new SplittableRandom(14);
        DMatrixRMaj a = gaussian(rnd, 4, 24), b = gaussian(rnd, 20, 4);
        DMatrixRMaj as = a.copy(), bs = b.copy();
        CommonOps_DDRM.scale(1e-300, as);
        CommonOps_DDRM.scale(1e290, bs);
        Path f = dir.resolve("tiny.safetensors");
        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F64, new long[] {4, 24}, as.data)
                .put("lora_unet_x.lora_up.weight", DType.F64, new long[] {20, 4}, bs.data)
                .put("lora_unet_x.alpha", DType.F32, new long[] {}, new double[] {4}).write(f);
        LayerSpectrum s = only(f);
        DMatrixRMaj ba = new DMatrixRMaj(20, 24);
        CommonOps_DDRM.mult(b, a, ba);
        assertClose(scaled(explicit(a, 4), 1e-300), s.a(), "A");
        assertClose(scaled(explicit(b, 4), 1e290), s.b(), "B");
        assertClose(scaled(explicit(ba, 4), 1e-10), s.ba(), "BA");
    }

    /** A = F16[16, 2^27 + 8]: 2^31 + 128 elements, one nonzero per row, the last past index 2^31. */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    @SuppressWarnings("try") // the file is closed inside the try on purpose: it is read back before the block ends
    void tensorPastTwoToThe31ElementsIsIndexedInLong() throws IOException {
        int r = 16, d = 16;
        long k = (1L << 27) + 8;
        double[] up = new double[d * r];
        for (int i = 0; i < d; i++) {
            up[i * r + i] = 1 + i / 16.0; // B = diag(1 .. 1.94)
        }
        byte[] upBytes = new SafetensorsWriter().put("u", DType.F16, new long[] {d, r}, up).toBytes();
        String header = "{\"lora_unet_x.lora_up.weight\":{\"dtype\":\"F16\",\"shape\":[" + d + "," + r + "],\"data_offsets\":[0,"
                + 2 * d * r + "]},\"lora_unet_x.lora_down.weight\":{\"dtype\":\"F16\",\"shape\":[" + r + "," + k
                + "],\"data_offsets\":[" + 2 * d * r + "," + (2 * d * r + 2L * r * k) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        int padded = (h.length + 7) / 8 * 8;
        Path f = dir.resolve("wide.safetensors");
        long data = 8 + padded;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(padded).put(h);
            while (b.hasRemaining()) {
                b.put((byte) ' ');
            }
            raf.write(b.array());
            raf.write(upBytes, upBytes.length - 2 * d * r, 2 * d * r);
            raf.setLength(data + 2L * d * r + 2L * r * k); // sparse: zeros cost no disk
            double[] expectA = new double[r];
            for (int c = 0; c < r; c++) {
                long col = c == r - 1 ? k - 1 : c * (k / r) + 3; // row 15's entry is flat index 2^31 + 127
                double v = 2 - c / 32.0;
                expectA[c] = v;
                raf.seek(data + 2L * d * r + 2 * (c * k + col));
                short half = Float.floatToFloat16((float) v);
                raf.write(half & 0xff);
                raf.write(half >>> 8);
            }
            raf.close();
            LayerSpectrum s = only(f);
            assertClose(expectA, s.a(), "A");
            DMatrixRMaj bm = new DMatrixRMaj(d, r, true, up);
            assertClose(explicit(bm, r), s.b(), "B");
            // B·A has rows b_i·a_i with a_i orthogonal: σ = b_i·|a_i|, times scale 1 (no alpha)
            double[] ba = new double[r];
            for (int i = 0; i < r; i++) {
                ba[i] = up[i * r + i] * expectA[i];
            }
            java.util.Arrays.sort(ba);
            double[] desc = new double[r];
            for (int i = 0; i < r; i++) {
                desc[i] = ba[r - 1 - i];
            }
            assertClose(desc, s.ba(), "BA");
        }
    }

    private static LayerSpectrum only(Path f) {
        LoraAdapter adapter = LoraReader.open(f);
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            Computed c = cpu.compute(List.of(adapter)).getFirst();
            assertTrue(c.ok(), () -> String.valueOf(c.error()));
            return c.spectra().layers().getFirst();
        } finally {
            adapter.close();
        }
    }
}
