package dev.dsire.lora;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one tensor key means in a LoRA file: which format names it that way, the layer it belongs
 * to (canonical and as the file spells it) and its part: the down (A), up (B) or alpha tensor, or
 * one of PEFT's extras (KaSA's diagonal, AdaLoRA's singular values E, the bias on B).
 *
 * <p>Canonical names make one base-model layer read the same from every format: a component
 * ({@code unet} for the denoiser, {@code te1}/{@code te2} for text encoders, {@code model} for a
 * language, speech or vision model) and the module path with dots turned into underscores, as
 * kohya spells it. So kohya {@code lora_unet_down_blocks_0_…_attn1_to_out_0} and PEFT
 * {@code base_model.model.down_blocks.0.….attn1.to_out.0} are both
 * {@code unet.down_blocks_0_…_attn1_to_out_0}. kohya's SDXL files use the original sgm block names
 * ({@code input_blocks_4_1_…}); {@link SgmNames} maps them to the diffusers ones. A transformers
 * task model keeps its base model under one attribute ({@code model.}, {@code transformer.},
 * {@code bert.}, …); that attribute is dropped, so an adapter saved from LlamaModel and one saved
 * from LlamaForCausalLM name {@code layers.0.self_attn.q_proj} alike: {@code model.layers_0_self_attn_q_proj}.
 *
 * @param nesting for LoRA on nn.Parameters (PEFT target_parameters): how many {@code base_layer}
 *                wrappers the key passes through, which tells apart the parameters of one module
 */
public record TensorRole(LoraFormat format, String layer, String module, Part part, int nesting) {

    /**
     * DOWN/UP/ALPHA of a LoRA; KaSA's DIAG, AdaLoRA's SINGULAR_E, PEFT's BIAS on B; and LyCORIS's
     * pieces: LoHa's hada_w1_a/b, hada_w2_a/b, hada_t1/t2 and LoKr's lokr_w1(_a/_b), lokr_w2(_a/_b),
     * lokr_t2 (W1A … T2, W1, W2), LoCon's Tucker core lora_mid (MID).
     */
    public enum Part { DOWN, UP, ALPHA, DIAG, SINGULAR_E, BIAS, W1A, W1B, W2A, W2B, T1, T2, W1, W2, MID }

    /** LyCORIS's LoHa and LoKr tensors: the module name (kohya-style lora_unet_…, or lycoris_… as LyCORIS's own wrapper names it) and the piece. */
    private static final Pattern LYCORIS = Pattern.compile("^(.+)\\.(hada_w[12]_[ab]|hada_t[12]|lokr_w[12](?:_[ab])?|lokr_t[12])$");
    private static final Pattern LORA_MID = Pattern.compile("^(.+)\\.lora_mid\\.weight$");
    private static final Pattern KOHYA_MODULE = Pattern.compile("^lora_([a-z]+[0-9]*)_(.+)$");

    private static final Pattern KOHYA = Pattern.compile("^lora_([a-z]+[0-9]*)_(.+)\\.(lora_down\\.weight|lora_up\\.weight|alpha)$");
    private static final Pattern DIFFUSERS = Pattern.compile("^(.+)\\.(?:lora|lora_linear_layer)\\.(down|up)\\.weight$");
    private static final Pattern DIFFUSERS_PROCESSOR = Pattern.compile("^(.+)_lora\\.(down|up)\\.weight$");
    private static final Pattern PEFT = Pattern.compile("^(.+)\\.lora_([AB])(?:\\.[A-Za-z0-9_]+)?\\.weight$");
    /** Embedding LoRA: parameters, not modules, so no .weight (optionally the adapter name). */
    private static final Pattern PEFT_EMBEDDING = Pattern.compile("^(.+)\\.lora_embedding_([AB])(?:\\.[A-Za-z0-9_]+)?$");
    /** AdaLoRA's A, B, E are parameters too: ….lora_A, ….lora_E (optionally the adapter name). */
    private static final Pattern PEFT_PARAMETER = Pattern.compile("^(.+)\\.lora_([ABE])(?:\\.(?!weight$|bias$)[A-Za-z0-9_]+)?$");
    private static final Pattern PEFT_DIAG = Pattern.compile("^(.+)\\.lora_diag(?:\\.[A-Za-z0-9_]+)?$");
    private static final Pattern PEFT_BIAS = Pattern.compile("^(.+)\\.lora_B(?:\\.[A-Za-z0-9_]+)?\\.bias$");
    /** XLabs x-flux: double_blocks.N.processor.qkv_lora1 (image stream) / qkv_lora2 (text), proj_lora1/2; single_blocks.N.processor.qkv_lora. */
    private static final Pattern XLABS = Pattern.compile("^(?:diffusion_model\\.)?(double_blocks|single_blocks)\\.(\\d{1,6})\\.processor\\.(qkv|proj)_lora([12]?)\\.(down|up)\\.weight$");
    private static final Pattern ALPHA = Pattern.compile("^(.+)\\.alpha$");
    private static final String PEFT_PREFIX = "base_model.model.";

