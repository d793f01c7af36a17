package dev.dsire.lora;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one tensor key means in a LoRA file: which format names it that way, the layer it belongs
 * to (canonical and as the file spells it) and whether it is the down (A), up (B) or alpha tensor.
 *
 * <p>Canonical names make one base-model layer read the same from every format: a component
 * ({@code unet} for the denoiser, {@code te1}/{@code te2} for text encoders, {@code model} for a
 * language model) and the module path with dots turned into underscores, as kohya spells it.
 * So kohya {@code lora_unet_down_blocks_0_…_attn1_to_out_0} and PEFT
 * {@code base_model.model.down_blocks.0.….attn1.to_out.0} are both
 * {@code unet.down_blocks_0_…_attn1_to_out_0}. kohya's SDXL files use the original sgm block names
 * ({@code input_blocks_4_1_…}); {@link SgmNames} maps them to the diffusers ones.
 */
public record TensorRole(LoraFormat format, String layer, String module, Part part) {

    public enum Part { DOWN, UP, ALPHA }

    private static final Pattern KOHYA = Pattern.compile("^lora_([a-z]+[0-9]*)_(.+)\\.(lora_down\\.weight|lora_up\\.weight|alpha)$");
    private static final Pattern DIFFUSERS = Pattern.compile("^(.+)\\.(?:lora|lora_linear_layer)\\.(down|up)\\.weight$");
    private static final Pattern DIFFUSERS_PROCESSOR = Pattern.compile("^(.+)_lora\\.(down|up)\\.weight$");
    private static final Pattern PEFT = Pattern.compile("^(.+)\\.lora_([AB])(?:\\.[A-Za-z0-9_]+)?\\.weight$");
    private static final Pattern ALPHA = Pattern.compile("^(.+)\\.alpha$");

    /** The role of key, or empty when it is not a plain-LoRA tensor name. */
    public static Optional<TensorRole> of(String key) {
        Matcher m = KOHYA.matcher(key);
        if (m.matches()) {
            String component = kohyaComponent(m.group(1));
            String path = component.equals("unet") ? SgmNames.toDiffusers(m.group(2)) : m.group(2);
            String layer = component + "." + path;
            Part part = switch (m.group(3)) {
                case "lora_down.weight" -> Part.DOWN;
                case "lora_up.weight" -> Part.UP;
                default -> Part.ALPHA;
            };
            return Optional.of(new TensorRole(LoraFormat.KOHYA, layer, "lora_" + m.group(1) + "_" + m.group(2), part));
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
        if ((m = PEFT.matcher(key)).matches()) {
            return Optional.of(module(LoraFormat.PEFT, m.group(1), m.group(2).equals("A") ? Part.DOWN : Part.UP));
        }
        if ((m = ALPHA.matcher(key)).matches()) {
            // diffusers files that keep network alphas; the format is settled by the weights' names
            return Optional.of(module(LoraFormat.DIFFUSERS, m.group(1), Part.ALPHA));
        }
        return Optional.empty();
    }

    private static String kohyaComponent(String token) {
        return switch (token) {
            case "te", "te1" -> "te1";
            default -> token;
        };
    }

    private static TensorRole module(LoraFormat format, String path, Part part) {
        String module = path.startsWith("base_model.model.") ? path.substring("base_model.model.".length()) : path;
        int dot = module.indexOf('.');
        String head = dot < 0 ? module : module.substring(0, dot);
        String component = switch (head) {
            case "unet", "transformer" -> "unet";
            case "text_encoder" -> "te1";
            case "text_encoder_2" -> "te2";
            case "text_encoder_3" -> "te3";
            default -> null;
        };
        String rest = module;
        if (component != null && dot > 0) {
            rest = module.substring(dot + 1);
        } else {
            component = inferComponent(module);
        }
        return new TensorRole(format, component + "." + rest.replace('.', '_'), module, part);
    }

    /** For PEFT files saved from a bare sub-model, whose keys carry no component. */
    private static String inferComponent(String module) {
        if (module.startsWith("text_model.")) {
            return "te1";
        }
        if (module.matches("(?:model\\.)?(?:model\\.)?layers\\.\\d+\\..*_proj") || module.startsWith("model.layers.")) {
            return "model";
        }
        return "unet";
    }
}
