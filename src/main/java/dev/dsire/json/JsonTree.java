package dev.dsire.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * JSON text as a databind tree, read with jackson-core's parser alone. An ObjectMapper's set-up costs a
 * fresh process ~50 ms of CPU (a quarter of a cold `predict`'s model load); the one-file commands read
 * their model file and kohya's dataset records with this instead, and get the tree ObjectMapper.readTree
 * gives with its defaults: whole numbers as int, long or BigInteger nodes by size, other numbers as
 * doubles, a repeated key's last value kept, anything after the first value ignored.
 */
public final class JsonTree {
    private static final JsonFactory JSON = new JsonFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonTree() {}

    /** The first JSON value in {@code json}; null where there is none. The parser bounds nesting (1,000 levels), so the recursion does too. */
    public static JsonNode read(byte[] json) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken t = p.nextToken();
            return t == null ? null : value(p, t);
        }
    }

    /** The same for text already decoded (kohya's records, strings inside a header): read as characters, as ObjectMapper reads a String. */
    public static JsonNode read(String json) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken t = p.nextToken();
            return t == null ? null : value(p, t);
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

    private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                for (String key = p.nextFieldName(); key != null; key = p.nextFieldName()) {
                    o.set(key, value(p, p.nextToken()));
                }
                yield o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    a.add(value(p, e));
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
}
