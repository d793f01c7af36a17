package dev.dsire.lora;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsWriter;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.LayerSpectrum;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LyCORIS LoHa, LoKr and Tucker LoCon: σ(ΔW) against an explicit SVD of the dense ΔW built the way
 * ComfyUI merges it, and σ(A), σ(B) against the explicit structured factors, within 1e-9·σ_max.
 */
class LycorisSpectraTest {
    @TempDir
    Path dir;

    private final Random rnd = new Random(11);
    private final SafetensorsWriter w = new SafetensorsWriter();

    private DMatrixRMaj put(String key, int... shape) {
        int n = 1;
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            n *= shape[i];
            s[i] = shape[i];
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextGaussian() * 0.1;
        }
        w.put(key, DType.F32, s, v);
        double[] f = new double[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) v[i]; // what the file holds
        }
        return new DMatrixRMaj(shape[0], n / shape[0], true, f);
    }

    private void alpha(String module, double a) {
        w.put(module + ".alpha", DType.F32, new long[] {}, new double[] {a});
    }

    private static DMatrixRMaj mul(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numCols);
        CommonOps_DDRM.mult(a, b, c);
        return c;
    }

    private static DMatrixRMaj t(DMatrixRMaj a) {
        return CommonOps_DDRM.transpose(a, null);
    }

    private static DMatrixRMaj kron(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows * b.numRows, a.numCols * b.numCols);
        CommonOps_DDRM.kron(a, b, c);
        return c;
    }

    private static DMatrixRMaj hadamard(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows, a.numCols);
        CommonOps_DDRM.elementMult(a, b, c);
        return c;
    }

    /** einsum('i j k, j c, i p -> p c k', t, w, u) flattened to p × (c·k): uᵀ·M with M[i,(c,k)] = Σ_j t[i,j,k]·w[j,c]. */
    private static DMatrixRMaj tucker(DMatrixRMaj t, int r, int k, DMatrixRMaj wj, DMatrixRMaj u) {
        int c = wj.numCols;
        DMatrixRMaj m = new DMatrixRMaj(r, c * k);
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                for (int kk = 0; kk < k; kk++) {
                    for (int cc = 0; cc < c; cc++) {
                        m.add(i, cc * k + kk, t.get(i, j * k + kk) * wj.get(j, cc));
                    }
                }
            }
        }
        return mul(t(u), m);
    }

    private static double[] sv(DMatrixRMaj m) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m.numRows, m.numCols, false, false, true);
        assertTrue(svd.decompose(m.copy()));
        double[] s = svd.getSingularValues().clone();
        java.util.Arrays.sort(s);
        double[] d = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            d[i] = s[s.length - 1 - i];
        }
        return d;
    }

    /** The leading values agree within 1e-9·σ_max; the rest (beyond min(m, n), or zero) are below it. */
    private static void close(double[] expected, double[] actual, String what) {
        double max = Math.max(expected.length > 0 ? expected[0] : 0, actual.length > 0 ? actual[0] : 0);
        for (int i = 0; i < Math.max(expected.length, actual.length); i++) {
            double e = i < expected.length ? expected[i] : 0, a = i < actual.length ? actual[i] : 0;
            assertEquals(e, a, 1e-9 * max, what + " σ" + i);
        }
    }

    private LayerSpectrum read(LoraFormat format, String variant) throws IOException {
        Path p = dir.resolve("l.safetensors");
        w.write(p);
        try (LoraAdapter a = LoraReader.open(p); CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            assertEquals(format, a.format());
            assertTrue(a.facts().variants().contains(variant), a.facts().variants().toString());
            AdapterSpectra s = cpu.compute(List.of(a)).getFirst().spectra();
            assertEquals(1, s.layers().size());
            return s.layers().getFirst();
        }
    }

    private void check(LayerSpectrum s, DMatrixRMaj dw, DMatrixRMaj b, DMatrixRMaj a) {
        close(sv(dw), s.ba(), "ΔW");
        close(sv(b), s.b(), "B");
        close(sv(a), s.a(), "A");
    }

    /** Row-wise Khatri–Rao: row i is x[i,:] ⊗ y[i,:]. */
    private static DMatrixRMaj rowKr(DMatrixRMaj x, DMatrixRMaj y) {
        DMatrixRMaj c = new DMatrixRMaj(x.numRows, x.numCols * y.numCols);
        for (int i = 0; i < x.numRows; i++) {
            for (int p = 0; p < x.numCols; p++) {
                for (int q = 0; q < y.numCols; q++) {
                    c.set(i, p * y.numCols + q, x.get(i, p) * y.get(i, q));
                }
            }
        }
        return c;
    }

    @Test
    void lohaLinear() throws IOException {
        String m = "lora_unet_down_blocks_0_attentions_0_proj_in";
        DMatrixRMaj w1a = put(m + ".hada_w1_a", 64, 4), w1b = put(m + ".hada_w1_b", 4, 48);
        DMatrixRMaj w2a = put(m + ".hada_w2_a", 64, 4), w2b = put(m + ".hada_w2_b", 4, 48);
        alpha(m, 2);
        LayerSpectrum s = read(LoraFormat.LOHA, "loha");
        DMatrixRMaj dw = hadamard(mul(w1a, w1b), mul(w2a, w2b));
        CommonOps_DDRM.scale(0.5, dw);
        assertEquals(16, s.ba().length); // rank ≤ r²: the exact 16×16 core
        check(s, dw, rowKr(w1a, w2a), rowKr(t(w1b), t(w2b)));
    }

    @Test
    void lohaConvWithTuckerCores() throws IOException {
        String m = "lora_unet_down_blocks_0_resnets_0_conv1";
        DMatrixRMaj w1a = put(m + ".hada_w1_a", 3, 24), w1b = put(m + ".hada_w1_b", 3, 16), t1 = put(m + ".hada_t1", 3, 3, 3, 3);
        DMatrixRMaj w2a = put(m + ".hada_w2_a", 3, 24), w2b = put(m + ".hada_w2_b", 3, 16), t2 = put(m + ".hada_t2", 3, 3, 3, 3);
        alpha(m, 3);
        LayerSpectrum s = read(LoraFormat.LOHA, "tucker");
        DMatrixRMaj dw = hadamard(tucker(t1, 3, 9, w1b, w1a), tucker(t2, 3, 9, w2b, w2a));
        assertEquals(9, s.ba().length);
        close(sv(dw), s.ba(), "ΔW");
    }

    @Test
    void lohaConvFlattened() throws IOException {
        String m = "lora_unet_up_blocks_0_resnets_0_conv2";
        DMatrixRMaj w1a = put(m + ".hada_w1_a", 20, 2), w1b = put(m + ".hada_w1_b", 2, 8, 3, 3);
        DMatrixRMaj w2a = put(m + ".hada_w2_a", 20, 2), w2b = put(m + ".hada_w2_b", 2, 8, 3, 3);
        LayerSpectrum s = read(LoraFormat.LOHA, "conv"); // no alpha: scale 1
        check(s, hadamard(mul(w1a, w1b), mul(w2a, w2b)), rowKr(w1a, w2a), rowKr(t(w1b), t(w2b)));
    }

    @Test
    void lokrWholeW1FactoredW2() throws IOException {
        String m = "lora_unet_mid_block_attentions_0_proj_out";
        DMatrixRMaj w1 = put(m + ".lokr_w1", 4, 4), w2a = put(m + ".lokr_w2_a", 16, 3), w2b = put(m + ".lokr_w2_b", 3, 12);
        alpha(m, 6);
        LayerSpectrum s = read(LoraFormat.LOKR, "lokr");
        DMatrixRMaj dw = kron(w1, mul(w2a, w2b));
        CommonOps_DDRM.scale(2, dw); // alpha 6 / rank 3
        assertEquals(12, s.ba().length);
        check(s, dw, kron(CommonOps_DDRM.identity(4), w2a), kron(w1, w2b));
    }

    @Test
    void lokrBothFactored() throws IOException {
        String m = "lycoris_transformer_blocks_0_attn_to_q";
        DMatrixRMaj w1a = put(m + ".lokr_w1_a", 8, 2), w1b = put(m + ".lokr_w1_b", 2, 6);
        DMatrixRMaj w2a = put(m + ".lokr_w2_a", 10, 2), w2b = put(m + ".lokr_w2_b", 2, 9);
        alpha(m, 1);
        LayerSpectrum s = read(LoraFormat.LOKR, "lokr");
        DMatrixRMaj dw = kron(mul(w1a, w1b), mul(w2a, w2b));
        CommonOps_DDRM.scale(0.5, dw);
        check(s, dw, kron(w1a, w2a), kron(w1b, w2b));
    }

    @Test
    void lokrBothWholeIgnoresAlpha() throws IOException {
        String m = "lora_te1_text_model_encoder_layers_0_mlp_fc1";
        DMatrixRMaj w1 = put(m + ".lokr_w1", 6, 4), w2 = put(m + ".lokr_w2", 5, 7);
        alpha(m, 100);
        LayerSpectrum s = read(LoraFormat.LOKR, "lokr");
        close(sv(kron(w1, w2)), s.ba(), "ΔW"); // LyCORIS uses scale 1 when neither factor is low-rank
        assertEquals(4 * 5, s.ba().length); // min(6,4)·min(5,7)
    }

    @Test
    void lokrConvTuckerAndFlattened() throws IOException {
        String m = "lora_unet_down_blocks_1_resnets_0_conv1";
        DMatrixRMaj w1 = put(m + ".lokr_w1", 2, 2), w2a = put(m + ".lokr_w2_a", 2, 8), w2b = put(m + ".lokr_w2_b", 2, 6),
                t2 = put(m + ".lokr_t2", 2, 2, 3, 3);
        alpha(m, 2);
        LayerSpectrum s = read(LoraFormat.LOKR, "tucker");
        close(sv(kron(w1, tucker(t2, 2, 9, w2b, w2a))), s.ba(), "ΔW");

        SafetensorsWriter fresh = new SafetensorsWriter();
        w.put("unused", DType.F32, new long[] {1}, new double[] {0}); // keeps the old writer from being reused by mistake
        String c = "lora_unet_down_blocks_1_resnets_0_conv2";
        Random r = new Random(3);
        double[] a1 = r.doubles(4).toArray(), a2 = r.doubles(8 * 2).toArray(), b2 = r.doubles(2 * 6 * 9).toArray();
        fresh.put(c + ".lokr_w1", DType.F64, new long[] {2, 2}, a1);
        fresh.put(c + ".lokr_w2_a", DType.F64, new long[] {8, 2}, a2);
        fresh.put(c + ".lokr_w2_b", DType.F64, new long[] {2, 54}, b2);
        Path p = dir.resolve("conv.safetensors");
        fresh.write(p);
        try (LoraAdapter a = LoraReader.open(p); CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            LayerSpectrum l = cpu.compute(List.of(a)).getFirst().spectra().layers().getFirst();
            DMatrixRMaj dw = kron(new DMatrixRMaj(2, 2, true, a1), mul(new DMatrixRMaj(8, 2, true, a2), new DMatrixRMaj(2, 54, true, b2)));
            close(sv(dw), l.ba(), "ΔW");
            assertEquals(16, a.layers().getFirst().outDim());
            assertEquals(108, a.layers().getFirst().inDim());
        }
    }

    @Test
    void loconTuckerCore() throws IOException {
        String m = "lora_unet_down_blocks_0_resnets_1_conv2";
        DMatrixRMaj down = put(m + ".lora_down.weight", 4, 12, 1, 1), mid = put(m + ".lora_mid.weight", 4, 4, 3, 3),
                up = put(m + ".lora_up.weight", 20, 4, 1, 1);
        alpha(m, 2);
        LayerSpectrum s = read(LoraFormat.KOHYA, "tucker");
        // ComfyUI: mat2 = (downᵀ · midᵀ-flattened) reshaped, ΔW = α/r · up · mat2
        DMatrixRMaj dw = mul(up, tucker(mid, 4, 9, down, CommonOps_DDRM.identity(4)));
        CommonOps_DDRM.scale(0.5, dw);
        close(sv(dw), s.ba(), "ΔW");
        close(sv(up), s.b(), "B");
    }
}
