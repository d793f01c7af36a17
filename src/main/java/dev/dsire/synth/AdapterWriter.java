package dev.dsire.synth;

import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes LoRA adapters in each ecosystem's naming convention, for tests, benchmarks and
 * {@code dsire bench}. Weights are given, or drawn at random with a seed.
 */
public final class AdapterWriter {
    private AdapterWriter() {}

    /** How tensors are named. */
    public enum Naming {
        /** lora_unet_…​.lora_down.weight, .lora_up.weight, .alpha */
        KOHYA,
        /** unet.….lora.down.weight; text encoders ….lora_linear_layer.down.weight */
        DIFFUSERS,
        /** unet.….attn1.processor.to_q_lora.down.weight (older diffusers attention processors) */
        DIFFUSERS_PROCESSOR,
        /** base_model.model.….lora_A.weight with adapter_config.json beside the file */
        PEFT
    }

    /** A layer's factors, row-major: down (A) rank×in, up (B) out×rank. */
    public record LayerWeights(double[] down, double[] up) {}

    /** Gaussian factors with a seed; B is nonzero, as after training. */
    public static List<LayerWeights> random(List<ModuleSpec> modules, int rank, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<LayerWeights> out = new ArrayList<>(modules.size());
        for (ModuleSpec m : modules) {
            double[] a = new double[rank * m.inDim()];
            double[] b = new double[m.outDim() * rank];
            double sa = 1 / Math.sqrt(m.inDim());
            for (int i = 0; i < a.length; i++) {
                a[i] = gaussian(rnd) * sa;
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = gaussian(rnd) * 0.01;
            }
            out.add(new LayerWeights(a, b));
        }
        return out;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble(), v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u)) * Math.cos(2 * Math.PI * v);
    }

    /** Writes the adapter; alpha NaN means none is stored. Returns the file written. */
    public static Path write(Path file, Naming naming, List<ModuleSpec> modules, int rank, double alpha, DType dtype,
                             List<LayerWeights> weights, Map<String, String> metadata) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < modules.size(); i++) {
            ModuleSpec m = modules.get(i);
            LayerWeights lw = weights.get(i);
            String[] keys = keys(naming, m);
            w.put(keys[0], dtype, new long[] {rank, m.inDim()}, lw.down());
            w.put(keys[1], dtype, new long[] {m.outDim(), rank}, lw.up());
            if (naming == Naming.KOHYA && !Double.isNaN(alpha)) {
                w.put(keys[2], DType.F32, new long[] {}, new double[] {alpha});
            }
        }
        metadata.forEach(w::metadata);
        w.write(file);
        if (naming == Naming.PEFT) {
            String cfg = "{\"peft_type\": \"LORA\", \"r\": " + rank
                    + (Double.isNaN(alpha) ? "" : ", \"lora_alpha\": " + alpha) + ", \"use_rslora\": false}";
            Files.writeString(file.resolveSibling("adapter_config.json"), cfg);
        }
        return file;
    }

    /** Down, up and alpha key of a module. */
    public static String[] keys(Naming naming, ModuleSpec m) {
        return switch (naming) {
            case KOHYA -> {
                String base = "lora_" + (m.component().equals("te1") ? "te" : m.component()) + "_" + m.path().replace('.', '_');
                yield new String[] {base + ".lora_down.weight", base + ".lora_up.weight", base + ".alpha"};
            }
            case DIFFUSERS -> {
                String base = diffusersPrefix(m) + m.path() + (m.component().equals("unet") ? ".lora" : ".lora_linear_layer");
                yield new String[] {base + ".down.weight", base + ".up.weight", null};
            }
            case DIFFUSERS_PROCESSOR -> {
                if (!m.path().contains(".to_")) {
                    yield keys(Naming.DIFFUSERS, m); // only attention processors were named this way
                }
                int cut = m.path().lastIndexOf(".to_");
                String proj = m.path().substring(cut + 1).replace(".0", "");
                String base = diffusersPrefix(m) + m.path().substring(0, cut) + ".processor." + proj + "_lora";
                yield new String[] {base + ".down.weight", base + ".up.weight", null};
            }
            case PEFT -> {
                String base = "base_model.model." + diffusersPrefix(m) + m.path();
                yield new String[] {base + ".lora_A.weight", base + ".lora_B.weight", null};
            }
        };
    }

    private static String diffusersPrefix(ModuleSpec m) {
        return switch (m.component()) {
            case "unet" -> "unet.";
            case "te1" -> "text_encoder.";
            case "te2" -> "text_encoder_2.";
            default -> m.component() + ".";
        };
    }
}
