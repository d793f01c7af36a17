package dev.dsire.lora;

import dev.dsire.safetensors.TensorInfo;
import java.util.Map;
import java.util.Optional;

/**
 * What a safetensors file with no adapter tensors is, from its tensor names: a textual-inversion
 * embedding, a VAE, a ControlNet, a full or pruned checkpoint, the bare weights of a denoiser, or a
 * LyCORIS GLoRA. Hubs hold all of these beside LoRAs; naming them saves the user a guess.
 */
final class NotAnAdapter {
    private NotAnAdapter() {}

    /** One phrase naming the file, or empty when the names say nothing. */
    static Optional<String> name(Map<String, TensorInfo> tensors) {
        TensorInfo emb = tensors.get("emb_params");
        if (emb != null && tensors.size() <= 2) { // A1111's textual inversion: emb_params (vectors × width)
            long width = emb.shape().length == 2 ? emb.shape()[1] : 0;
            String base = width == 768 ? "SD1.x" : width == 1024 ? "SD2.x" : "width " + width;
            return Optional.of("textual-inversion embedding for " + base + " (emb_params " + shape(emb) + "), not an adapter");
        }
        if (tensors.containsKey("clip_l") && tensors.containsKey("clip_g") && tensors.size() <= 3) {
            return Optional.of("textual-inversion embedding for SDXL (clip_l " + shape(tensors.get("clip_l")) + ", clip_g "
                    + shape(tensors.get("clip_g")) + "), not an adapter");
        }
        int glora = 0, control = 0, checkpoint = 0, vae = 0, denoiser = 0, weights = 0;
        String flux = null;
        for (String k : tensors.keySet()) {
            if (k.endsWith(".a1.weight") || k.endsWith(".a2.weight") || k.endsWith(".b1.weight") || k.endsWith(".b2.weight")) {
                glora++;
            }
            if (k.startsWith("control_model.") || k.startsWith("controlnet_cond_embedding.") || k.contains("input_hint_block.")
                    || k.startsWith("controlnet_down_blocks.") || k.contains(".zero_convs.") || k.startsWith("zero_convs.")) {
                control++;
            }
            if (k.startsWith("model.diffusion_model.") || k.startsWith("first_stage_model.") || k.startsWith("cond_stage_model.")
                    || k.startsWith("conditioner.embedders.")) {
                checkpoint++;
            }
            if (k.startsWith("encoder.") || k.startsWith("decoder.") || k.startsWith("quant_conv.") || k.startsWith("post_quant_conv.")) {
                vae++;
            }
            if (k.startsWith("down_blocks.") || k.startsWith("up_blocks.") || k.startsWith("mid_block.") || k.startsWith("input_blocks.")
                    || k.startsWith("output_blocks.") || k.startsWith("double_blocks.") || k.startsWith("single_blocks.")
                    || k.startsWith("transformer_blocks.") || k.startsWith("single_transformer_blocks.") || k.startsWith("joint_blocks.")
                    || k.startsWith("blocks.")) {
                denoiser++;
                if (flux == null && (k.startsWith("double_blocks.") || k.startsWith("single_blocks."))) {
                    flux = "BFL-style (Flux, HunyuanVideo)";
                }
            }
            if (k.endsWith(".weight") || k.endsWith(".bias")) {
                weights++;
            }
        }
        int n = tensors.size();
        if (glora > 0 && glora * 2 >= n) {
            return Optional.of("LyCORIS GLoRA adapter (a1/a2/b1/b2 weights): its update W·A + B depends on the base weights W, which the file does not hold");
        }
        if (control > 0) {
            return Optional.of("ControlNet model, not an adapter");
        }
        if (checkpoint > 0) {
            boolean pruned = !tensors.keySet().stream().anyMatch(k -> k.startsWith("model_ema."));
            return Optional.of((pruned ? "pruned " : "full ") + "Stable Diffusion checkpoint (model.diffusion_model., first_stage_model., …), not an adapter");
        }
        if (vae > 0 && vae * 2 >= n && tensors.keySet().stream().anyMatch(k -> k.startsWith("decoder."))) {
            return Optional.of("VAE (encoder./decoder. weights), not an adapter");
        }
        if (denoiser > 0 && weights == n) {
            return Optional.of("full denoiser weights" + (flux != null ? " " + flux : "") + ", not an adapter");
        }
        return Optional.empty();
    }

    private static String shape(TensorInfo t) {
        StringBuilder s = new StringBuilder();
        for (long d : t.shape()) {
            s.append(s.isEmpty() ? "" : "×").append(d);
        }
        return s.toString();
    }
}
