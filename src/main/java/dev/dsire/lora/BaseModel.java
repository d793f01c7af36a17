package dev.dsire.lora;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The base model an adapter was trained on: its family and, where the weights or the file say, the
 * variant (SD3.5 large, Wan 2.1 1.3B, LTX-Video 13B…). Decided from the canonical layer names and
 * their widths, from the original naming the file used (which {@link Canonical} rewrote), and from
 * the architecture trainers record in the metadata (kohya's modelspec.architecture, musubi-tuner's
 * ss_base_model_version) where the weights leave two bases open: FramePack is HunyuanVideo's network, and
 * Kontext is Flux.1's.
 *
 * @param variant null when nothing narrows the family down
 */
public record BaseModel(BaseFamily family, String variant) {
    /** AuraFlow's single DiT blocks (compiled once: detect runs for every layer of every file). */
    private static final Pattern AURAFLOW_SINGLE =
            Pattern.compile("single_transformer_blocks_\\d{1,6}_(ff_(linear_1|linear_2|out_projection)|norm1_linear)");
    private static final Pattern AURAFLOW_SINGLE_OUT = Pattern.compile("single_transformer_blocks_\\d{1,6}_attn_to_out_0");


    /** "SD3.5 large", or the family's label when no variant is known. */
    public String label() {
        return variant != null ? variant : family.label();
    }

    /** Stable Cascade's UNet blocks (Stability's and diffusers' names alike): level, block, part. */
    private static final Pattern CASCADE = Pattern.compile(
            "^(down|up)_blocks_\\d{1,6}_\\d{1,6}_(channelwise_[04]|mapper|mapper_sca|mapper_crp|kv_mapper_1|attention_to_[qkv]|attention_to_out_0)$");

    private static final Pattern INDEX = Pattern.compile("^unet\\.(transformer_blocks|single_transformer_blocks|blocks|layers)_(\\d{1,6})_(.*)$");

    /** What the canonical unet names of a diffusion transformer show. */
    private static final class Seen {
        int maxDouble = -1, maxSingle = -1, maxBlocks = -1, maxLayers = -1;
        int width, width1, blocksWidth, layersWidth, cascadeWidth, maxAttn1 = -1;
        boolean attn, attn1, attn2, addQ1, single, imgMlp, sana, auraflow, hidream, chroma, cascade, nextdit,
                wan, wanI2v, hunyuanOnly, framepack, flux2;
    }

