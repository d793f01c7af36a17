package dev.dsire.lora;

import static dev.dsire.lora.LoraException.Kind.*;

import dev.dsire.safetensors.SafetensorsException;
import dev.dsire.safetensors.SafetensorsFile;
import dev.dsire.safetensors.TensorInfo;
import dev.dsire.safetensors.TensorView;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Reads a plain-LoRA adapter from a safetensors file in any supported naming convention: finds
 * each layer's down (A) and up (B) tensors, checks that they pair up, and works out the scale.
 */
public final class LoraReader {
    /** Extensions of pickle checkpoints, which dsire never unpickles. */
    public static final Set<String> PICKLE_EXTENSIONS = Set.of("ckpt", "pt", "pth", "bin");

    /** --max-rank's default: well above any published LoRA, far below a rank bomb's cost. */
    public static final int DEFAULT_MAX_RANK = 1024;

    private static volatile int maxRank = DEFAULT_MAX_RANK;
    private static volatile Consumer<String> noteSink = System.err::println;
    private static final Set<Path> NOTED = ConcurrentHashMap.newKeySet();

    private LoraReader() {}

    /** The largest rank a layer may have (--max-rank); a file with a larger one is refused before any work on it. */
    public static void maxRank(int rank) {
        if (rank < 1) {
            throw new IllegalArgumentException("--max-rank must be at least 1");
        }
        maxRank = rank;
    }

    public static int maxRank() {
        return maxRank;
    }

    /** Where notes go (one line each, once per file): facts a user should know that are not errors. */
    public static void noteSink(Consumer<String> sink) {
        noteSink = sink;
        NOTED.clear(); // a new sink is a new run (a resident process runs many): each run notes each file once
    }

