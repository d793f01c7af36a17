package dev.dsire.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Set;

/**
 * JSON text as a databind tree, read with jackson-core's parser alone. An ObjectMapper's set-up costs a
 * fresh process ~50 ms of CPU (a quarter of a cold `predict`'s model load); the one-file commands read
 * their model file and kohya's dataset records with this instead, and get the tree ObjectMapper.readTree
 * gives with its defaults: whole numbers as int, long or BigInteger nodes by size, other numbers as
 * doubles, a repeated key's last value kept, anything after the first value ignored.
 */
public final class JsonTree {
    /**
     * No bound on a string's length beyond the input's own (in memory already, and bounded by each caller): a
     * model's pooled shift components are one base64 string, 20 MB for a model of 200 SD 1.5 adapters, which
     * Jackson's default bound (20 M characters) refused, so `predict` could not load what `fit` had written.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build()).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonTree() {}

    /** The first JSON value in {@code json}; null where there is none. The parser bounds nesting (1,000 levels), so the recursion does too. */
    public static JsonNode read(byte[] json) throws IOException {
        return read(json, Set.of());
    }

    /**
     * The same, with the string values of the keys named in base64Keys (a model file's vectors) held as binary
     * nodes of their decoded bytes where the text is canonical base64, and as text otherwise, so the caller's own
     * decoder still judges and names a bad one. A model's vectors are most of its bytes: decoded from the input's
     * bytes they skip the parser's character buffer, a String, its Latin-1 copy and the JDK decoder, which a
     * fresh process runs interpreted or in C1 (~30 ms of a cold `predict`'s CPU for a 4.6 MB model).
     */
    public static JsonNode read(byte[] json, Set<String> base64Keys) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken t = p.nextToken();
            return t == null ? null : value(p, t, new Keys(json, base64Keys));
        }
    }

    /** The same for text already decoded (kohya's records, strings inside a header): read as characters, as ObjectMapper reads a String. */
    public static JsonNode read(String json) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken t = p.nextToken();
            return t == null ? null : value(p, t, Keys.NONE);
        }
    }

    /**
     * A record that may be garbled (kohya's dataset records in an adapter's metadata): its tree, or null where the
     * text is missing, blank or not JSON. A bad record states nothing; the file's weights are still fine.
     */
    public static JsonNode lenient(String json) {
        if (json == null || json.isBlank()) {
            return null;
        }
        try {
            return read(json);
        } catch (IOException e) {
            return null;
        }
    }

    /** The keys to read as base64, and the input whose bytes they are decoded from. */
    private record Keys(byte[] json, Set<String> base64) {
        static final Keys NONE = new Keys(null, Set.of());
    }

    private static JsonNode value(JsonParser p, JsonToken t, Keys keys) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                for (String key = p.nextFieldName(); key != null; key = p.nextFieldName()) {
                    JsonToken v = p.nextToken();
                    o.set(key, v == JsonToken.VALUE_STRING && keys.base64().contains(key) ? base64(p, keys.json()) : value(p, v, keys));
                }
                yield o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    a.add(value(p, e, keys));
                }
                yield a;
            }
            case VALUE_STRING -> NODES.textNode(p.getText());
            case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                case INT -> NODES.numberNode(p.getIntValue());
                case LONG -> NODES.numberNode(p.getLongValue());
                default -> NODES.numberNode(p.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            default -> throw new IOException("unexpected " + t + " at " + p.currentLocation().offsetDescription());
        };
    }

    /** Values of the base64 alphabet's characters (A–Z, a–z, 0–9, +, /), -1 for every other character below 128. */
    private static final byte[] SEXTETS = new byte[128];

    static {
        java.util.Arrays.fill(SEXTETS, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            SEXTETS[alphabet.charAt(i)] = (byte) i;
        }
    }

    /**
     * The current string as a binary node where it is canonical padded base64 (what ModelFile writes), else as
     * text. Decoded from the input's bytes, where the token begins (its opening quote): the parser has not read
     * the string yet, and skips it unread.
     */
    private static JsonNode base64(JsonParser p, byte[] json) throws IOException {
        long at = p.currentTokenLocation().getByteOffset();
        byte[] bytes = at >= 0 && at < json.length && json[(int) at] == '"' ? canonicalBase64(json, (int) at + 1) : null;
        return bytes != null ? NODES.binaryNode(bytes) : NODES.textNode(p.getText());
    }

    /**
     * The bytes of the JSON string whose text starts at json[from] (after its opening quote) read as base64, or
     * null unless the text up to the closing quote is exactly what {@code Base64.getEncoder()} writes for some
     * bytes: length a multiple of 4, the standard alphabet, '=' only as the last one or two characters, zero
     * bits where padding leaves some over, and no escapes.
     */
    static byte[] canonicalBase64(byte[] json, int from) {
        int end = from;
        while (end < json.length && json[end] != '"') {
            end++;
        }
        int len = end - from;
        if (end == json.length || len % 4 != 0) {
            return null;
        }
        int pad = len == 0 ? 0 : json[end - 1] != '=' ? 0 : json[end - 2] != '=' ? 1 : 2;
        byte[] out = new byte[len / 4 * 3 - pad];
        int o = 0, last = end - (pad == 0 ? 0 : 4);
        for (int i = from; i < last; i += 4) {
            int q = sextet(json[i]) << 18 | sextet(json[i + 1]) << 12 | sextet(json[i + 2]) << 6 | sextet(json[i + 3]);
            if (q < 0) {
                return null;
            }
            out[o++] = (byte) (q >> 16);
            out[o++] = (byte) (q >> 8);
            out[o++] = (byte) q;
        }
        if (pad != 0) { // the last quantum: two characters and "==" (one byte) or three and "=" (two bytes)
            int a = sextet(json[last]), b = sextet(json[last + 1]), c = pad == 1 ? sextet(json[last + 2]) : 0;
            if ((a | b | c) < 0 || (pad == 2 ? b & 0xf : c & 0x3) != 0) {
                return null;
            }
            int q = a << 18 | b << 12 | c << 6;
            out[o++] = (byte) (q >> 16);
            if (pad == 1) {
                out[o] = (byte) (q >> 8);
            }
        }
        return out;
    }

    /** The byte's 6-bit value, or a negative number (which stays negative when shifted and or-ed in) if it has none. */
    private static int sextet(byte b) {
        return b < 0 ? -1 : SEXTETS[b];
    }
}