    /** Attributes under which transformers' task models keep their base model. */
    private static final Set<String> WRAPPERS = Set.of("model", "transformer", "bert", "roberta", "resnet", "gpt_neox",
            "distilbert", "deberta", "electra", "albert", "vit", "t5", "bloom");
    /** Top-level module names of diffusion denoisers (diffusers and sgm): these are the component unet. */
    private static final Set<String> DENOISER = Set.of("down_blocks", "up_blocks", "mid_block", "conv_in", "conv_out",
            "conv_norm_out", "time_embedding", "add_embedding", "transformer_blocks", "single_transformer_blocks",
            "x_embedder", "context_embedder", "time_text_embed", "norm_out", "proj_out", "pos_embed", "input_blocks",
            "middle_block", "output_blocks", "time_embed", "label_emb", "caption_projection", "adaln_single",
            "encoder_hid_proj", "double_blocks", "single_blocks", "img_in", "txt_in", "final_layer", "patch_embed");
    /** After "transformer.", these mean a language model (GPT-2, Bloom, Falcon …), not a diffusion transformer. */
    private static final Set<String> LM_UNDER_TRANSFORMER = Set.of("h", "wte", "wpe", "ln_f", "word_embeddings",
            "word_embeddings_layernorm", "embedding", "encoder", "rotary_pos_emb", "output_layer");

    /**
     * The role of key, or empty when it is not a LoRA tensor name: the schemes below, also under OneTrainer's
     * dotted wrapper keys and its OMI keys.
     */
    public static Optional<TensorRole> of(String key) {
        Optional<TensorRole> role = scheme(flattenWrapperKey(key));
        return role.isPresent() ? role : omi(key);
    }

    /**
     * OneTrainer's LoRAModuleWrapper keys as it saved them where no key conversion applied (Sana, Würstchen v2 before the
     * 2026-07 formats rework: Nerogar/OneTrainer modules/modelSaver/sana/SanaLoRASaver.py has no key sets; the wrapper names
     * each module prefix + "." + its path, modules/module/LoRAModule.py): {@code lora_transformer.transformer_blocks.0.attn1.to_q.lora_down.weight}.
     * That is kohya's key with the module's dots kept; flattened, it reads as kohya's.
     */
    private static String flattenWrapperKey(String key) {
        if (!key.startsWith("lora_")) {
            return key;
        }
        int last = key.lastIndexOf('.');
        int cut = key.endsWith(".weight") && last > 0 ? key.lastIndexOf('.', last - 1) : last;
        if (cut <= 0 || key.indexOf('.') == cut) {
            return key; // already flat (kohya) or no suffix
        }
        return key.substring(0, cut).replace('.', '_') + key.substring(cut);
    }

    /**
     * OneTrainer's OMI keys (its SAFETENSORS LoRA output from 2025-03 to 2026-07 where a model enabled it, HiDream's only
     * one; Nerogar/OneTrainer modules/util/convert/lora/convert_lora_util.py, convert_to_omi): dotted module paths under
     * the component ({@code transformer.double_stream_blocks.0.block.attn1.to_q}) with kohya's {@code .lora_down.weight},
     * {@code .lora_up.weight} and {@code .alpha}. The module is named as PEFT's {@code lora_A} key of the same path names
     * it; the tensors are kohya's (alpha kept).
     */
    private static Optional<TensorRole> omi(String key) {
        boolean down = key.endsWith(".lora_down.weight");
        if (!down && !key.endsWith(".lora_up.weight")) {
            return Optional.empty();
        }
        String module = key.substring(0, key.length() - (down ? ".lora_down.weight" : ".lora_up.weight").length());
        if (module.isEmpty() || module.startsWith("lora_")) {
            return Optional.empty();
        }
        return scheme(module + (down ? ".lora_A.weight" : ".lora_B.weight"))
                .filter(r -> r.format() == LoraFormat.PEFT && r.nesting() == 0)
                .map(r -> new TensorRole(LoraFormat.KOHYA, r.layer(), r.module(), down ? Part.DOWN : Part.UP, 0));
    }