    /**
     * The family of a diffusion transformer's layers, or null when they are not one (a UNet, a text
     * encoder alone, a language model).
     *
     * @param origins      the original namings the file used
     * @param architecture the metadata's architecture string, lower-cased ("" when none)
     */
    static BaseModel transformer(List<LayerShape> layers, Set<Canonical.Origin> origins, String architecture) {
        Seen s = new Seen();
        for (LayerShape l : layers) {
            String n = l.name();
            if (!n.startsWith("unet.")) {
                continue;
            }
            String u = n.substring("unet.".length());
            s.auraflow |= u.startsWith("joint_transformer_blocks_");
            s.hidream |= u.startsWith("double_stream_blocks_") || u.startsWith("single_stream_blocks_");
            s.chroma |= u.startsWith("distilled_guidance_layer");
            Matcher c = CASCADE.matcher(u);
            if (c.matches()) {
                // Stable Cascade's blocks, a level's C/T/A blocks in turn: ResBlock channelwise (Linear c+skip → 4c, 4c → c),
                // TimestepBlock mapper, AttnBlock attention and kv_mapper; the width c tells Stage C 3.6B (2048) from 1B (1536)
                s.cascade = true;
                String part = c.group(2);
                int w = part.equals("channelwise_4") ? l.outDim() : part.startsWith("attention_") || part.equals("kv_mapper_1") ? l.outDim()
                        : part.equals("channelwise_0") && c.group(1).equals("down") ? l.inDim() : 0;
                if (w > 0 && s.cascadeWidth == 0) {
                    s.cascadeWidth = w;
                }
            }
            s.cascade |= u.startsWith("clf_") || u.startsWith("clip_txt_mapper") || u.startsWith("clip_txt_pooled_mapper");
            // AuraFlow's single DiT blocks: an attention output (Flux's single blocks have none) and a SwiGLU feed-forward
            s.auraflow |= u.startsWith("single_transformer_blocks_") && (AURAFLOW_SINGLE.matcher(u).matches()
                    || AURAFLOW_SINGLE_OUT.matcher(u).matches() && !origins.contains(Canonical.Origin.FLUX));
            s.hunyuanOnly |= u.startsWith("context_embedder_token_refiner") || u.startsWith("txt_in_individual_token_refiner");
            s.framepack |= u.startsWith("clean_x_embedder") || u.startsWith("image_projection");
            s.flux2 |= u.startsWith("double_stream_modulation") || u.startsWith("single_stream_modulation");
            s.nextdit |= u.startsWith("noise_refiner_") || u.startsWith("context_refiner_");
            Matcher m = INDEX.matcher(n);
            if (!m.matches()) {
                continue;
            }
            // Flux.2's SwiGLU MLP projects to 2·3h = 6h (gate and up), Flux.1's GELU MLP to 4h
            s.flux2 |= (n.endsWith("_proj_mlp") || n.endsWith("_ff_net_0_proj")) && l.outDim() == 6L * l.inDim()
                    && !m.group(1).equals("blocks") && !m.group(1).equals("layers");
            int i = Integer.parseInt(m.group(2));
            String rest = m.group(3);
            switch (m.group(1)) {
                case "transformer_blocks" -> {
                    if (rest.startsWith("attn_")) {
                        s.attn = true;
                        s.maxDouble = Math.max(s.maxDouble, i);
                        if ((rest.equals("attn_to_q") || rest.equals("attn_to_k") || rest.equals("attn_to_out_0") || rest.equals("attn_to_add_out"))
                                && s.width == 0) {
                            s.width = l.inDim();
                        }
                    } else if (rest.startsWith("attn1_")) {
                        s.attn1 = true;
                        s.maxAttn1 = Math.max(s.maxAttn1, i);
                        s.addQ1 |= rest.startsWith("attn1_add_");
                        if ((rest.equals("attn1_to_q") || rest.equals("attn1_to_k") || rest.equals("attn1_to_v")) && s.width1 == 0) {
                            s.width1 = l.inDim(); // self-attention: keys and values read the same stream as queries
                        }
                    } else if (rest.startsWith("img_mlp_") || rest.startsWith("txt_mlp_") || rest.startsWith("img_mod_") || rest.startsWith("txt_mod_")) {
                        s.imgMlp = true; // Qwen-Image's stream MLPs and modulations
                    } else if (rest.startsWith("ff_conv_")) {
                        s.sana = true;
                    }
                    if (rest.startsWith("attn2_")) {
                        s.attn2 = true;
                        if (rest.equals("attn2_to_q") && s.width == 0) {
                            s.width = l.inDim(); // SD3.5 medium's second self-attention: the same width
                        }
                    }
                }
                case "single_transformer_blocks" -> {
                    s.single = true;
                    s.maxSingle = Math.max(s.maxSingle, i);
                    if ((rest.equals("attn_to_q") || rest.equals("proj_mlp")) && s.width == 0) {
                        s.width = l.inDim();
                    }
                }
                case "blocks" -> {
                    if (rest.startsWith("attn1_") || rest.startsWith("attn2_") || rest.startsWith("ffn_")) {
                        s.wan = true;
                        s.maxBlocks = Math.max(s.maxBlocks, i);
                        s.wanI2v |= rest.startsWith("attn2_add_");
                        if (rest.equals("attn1_to_q") && s.blocksWidth == 0) {
                            s.blocksWidth = l.inDim();
                        }
                    }
                }
                case "layers" -> {
                    if (rest.startsWith("attention_") || rest.startsWith("feed_forward_") || rest.startsWith("adaLN_modulation")
                            || rest.startsWith("attn_")) {
                        s.nextdit = true;
                        s.maxLayers = Math.max(s.maxLayers, i);
                        if ((rest.equals("attention_to_q") || rest.equals("attention_to_k") || rest.equals("attention_to_out_0"))
                                && s.layersWidth == 0) {
                            s.layersWidth = l.inDim();
                        }
                    }
                }
                default -> {}
            }
        }
        // musubi-tuner's short architecture names (src/musubi_tuner/dataset/architectures.py; its files record the full ones,
        // which these expand to): hv HunyuanVideo, fp FramePack, fk Flux Kontext, f2d/f2k4b/f2k9b Flux.2, qi/qie/qil Qwen-Image
        String arch = " " + (architecture == null ? "" : architecture.toLowerCase(Locale.ROOT)) + " ";
        arch = arch.replace(" hv ", " hunyuan_video ").replace(" fp ", " framepack ").replace(" fk ", " flux_kontext ")
                .replace(" f2d ", " flux_2_dev ").replace(" f2k4b ", " flux_2_klein_4b ").replace(" f2k9b ", " flux_2_klein_9b ")
                .replace(" qi ", " qwen_image ").replace(" qie ", " qwen_image_edit ").replace(" qil ", " qwen_image_layered ");
        if (origins.contains(Canonical.Origin.SD3)) {
            return sd3(s);
        }
        // generic names (blocks.N.attn1, layers.N.attention, transformer_blocks.N.attn…) say a family only at its known widths:
        // a small model of the same design (dsire's own zoo) stays "other"
        if (origins.contains(Canonical.Origin.WAN) || s.wan && (s.blocksWidth == 1536 || s.blocksWidth == 3072 || s.blocksWidth == 5120)) {
            return wan(s);
        }
        if (origins.contains(Canonical.Origin.NEXTDIT) || origins.contains(Canonical.Origin.LUMINA2)
                || s.nextdit && (s.layersWidth == 2304 || s.layersWidth == 3840)) {
            return nextdit(s, origins.contains(Canonical.Origin.LUMINA2));
        }
        if (origins.contains(Canonical.Origin.HUNYUAN) || s.hunyuanOnly || s.framepack) {
            return hunyuan(s, arch);
        }
        if (s.auraflow) {
            return new BaseModel(BaseFamily.AURAFLOW, null);
        }
        if (s.hidream) {
            return new BaseModel(BaseFamily.HIDREAM, null);
        }
        if (s.cascade || origins.contains(Canonical.Origin.CASCADE)) {
            String v = switch (s.cascadeWidth) {
                case 2048 -> "Stable Cascade 3.6B";
                case 1536 -> "Stable Cascade 1B";
                default -> null;
            };
            return new BaseModel(BaseFamily.STABLE_CASCADE, v);
        }
        if (s.chroma || arch.contains("chroma")) {
            return new BaseModel(BaseFamily.CHROMA, null);
        }
        if (s.imgMlp) {
            return qwen(arch);
        }
        if ((s.attn || s.single) && (origins.contains(Canonical.Origin.FLUX) || s.width == 3072 || s.width == 6144 || s.width == 4096 || s.width == 1536
                || s.width == 2432 || s.flux2 || !arch.isBlank())) {
            return joint(s, origins, arch);
        }
        if (s.attn1 || s.sana) {
            return crossAttention(s);
        }
        return null;
    }

