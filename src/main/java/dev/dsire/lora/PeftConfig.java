package dev.dsire.lora;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What dsire needs from a PEFT config (adapter_config.json, or diffusers' {@code lora_adapter_metadata}):
 * r, lora_alpha (PEFT's default 8 when absent), rank_pattern / alpha_pattern (Python regexes, matched
 * in linear time), rsLoRA, and the variant settings that change how tensors are read: AdaLoRA's
 * init_r, BD-LoRA's block-diagonal targets, target_parameters (LoRA on nn.Parameters such as MoE
 * expert stacks). Every number is checked: a config dsire cannot read exactly is the file's error.
 */
public record PeftConfig(String peftType, int r, double alpha, List<Keyed<Integer>> rankPattern,
                         List<Keyed<Double>> alphaPattern, boolean rslora, int initR, BdLora bdlora,
                         List<String> targetParameters, String baseModelClass, String baseModelName) {
    /** PEFT's LoraConfig default for lora_alpha. */
    public static final double DEFAULT_ALPHA = 8;
    /** adapter_config.json files are a few KB; this bounds the cost of a hostile one. */
    static final long MAX_BYTES = 16L << 20;
    /** Every module is matched against the pattern keys: their number and total size bound each file's cost. */
    static final int MAX_PATTERN_KEYS = 4096;
    static final long MAX_PATTERN_STATES = 100_000;
    /** RE2 states × characters of module names one file may cost (about 0.05 µs each: a few seconds at most). */
    static final long MAX_MATCH_WORK = 100_000_000L;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS) // PEFT's json.load refuses trailing text
            .build(); // duplicate keys: the last wins, as in Python's json

    /** A pattern key of rank_pattern / alpha_pattern, compiled, with its value. */
    public record Keyed<T>(String key, PythonRegex.Key matcher, T value) {}

    /** BD-LoRA: modules (substring match, as PEFT) whose A or B factor is block-diagonal with nblocks blocks. */
    public record BdLora(List<String> blockA, List<String> blockB, int nblocks) {}

    public boolean adalora() {
        return "ADALORA".equals(peftType);
    }

    /** The adapter_config.json beside a PEFT file, if there is one. */
    public static Optional<PeftConfig> besides(Path adapterFile) {
        Path dir = adapterFile.toAbsolutePath().getParent();
        Path cfg = dir == null ? null : dir.resolve("adapter_config.json");
        if (cfg == null || !Files.exists(cfg, LinkOption.NOFOLLOW_LINKS) && !Files.exists(cfg)) {
            return Optional.empty();
        }
        if (!Files.isRegularFile(cfg)) {
            throw bad(adapterFile, "adapter_config.json beside it is not a regular file");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(cfg)) {
            bytes = in.readNBytes((int) MAX_BYTES + 1);
        } catch (IOException e) {
            throw bad(adapterFile, "adapter_config.json beside it cannot be read: " + e.getMessage());
        }
        if (bytes.length > MAX_BYTES) {
            throw bad(adapterFile, "adapter_config.json beside it is over " + (MAX_BYTES >> 20) + " MB");
        }
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf) {
            // PEFT's json.load refuses it too ("Unexpected UTF-8 BOM")
            throw bad(adapterFile, "adapter_config.json beside it starts with a UTF-8 byte-order mark, which JSON (and PEFT) do not allow");
        }
        try {
            return Optional.of(parse(JSON.readTree(bytes), adapterFile));
        } catch (IOException e) {
            throw bad(adapterFile, "adapter_config.json beside it is not valid JSON: " + firstLine(e.getMessage()));
        }
    }

    /** The peft_type of the adapter_config.json beside a file, read leniently (only to name what a file is). */
    static Optional<String> typeBesides(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        Path cfg = dir == null ? null : dir.resolve("adapter_config.json");
        if (cfg == null || !Files.isRegularFile(cfg)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(cfg)) {
            byte[] bytes = in.readNBytes((int) MAX_BYTES + 1);
            JsonNode n = bytes.length > MAX_BYTES ? null : JSON.readTree(bytes);
            return n != null && n.path("peft_type").isTextual() ? Optional.of(n.get("peft_type").asText()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // a garbled config names nothing; the file's own reason stands
        }
    }

    /** A config stored as JSON in the safetensors metadata (diffusers' lora_adapter_metadata), unprefixed. */
    public static Optional<PeftConfig> fromMetadata(Path file, String json) {
        return Optional.ofNullable(componentsFromMetadata(file, json).get(""));
    }

    /**
     * The configs in diffusers' lora_adapter_metadata by pipeline component: diffusers' pipelines save
     * one config per component with its keys prefixed ({"transformer.r": 2, "transformer.lora_alpha": 4,
     * "text_encoder.r": …}); a config saved from one model has its keys bare (key ""). Empty when the
     * JSON holds no r at all.
     */
    public static Map<String, PeftConfig> componentsFromMetadata(Path file, String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw bad(file, "lora_adapter_metadata is not valid JSON");
        }
        if (n == null || !n.isObject()) {
            return Map.of();
        }
        if (n.has("r")) {
            return Map.of("", parse(n, file));
        }
        Map<String, com.fasterxml.jackson.databind.node.ObjectNode> parts = new java.util.TreeMap<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            int dot = e.getKey().indexOf('.');
            if (dot > 0 && dot < e.getKey().length() - 1) {
                parts.computeIfAbsent(e.getKey().substring(0, dot), k -> JSON.createObjectNode())
                        .set(e.getKey().substring(dot + 1), e.getValue());
            }
        }
        Map<String, PeftConfig> out = new java.util.TreeMap<>();
        parts.forEach((component, cfg) -> {
            if (cfg.has("r")) {
                out.put(component, parse(cfg, file));
            }
        });
        return out;
    }

    static PeftConfig parse(JsonNode n, Path where) {
        if (n == null || !n.isObject()) {
            throw bad(where, "adapter config is not a JSON object");
        }
        String type = n.path("peft_type").isTextual() ? n.get("peft_type").asText() : "LORA";
        if (!type.equals("LORA") && !type.equals("ADALORA")) {
            throw new LoraException(where, LoraException.Kind.UNSUPPORTED_TYPE, "PEFT " + shorten(type)
                    + " adapter (peft_type in its config) is not LoRA; dsire reads only ΔW = B·A adapters");
        }
        boolean ada = "ADALORA".equals(type);
        int r = positiveInt(n.get("r"), "r", where);
        if (r < 0) {
            throw bad(where, "adapter config needs a positive integer r");
        }
        double alpha = n.has("lora_alpha") && !n.get("lora_alpha").isNull() ? number(n.get("lora_alpha"), "lora_alpha", where) : DEFAULT_ALPHA;
        List<Keyed<Integer>> ranks = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : fields(n.get("rank_pattern"), "rank_pattern", where)) {
            if (ada) {
                continue; // AdaLoRA's rank_pattern holds masks; its ranks are the tensors' own
            }
            int v = positiveInt(e.getValue(), "rank_pattern[" + e.getKey() + "]", where);
            if (v < 0) {
                throw bad(where, "rank_pattern value for '" + e.getKey() + "' is not a positive integer");
            }
            ranks.add(new Keyed<>(e.getKey(), pattern(e.getKey(), "rank_pattern", where), v));
        }
        List<Keyed<Double>> alphas = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : fields(n.get("alpha_pattern"), "alpha_pattern", where)) {
            double v = number(e.getValue(), "alpha_pattern value for '" + e.getKey() + "'", where);
            alphas.add(new Keyed<>(e.getKey(), pattern(e.getKey(), "alpha_pattern", where), v));
        }
        if (ranks.size() + alphas.size() > MAX_PATTERN_KEYS) {
            throw bad(where, "rank_pattern and alpha_pattern have more than " + MAX_PATTERN_KEYS + " keys");
        }
        long states = regexStates(ranks) + regexStates(alphas);
        if (states > MAX_PATTERN_STATES) {
            throw bad(where, "rank_pattern and alpha_pattern keys expand to more than " + MAX_PATTERN_STATES + " regex states in all");
        }
        int initR = -1;
        if (ada) {
            initR = n.has("init_r") ? positiveInt(n.get("init_r"), "init_r", where) : 12; // AdaLoraConfig's default
            if (initR < 0) {
                throw bad(where, "AdaLoRA config needs a positive integer init_r");
            }
        }
        BdLora bd = null;
        JsonNode b = n.get("use_bdlora");
        if (b != null && b.isObject()) {
            int nb = positiveInt(b.get("nblocks"), "use_bdlora.nblocks", where);
            if (nb < 0) {
                throw bad(where, "use_bdlora.nblocks is not a positive integer");
            }
            bd = new BdLora(strings(b.get("target_modules_bd_a")), strings(b.get("target_modules_bd_b")), nb);
        } else if (b != null && b.isBoolean() && b.asBoolean()) {
            throw bad(where, "use_bdlora is true but gives no block layout (nblocks, target_modules_bd_a/b)");
        }
        JsonNode rs = n.get("use_rslora");
        if (rs != null && !rs.isNull() && !rs.isBoolean()) { // it changes the scale from α/r to α/√r: a guess would be wrong
            throw bad(where, "use_rslora must be true or false, not " + (rs.isTextual() ? "\"" + rs.asText() + "\"" : rs.toString()));
        }
        JsonNode auto = n.path("auto_mapping");
        String cls = auto.path("base_model_class").isTextual() ? auto.get("base_model_class").asText() : null;
        String name = n.path("base_model_name_or_path").isTextual() ? n.get("base_model_name_or_path").asText() : null;
        return new PeftConfig(type, r, alpha, List.copyOf(ranks), List.copyOf(alphas), rs != null && rs.asBoolean(false),
                initR, bd, strings(n.get("target_parameters")), cls, name);
    }

    private static long regexStates(List<? extends Keyed<?>> keys) {
        long n = 0;
        for (Keyed<?> k : keys) {
            n += k.matcher().states();
        }
        return n;
    }

    /** What matching one module name against every pattern key costs per character (RE2 states; plain keys are free). */
    public long patternStates() {
        return regexStates(rankPattern) + regexStates(alphaPattern);
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

    /** PEFT's rule: the first pattern key (in file order) that the module name ends with, after a dot. */
    private static <T> Optional<T> match(List<Keyed<T>> patterns, String module) {
        for (Keyed<T> k : patterns) {
            if (k.matcher().matches(module)) {
                return Optional.of(k.value());
            }
        }
        return Optional.empty();
    }

    private static PythonRegex.Key pattern(String key, String field, Path where) {
        try {
            return PythonRegex.Key.of(key);
        } catch (PythonRegex.Untranslatable e) {
            throw bad(where, field + " key '" + shorten(key) + "' is not a regular expression dsire can match: " + e.getMessage());
        }
    }

    private static Iterable<Map.Entry<String, JsonNode>> fields(JsonNode n, String field, Path where) {
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (!n.isObject()) {
            throw bad(where, field + " is not a JSON object");
        }
        Map<String, JsonNode> m = new LinkedHashMap<>();
        n.properties().forEach(e -> m.put(e.getKey(), e.getValue()));
        return m.entrySet();
    }

    /** A positive int, or -1 when the node is not one (callers phrase the error). */
    private static int positiveInt(JsonNode v, String field, Path where) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            if (v != null && v.isFloatingPointNumber() && v.canConvertToInt() && v.asDouble() == Math.rint(v.asDouble()) && v.asDouble() > 0) {
                return v.asInt(); // 8.0 is 8
            }
            return -1;
        }
        return v.asInt();
    }

    private static double number(JsonNode v, String field, Path where) {
        if (v == null || !v.isNumber()) {
            throw bad(where, field + " is not a number: " + (v == null ? "missing" : shorten(v.toString())));
        }
        double d = v.asDouble();
        if (!Double.isFinite(d)) {
            throw bad(where, field + " is not a finite number: " + shorten(v.toString()));
        }
        return d;
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n != null && n.isArray()) {
            n.forEach(e -> {
                if (e.isTextual()) {
                    out.add(e.asText());
                }
            });
        } else if (n != null && n.isTextual()) {
            out.add(n.asText());
        }
        return List.copyOf(out);
    }

    private static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    private static LoraException bad(Path where, String reason) {
        return new LoraException(where, LoraException.Kind.BAD_CONFIG, reason);
    }
}
