package dev.dsire.lora;

import java.util.List;
import java.util.Locale;

/**
 * The base model an adapter was trained on: a diffusion generation or a transformers architecture,
 * guessed from its canonical layer names and shapes, and from the model class PEFT records in
 * adapter_config.json when there is one (Llama and Mistral name their layers alike).
 */
public enum BaseFamily {
    SD1("SD1.x"), SD2("SD2.x"), SDXL("SDXL"), KOLORS("Kolors"), STABLE_CASCADE("Stable Cascade"), SD3("SD3"),
    FLUX("Flux"), FLUX2("Flux.2"), CHROMA("Chroma"), HUNYUAN_VIDEO("HunyuanVideo"), WAN("Wan"), QWEN_IMAGE("Qwen-Image"),
    Z_IMAGE("Z-Image"), LUMINA2("Lumina 2"), LTX_VIDEO("LTX-Video"), HIDREAM("HiDream"), SANA("Sana"), AURAFLOW("AuraFlow"),
    COGVIDEOX("CogVideoX"), MOCHI("Mochi"), PIXART("PixArt"),
    LLAMA("llama"), MISTRAL("mistral"), MIXTRAL("mixtral"), QWEN2("qwen2"), GEMMA("gemma"), PHI("phi"),
    GPT2("gpt2"), OPT("opt"), BERT("bert"), WHISPER("whisper"), T5("t5"), RESNET("resnet"), VIT("vit"),
    LLM("transformer LLM"), OTHER("other");

    private final String label;

    BaseFamily(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** A language, speech or vision model (component "model"), as opposed to a diffusion pipeline. */
    public boolean transformers() {
        return ordinal() >= LLAMA.ordinal() && this != OTHER;
    }

    /**
     * From the model class PEFT recorded (e.g. "MistralForCausalLM") or, without one, the base model's
     * name (e.g. "mistralai/Mistral-7B-v0.1") for a llama-style layout; the names decide otherwise.
     */
    public static BaseFamily guess(List<LayerShape> layers, String modelClass, String modelName) {
        BaseFamily byNames = guess(layers);
        if (modelClass == null && modelName != null && (byNames == LLAMA || byNames == LLM)) {
            String n = modelName.toLowerCase(Locale.ROOT);
            n = n.substring(n.lastIndexOf('/') + 1);
            for (BaseFamily f : List.of(MIXTRAL, MISTRAL, QWEN2, GEMMA, LLAMA)) {
                if (n.contains(f.label.replace("2", ""))) {
                    return f;
                }
            }
            return byNames;
        }
        if (modelClass == null || !(byNames.transformers() || byNames == OTHER)) {
            return byNames;
        }
        String c = modelClass.toLowerCase(Locale.ROOT);
        for (BaseFamily f : List.of(MIXTRAL, MISTRAL, QWEN2, GEMMA, PHI, LLAMA, GPT2, OPT, BERT, WHISPER, T5, RESNET, VIT)) {
            if (c.startsWith(f.label)) {
                return f;
            }
        }
        if (c.startsWith("roberta") || c.startsWith("distilbert")) {
            return BERT;
        }
        return byNames;
    }

    /**
     * Cross-attention context width tells the Stable Diffusion generations apart (768 SD1, 1024 SD2,
     * 2048 SDXL); a second text encoder or sgm block names mean SDXL; each diffusion transformer is
     * told by its canonical module names and widths ({@link BaseModel#detect}); a transformers model
     * is told by its module names.
     */
    public static BaseFamily guess(List<LayerShape> layers) {
        BaseModel dit = BaseModel.transformer(layers, java.util.Set.of(), "");
        if (dit != null) {
            return dit.family();
        }
        boolean te2 = false, kolors = false;
        int context = 0, teWidth = 0;
        BaseFamily model = null;
        for (LayerShape l : layers) {
            String n = l.name();
            te2 |= n.startsWith("te2.");
            // ChatGLM's fused query_key_value (Kolors' text encoder) or the UNet's projection of its 4096-wide states
            kolors |= n.contains("_self_attention_query_key_value") || n.equals("unet.encoder_hid_proj") && l.inDim() == 4096;
            if (n.startsWith("unet.") && n.contains("attn2_to_k") && context == 0) {
                context = l.inDim();
            }
            if (n.startsWith("te1.") && n.endsWith("self_attn_q_proj") && teWidth == 0) {
                teWidth = l.inDim();
            }
            if (n.startsWith("model.")) {
                BaseFamily f = architecture(n.substring("model.".length()));
                if (f != null && (model == null || model == LLM || f == MIXTRAL || f == WHISPER)) {
                    model = f;
                }
            }
        }
        if (kolors) {
            return KOLORS;
        }
        if (te2 || context == 2048) {
            return SDXL;
        }
        if (context == 1024 || (context == 0 && teWidth == 1024)) {
            return SD2;
        }
        if (context == 768 || (context == 0 && teWidth == 768)) {
            return SD1;
        }
        return model != null ? model : OTHER;
    }

    /** The architecture one canonical module path (without "model.") belongs to, or null when it says nothing. */
    private static BaseFamily architecture(String p) {
        if (p.matches("layers_\\d+_(block_sparse_moe|mlp)_experts_.*") || p.matches("layers_\\d+_block_sparse_moe_.*")) {
            return MIXTRAL;
        }
        if (p.startsWith("encoder_conv") || p.contains("_encoder_attn_")) {
            return WHISPER; // the audio convolutions and the decoder's cross-attention
        }
        if (p.matches("decoder_layers_\\d+_(self_attn_(q|k|v|out)_proj|fc1|fc2)")) {
            return OPT;
        }
        if (p.matches("h_\\d+_(attn_c_attn|attn_c_proj|mlp_c_fc|mlp_c_proj)") || p.equals("wte") || p.equals("wpe")) {
            return GPT2;
        }
        if (p.matches("encoder_layer_\\d+_(attention_(self_(query|key|value)|output_dense)|intermediate_dense|output_dense)")) {
            return BERT;
        }
        if (p.matches("(encoder_stages_\\d+_layers_\\d+_.*|embedder_embedder)_convolution")) {
            return RESNET;
        }
        if (p.matches("layers_\\d+_(self_attn_(q|k|v|o)_proj|mlp_(gate|up|down)_proj)") || p.equals("embed_tokens")) {
            return LLAMA;
        }
        if (p.matches("(layers|h|blocks|block|encoder_layers|decoder_layers)_\\d+_.*") || p.equals("lm_head")) {
            return LLM;
        }
        return null;
    }
}