    /** Joint-attention DiTs in diffusers names: Flux, Flux.2, HunyuanVideo, SD3, Qwen-Image. */
    private static BaseModel joint(Seen s, Set<Canonical.Origin> origins, String arch) {
        boolean fluxNames = origins.contains(Canonical.Origin.FLUX);
        // musubi-tuner src/musubi_tuner/flux_2/flux2_models.py: Flux.2 dev 6144 wide, klein 9B 4096, klein 4B 3072 (Flux.1's width)
        if (s.flux2 || s.width == 6144 || s.width == 4096 || arch.contains("flux_2") || arch.contains("flux-2") || arch.contains("flux2")) {
            String v = arch.contains("klein_4b") || arch.contains("klein-4b") ? "Flux.2 klein 4B"
                    : arch.contains("klein_9b") || arch.contains("klein-9b") || s.width == 4096 ? "Flux.2 klein 9B"
                    : s.width == 6144 ? "Flux.2 dev" : null;
            return new BaseModel(BaseFamily.FLUX2, v);
        }
        // Flux.1 and Chroma have 19 double and 38 single blocks, HunyuanVideo 20 and 40 (ComfyUI names it with Flux's modules)
        if (s.maxDouble >= 19 || s.maxSingle >= 38 || arch.contains("hunyuan") || arch.contains("framepack")) {
            if (s.single || arch.contains("hunyuan") || arch.contains("framepack")) {
                return hunyuan(s, arch);
            }
            return qwen(arch); // 60 joint blocks and no single ones
        }
        if (!s.single && !fluxNames && (s.width == 1536 || s.width == 2432)) {
            return sd3(s);
        }
        if (arch.contains("qwen")) {
            return qwen(arch);
        }
        String v = arch.contains("kontext") ? "Flux.1 Kontext" : arch.contains("schnell") ? "Flux.1 schnell"
                : arch.contains("flux") && arch.contains("dev") ? "Flux.1 dev" : null;
        return new BaseModel(BaseFamily.FLUX, v);
    }