    /** Opens and pairs the adapter; the caller closes it. */
    public static LoraAdapter open(Path path) {
        refusePickleByName(path);
        SafetensorsFile file;
        try {
            file = SafetensorsFile.open(path);
        } catch (SafetensorsException e) {
            if (noSafetensorsHeader(e) && looksLikePickle(path)) {
                throw new LoraException(path, PICKLE_FORMAT, "pickle (torch.save) checkpoint, not safetensors: never unpickled");
            }
            throw e;
        }
        try {
            return pair(path, file, maxRank);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * As {@link #open(Path)} for a file's bytes held in memory (an upload), with the same checks and
     * messages: label names it (its extension, and any adapter_config.json beside it, count as the
     * file's would). The adapter reads image: keep it alive and unchanged until the adapter is closed.
     */
    public static LoraAdapter open(Path label, MemorySegment image) {
        refusePickleByName(label);
        SafetensorsFile file;
        try {
            file = SafetensorsFile.of(label, image);
        } catch (SafetensorsException e) {
            if (noSafetensorsHeader(e) && looksLikePickle(image.asSlice(0, Math.min(4, image.byteSize())).toArray(ValueLayout.JAVA_BYTE))) {
                throw new LoraException(label, PICKLE_FORMAT, "pickle (torch.save) checkpoint, not safetensors: never unpickled");
            }
            throw e;
        }
        return read(file);
    }

    /** Pairs the layers of an already open file (one built in memory, say); closing the adapter closes it. */
    public static LoraAdapter read(SafetensorsFile file) {
        try {
            return pair(file.path(), file, maxRank);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public static boolean isPickleName(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot >= 0 && PICKLE_EXTENSIONS.contains(name.substring(dot + 1));
    }

    private static void refusePickleByName(Path path) {
        if (isPickleName(path)) {
            throw new LoraException(path, PICKLE_FORMAT, "pickle checkpoint (." + extension(path) + "): never unpickled; convert it to .safetensors");
        }
    }

    private static String extension(Path path) {
        String n = path.getFileName().toString();
        return n.substring(n.lastIndexOf('.') + 1);
    }

    /**
     * Only a file whose first 8 bytes are no usable header length can be a pickle: a file with a
     * readable header that fails later is damaged safetensors, even when its length starts 0x80 0x02.
     */
    private static boolean noSafetensorsHeader(SafetensorsException e) {
        return switch (e.kind()) {
            case HEADER_TOO_SMALL, HEADER_TOO_LARGE, INVALID_HEADER_LENGTH -> true;
            default -> false;
        };
    }

    /** Pickle protocol 2+ starts 0x80 0x02..0x05; torch.save since 1.6 writes a zip. */
    private static boolean looksLikePickle(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            return looksLikePickle(in.readNBytes(4));
        } catch (IOException e) {
            return false;
        }
    }

    /** The same test on a file's first (up to) 4 bytes. */
    private static boolean looksLikePickle(byte[] b) {
        return (b.length >= 2 && (b[0] & 0xff) == 0x80 && b[1] >= 2 && b[1] <= 5)
                || (b.length == 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4);
    }

    private static final class Pending {
        String down, up, alpha, diag, singular, bias, module, layer;
        String w1a, w1b, w2a, w2b, t1, t2, w1, w2, mid; // LyCORIS pieces
        int nesting;
        boolean embedding;

        boolean lycoris() {
            return w1a != null || w1b != null || w2a != null || w2b != null || t1 != null || t2 != null || w1 != null || w2 != null;
        }
    }

    static LoraAdapter pair(Path path, SafetensorsFile file, int maxRank) {
        Map<String, TensorInfo> tensors = file.tensors();
        Optional<AdapterType.Found> other = AdapterType.detect(tensors.keySet());
        if (other.isPresent()) {
            throw new LoraException(path, UNSUPPORTED_TYPE, other.get().type().label() + " is not plain LoRA (tensor "
                    + other.get().key() + "); " + other.get().type().why());
        }
        for (String k : tensors.keySet()) {
            if (k.startsWith("base_model.model.") && (k.contains(".hada_") || k.contains(".lokr_"))) {
                throw new LoraException(path, UNSUPPORTED_TYPE, "PEFT " + (k.contains(".hada_") ? "LoHa" : "LoKr") + " adapter (tensor " + k
                        + "): dsire reads LyCORIS's LoHa and LoKr files (alpha in the file), not PEFT's, whose scale is in adapter_config.json");
            }
        }
        Map<String, Pending> layers = new TreeMap<>();
        EnumSet<LoraFormat> formats = EnumSet.noneOf(LoraFormat.class);
        Set<String> variants = new TreeSet<>();
        for (String key : tensors.keySet()) {
            Optional<TensorRole> role = TensorRole.of(key);
            if (role.isEmpty()) {
                continue; // embeddings and other extras ride along in some files; they are not LoRA factors
            }
            TensorRole r = role.get();
            Pending p = layers.computeIfAbsent(r.layer() + "#" + r.nesting(), k -> new Pending());
            p.module = r.module();
            p.layer = r.layer();
            p.nesting = r.nesting();
            p.embedding |= key.contains(".lora_embedding_");
            switch (r.part()) {
                case DOWN -> p.down = twice(path, p.down, key, r.layer());
                case UP -> p.up = twice(path, p.up, key, r.layer());
                case ALPHA -> p.alpha = twice(path, p.alpha, key, r.layer());
                case DIAG -> p.diag = twice(path, p.diag, key, r.layer());
                case SINGULAR_E -> p.singular = twice(path, p.singular, key, r.layer());
                case BIAS -> p.bias = twice(path, p.bias, key, r.layer());
                case W1A -> p.w1a = twice(path, p.w1a, key, r.layer());
                case W1B -> p.w1b = twice(path, p.w1b, key, r.layer());
                case W2A -> p.w2a = twice(path, p.w2a, key, r.layer());
                case W2B -> p.w2b = twice(path, p.w2b, key, r.layer());
                case T1 -> p.t1 = twice(path, p.t1, key, r.layer());
                case T2 -> p.t2 = twice(path, p.t2, key, r.layer());
                case W1 -> p.w1 = twice(path, p.w1, key, r.layer());
                case W2 -> p.w2 = twice(path, p.w2, key, r.layer());
                case MID -> p.mid = twice(path, p.mid, key, r.layer());
            }
            switch (r.part()) {
                case DOWN, UP, W1A, W1B, W2A, W2B, T1, T2, W1, W2, MID -> formats.add(r.format());
                default -> {}
            }
        }
        layers.values().removeIf(p -> p.down == null && p.up == null && !p.lycoris() && p.mid == null); // alphas of layers not in the file
        if (formats.contains(LoraFormat.LOHA) || formats.contains(LoraFormat.LOKR)) {
            formats.remove(LoraFormat.KOHYA); // LyCORIS networks keep LoCon (lora_down/up) layers beside LoHa/LoKr ones
        }
        if (layers.isEmpty()) {
            Optional<String> tuner = tuner(tensors.keySet());
            if (tuner.isPresent()) {
                throw new LoraException(path, UNSUPPORTED_TYPE, tuner.get());
            }
            Optional<String> what = NotAnAdapter.name(tensors);
            if (what.isPresent()) {
                throw new LoraException(path, what.get().startsWith("LyCORIS") ? UNSUPPORTED_TYPE : NOT_LORA, what.get());
            }
            Optional<String> type = PeftConfig.typeBesides(path);
            if (type.isPresent() && !type.get().equals("LORA") && !type.get().equals("ADALORA")) {
                throw new LoraException(path, UNSUPPORTED_TYPE, "PEFT " + type.get() + " adapter (peft_type in the adapter_config.json beside it)"
                        + " is not LoRA; dsire reads only ΔW = B·A adapters");
            }
            throw new LoraException(path, NOT_LORA, "no LoRA tensors (" + tensors.size()
                    + " tensors, none named like lora_down/lora_up, lora.down/lora.up, lora_A/lora_B or lora_embedding_A/B)");
        }
        if (formats.size() > 1) {
            throw new LoraException(path, NOT_LORA, "mixes naming conventions " + formats + " in one file");
        }
        LoraFormat format = formats.iterator().next();
        Source cfg = config(path, file, format);
        if (cfg != null && cfg.patternStates() > 0) {
            long chars = 0;
            for (Pending p : layers.values()) {
                chars += p.module.length() + 1;
            }
            if (cfg.patternStates() * chars > PeftConfig.MAX_MATCH_WORK) {
                throw new LoraException(path, BAD_CONFIG, "rank_pattern / alpha_pattern regexes (" + cfg.patternStates()
                        + " states) are too costly to match against " + layers.size() + " modules");
            }
        }
        PeftConfig config = null; // the last layer's: the adapter's facts and variants (one config, or one per component)
        Map<String, Integer> nestings = new TreeMap<>();
        layers.values().forEach(p -> nestings.merge(p.module, p.nesting + 1, Math::max));
        Set<String> sources = new TreeSet<>();
        List<LoraLayer> out = new ArrayList<>(layers.size());
        for (Pending p : layers.values()) {
            if (p.lycoris()) {
                if (p.down != null || p.up != null || p.mid != null) {
                    throw new LoraException(path, UNPAIRED, "layer " + p.layer + " mixes LyCORIS LoHa/LoKr tensors with lora_down/lora_up");
                }
                LycorisReader.Pieces pieces = new LycorisReader.Pieces(p.layer, p.w1a, p.w1b, p.w2a, p.w2b, p.t1, p.t2, p.w1, p.w2, p.alpha);
                out.add(new LycorisReader(path, file, pieces, maxRank, variants, sources).layer());
                continue;
            }
            LayerReader.Tensors t = new LayerReader.Tensors(p.layer, p.module, p.nesting, p.embedding, p.down, p.up, p.alpha,
                    p.diag, p.singular, p.bias, p.mid);
            Source.Picked picked = cfg == null ? null : cfg.pick(p.module);
            if (picked != null) {
                config = picked.config();
            }
            LayerReader reading = new LayerReader(path, file, t, picked == null ? null : picked.config(),
                    picked == null ? null : picked.name(), maxRank, variants, sources);
            out.addAll(reading.layers(nestings.get(p.module)));
        }
        refuseSwapped(path, out);
        Canonical.Result canonical = Canonical.apply(out);
        out = new ArrayList<>(canonical.layers());
        out.sort(java.util.Comparator.comparing(LoraLayer::name));
        Set<Canonical.Origin> origins = EnumSet.noneOf(Canonical.Origin.class);
        origins.addAll(canonical.origins());
        if (format == LoraFormat.XLABS) {
            origins.add(Canonical.Origin.FLUX); // XLabs trains Flux only
        }
        for (int i = 1; i < out.size(); i++) {
            if (out.get(i).name().equals(out.get(i - 1).name())) {
                throw new LoraException(path, UNPAIRED, "two layers have the canonical name " + out.get(i).name());
            }
        }
        if (config != null && config.rslora()) {
            variants.add("rslora");
        }
        if (format == LoraFormat.PEFT && sources.contains("assumed")) {
            note(path, "has no alpha tensors, lora_adapter_metadata or adapter_config.json beside it: scale assumed 1 (PEFT keeps lora_alpha in the config)");
        }
        String modelClass = config == null ? null : config.baseModelClass(), modelName = config == null ? null : config.baseModelName();
        BaseModel base = BaseModel.detect(out.stream().map(LoraLayer::shape).toList(), origins, architecture(file.metadata()),
                modelClass, modelName);
        return new LoraAdapter(path, format, List.copyOf(out), file, new LoraAdapter.Facts(String.join("+", sources),
                List.copyOf(variants), modelClass, modelName, base));
    }

    /**
     * The base architecture trainers record: modelspec.architecture (kohya; musubi-tuner's "Flux.1-dev/lora", "framepack/lora",
     * src/musubi_tuner/utils/sai_model_spec.py) and ss_base_model_version (kohya's "sdxl_base_v1-0"; musubi-tuner's full
     * architecture name, "flux_kontext", "framepack", "qwen_image_edit", training/trainer_base.py).
     */
    private static String architecture(Map<String, String> meta) {
        StringBuilder s = new StringBuilder();
        for (String k : List.of("modelspec.architecture", "ss_base_model_version")) {
            String v = meta.get(k);
            if (v != null && v.length() < 200) {
                s.append(v.toLowerCase(Locale.ROOT)).append(' ');
            }
        }
        return s.toString().trim();
    }

    /** PEFT's other tuners name their tensors with their own prefix (ia3_l, vera_lambda_b, oft_R, …). */
    private static final java.util.regex.Pattern PEFT_TUNER = java.util.regex.Pattern.compile(
            "\\.(ia3|vera|pvera|boft|oft|hra|fourierft|vblora|c3a|randlora|shira|miss|gralora|delora|tinylora|hira|road|lily|psoft"
                    + "|waveft|osf|beft|adamss|deft|frod|glora|peanut|poly|unilora|supertuning|ln_tuning|trainable_tokens|prompt|prefix"
                    + "|adaption_prompt|cartridge|cpt)_[A-Za-z0-9_]+(\\.|$)|^(prompt|prefix)_[A-Za-z0-9_]+(\\.|$)");

    private static Optional<String> tuner(Set<String> keys) {
        for (String k : keys) {
            java.util.regex.Matcher m = PEFT_TUNER.matcher(k);
            if (m.find()) {
                String name = m.group(1) != null ? m.group(1) : m.group(3);
                return Optional.of("PEFT " + name.toUpperCase(Locale.ROOT) + " adapter (tensor " + k
                        + ") is not LoRA; dsire reads only ΔW = B·A adapters");
            }
        }
        return Optional.empty();
    }

    /**
     * A square layer whose down (d×r) and up (r×d) were swapped reads as rank d on an r×r layer: a rank
     * above min(out, in). A LoRA may legitimately have r > d, so it is refused only when reading it the
     * other way round gives a rank the file's other layers have.
     */
    private static void refuseSwapped(Path path, List<LoraLayer> layers) {
        Set<Integer> ranks = new TreeSet<>();
        for (LoraLayer l : layers) {
            if (l.rank() <= Math.min(l.outDim(), l.inDim())) {
                ranks.add(l.rank());
            }
        }
        for (LoraLayer l : layers) {
            if (l.rank() > Math.min(l.outDim(), l.inDim()) && l.outDim() == l.inDim() && ranks.contains(l.inDim())) {
                throw new LoraException(path, BAD_SHAPE, "layer " + l.name() + ": rank " + l.rank() + " is above min(out, in) = "
                        + l.inDim() + ": up and down look swapped (the other layers have rank " + l.inDim() + ")");
            }
        }
    }

    private static String twice(Path path, String prev, String key, String layer) {
        if (prev != null) {
            throw new LoraException(path, UNPAIRED, "layer " + layer + " has two tensors in the same role: " + prev + " and " + key);
        }
        return key;
    }

    /** Where a layer's PEFT config comes from: one config, or one per pipeline component (diffusers' prefixed metadata). */
    private record Source(Map<String, PeftConfig> components, String name) {
        /** The config of a module (named as in the file), and the name of its source; null when none applies. */
        Source.Picked pick(String module) {
            PeftConfig bare = components.get("");
            if (bare != null) {
                return new Picked(bare, name);
            }
            int dot = module.indexOf('.');
            PeftConfig c = dot < 0 ? null : components.get(module.substring(0, dot));
            if (c != null) {
                return new Picked(c, name + "(" + module.substring(0, dot) + ")");
            }
            return null;
        }

        long patternStates() {
            return components.values().stream().mapToLong(PeftConfig::patternStates).max().orElse(0);
        }

        record Picked(PeftConfig config, String name) {}
    }

    private static Source config(Path path, SafetensorsFile file, LoraFormat format) {
        String meta = file.metadata().get("lora_adapter_metadata");
        if (meta != null) {
            Map<String, PeftConfig> c = PeftConfig.componentsFromMetadata(path, meta);
            if (!c.isEmpty()) {
                return new Source(c, "metadata");
            }
        }
        return format == LoraFormat.PEFT ? PeftConfig.besides(path).map(c -> new Source(Map.of("", c), "config")).orElse(null) : null;
    }

    /** Sends a note (not an error) about a file to the note sink, once per file. */
    static void note(Path path, String note) {
        if (NOTED.add(path.toAbsolutePath().normalize())) {
            noteSink.accept("dsire: note: " + path + " " + note); // not "PATH: reason": that form means the file failed
        }
    }
}
