package dev.dsire.hostile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsire.safetensors.DType;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.ModuleSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A hostile hub dump: files mutated from valid adapters of every format (header JSON edits, byte
 * flips, truncations, weight values, adapter_config.json edits) plus special files (FIFO,
 * directory, device link, dangling link, pickles, empty). Deterministic for a seed.
 *
 * <p>{@code heavy} adds the mutations that cost time rather than fail (large declared ranks,
 * backtracking regexes in rank_pattern): they check the per-file cost bounds of the lora and
 * spectra code, which other work owns; off in the quick CI run.
 */
public final class HostileCorpus {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<ModuleSpec> MODULES = List.of(
            new ModuleSpec("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", 24, 16),
            new ModuleSpec("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k", 24, 16),
            new ModuleSpec("unet", "mid_block.attentions.0.proj_in", 16, 16),
            new ModuleSpec("te1", "text_model.encoder.layers.0.self_attn.q_proj", 16, 24));

    /** A valid adapter: its bytes and, for PEFT, its adapter_config.json. */
    record Seed(String name, byte[] bytes, String config) {}

    /** The corpus on disk: the files to pass to commands (special ones included), and what each was made by. */
    public record Corpus(Path root, List<Path> files, Map<Path, String> mutation) {}

    private final SplittableRandom rnd;
    private final boolean heavy;
    private final List<Seed> seeds = new ArrayList<>();

    public HostileCorpus(long seed, boolean heavy, Path scratch) throws IOException {
        this.rnd = new SplittableRandom(seed);
        this.heavy = heavy;
        int i = 0;
        for (Naming n : Naming.values()) {
            for (DType t : List.of(DType.F16, DType.BF16, DType.F32, DType.F64)) {
                Path f = scratch.resolve("seed" + i++ + "/a.safetensors");
                Files.createDirectories(f.getParent());
                AdapterWriter.write(f, n, MODULES, 4, 8, t, AdapterWriter.random(MODULES, 4, i),
                        n == Naming.KOHYA ? Map.of("ss_dataset_dirs", "{\"10_cats\": {\"n_repeats\": 10, \"img_count\": 12}}",
                                "ss_network_dim", "4", "ss_network_alpha", "8") : Map.of());
                Path cfg = f.resolveSibling("adapter_config.json");
                seeds.add(new Seed(n.name().toLowerCase() + "-" + t, Files.readAllBytes(f), Files.exists(cfg) ? Files.readString(cfg) : null));
            }
        }
    }

    /** A labelled training set of the corpus's layout (sizes 1 and 3, two groups): its manifest, for fit. */
    public static Path trainingSet(Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("path,group,size\n");
        int seed = 100;
        for (int g = 0; g < 2; g++) {
            for (int size : List.of(1, 3)) {
                String name = "g" + g + "-n" + size + ".safetensors";
                List<AdapterWriter.LayerWeights> w = AdapterWriter.random(MODULES, 4, seed++);
                for (AdapterWriter.LayerWeights l : w) {
                    for (int i = 0; i < l.up().length; i++) {
                        l.up()[i] *= size; // larger sets move the weights further
                    }
                }
                AdapterWriter.write(dir.resolve(name), Naming.KOHYA, MODULES, 4, 8, DType.F16, w, Map.of());
                csv.append(name).append(",g").append(g).append(',').append(size).append('\n');
            }
        }
        return Files.writeString(dir.resolve("manifest.csv"), csv);
    }

