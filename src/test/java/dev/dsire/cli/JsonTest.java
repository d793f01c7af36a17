package dev.dsire.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The command line's JSON lines: written without databind where it can, always exactly as databind writes them. */
class JsonTest {
    private static final ObjectMapper DATABIND = new ObjectMapper();
    private static final String[] TEXT = {"", "a", "ünïcödé", "quote \" and \\ backslash", "tab\tnew\nline\u0001", "≈3 images", "😀", "\ud800 alone", "ends high \ud83d", "\ude00 low first", "\ude00\ud83d reversed", "\ud83d"};
    private static final double[] NUMBERS = {0, -0.0, 1, -1.5, 1e-300, 1e300, Double.MIN_VALUE, Double.MAX_VALUE, Math.PI, 0.1 + 0.2,
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};

    private static Object value(Random r, int depth) {
        int kind = r.nextInt(depth > 3 ? 8 : 12);
        return switch (kind) {
            case 0 -> null;
            case 1 -> TEXT[r.nextInt(TEXT.length)];
            case 2 -> r.nextBoolean();
            case 3 -> r.nextInt();
            case 4 -> r.nextLong();
            case 5 -> r.nextBoolean() ? NUMBERS[r.nextInt(NUMBERS.length)] : r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
            case 6 -> (float) r.nextGaussian();
            case 7 -> r.doubles(r.nextInt(5), -1e6, 1e6).toArray();
            case 8 -> {
                Map<Object, Object> m = r.nextBoolean() ? new LinkedHashMap<>() : new TreeMap<>();
                int n = r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    m.put(m instanceof TreeMap ? (Object) ("k" + r.nextInt(9)) : r.nextBoolean() ? TEXT[r.nextInt(TEXT.length)] : (Object) r.nextInt(100), value(r, depth + 1));
                }
                yield m;
            }
            case 9 -> {
                List<Object> l = new ArrayList<>();
                int n = r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    l.add(value(r, depth + 1));
                }
                yield l;
            }
            case 10 -> r.ints(r.nextInt(4)).toArray();
            default -> new BigDecimal(r.nextGaussian()).setScale(r.nextInt(20), java.math.RoundingMode.HALF_EVEN);
        };
    }

    @Test
    void writesWhatDatabindWrites() throws Exception {
        Random r = new Random(5);
        for (int t = 0; t < 20_000; t++) {
            Object v = value(r, 0);
            assertEquals(databind(v), Json.line(v), String.valueOf(v));
        }
    }

    /** Databind's text for v, with the surrogate repair Json.line applies to every line. */
    private static String databind(Object v) throws Exception {
        String s = DATABIND.writeValueAsString(v);
        StringBuilder b = new StringBuilder(s);
        for (int i = 0; i < b.length(); i++) {
            char c = b.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < b.length() && Character.isLowSurrogate(b.charAt(i + 1));
            if (pair) {
                i++;
            } else if (Character.isSurrogate(c)) {
                b.setCharAt(i, '\ufffd');
            }
        }
        return b.toString();
    }

    @Test
    void valuesItDoesNotKnowGoThroughDatabind() throws Exception {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("path", Path.of("/tmp/a b.safetensors"));
        row.put("sizes", List.of(1, 2));
        assertEquals(DATABIND.writeValueAsString(row), Json.line(row));
        Map<Object, Object> odd = new LinkedHashMap<>();
        odd.put(1.5, "double key");
        assertEquals(DATABIND.writeValueAsString(odd), Json.line(odd));
    }
}
