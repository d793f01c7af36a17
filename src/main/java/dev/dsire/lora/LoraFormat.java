package dev.dsire.lora;

/** The naming conventions dsire reads; all of them are plain LoRA (ΔW = s·B·A). */
public enum LoraFormat {
    /** kohya sd-scripts: lora_unet_…​.lora_down.weight / .lora_up.weight / .alpha. */
    KOHYA("kohya"),
    /** diffusers: ….lora.down.weight, …processor.to_q_lora.down.weight, …lora_linear_layer.down.weight. */
    DIFFUSERS("diffusers"),
    /** PEFT: ….lora_A.weight / ….lora_B.weight, scale from adapter_config.json. */
    PEFT("peft");

    private final String label;

    LoraFormat(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
