package dev.dsire.lora;

import java.util.List;

/** The base model an adapter was trained on, guessed from its layer names and shapes. */
public enum BaseFamily {
    SD1("SD1.x"), SD2("SD2.x"), SDXL("SDXL"), FLUX("Flux"), LLM("transformer LLM"), OTHER("other");

    private final String label;

    BaseFamily(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /**
     * Cross-attention context width tells the Stable Diffusion generations apart (768 SD1, 1024 SD2,
     * 2048 SDXL); a second text encoder or sgm block names mean SDXL; Flux and LLMs have their own names.
     */
    public static BaseFamily guess(List<LayerShape> layers) {
        boolean te2 = false, flux = false, llm = false;
        int context = 0, teWidth = 0;
        for (LayerShape l : layers) {
            String n = l.name();
            te2 |= n.startsWith("te2.");
            flux |= n.startsWith("unet.") && (n.contains("double_blocks_") || n.contains("single_blocks_")
                    || n.contains("single_transformer_blocks_"));
            llm |= n.startsWith("model.") && n.matches(".*layers_\\d+_.*(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj).*");
            if (n.startsWith("unet.") && n.contains("attn2_to_k") && context == 0) {
                context = l.inDim();
            }
            if (n.startsWith("te1.") && n.endsWith("self_attn_q_proj") && teWidth == 0) {
                teWidth = l.inDim();
            }
        }
        if (flux) {
            return FLUX;
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
        return llm ? LLM : OTHER;
    }
}
