package dev.dsire.lora;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsWriter;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.CpuSpectrumBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One canonical layout per base across trainers: the same adapters written in each trainer's naming
 * (fused qkv or split, kohya or PEFT keys, ComfyUI's diffusion_model., XLabs' processors) give the
 * same layout and the same spectra, so a model fitted on one naming answers alike for the others.
 */
class CanonicalLayoutTest {
    @TempDir
    Path dir;

    private static final int R = 4;

    /** One fused module of the original (BFL/sgm/Wan) model: its parts' diffusers names and row counts. */
    private record Module(String kohya, String comfy, String[] parts, int[] rows, int in) {
        int out() {
            int n = 0;
            for (int r : rows) {
                n += r;
            }
            return n;
        }
    }

    private record Factors(double[][] a, double[][] b) {}

    private static Module m(String kohya, String comfy, int in, Object... partsAndRows) {
        String[] parts = new String[partsAndRows.length / 2];
        int[] rows = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = (String) partsAndRows[2 * i];
            rows[i] = (Integer) partsAndRows[2 * i + 1];
        }
        return new Module(kohya, comfy, parts, rows, in);
    }

    private static final int H = 3072;
    private static final List<Module> FLUX = List.of(
            m("double_blocks_0_img_attn_qkv", "double_blocks.0.img_attn.qkv", H, "transformer_blocks.0.attn.to_q", H,
                    "transformer_blocks.0.attn.to_k", H, "transformer_blocks.0.attn.to_v", H),
            m("double_blocks_0_img_attn_proj", "double_blocks.0.img_attn.proj", H, "transformer_blocks.0.attn.to_out.0", H),
            m("single_blocks_0_linear1", "single_blocks.0.linear1", H, "single_transformer_blocks.0.attn.to_q", H,
                    "single_transformer_blocks.0.attn.to_k", H, "single_transformer_blocks.0.attn.to_v", H,
                    "single_transformer_blocks.0.proj_mlp", 4 * H));
    private static final List<Module> SD3 = List.of(
            m("joint_blocks_0_x_block_attn_qkv", "joint_blocks.0.x_block.attn.qkv", 1536, "transformer_blocks.0.attn.to_q", 1536,
                    "transformer_blocks.0.attn.to_k", 1536, "transformer_blocks.0.attn.to_v", 1536),
            m("joint_blocks_0_context_block_mlp_fc2", "joint_blocks.0.context_block.mlp.fc2", 6144, "transformer_blocks.0.ff_context.net.2", 1536));
    private static final List<Module> WAN = List.of(
            m("blocks_0_self_attn_q", "blocks.0.self_attn.q", 1536, "blocks.0.attn1.to_q", 1536),
            m("blocks_0_cross_attn_o", "blocks.0.cross_attn.o", 1536, "blocks.0.attn2.to_out.0", 1536),
            m("blocks_0_ffn_2", "blocks.0.ffn.2", 8960, "blocks.0.ffn.net.2", 1536));
    private static final List<Module> HUNYUAN = List.of(
            m("double_blocks_0_img_attn_qkv", "double_blocks.0.img_attn_qkv", H, "transformer_blocks.0.attn.to_q", H,
                    "transformer_blocks.0.attn.to_k", H, "transformer_blocks.0.attn.to_v", H),
            m("double_blocks_0_img_mlp_fc1", "double_blocks.0.img_mlp.fc1", H, "transformer_blocks.0.ff.net.0.proj", 4 * H),
            m("single_blocks_39_linear2", "single_blocks.39.linear2", 5 * H, "single_transformer_blocks.39.proj_out", H));
    private static final List<Module> SDXL = List.of(
            m("input_blocks_4_1_transformer_blocks_0_attn2_to_k", "input_blocks.4.1.transformer_blocks.0.attn2.to_k", 2048,
                    "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k", 640),
            m("output_blocks_2_1_transformer_blocks_1_attn1_to_out_0", "output_blocks.2.1.transformer_blocks.1.attn1.to_out.0", 1280,
                    "up_blocks.0.attentions.2.transformer_blocks.1.attn1.to_out.0", 1280));

    private enum Naming { KOHYA, COMFY, DIFFUSERS, ONETRAINER, XLABS }

    private static float[] f32(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    private static double[] rows(double[] b, int from, int count) {
        double[] out = new double[count * R];
        System.arraycopy(b, from * R, out, 0, count * R);
        return out;
    }

    private static Factors random(List<Module> modules, long seed, double size) {
        Random rnd = new Random(seed);
        double[][] a = new double[modules.size()][], b = new double[modules.size()][];
        for (int i = 0; i < modules.size(); i++) {
            Module mod = modules.get(i);
            a[i] = new double[R * mod.in()];
            b[i] = new double[mod.out() * R];
            for (int j = 0; j < a[i].length; j++) {
                a[i][j] = (float) (rnd.nextGaussian() * 0.05); // exactly representable as F32
            }
            for (int j = 0; j < b[i].length; j++) {
                b[i][j] = (float) (rnd.nextGaussian() * 0.01 * size);
            }
        }
        return new Factors(a, b);
    }

    private Path write(String name, List<Module> modules, Factors f, Naming naming, String component) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        double[] alpha = {R}; // alpha = rank: scale 1, which the namings without alpha apply
        for (int i = 0; i < modules.size(); i++) {
            Module mod = modules.get(i);
            long[] as = {R, mod.in()};
            switch (naming) {
                case KOHYA -> {
                    String k = "lora_unet_" + mod.kohya();
                    w.put(k + ".lora_down.weight", DType.F32, as, f.a()[i]).put(k + ".lora_up.weight", DType.F32, new long[] {mod.out(), R}, f.b()[i])
                            .put(k + ".alpha", DType.F32, new long[] {}, alpha);
                }
                case COMFY -> {
                    String k = "diffusion_model." + mod.comfy();
                    w.put(k + ".lora_A.weight", DType.F32, as, f.a()[i]).put(k + ".lora_B.weight", DType.F32, new long[] {mod.out(), R}, f.b()[i])
                            .put(k + ".alpha", DType.F32, new long[] {}, alpha);
                }
                case XLABS -> {
                    String k = "double_blocks.0.processor." + (mod.kohya().endsWith("qkv") ? "qkv_lora1" : "proj_lora1");
                    w.put(k + ".down.weight", DType.F32, as, f.a()[i]).put(k + ".up.weight", DType.F32, new long[] {mod.out(), R}, f.b()[i]);
                }
                case DIFFUSERS, ONETRAINER -> {
                    int from = 0;
                    for (int p = 0; p < mod.parts().length; p++) {
                        int n = mod.rows()[p];
                        double[] bp = rows(f.b()[i], from, n);
                        from += n;
                        if (naming == Naming.DIFFUSERS) {
                            String k = component + "." + mod.parts()[p];
                            w.put(k + ".lora_A.weight", DType.F32, as, f.a()[i]).put(k + ".lora_B.weight", DType.F32, new long[] {n, R}, bp);
                        } else {
                            String k = "lora_" + (component.equals("unet") ? "unet" : "transformer") + "_" + mod.parts()[p].replace('.', '_');
                            w.put(k + ".lora_down.weight", DType.F32, as, f.a()[i]).put(k + ".lora_up.weight", DType.F32, new long[] {n, R}, bp)
                                    .put(k + ".alpha", DType.F32, new long[] {}, alpha);
                        }
                    }
                }
            }
        }
        if (naming == Naming.DIFFUSERS) {
            w.metadata("lora_adapter_metadata", "{\"" + component + ".r\": " + R + ", \"" + component + ".lora_alpha\": " + R + "}");
        }
        Path sub = Files.createDirectories(dir.resolve(naming.name()));
        Path p = sub.resolve(name);
        w.write(p);
        return p;
    }

    private static AdapterSpectra spectra(CpuSpectrumBackend cpu, Path p) {
        try (LoraAdapter a = LoraReader.open(p)) {
            return cpu.compute(List.of(a)).getFirst().spectra();
        }
    }

    /** Six adapters (sizes 1, 2, 4 twice) in two namings: the same layout and spectra, and a model fitted on one predicts the other alike. */
    private void sameAnswers(List<Module> modules, String component, String family, Naming... namings) throws IOException {
        int[] sizes = {1, 2, 4, 1, 2, 4};
        List<List<Path>> files = new ArrayList<>();
        for (Naming n : namings) {
            List<Path> ps = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                ps.add(write("a" + i + ".safetensors", modules, random(modules, 100 + i, sizes[i]), n, component));
            }
            files.add(ps);
        }
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            List<List<AdapterSpectra>> spectra = files.stream().map(ps -> ps.stream().map(p -> spectra(cpu, p)).toList()).toList();
            for (int n = 0; n < namings.length; n++) {
                try (LoraAdapter a = LoraReader.open(files.get(n).getFirst())) {
                    assertEquals(family, a.family().label(), namings[n].name());
                }
                for (int i = 0; i < sizes.length; i++) {
                    AdapterSpectra x = spectra.get(0).get(i), y = spectra.get(n).get(i);
                    assertEquals(x.layout(), y.layout(), namings[n] + " layout");
                    for (int l = 0; l < x.layers().size(); l++) {
                        assertArrayEquals(x.layers().get(l).ba(), y.layers().get(l).ba(), 1e-12 * x.layers().get(l).ba()[0], namings[n] + " σ(BA)");
                        assertArrayEquals(x.layers().get(l).a(), y.layers().get(l).a(), 1e-12 * x.layers().get(l).a()[0], namings[n] + " σ(A)");
                        assertArrayEquals(x.layers().get(l).b(), y.layers().get(l).b(), 1e-12 * x.layers().get(l).b()[0], namings[n] + " σ(B)");
                    }
                }
            }
            // fit on the first naming's first three (one per size), predict the other three in every naming
            List<Labelled> train = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                train.add(new Labelled(files.get(0).get(i), spectra.get(0).get(i), sizes[i]));
            }
            DsireModel model = DsireModel.fit(Method.DSIRE, train);
            for (int i = 3; i < sizes.length; i++) {
                Integer expected = model.predict(files.get(0).get(i), spectra.get(0).get(i)).size();
                assertEquals(sizes[i], expected, "the planted size is found");
                for (int n = 1; n < namings.length; n++) {
                    assertEquals(expected, model.predict(files.get(n).get(i), spectra.get(n).get(i)).size(), namings[n].name());
                }
            }
        }
    }

    @Test
    void fluxFromKohyaComfyDiffusersOneTrainer() throws IOException {
        sameAnswers(FLUX, "transformer", "Flux", Naming.KOHYA, Naming.COMFY, Naming.DIFFUSERS, Naming.ONETRAINER);
    }

    @Test
    void fluxFromXlabs() throws IOException {
        sameAnswers(FLUX.subList(0, 2), "transformer", "Flux", Naming.DIFFUSERS, Naming.XLABS, Naming.KOHYA);
    }

    @Test
    void sd3FromKohyaAndDiffusers() throws IOException {
        sameAnswers(SD3, "transformer", "SD3", Naming.KOHYA, Naming.DIFFUSERS, Naming.COMFY);
    }

    @Test
    void wanFromMusubiComfyAndDiffusers() throws IOException {
        sameAnswers(WAN, "transformer", "Wan", Naming.KOHYA, Naming.COMFY, Naming.DIFFUSERS);
    }

    @Test
    void hunyuanVideoFromMusubiComfyAndDiffusers() throws IOException {
        sameAnswers(HUNYUAN, "transformer", "HunyuanVideo", Naming.KOHYA, Naming.COMFY, Naming.DIFFUSERS);
    }

    @Test
    void sdxlFromKohyaComfyAndDiffusers() throws IOException {
        sameAnswers(SDXL, "unet", "SDXL", Naming.KOHYA, Naming.COMFY, Naming.DIFFUSERS);
    }

    /**
     * sd-scripts' convert_flux_lora.py (diffusers → sd-scripts) stacks split layers' own A's and lays
     * their B's on a block diagonal: reading it splits it back to the original layers exactly.
     */
    @Test
    void aFusedFileConvertedFromSplitLayersSplitsBackExactly() throws IOException {
        Random rnd = new Random(5);
        int h = 64, r = 3;
        double[][] a = new double[3][r * h], b = new double[3][h * r];
        SafetensorsWriter split = new SafetensorsWriter(), fused = new SafetensorsWriter();
        double[] fa = new double[3 * r * h], fb = new double[3 * h * 3 * r];
        String[] names = {"to_q", "to_k", "to_v"};
        for (int p = 0; p < 3; p++) {
            for (int j = 0; j < r * h; j++) {
                a[p][j] = (float) rnd.nextGaussian();
                b[p][j] = (float) rnd.nextGaussian();
            }
            split.put("transformer.transformer_blocks.0.attn." + names[p] + ".lora_A.weight", DType.F32, new long[] {r, h}, a[p]);
            split.put("transformer.transformer_blocks.0.attn." + names[p] + ".lora_B.weight", DType.F32, new long[] {h, r}, b[p]);
            System.arraycopy(a[p], 0, fa, p * r * h, r * h);
            for (int i = 0; i < h; i++) {
                for (int c = 0; c < r; c++) {
                    fb[(p * h + i) * 3 * r + p * r + c] = b[p][i * r + c];
                }
            }
        }
        fused.put("lora_unet_double_blocks_0_img_attn_qkv.lora_down.weight", DType.F32, new long[] {3 * r, h}, fa);
        fused.put("lora_unet_double_blocks_0_img_attn_qkv.lora_up.weight", DType.F32, new long[] {3 * h, 3 * r}, fb);
        fused.put("lora_unet_double_blocks_0_img_attn_qkv.alpha", DType.F32, new long[] {}, new double[] {3 * r});
        Path ps = dir.resolve("split.safetensors"), pf = dir.resolve("fused.safetensors");
        split.metadata("lora_adapter_metadata", "{\"transformer.r\": 3, \"transformer.lora_alpha\": 3}").write(ps);
        fused.write(pf);
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            AdapterSpectra x = spectra(cpu, ps), y = spectra(cpu, pf);
            assertEquals(x.layout(), y.layout());
            assertEquals(List.of(r), x.layout().ranks());
            for (int l = 0; l < 3; l++) {
                assertArrayEquals(x.layers().get(l).a(), y.layers().get(l).a(), 1e-12 * x.layers().get(l).a()[0]);
                assertArrayEquals(x.layers().get(l).b(), y.layers().get(l).b(), 1e-12 * x.layers().get(l).b()[0]);
                assertArrayEquals(x.layers().get(l).ba(), y.layers().get(l).ba(), 1e-12 * x.layers().get(l).ba()[0]);
            }
        }
    }
}
