package dev.dsire.lora;

/** The naming conventions dsire reads: plain LoRA (ΔW = s·B·A) in several namings, and LyCORIS LoHa and LoKr. */
public enum LoraFormat {
    /** kohya sd-scripts: lora_unet_…​.lora_down.weight / .lora_up.weight / .alpha. */
    KOHYA("kohya"),
    /** diffusers: ….lora.down.weight, …processor.to_q_lora.down.weight, …lora_linear_layer.down.weight. */
    DIFFUSERS("diffusers"),
    /** PEFT: ….lora_A.weight / ….lora_B.weight, scale from adapter_config.json. */
    PEFT("peft"),
    /** XLabs x-flux: double_blocks.N.processor.qkv_lora1.down.weight / .up.weight (no alpha: scale 1). */
    XLABS("xlabs"),
    /** LyCORIS LoHa: hada_w1_a, hada_w1_b, hada_w2_a, hada_w2_b (+ hada_t1/t2), alpha. */
    LOHA("loha"),
    /** LyCORIS LoKr: lokr_w1 or lokr_w1_a/b, lokr_w2 or lokr_w2_a/b (+ lokr_t2), alpha. */
    LOKR("lokr");

    private final String label;

    LoraFormat(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
