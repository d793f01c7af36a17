package dev.dsire.lora;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The original Stable Diffusion (sgm/ldm) UNet module names, which kohya writes for SDXL, mapped
 * to the diffusers names every other format uses, so that layers match across formats. Names are
 * in kohya's underscored form, without the component ({@code input_blocks_4_1_transformer_blocks_0_attn1_to_q}
 * becomes {@code down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q}).
 *
 * <p>The block arithmetic is the same for SD1.x, SD2.x and SDXL: input block 3b+1+a is down block
 * b's a-th resnet (index 0) and attention (index 1), input block 3b+3 its downsampler; output block
 * i is up block i/3's (i mod 3)-th resnet and attention, with the upsampler after them.
 */
final class SgmNames {
    // block indices are bounded so they always parse: a name like input_blocks_4294967296_… is not an sgm name
    private static final Pattern INPUT = Pattern.compile("^input_blocks_(\\d{1,6})_(\\d)_(.+)$");
    private static final Pattern MIDDLE = Pattern.compile("^middle_block_(\\d)_(.+)$");
    private static final Pattern OUTPUT = Pattern.compile("^output_blocks_(\\d{1,6})_(\\d)_(.+)$");
    private static final Pattern ATTENTION_PART = Pattern.compile("^(transformer_blocks|proj_in|proj_out|norm)(_.*)?$");
    private static final Map<String, String> RESNET = Map.of(
            "in_layers_0", "norm1", "in_layers_2", "conv1", "out_layers_0", "norm2", "out_layers_3", "conv2",
            "emb_layers_1", "time_emb_proj", "skip_connection", "conv_shortcut");
    private static final Map<String, String> TOP = Map.of(
            "input_blocks_0_0", "conv_in", "out_0", "conv_norm_out", "out_2", "conv_out",
            "time_embed_0", "time_embedding_linear_1", "time_embed_2", "time_embedding_linear_2",
            "label_emb_0_0", "add_embedding_linear_1", "label_emb_0_2", "add_embedding_linear_2");

    private SgmNames() {}

    /** The diffusers name of an sgm module path, or the path unchanged when it is not an sgm name. */
    static String toDiffusers(String path) {
        String top = TOP.get(path);
        if (top != null) {
            return top;
        }
        Matcher m = INPUT.matcher(path);
        if (m.matches()) {
            int i = Integer.parseInt(m.group(1)), part = Integer.parseInt(m.group(2));
            String rest = m.group(3);
            if (i > 0 && i % 3 == 0 && part == 0 && rest.equals("op")) {
                return "down_blocks_" + (i / 3 - 1) + "_downsamplers_0_conv";
            }
            if (i > 0 && i % 3 != 0) {
                String block = "down_blocks_" + (i - 1) / 3 + "_";
                int a = (i - 1) % 3;
                return part == 0 ? resnet(block + "resnets_" + a, rest, path) : attention(block + "attentions_" + a, rest, path);
            }
            return path;
        }
        if ((m = MIDDLE.matcher(path)).matches()) {
            int part = Integer.parseInt(m.group(1));
            return part == 1 ? attention("mid_block_attentions_0", m.group(2), path)
                    : resnet("mid_block_resnets_" + (part / 2), m.group(2), path);
        }
        if ((m = OUTPUT.matcher(path)).matches()) {
            int i = Integer.parseInt(m.group(1)), part = Integer.parseInt(m.group(2));
            String rest = m.group(3);
            String block = "up_blocks_" + i / 3 + "_";
            if (part == 0) {
                return resnet(block + "resnets_" + i % 3, rest, path);
            }
            if (rest.equals("conv")) {
                return block + "upsamplers_0_conv";
            }
            return attention(block + "attentions_" + i % 3, rest, path);
        }
        return path;
    }

    private static String resnet(String prefix, String inner, String original) {
        String mapped = RESNET.get(inner);
        return mapped == null ? original : prefix + "_" + mapped;
    }

    private static String attention(String prefix, String inner, String original) {
        return ATTENTION_PART.matcher(inner).matches() ? prefix + "_" + inner : original;
    }
}