    /** Qwen-Image, or the Edit / Layered model of the same network that musubi-tuner records. */
    private static BaseModel qwen(String arch) {
        String v = arch.contains("qwen_image_edit") || arch.contains("qwen-image-edit") ? "Qwen-Image-Edit"
                : arch.contains("qwen_image_layered") || arch.contains("qwen-image-layered") ? "Qwen-Image-Layered" : null;
        return new BaseModel(BaseFamily.QWEN_IMAGE, v);
    }

    private static BaseModel sd3(Seen s) {
        String v = switch (s.width) {
            case 2432 -> "SD3.5 large";
            case 1536 -> s.attn2 ? "SD3.5 medium" : "SD3/SD3.5 medium";
            default -> null;
        };
        return new BaseModel(BaseFamily.SD3, v);
    }

    private static BaseModel wan(Seen s) {
        String v = switch (s.blocksWidth) {
            case 1536 -> "Wan 2.1 1.3B";
            case 3072 -> "Wan 2.2 5B";
            case 5120 -> s.wanI2v ? "Wan 2.1 14B I2V" : "Wan 14B";
            default -> null;
        };
        return new BaseModel(BaseFamily.WAN, v);
    }

    /** NextDiT: Z-Image is 3840 wide, Lumina 2 2304 (and diffusers names it its own way). */
    private static BaseModel nextdit(Seen s, boolean luminaNames) {
        if (s.layersWidth == 3840) {
            return new BaseModel(BaseFamily.Z_IMAGE, null);
        }
        if (s.layersWidth == 2304 || luminaNames) {
            return new BaseModel(BaseFamily.LUMINA2, null);
        }
        return new BaseModel(BaseFamily.Z_IMAGE, null);
    }

    private static BaseModel hunyuan(Seen s, String arch) {
        boolean fp = s.framepack || arch.contains("framepack");
        return new BaseModel(BaseFamily.HUNYUAN_VIDEO, fp ? "FramePack" : null);
    }

    /** transformer_blocks with attn1 (self) and maybe attn2 (cross): PixArt, Sana, LTX-Video, CogVideoX, Mochi. */
    private static BaseModel crossAttention(Seen s) {
        if (s.sana || s.width1 == 2240) {
            return new BaseModel(BaseFamily.SANA, s.width1 == 2240 ? "Sana 1.6B" : s.width1 == 1152 ? "Sana 600M" : null);
        }
        // Mochi 1 has 48 blocks, CogVideoX 5B 42, both 3072 wide: only Mochi's self-attention takes the text stream (add_q_proj)
        if (s.width1 == 3072 && (s.addQ1 || s.maxAttn1 >= 42)) {
            return new BaseModel(BaseFamily.MOCHI, null);
        }
        if (!s.attn2) {
            return s.width1 == 1920 ? new BaseModel(BaseFamily.COGVIDEOX, "CogVideoX 2B")
                    : s.width1 == 3072 ? new BaseModel(BaseFamily.COGVIDEOX, "CogVideoX 5B") : null;
        }
        return switch (s.width1) {
            case 2048 -> new BaseModel(BaseFamily.LTX_VIDEO, "LTX-Video 2B");
            case 4096 -> new BaseModel(BaseFamily.LTX_VIDEO, "LTX-Video 13B");
            case 1152 -> new BaseModel(BaseFamily.PIXART, null);
            default -> null;
        };
    }

    /** The base of an adapter: a diffusion transformer's, else {@link BaseFamily#guess}'s with the PEFT hints. */
    static BaseModel detect(List<LayerShape> layers, Set<Canonical.Origin> origins, String architecture, String modelClass, String modelName) {
        BaseModel dit = transformer(layers, origins, architecture);
        if (dit != null) {
            return dit;
        }
        BaseFamily f = BaseFamily.guess(layers, modelClass, modelName);
        String arch = architecture == null ? "" : architecture.toLowerCase(Locale.ROOT);
        if (f == BaseFamily.SDXL && arch.contains("kolors")) {
            f = BaseFamily.KOLORS;
        }
        if (f == BaseFamily.OTHER) { // no cross-attention or text-encoder layer to measure: kohya's recorded base decides
            if (arch.contains("sdxl") || arch.contains("stable-diffusion-xl")) {
                f = BaseFamily.SDXL;
            } else if (arch.contains("sd_v2") || arch.contains("stable-diffusion-v2")) {
                f = BaseFamily.SD2;
            } else if (arch.contains("sd_v1") || arch.contains("stable-diffusion-v1")) {
                f = BaseFamily.SD1;
            }
        }
        return new BaseModel(f, null);
    }
}
