package dev.dsire.synth;

import java.util.ArrayList;
import java.util.List;

/** Attention-layer lists of real base models, with their real names and shapes. */
public final class BaseModels {
    private BaseModels() {}

    /** Stable Diffusion 1.x UNet: 16 transformer blocks, 128 attention projections, context 768. */
    public static List<ModuleSpec> sd15() {
        List<ModuleSpec> out = new ArrayList<>();
        int[] down = {320, 640, 1280};
        for (int b = 0; b < 3; b++) {
            for (int a = 0; a < 2; a++) {
                block(out, "down_blocks." + b + ".attentions." + a + ".transformer_blocks.0", down[b], 768);
            }
        }
        block(out, "mid_block.attentions.0.transformer_blocks.0", 1280, 768);
        int[] up = {0, 1280, 640, 320};
        for (int b = 1; b < 4; b++) {
            for (int a = 0; a < 3; a++) {
                block(out, "up_blocks." + b + ".attentions." + a + ".transformer_blocks.0", up[b], 768);
            }
        }
        return out;
    }

    /** Stable Diffusion XL UNet (diffusers names): 70 transformer blocks, 560 projections, context 2048. */
    public static List<ModuleSpec> sdxl() {
        List<ModuleSpec> out = new ArrayList<>();
        for (int a = 0; a < 2; a++) {
            for (int t = 0; t < 2; t++) {
                block(out, "down_blocks.1.attentions." + a + ".transformer_blocks." + t, 640, 2048);
            }
            for (int t = 0; t < 10; t++) {
                block(out, "down_blocks.2.attentions." + a + ".transformer_blocks." + t, 1280, 2048);
            }
        }
        for (int t = 0; t < 10; t++) {
            block(out, "mid_block.attentions.0.transformer_blocks." + t, 1280, 2048);
        }
        for (int a = 0; a < 3; a++) {
            for (int t = 0; t < 10; t++) {
                block(out, "up_blocks.0.attentions." + a + ".transformer_blocks." + t, 1280, 2048);
            }
            for (int t = 0; t < 2; t++) {
                block(out, "up_blocks.1.attentions." + a + ".transformer_blocks." + t, 640, 2048);
            }
        }
        return out;
    }

    /** CLIP ViT-L text encoder self-attention (SD1.x's text encoder): 12 layers × q, k, v, out. */
    public static List<ModuleSpec> clipL() {
        List<ModuleSpec> out = new ArrayList<>();
        for (int l = 0; l < 12; l++) {
            for (String p : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                out.add(new ModuleSpec("te1", "text_model.encoder.layers." + l + ".self_attn." + p, 768, 768));
            }
        }
        return out;
    }

    private static void block(List<ModuleSpec> out, String prefix, int c, int context) {
        for (String p : List.of("to_q", "to_k", "to_v", "to_out.0")) {
            out.add(new ModuleSpec("unet", prefix + ".attn1." + p, c, c));
        }
        out.add(new ModuleSpec("unet", prefix + ".attn2.to_q", c, c));
        out.add(new ModuleSpec("unet", prefix + ".attn2.to_k", c, context));
        out.add(new ModuleSpec("unet", prefix + ".attn2.to_v", c, context));
        out.add(new ModuleSpec("unet", prefix + ".attn2.to_out.0", c, c));
    }
}