    /** Writes n mutated files (and the special files) under root. */
    public Corpus write(Path root, int n) throws IOException, InterruptedException {
        Files.createDirectories(root);
        List<Path> files = new ArrayList<>();
        Map<Path, String> how = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            Seed s = seeds.get(rnd.nextInt(seeds.size()));
            byte[] b = s.bytes().clone();
            String config = s.config();
            String m;
            int kind = rnd.nextInt(100);
            if (kind < 35) {
                m = "header:" + headerEdit(b);
                b = lastHeader;
            } else if (kind < 50) {
                m = "flip";
                b = flips(b);
            } else if (kind < 60) {
                m = "cut";
                b = cut(b);
            } else if (kind < 80) {
                m = "weights:" + weights(b);
            } else if (kind < 92 && config != null) {
                config = configEdit(config);
                m = "config:" + lastConfigEdit;
            } else {
                m = "valid";
            }
            Path dir = Files.createDirectories(root.resolve(String.format("d%03d", i / 200)));
            Path f;
            if (config != null) {
                f = Files.createDirectories(dir.resolve(String.format("%06d", i))).resolve("adapter_model.safetensors");
                Files.writeString(f.resolveSibling("adapter_config.json"), config);
            } else {
                f = dir.resolve(String.format("%06d-%s.safetensors", i, s.name()));
            }
            Files.write(f, b);
            files.add(f);
            how.put(f, s.name() + " " + m);
        }
        special(root.resolve("special"), files, how);
        return new Corpus(root, files, how);
    }

    private void special(Path dir, List<Path> files, Map<Path, String> how) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path fifo = dir.resolve("fifo.safetensors");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        Map<Path, String> s = new LinkedHashMap<>();
        s.put(fifo, "special:fifo");
        s.put(Files.createDirectory(dir.resolve("folder.safetensors")), "special:directory");
        s.put(Files.createSymbolicLink(dir.resolve("zero.safetensors"), Path.of("/dev/zero")), "special:link-to-/dev/zero");
        s.put(Files.createSymbolicLink(dir.resolve("null.safetensors"), Path.of("/dev/null")), "special:link-to-/dev/null");
        s.put(Files.createSymbolicLink(dir.resolve("dangling.safetensors"), dir.resolve("nowhere")), "special:dangling-link");
        s.put(Files.write(dir.resolve("empty.safetensors"), new byte[0]), "special:empty");
        s.put(Files.write(dir.resolve("pickle.safetensors"), new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 'l', (byte) 0xfc, (byte) 0x9c, 'F', 0, 0}),
                "special:pickle-inside");
        s.put(Files.write(dir.resolve("zip.safetensors"), new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}), "special:zip-inside");
        s.put(Files.write(dir.resolve("model.ckpt"), new byte[] {(byte) 0x80, 2}), "special:ckpt");
        byte[] valid = seeds.getFirst().bytes();
        s.put(Files.write(dir.resolve("truncated.safetensors"), Arrays.copyOf(valid, valid.length / 2)), "special:truncated");
        s.put(Files.write(dir.resolve("header-only.safetensors"), Arrays.copyOf(valid, 8)), "special:length-only");
        // a sparse 3 GB file: valid, a header and one huge F32 tensor that is not LoRA
        Path sparse = dir.resolve("sparse.safetensors");
        long n = 3L << 28;
        byte[] h = ("{\"big.weight\":{\"dtype\":\"F32\",\"shape\":[" + n + "],\"data_offsets\":[0," + 4 * n + "]}}").getBytes(StandardCharsets.UTF_8);
        try (var ch = java.nio.channels.FileChannel.open(sparse, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).flip());
            ch.write(ByteBuffer.allocate(1), 8 + h.length + 4 * n - 1);
        }
        s.put(sparse, "special:sparse-3GB-not-lora");
        files.addAll(s.keySet());
        how.putAll(s);
    }

    // ---- header edits -------------------------------------------------------------------------

    private byte[] lastHeader;

    private String headerEdit(byte[] file) throws IOException {
        long len = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String text = new String(file, 8, (int) len, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(file, 8 + (int) len, file.length);
        ObjectNode h = (ObjectNode) JSON.readTree(text);
        List<String> names = new ArrayList<>();
        h.fieldNames().forEachRemaining(k -> {
            if (!k.equals("__metadata__")) {
                names.add(k);
            }
        });
        String name = names.get(rnd.nextInt(names.size()));
        ObjectNode t = (ObjectNode) h.get(name);
        String what;
        String raw = null;
        int e = rnd.nextInt(heavy ? 24 : 22);
        switch (e) {
            case 0 -> { t.put("dtype", pick("F8_E4M3", "I8", "BOOL", "F4", "Q7", "f16", "", "F64")); what = "dtype"; }
            case 1 -> { setFirst((ArrayNode) t.get("shape"), pick(0L, 1L, 4294967296L, Long.MAX_VALUE, 65537L)); what = "shape0"; }
            case 2 -> { ((ArrayNode) t.get("shape")).add(pick(1, 2, 0)); what = "shape-extra-dim"; }
            case 3 -> { t.putArray("shape"); what = "shape-scalar"; }
            case 4 -> { ((ArrayNode) t.get("data_offsets")).set(1, JSON.getNodeFactory().numberNode((long) pick(0L, -1L, Long.MAX_VALUE, 1L << 62))); what = "offset-end"; }
            case 5 -> { ArrayNode o = (ArrayNode) t.get("data_offsets"); JsonNode a = o.get(0); o.set(0, o.get(1)); o.set(1, a); what = "offsets-swapped"; }
            case 6 -> { t.remove(pick("dtype", "shape", "data_offsets")); what = "field-missing"; }
            case 7 -> { t.put("extra", "ignored"); what = "unknown-field"; }
            case 8 -> { rename(h, name, name.replace("down", "up").replace("lora_A", "lora_B")); what = "rename-role"; }
            case 9 -> { rename(h, name, name + "\ud800"); what = "rename-lone-surrogate"; raw = h.toString().replace("\ud800", "\\ud800"); }
            case 10 -> { rename(h, name, name.replace("_", "\n")); what = "rename-newline"; }
            case 11 -> { rename(h, name, name.replace("down", "дown").replace("0", "٠")); what = "rename-unicode"; }
            case 12 -> { h.remove(name); what = "tensor-removed"; }
            case 13 -> { h.putNull("__metadata__"); what = "metadata-null"; }
            case 14 -> { h.putObject("__metadata__").put("ss_dataset_dirs", pick("{\"1_x\": {\"img_count\": 99999999999}}", "{\"1_x\": {\"img_count\": -5}}",
                    "garbage{", "{\"1_x\": {\"img_count\": \"7\"}}", "[]")); what = "metadata-kohya"; }
            case 15 -> { h.putObject("__metadata__").put("n", 1); what = "metadata-number"; }
            case 16 -> { h.putObject("__metadata__").put("lora_adapter_metadata", pick("{\"r\": 0}", "{\"r\": 4, \"lora_alpha\": 1e999}",
                    "{\"r\": 4, \"rank_pattern\": {\"[\": 2}}", "not json", "{\"r\": 4, \"lora_alpha\": -8}")); what = "metadata-peft"; }
            case 17 -> { raw = h.toString(); raw = raw.substring(0, raw.length() - 1) + ",\"" + name + "\":" + t + "}"; what = "duplicate-key"; }
            case 18 -> { raw = h.toString() + pick(" x", "{}", "\u0000", "]"); what = "trailing-garbage"; }
            case 19 -> { raw = "{\"a\":" + "[".repeat(pick(10, 1000, 100_000)) ; what = "deep-nesting"; }
            case 20 -> { ArrayNode s = (ArrayNode) t.get("shape"); if (s.size() == 2) { JsonNode a = s.get(0); s.set(0, s.get(1)); s.set(1, a); } what = "shape-swapped"; }
            case 21 -> { raw = h.toString().replace("\"shape\"", "\"shape\" ").replace(":[", ": [ "); what = "whitespace"; }
            case 22 -> { raw = rankBomb(h, name, data); data = lastData; what = "rank-bomb"; }
            default -> { raw = hugeShape(h, name); data = lastData; what = "huge-shape"; }
        }
        byte[] hb = (raw != null ? raw : h.toString()).getBytes(StandardCharsets.UTF_8);
        lastHeader = ByteBuffer.allocate(8 + hb.length + data.length).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length).put(hb).put(data).array();
        return what;
    }

    private byte[] lastData;

    /** One layer re-declared with a large rank and tiny dimensions, data included: a small file that is costly to reduce naively. */
    private String rankBomb(ObjectNode h, String name, byte[] data) {
        int r = pick(256, 512, 1024, 4096); // 4096 is over --max-rank's default
        return rewriteWithOneLayer(h, name, new long[] {r, 1}, new long[] {1, r});
    }

    /** A layer with one large dimension (F16[8, 2^18]): a 4 MB file, many times the others, read within bounds. */
    private String hugeShape(ObjectNode h, String name) {
        long k = pick(1L << 18, 1L << 16);
        return rewriteWithOneLayer(h, name, new long[] {8, k}, new long[] {8, 8});
    }

    private String rewriteWithOneLayer(ObjectNode h, String name, long[] down, long[] up) {
        String base = name.replaceAll("(lora_down|lora_up|lora\\.down|lora\\.up|lora_A|lora_B|lora_linear_layer\\.down|lora_linear_layer\\.up)", "#");
        String dn = base.replace("#", name.contains("lora_A") || name.contains("lora_B") ? "lora_A" : name.contains("lora_linear_layer") ? "lora_linear_layer.down"
                : name.contains("lora.") ? "lora.down" : name.contains("_lora.") ? "lora.down" : "lora_down");
        String upn = dn.replace("lora_A", "lora_B").replace("lora_down", "lora_up").replace("lora.down", "lora.up").replace("lora_linear_layer.down", "lora_linear_layer.up");
        ObjectNode out = JSON.createObjectNode();
        long dBytes = 2 * down[0] * down[1], uBytes = 2 * up[0] * up[1];
        out.putObject(dn).put("dtype", "F16").<ObjectNode>set("shape", arr(down)).set("data_offsets", arr(new long[] {0, dBytes}));
        out.putObject(upn).put("dtype", "F16").<ObjectNode>set("shape", arr(up)).set("data_offsets", arr(new long[] {dBytes, dBytes + uBytes}));
        byte[] d = new byte[(int) (dBytes + uBytes)];
        for (int i = 0; i < d.length; i += 2) {
            short v = Float.floatToFloat16((float) (rnd.nextDouble() - 0.5));
            d[i] = (byte) v;
            d[i + 1] = (byte) (v >> 8);
        }
        lastData = d;
        return out.toString();
    }

    /** Sets the first dimension; a scalar (an alpha's shape []) gets one. */
    private static void setFirst(ArrayNode shape, long v) {
        if (shape.isEmpty()) {
            shape.add(v);
        } else {
            shape.set(0, JSON.getNodeFactory().numberNode(v));
        }
    }

    private static ArrayNode arr(long[] v) {
        ArrayNode a = JSON.createArrayNode();
        for (long x : v) {
            a.add(x);
        }
        return a;
    }

    private static void rename(ObjectNode h, String from, String to) {
        Map<String, JsonNode> copy = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : h.properties()) {
            copy.put(e.getKey().equals(from) ? to : e.getKey(), e.getValue());
        }
        h.removeAll();
        copy.forEach(h::set);
    }

    // ---- bytes and weights --------------------------------------------------------------------

    private byte[] flips(byte[] b) {
        int n = 1 + rnd.nextInt(8);
        long len = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        for (int i = 0; i < n; i++) {
            // mostly in the length and header, where a flip changes meaning
            int at = rnd.nextInt(4) == 0 ? rnd.nextInt(b.length) : rnd.nextInt((int) Math.min(b.length, 8 + len));
            b[at] = rnd.nextBoolean() ? (byte) rnd.nextInt(256) : (byte) (b[at] ^ (1 << rnd.nextInt(8)));
        }
        return b;
    }

    private byte[] cut(byte[] b) {
        return rnd.nextInt(4) == 0 ? concat(b, new byte[1 + rnd.nextInt(64)]) : Arrays.copyOf(b, rnd.nextInt(b.length));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Overwrites weight values in place: NaN, ±inf, the largest and tiniest numbers of the type, zeros. */
    private String weights(byte[] b) throws IOException {
        long len = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode h = JSON.readTree(new String(b, 8, (int) len, StandardCharsets.UTF_8));
        List<String> names = new ArrayList<>();
        h.fieldNames().forEachRemaining(k -> {
            if (!k.equals("__metadata__") && !k.endsWith(".alpha")) {
                names.add(k);
            }
        });
        JsonNode t = h.get(names.get(rnd.nextInt(names.size())));
        DType type = DType.valueOf(t.get("dtype").asText());
        int w = type.bits() / 8;
        long begin = 8 + len + t.get("data_offsets").get(0).asLong(), end = 8 + len + t.get("data_offsets").get(1).asLong();
        String v = pick("nan", "inf", "max", "tiny", "zero-all", "huge-all", "tiny-all");
        boolean all = v.endsWith("-all");
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (long at = begin; at < end; at += w) {
            if (!all && rnd.nextInt(8) != 0) {
                continue;
            }
            double x = switch (v) {
                case "nan" -> Double.NaN;
                case "inf" -> rnd.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
                case "max", "huge-all" -> (rnd.nextBoolean() ? 1 : -1) * (type == DType.F64 ? 1e300 : type == DType.F16 ? 65504 : 3e38) * rnd.nextDouble();
                case "tiny", "tiny-all" -> (rnd.nextBoolean() ? 1 : -1) * (type == DType.F64 ? 1e-300 : type == DType.F16 ? 6e-8 : 1e-44) * (1 + rnd.nextDouble());
                default -> 0;
            };
            switch (type) {
                case F16 -> buf.putShort((int) at, Float.floatToFloat16((float) x));
                case BF16 -> buf.putShort((int) at, (short) (Float.floatToRawIntBits((float) x) >>> 16));
                case F32 -> buf.putFloat((int) at, (float) x);
                case F64 -> buf.putDouble((int) at, x);
                default -> { }
            }
        }
        return v;
    }

    // ---- adapter_config.json ------------------------------------------------------------------

    private String lastConfigEdit;

    private String configEdit(String config) throws IOException {
        ObjectNode c = (ObjectNode) JSON.readTree(config);
        int e = rnd.nextInt(heavy ? 16 : 14);
        lastConfigEdit = List.of("r-number", "r-string", "r-missing", "alpha-extreme", "alpha-non-finite", "bad-regex", "alpha-pattern-value",
                "rank-pattern", "index-overflow", "bom", "trailing-garbage", "truncated", "rslora-string", "not-an-object",
                "backtracking-regex", "backtracking-regex").get(e);
        switch (e) {
            case 0 -> c.put("r", pick(0, -1, 3, 65536));
            case 1 -> c.put("r", "four");
            case 2 -> c.remove("r");
            case 3 -> c.put("lora_alpha", pick(0.0, -8.0, 1e308, Double.MIN_VALUE));
            case 4 -> { return config.replaceFirst("\"lora_alpha\": [0-9.]+", "\"lora_alpha\": " + pick("1e999", "Infinity", "NaN", "\"x\"", "null")); }
            case 5 -> c.putObject("rank_pattern").put(pick("[", "(?P<name>to_q)", "*", "to_q)", "\\"), 4);
            case 6 -> c.putObject("alpha_pattern").put(pick("to_q", "proj_in", "q_proj"), pick("abc", "-1", "1e999"));
            case 7 -> c.putObject("rank_pattern").put(pick("to_q", "proj_in", ".*"), pick(2, 0, 5));
            case 8 -> c.putObject("rank_pattern").put("input_blocks_4294967296", 4);
            case 9 -> { return "\ufeff" + config; }
            case 10 -> { return config + pick(" x", "}", "\n{}"); }
            case 11 -> { return config.substring(0, config.length() / 2); }
            case 12 -> c.put("use_rslora", pick("yes", "1"));
            case 13 -> { return pick("", "null", "[]", "42", "{\"r\": {\"a\": 1}}"); }
            case 14 -> c.putObject("rank_pattern").put("(.*.){30}!", 4);
            default -> c.putObject("alpha_pattern").put("(.*a){25}", 4);
        }
        return c.toString();
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[rnd.nextInt(options.length)];
    }
}
