package dev.dsire.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The scaling part of a PEFT LoraConfig (adapter_config.json, or diffusers'
 * {@code lora_adapter_metadata}): r, lora_alpha, per-module rank_pattern / alpha_pattern and rsLoRA.
 */
public record PeftConfig(int r, double alpha, Map<String, Integer> rankPattern, Map<String, Double> alphaPattern,
                         boolean rslora) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The adapter_config.json beside a PEFT file, if there is one. */
    public static Optional<PeftConfig> besides(Path adapterFile) {
        Path dir = adapterFile.toAbsolutePath().getParent();
        Path cfg = dir == null ? null : dir.resolve("adapter_config.json");
        if (cfg == null || !Files.isRegularFile(cfg)) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(JSON.readTree(cfg.toFile()), adapterFile));
        } catch (IOException e) {
            throw new LoraException(adapterFile, LoraException.Kind.BAD_CONFIG, "adapter_config.json beside it is not valid JSON: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** A config stored as JSON in the safetensors metadata (diffusers' lora_adapter_metadata). */
    public static Optional<PeftConfig> fromMetadata(Path file, String json) {
        try {
            JsonNode n = JSON.readTree(json);
            return n != null && n.has("r") ? Optional.of(parse(n, file)) : Optional.empty();
        } catch (IOException e) {
            throw new LoraException(file, LoraException.Kind.BAD_CONFIG, "lora_adapter_metadata is not valid JSON");
        }
    }

    static PeftConfig parse(JsonNode n, Path where) {
        if (!n.isObject() || !n.path("r").canConvertToInt() || n.path("r").asInt() <= 0) {
            throw new LoraException(where, LoraException.Kind.BAD_CONFIG, "adapter config needs a positive integer r");
        }
        int r = n.get("r").asInt();
        double alpha = n.path("lora_alpha").isNumber() ? n.get("lora_alpha").asDouble() : r;
        Map<String, Integer> ranks = new LinkedHashMap<>();
        n.path("rank_pattern").properties().forEach(e -> ranks.put(e.getKey(), e.getValue().asInt()));
        Map<String, Double> alphas = new LinkedHashMap<>();
        n.path("alpha_pattern").properties().forEach(e -> alphas.put(e.getKey(), e.getValue().asDouble()));
        return new PeftConfig(r, alpha, ranks, alphas, n.path("use_rslora").asBoolean(false));
    }

    /** The configured rank of a module (its name as in the file, without base_model.model.). */
    public int rankOf(String module) {
        return match(rankPattern, module).orElse(r);
    }

    public double alphaOf(String module) {
        return match(alphaPattern, module).orElse(alpha);
    }

    /** The scale PEFT applies to B·A for a module of the given rank. */
    public double scaleOf(String module, int rank) {
        double a = alphaOf(module);
        return rslora ? a / Math.sqrt(rank) : a / rank;
    }

    /** PEFT's rule: a pattern key matches a module name that ends with it after a dot. */
    private static <T> Optional<T> match(Map<String, T> patterns, String module) {
        for (Map.Entry<String, T> e : patterns.entrySet()) {
            if (Pattern.compile("(.*\\.)?(" + e.getKey() + ")$").matcher(module).matches()) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }
}