    /** The role of key under the kohya, LyCORIS, Tucker and PEFT/diffusers schemes as they are written. */
    private static Optional<TensorRole> scheme(String key) {
        Matcher m = KOHYA.matcher(key);
        if (m.matches()) {
            Part part = switch (m.group(3)) {
                case "lora_down.weight" -> Part.DOWN;
                case "lora_up.weight" -> Part.UP;
                default -> Part.ALPHA;
            };
            return Optional.of(kohya(LoraFormat.KOHYA, m.group(1), m.group(2), part));
        }
        boolean lycoris = key.contains(".hada_") || key.contains(".lokr_"); // the regexes below cost more than these scans
        if (lycoris && (m = LYCORIS.matcher(key)).matches()) {
            String piece = m.group(2);
            Part part = switch (piece.substring(5)) {
                case "w1_a" -> Part.W1A;
                case "w1_b" -> Part.W1B;
                case "w2_a" -> Part.W2A;
                case "w2_b" -> Part.W2B;
                case "t1" -> Part.T1;
                case "t2" -> Part.T2;
                case "w1" -> Part.W1;
                default -> Part.W2;
            };
            return Optional.of(lycoris(piece.startsWith("hada_") ? LoraFormat.LOHA : LoraFormat.LOKR, m.group(1), part));
        }
        if (key.endsWith(".lora_mid.weight") && (m = LORA_MID.matcher(key)).matches()) {
            return Optional.of(lycoris(LoraFormat.KOHYA, m.group(1), Part.MID));
        }
        if (key.startsWith("lycoris_") && (key.endsWith(".lora_down.weight") || key.endsWith(".lora_up.weight"))) {
            boolean down = key.endsWith(".lora_down.weight");
            return Optional.of(lycoris(LoraFormat.KOHYA, key.substring(0, key.length() - (down ? 17 : 15)), down ? Part.DOWN : Part.UP));
        }
        if (key.startsWith("lycoris_") && key.endsWith(".alpha")) {
            return Optional.of(lycoris(LoraFormat.LOHA, key.substring(0, key.length() - ".alpha".length()), Part.ALPHA));
        }
        if (key.contains(".processor.") && (m = XLABS.matcher(key)).matches()) {
            return Optional.of(module(LoraFormat.XLABS, xlabsModule(m), m.group(5).equals("down") ? Part.DOWN : Part.UP));
        }
        if ((m = DIFFUSERS.matcher(key)).matches()) {
            return Optional.of(module(LoraFormat.DIFFUSERS, m.group(1), m.group(2).equals("down") ? Part.DOWN : Part.UP));
        }
        if ((m = DIFFUSERS_PROCESSOR.matcher(key)).matches()) {
            // attention-processor files: …attn1.processor.to_out_lora.down.weight is module …attn1.to_out.0
            String module = m.group(1).replace(".processor.", ".");
            if (module.endsWith(".to_out")) {
                module += ".0";
            }
            return Optional.of(module(LoraFormat.DIFFUSERS, module, m.group(2).equals("down") ? Part.DOWN : Part.UP));
        }
        if ((m = PEFT.matcher(key)).matches() || (m = PEFT_EMBEDDING.matcher(key)).matches()) {
            return Optional.of(module(LoraFormat.PEFT, m.group(1), m.group(2).equals("A") ? Part.DOWN : Part.UP));
        }
        if ((m = PEFT_BIAS.matcher(key)).matches()) {
            return Optional.of(module(LoraFormat.PEFT, m.group(1), Part.BIAS));
        }
        if ((m = PEFT_DIAG.matcher(key)).matches()) {
            return Optional.of(module(LoraFormat.PEFT, m.group(1), Part.DIAG));
        }
        if ((m = PEFT_PARAMETER.matcher(key)).matches()) {
            Part part = switch (m.group(2)) {
                case "A" -> Part.DOWN;
                case "B" -> Part.UP;
                default -> Part.SINGULAR_E;
            };
            return Optional.of(module(LoraFormat.PEFT, m.group(1), part));
        }
        if ((m = ALPHA.matcher(key)).matches()) {
            // diffusers files that keep network alphas; the format is settled by the weights' names
            return Optional.of(module(LoraFormat.DIFFUSERS, m.group(1), Part.ALPHA));
        }
        return Optional.empty();
    }

