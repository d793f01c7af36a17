package dev.dsire.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;

/**
 * The one JSON writer of the command line: compact, one object per line, keys in insertion order.
 *
 * <p>The rows commands print (maps, lists, numbers, strings, arrays of numbers) are written with
 * jackson-core's generator alone, exactly as databind would write them; anything else goes through
 * databind. Loading databind (~330 classes) cost a fresh {@code dsire features} on one file about a
 * tenth of its time, for a map of double arrays.
 */
final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {}

    /** Databind, loaded only when a value needs it. */
    private static final class Mapper {
        static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
    }

    private static String wellFormed(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            if (!pair && Character.isSurrogate(c)) {
                if (b == null) {
                    b = new StringBuilder(s);
                }
                b.setCharAt(i, '\ufffd');
            } else if (pair) {
                i++;
            }
        }
        return b == null ? s : b.toString();
    }

    /** One JSON value on one line, always well-formed UTF-8 text: an unpaired surrogate becomes U+FFFD. */
    static String line(Object value) {
        try {
            StringWriter w = new StringWriter();
            boolean plain;
            try (JsonGenerator g = FACTORY.createGenerator(w)) {
                plain = write(g, value);
            }
            // the plain path wrote each string well-formed already (numbers need no scan: ~0.5 MB of them for a file's features)
            return plain ? w.toString() : wellFormed(Mapper.MAPPER.writeValueAsString(value));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /**
     * Writes value as databind's default serializers would, an unpaired surrogate in any string or key as U+FFFD;
     * false (output incomplete) where it cannot.
     */
    static boolean write(JsonGenerator g, Object v) throws IOException {
        switch (v) {
            case null -> g.writeNull();
            case String s -> g.writeString(wellFormed(s));
            case Boolean b -> g.writeBoolean(b);
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case Double d -> g.writeNumber(d);
            case Float f -> g.writeNumber(f);
            case BigDecimal d -> g.writeNumber(d);
            case BigInteger i -> g.writeNumber(i);
            case double[] a -> g.writeArray(a, 0, a.length);
            case int[] a -> g.writeArray(a, 0, a.length);
            case long[] a -> g.writeArray(a, 0, a.length);
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    // databind writes String, Integer and Long keys as their text; other keys have their own rules
                    if (!(e.getKey() instanceof String || e.getKey() instanceof Integer || e.getKey() instanceof Long)) {
                        return false;
                    }
                    g.writeFieldName(wellFormed(e.getKey().toString()));
                    if (!write(g, e.getValue())) {
                        return false;
                    }
                }
                g.writeEndObject();
            }
            case Collection<?> c -> {
                g.writeStartArray();
                for (Object o : c) {
                    if (!write(g, o)) {
                        return false;
                    }
                }
                g.writeEndArray();
            }
            default -> {
                return false;
            }
        }
        return true;
    }
}
