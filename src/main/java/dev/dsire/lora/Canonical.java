package dev.dsire.lora;

import dev.dsire.safetensors.TensorView;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One layout per base model, whichever trainer wrote the file: the DiT bases' original module names
 * (BFL's Flux and HunyuanVideo {@code double_blocks}, SD3's {@code joint_blocks}, Wan's
 * {@code self_attn.q}, NextDiT's {@code attention.qkv}), which kohya, musubi-tuner, ComfyUI and XLabs
 * write, become the diffusers names that diffusers, ai-toolkit, OneTrainer and SimpleTuner write.
 *
 * <p>Fused projections are split: a fused qkv (out 3h) becomes the three layers to_q, to_k, to_v
 * with B's row blocks and A shared, and Flux's single-block linear1 (out 3h + mlp) becomes to_q,
 * to_k, to_v and proj_mlp. Splitting is exact for any file (each row block of s·B·A is s·B_i·A,
 * the update of that projection) and keeps each projection's rank r; fusing the split layers of a
 * diffusers file would instead give one layer of rank 3r (B block-diagonal) whose spectra are not
 * those of any file that trainer wrote. A fused file converted from split layers (sd-scripts'
 * convert_flux_lora.py stacks the three A's and lays the B's on a block diagonal) has, in each row
 * block of B, columns that are exactly zero: they and their rows of A are dropped, which gives back
 * the split layers exactly.
 */
final class Canonical {
    private Canonical() {}

    /** The original naming a rule recognises, when it says which base the file is for. */
    enum Origin { NONE, FLUX, HUNYUAN, SD3, WAN, NEXTDIT, LUMINA2, CASCADE }

    private enum Split { NONE, QKV, LINEAR1 }

    private record Rule(Pattern from, String to, Split split, Origin origin) {}

    private static final List<Rule> RULES = new ArrayList<>();

    private static void rule(String from, String to, Split split, Origin origin) {
        RULES.add(new Rule(Pattern.compile("^" + from + "$"), to, split, origin));
    }

    static {
        String db = "double_blocks_(\\d{1,6})_", tb = "transformer_blocks_$1_", sb = "single_blocks_(\\d{1,6})_",
                stb = "single_transformer_blocks_$1_";
        // BFL double/single stream blocks: Flux.1, Flux.1 Kontext, Chroma, Flux.2 (kohya, musubi, ComfyUI, XLabs)
        rule(db + "img_attn_qkv", tb + "attn_{to_q,to_k,to_v}", Split.QKV, Origin.NONE);
        rule(db + "txt_attn_qkv", tb + "attn_{add_q_proj,add_k_proj,add_v_proj}", Split.QKV, Origin.NONE);
        rule(db + "img_attn_proj", tb + "attn_to_out_0", Split.NONE, Origin.NONE);
        rule(db + "txt_attn_proj", tb + "attn_to_add_out", Split.NONE, Origin.NONE);
        rule(db + "img_mlp_0", tb + "ff_net_0_proj", Split.NONE, Origin.FLUX);
        rule(db + "img_mlp_2", tb + "ff_net_2", Split.NONE, Origin.FLUX);
        rule(db + "txt_mlp_0", tb + "ff_context_net_0_proj", Split.NONE, Origin.FLUX);
        rule(db + "txt_mlp_2", tb + "ff_context_net_2", Split.NONE, Origin.FLUX);
        rule(db + "img_mod_lin", tb + "norm1_linear", Split.NONE, Origin.FLUX);
        rule(db + "txt_mod_lin", tb + "norm1_context_linear", Split.NONE, Origin.FLUX);
        rule(sb + "linear1", stb + "{attn_to_q,attn_to_k,attn_to_v,proj_mlp}", Split.LINEAR1, Origin.NONE);
        rule(sb + "linear2", stb + "proj_out", Split.NONE, Origin.NONE);
        rule(sb + "modulation_lin", stb + "norm_linear", Split.NONE, Origin.FLUX);
        rule(sb + "attn_qkv", stb + "attn_{to_q,to_k,to_v}", Split.QKV, Origin.FLUX); // XLabs' single-block processor
        rule(sb + "attn_proj", stb + "attn_to_out_0", Split.NONE, Origin.FLUX); // its attention output (3072 in, not linear2's 15360)
        rule("img_in", "x_embedder", Split.NONE, Origin.NONE);
        rule("txt_in", "context_embedder", Split.NONE, Origin.NONE);
        rule("time_in_in_layer", "time_text_embed_timestep_embedder_linear_1", Split.NONE, Origin.FLUX);
        rule("time_in_out_layer", "time_text_embed_timestep_embedder_linear_2", Split.NONE, Origin.FLUX);
        rule("vector_in_in_layer", "time_text_embed_text_embedder_linear_1", Split.NONE, Origin.FLUX);
        rule("vector_in_out_layer", "time_text_embed_text_embedder_linear_2", Split.NONE, Origin.FLUX);
        rule("guidance_in_in_layer", "time_text_embed_guidance_embedder_linear_1", Split.NONE, Origin.FLUX);
        rule("guidance_in_out_layer", "time_text_embed_guidance_embedder_linear_2", Split.NONE, Origin.FLUX);
        rule("final_layer_linear", "proj_out", Split.NONE, Origin.NONE);
        rule("final_layer_adaLN_modulation_1", "norm_out_linear", Split.NONE, Origin.NONE);
        // OneTrainer's OMI names (modules/util/convert/lora/convert_flux_lora.py, convert_chroma_lora.py): BFL's fused modules with
        // the index of the split part appended (img_attn.qkv.0 is to_q, linear1.3 is proj_mlp), one LoRA per part
        for (String[] part : new String[][] {{"0", "to_q", "add_q_proj"}, {"1", "to_k", "add_k_proj"}, {"2", "to_v", "add_v_proj"}}) {
            rule(db + "img_attn_qkv_" + part[0], tb + "attn_" + part[1], Split.NONE, Origin.NONE);
            rule(db + "txt_attn_qkv_" + part[0], tb + "attn_" + part[2], Split.NONE, Origin.NONE);
            rule(sb + "linear1_" + part[0], stb + "attn_" + part[1], Split.NONE, Origin.NONE);
        }
        rule(sb + "linear1_3", stb + "proj_mlp", Split.NONE, Origin.NONE);
        // Chroma's distilled guidance layer (ComfyUI comfy/ldm/chroma, kohya, OneTrainer's original names): MLPEmbedder's
        // in_layer/out_layer are diffusers' ChromaApproximator layers' linear_1/linear_2 (OneTrainer modules/model/ChromaModel.py)
        rule("distilled_guidance_layer_layers_(\\d{1,6})_in_layer", "distilled_guidance_layer_layers_$1_linear_1", Split.NONE, Origin.NONE);
        rule("distilled_guidance_layer_layers_(\\d{1,6})_out_layer", "distilled_guidance_layer_layers_$1_linear_2", Split.NONE, Origin.NONE);
        // Stable Cascade Stage C as Stability's code names it (kohya's stable-cascade branch library/stable_cascade.py,
        // ComfyUI comfy/ldm/cascade, OneTrainer's lora_prior_unet_): AttnBlock.attention.attn.{to_q,to_k,to_v,out_proj}, or
        // nn.MultiheadAttention's in_proj split by index (OneTrainer's KOHYA/ORIGINAL); diffusers' StableCascadeUNet says
        // attention.to_q … to_out.0
        String cb = "((?:down|up)_blocks_\\d{1,6}_\\d{1,6})_attention_attn_";
        rule(cb + "(to_[qkv])", "$1_attention_$2", Split.NONE, Origin.CASCADE);
        rule(cb + "out_proj", "$1_attention_to_out_0", Split.NONE, Origin.CASCADE);
        rule(cb + "in_proj_0", "$1_attention_to_q", Split.NONE, Origin.CASCADE);
        rule(cb + "in_proj_1", "$1_attention_to_k", Split.NONE, Origin.CASCADE);
        rule(cb + "in_proj_2", "$1_attention_to_v", Split.NONE, Origin.CASCADE);
        // HunyuanVideo / FramePack's original blocks (musubi-tuner): the same streams, their own MLP and modulation names
        rule(db + "img_mlp_fc1", tb + "ff_net_0_proj", Split.NONE, Origin.HUNYUAN);
        rule(db + "img_mlp_fc2", tb + "ff_net_2", Split.NONE, Origin.HUNYUAN);
        rule(db + "txt_mlp_fc1", tb + "ff_context_net_0_proj", Split.NONE, Origin.HUNYUAN);
        rule(db + "txt_mlp_fc2", tb + "ff_context_net_2", Split.NONE, Origin.HUNYUAN);
        rule(db + "img_mod_linear", tb + "norm1_linear", Split.NONE, Origin.HUNYUAN);
        rule(db + "txt_mod_linear", tb + "norm1_context_linear", Split.NONE, Origin.HUNYUAN);
        rule(sb + "modulation_linear", stb + "norm_linear", Split.NONE, Origin.HUNYUAN);
        // SD3 / SD3.5 MMDiT as kohya's lora_sd3.py names it (sgm joint blocks)
        String jb = "joint_blocks_(\\d{1,6})_";
        rule(jb + "x_block_attn_qkv", tb + "attn_{to_q,to_k,to_v}", Split.QKV, Origin.SD3);
        rule(jb + "x_block_attn_proj", tb + "attn_to_out_0", Split.NONE, Origin.SD3);
        rule(jb + "x_block_attn2_qkv", tb + "attn2_{to_q,to_k,to_v}", Split.QKV, Origin.SD3);
        rule(jb + "x_block_attn2_proj", tb + "attn2_to_out_0", Split.NONE, Origin.SD3);
        rule(jb + "x_block_mlp_fc1", tb + "ff_net_0_proj", Split.NONE, Origin.SD3);
        rule(jb + "x_block_mlp_fc2", tb + "ff_net_2", Split.NONE, Origin.SD3);
        rule(jb + "x_block_adaLN_modulation_1", tb + "norm1_linear", Split.NONE, Origin.SD3);
        rule(jb + "context_block_attn_qkv", tb + "attn_{add_q_proj,add_k_proj,add_v_proj}", Split.QKV, Origin.SD3);
        rule(jb + "context_block_attn_proj", tb + "attn_to_add_out", Split.NONE, Origin.SD3);
        rule(jb + "context_block_mlp_fc1", tb + "ff_context_net_0_proj", Split.NONE, Origin.SD3);
        rule(jb + "context_block_mlp_fc2", tb + "ff_context_net_2", Split.NONE, Origin.SD3);
        rule(jb + "context_block_adaLN_modulation_1", tb + "norm1_context_linear", Split.NONE, Origin.SD3);
        rule("x_embedder_proj", "pos_embed_proj", Split.NONE, Origin.SD3);
        rule("t_embedder_mlp_0", "time_text_embed_timestep_embedder_linear_1", Split.NONE, Origin.SD3);
        rule("t_embedder_mlp_2", "time_text_embed_timestep_embedder_linear_2", Split.NONE, Origin.SD3);
        rule("y_embedder_mlp_0", "time_text_embed_text_embedder_linear_1", Split.NONE, Origin.SD3);
        rule("y_embedder_mlp_2", "time_text_embed_text_embedder_linear_2", Split.NONE, Origin.SD3);
        // Wan 2.1 / 2.2 original blocks (musubi-tuner, ComfyUI) → diffusers' WanTransformer3DModel
        String wb = "blocks_(\\d{1,6})_", wt = "blocks_$1_";
        rule(wb + "self_attn_([qkv])", wt + "attn1_to_$2", Split.NONE, Origin.WAN);
        rule(wb + "self_attn_o", wt + "attn1_to_out_0", Split.NONE, Origin.WAN);
        rule(wb + "cross_attn_([qkv])", wt + "attn2_to_$2", Split.NONE, Origin.WAN);
        rule(wb + "cross_attn_o", wt + "attn2_to_out_0", Split.NONE, Origin.WAN);
        rule(wb + "cross_attn_k_img", wt + "attn2_add_k_proj", Split.NONE, Origin.WAN);
        rule(wb + "cross_attn_v_img", wt + "attn2_add_v_proj", Split.NONE, Origin.WAN);
        rule(wb + "ffn_0", wt + "ffn_net_0_proj", Split.NONE, Origin.WAN);
        rule(wb + "ffn_2", wt + "ffn_net_2", Split.NONE, Origin.WAN);
        rule("text_embedding_0", "condition_embedder_text_embedder_linear_1", Split.NONE, Origin.WAN);
        rule("text_embedding_2", "condition_embedder_text_embedder_linear_2", Split.NONE, Origin.WAN);
        rule("time_embedding_0", "condition_embedder_time_embedder_linear_1", Split.NONE, Origin.WAN);
        rule("time_embedding_2", "condition_embedder_time_embedder_linear_2", Split.NONE, Origin.WAN);
        rule("time_projection_1", "condition_embedder_time_proj", Split.NONE, Origin.WAN);
        rule("head_head", "proj_out", Split.NONE, Origin.WAN);
        rule("img_emb_proj_1", "condition_embedder_image_embedder_ff_net_0_proj", Split.NONE, Origin.WAN);
        rule("img_emb_proj_3", "condition_embedder_image_embedder_ff_net_2", Split.NONE, Origin.WAN);
        // NextDiT (Lumina 2, Z-Image): ComfyUI's fused attention.qkv (GQA: q is as wide as the input, k and v share the
        // rest) and attention.out, and diffusers' Lumina 2 names, become Z-Image's diffusers names, which keep the rest
        String nb = "(layers|noise_refiner|context_refiner)_(\\d{1,6})_";
        rule(nb + "attention_qkv", "$1_$2_attention_{to_q,to_k,to_v}", Split.QKV, Origin.NEXTDIT);
        rule(nb + "attention_out", "$1_$2_attention_to_out_0", Split.NONE, Origin.NEXTDIT);
        rule(nb + "attn_to_([qkv])", "$1_$2_attention_to_$3", Split.NONE, Origin.LUMINA2);
        rule(nb + "attn_to_out_0", "$1_$2_attention_to_out_0", Split.NONE, Origin.LUMINA2);
        rule(nb + "feed_forward_linear_([123])", "$1_$2_feed_forward_w$3", Split.NONE, Origin.LUMINA2);
        rule(nb + "norm1_linear", "$1_$2_adaLN_modulation_1", Split.NONE, Origin.LUMINA2);
    }

    /** First tokens of the original names the rules rewrite; any other path skips the rules' regexes. */
    private static final String[] ORIGINAL = {"double_blocks_", "single_blocks_", "joint_blocks_", "blocks_", "layers_", "noise_refiner_",
            "context_refiner_", "img_in", "txt_in", "time_in_", "vector_in_", "guidance_in_", "final_layer_", "x_embedder_proj", "t_embedder_",
            "y_embedder_", "text_embedding_", "time_embedding_", "time_projection_", "head_head", "img_emb_", "distilled_guidance_layer_layers_"};

    private static boolean original(String path) {
        if (path.startsWith("down_blocks_") || path.startsWith("up_blocks_")) {
            // SD and SDXL UNets share these prefixes and are canonical already: only Stable Cascade's attention names
            // (the one rule family for these blocks) are original, and the rule loop is not run for every SD layer
            return path.contains("_attention_attn_");
        }
        for (String p : ORIGINAL) {
            if (path.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /** The layers under their canonical names, and the original namings the file used. */
    record Result(List<LoraLayer> layers, java.util.Set<Origin> origins) {}

    static Result apply(List<LoraLayer> layers) {
        List<LoraLayer> out = new ArrayList<>(layers.size());
        java.util.EnumSet<Origin> origins = java.util.EnumSet.noneOf(Origin.class);
        for (LoraLayer l : layers) {
            if (l.name().startsWith("prior.")) {
                // lora_prior_unet_ / lora_prior_te_: OneTrainer's Stable Cascade prior and its CLIP text encoder (ComfyUI reads both)
                String rest = l.name().substring("prior.".length());
                if (rest.startsWith("unet_")) {
                    // also Würstchen v2's prior: the blocks' names, not the prefix, say Stable Cascade (BaseModel)
                    l = renamed(l, "unet." + rest.substring("unet_".length()));
                } else if (rest.startsWith("te_")) {
                    out.add(renamed(l, "te1." + rest.substring("te_".length())));
                    continue;
                }
            }
            if (!l.name().startsWith("unet.")) {
                out.add(l);
                continue;
            }
            String path = l.name().substring("unet.".length());
            if (!original(path)) {
                out.add(l); // diffusers and SD names: already canonical
                continue;
            }
            Rule hit = null;
            Matcher m = null;
            for (Rule r : RULES) {
                m = r.from.matcher(path);
                if (m.matches()) {
                    hit = r;
                    break;
                }
            }
            if (hit == null) {
                out.add(l);
                continue;
            }
            origins.add(hit.origin);
            String to = m.replaceFirst(hit.to);
            switch (hit.split) {
                case NONE -> out.add(renamed(l, "unet." + to));
                case QKV -> { // q as wide as the input; k and v share the rest (equal thirds unless grouped-query attention)
                    int h = l.inDim(), kv = (l.outDim() - h) / 2;
                    split(l, to, new int[] {h, kv, kv}, l.outDim() > h && (l.outDim() - h) % 2 == 0, out);
                }
                case LINEAR1 -> {
                    int h = l.inDim();
                    split(l, to, new int[] {h, h, h, l.outDim() - 3 * h}, l.outDim() > 3L * h, out);
                }
            }
        }
        origins.remove(Origin.NONE);
        return new Result(out, origins);
    }

    private static LoraLayer renamed(LoraLayer l, String name) {
        return new LoraLayer(name, l.down(), l.up(), l.rank(), l.outDim(), l.inDim(), l.alpha(), l.scale(), l.stored(), l.structure());
    }

    /** to is "prefix{a,b,c}": the names of the row blocks, in order. */
    private static List<String> names(String to) {
        int open = to.indexOf('{'), close = to.indexOf('}');
        List<String> out = new ArrayList<>();
        for (String p : to.substring(open + 1, close).split(",")) {
            out.add(to.substring(0, open) + p + to.substring(close + 1));
        }
        return out;
    }

    private static void split(LoraLayer l, String to, int[] rows, boolean fits, List<LoraLayer> out) {
        List<String> names = names(to);
        if (!fits || l.structure() != null) {
            out.add(l); // not the fused shape, or a LyCORIS product: kept whole, under the name the file gives it
            return;
        }
        int r = l.rank(), from = 0;
        // the zero-column scan decodes B: within the heap bound a variant's rebuilt factors get, else row views only
        double[] b = (long) l.outDim() * r <= LayerReader.MAX_REBUILT ? DerivedFactor.decode(l.up()) : null;
        for (int i = 0; i < rows.length; i++) {
            int n = rows[i];
            boolean[] keep = new boolean[r];
            int kept = b == null ? r : 0;
            for (int c = 0; c < r && b != null; c++) {
                for (int row = from; row < from + n && !keep[c]; row++) {
                    keep[c] = b[row * r + c] != 0;
                }
                kept += keep[c] ? 1 : 0;
            }
            TensorView down = l.down(), up;
            int rank = r;
            if (kept > 0 && kept < r) { // a block-diagonal B: this projection's own columns, and A's rows for them
                double[] a = DerivedFactor.decode(l.down());
                double[] na = new double[kept * l.inDim()], nb = new double[n * kept];
                for (int c = 0, k = 0; c < r; c++) {
                    if (!keep[c]) {
                        continue;
                    }
                    System.arraycopy(a, c * l.inDim(), na, k * l.inDim(), l.inDim());
                    for (int row = 0; row < n; row++) {
                        nb[row * kept + k] = b[(from + row) * r + c];
                    }
                    k++;
                }
                down = DerivedFactor.of(l.down().info().name(), na, kept, l.inDim());
                up = DerivedFactor.of(l.up().info().name(), nb, n, kept);
                rank = kept;
            } else {
                up = DerivedFactor.rows(l.up(), from, n, r);
            }
            out.add(new LoraLayer("unet." + names.get(i), down, up, rank, n, l.inDim(), l.alpha(), l.scale(), l.stored()));
            from += n;
        }
    }
}