    private static TensorRole kohya(LoraFormat format, String token, String rest, Part part) {
        String component = kohyaComponent(token);
        String path = component.equals("unet") ? SgmNames.toDiffusers(rest) : rest;
        return new TensorRole(format, component + "." + path, "lora_" + token + "_" + rest, part, 0);
    }

    /** A LyCORIS module: kohya's lora_unet_… form, LyCORIS's own lycoris_… (its wrapper's denoiser), or a dotted path. */
    private static TensorRole lycoris(LoraFormat format, String module, Part part) {
        Matcher m = KOHYA_MODULE.matcher(module);
        if (m.matches()) {
            return kohya(format, m.group(1), m.group(2), part);
        }
        if (module.startsWith("lycoris_")) {
            String rest = module.substring("lycoris_".length());
            return new TensorRole(format, "unet." + SgmNames.toDiffusers(rest), module, part, 0);
        }
        return module(format, module, part);
    }

    /** The BFL module an XLabs processor LoRA adapts: lora1 the image stream, lora2 the text stream, no digit a single block. */
    private static String xlabsModule(Matcher m) {
        String block = m.group(1) + "." + m.group(2) + ".";
        boolean qkv = m.group(3).equals("qkv");
        return switch (m.group(4)) {
            case "1" -> block + (qkv ? "img_attn.qkv" : "img_attn.proj");
            case "2" -> block + (qkv ? "txt_attn.qkv" : "txt_attn.proj");
            default -> block + (qkv ? "attn.qkv" : "attn.proj"); // XLabs' single-block processor: attention only, not linear1/linear2
        };
    }

    private static String kohyaComponent(String token) {
        return switch (token) {
            case "te", "te1" -> "te1";
            case "transformer" -> "unet"; // OneTrainer names a DiT's denoiser lora_transformer_
            default -> token;
        };
    }

    private static TensorRole module(LoraFormat format, String path, Part part) {
        String module = path.startsWith(PEFT_PREFIX) ? path.substring(PEFT_PREFIX.length()) : path;
        int nesting = 0;
        while (module.endsWith(".base_layer")) {
            // PEFT nests one wrapper per targeted nn.Parameter of a module (target_parameters)
            module = module.substring(0, module.length() - ".base_layer".length());
            nesting++;
        }
        // a wrapped module's children (nn.MultiheadAttention's out_proj) sit under its base_layer
        module = module.replace(".base_layer.", ".");
        int dot = module.indexOf('.');
        String head = dot < 0 ? module : module.substring(0, dot);
        String rest = dot < 0 ? "" : module.substring(dot + 1);
        if (head.equals("model") && rest.startsWith("diffusion_model.")) { // a ComfyUI checkpoint's own prefix
            head = "diffusion_model";
            rest = rest.substring("diffusion_model.".length());
        }
        String component = switch (head) {
            case "unet", "diffusion_model" -> "unet"; // diffusion_model.: ComfyUI's name for the denoiser
            case "transformer" -> isLanguageModel(rest) ? null : "unet";
            case "text_encoder" -> "te1";
            case "text_encoder_2" -> "te2";
            case "text_encoder_3" -> "te3";
            default -> null;
        };
        String canonical;
        if (component != null && dot > 0) {
            canonical = component + "." + rest;
        } else {
            canonical = bare(module);
        }
        String comp = canonical.substring(0, canonical.indexOf('.'));
        String under = canonical.substring(canonical.indexOf('.') + 1).replace('.', '_');
        if (comp.equals("unet")) {
            under = SgmNames.toDiffusers(under); // ComfyUI's SD/SDXL names are the sgm ones kohya writes
        }
        return new TensorRole(format, comp + "." + under, module, part, nesting);
    }

    private static boolean isLanguageModel(String rest) {
        int dot = rest.indexOf('.');
        return LM_UNDER_TRANSFORMER.contains(dot < 0 ? rest : rest.substring(0, dot));
    }

    /** A module path saved from one model (no pipeline component): a denoiser, a CLIP text encoder, or a transformers model. */
    private static String bare(String module) {
        int dot = module.indexOf('.');
        String head = dot < 0 ? module : module.substring(0, dot);
        if (DENOISER.contains(head)) {
            return "unet." + module;
        }
        if (head.equals("text_model")) {
            return "te1." + module;
        }
        if (WRAPPERS.contains(head) && dot > 0) {
            return "model." + module.substring(dot + 1); // LlamaForCausalLM's model.layers… is LlamaModel's layers…
        }
        return "model." + module;
    }
}
