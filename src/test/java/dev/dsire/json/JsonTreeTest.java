package dev.dsire.json;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * JsonTree reads JSON with jackson-core alone (no ObjectMapper, whose set-up a cold `predict` paid); the tree
 * it builds must be the one ObjectMapper.readTree builds, node types included, or the model file's checks and
 * kohya's dataset records would read differently than before.
 */
class JsonTreeTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static void same(String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        JsonNode theirs = MAPPER.readTree(b);
        JsonNode ours = JsonTree.read(b), theirsText = MAPPER.readTree(json), oursText = JsonTree.read(json);
        if (theirs == null || theirs.isMissingNode()) {
            assertNull(ours, json);
            assertNull(oursText, json);
        } else {
            assertEquals(theirs, ours, json);
            assertEquals(theirs.toString(), ours.toString(), json); // same node types: 1 as int, 1.0 as double
            assertEquals(theirsText, oursText, json);
            assertEquals(theirsText.toString(), oursText.toString(), json);
        }
    }

    @Test
    void theTreeIsObjectMappersTree() throws IOException {
        for (String json : List.of("", "  ", "null", "true", "false", "0", "-7", "2147483647", "2147483648", "-9223372036854775808",
                "9223372036854775808", "123456789012345678901234567890", "1.0", "-0.0", "1e400", "-1e-400", "2.5E3", "\"x\"",
                "\"\\u00e9\\n\"", "[]", "{}", "[1, 2.0, \"3\", null, true, [], {}]", "{\"a\": 1, \"a\": [2]}",
                "{\"format\": \"dsire-model\", \"version\": 3} trailing", "{\"a\": {\"b\": {\"c\": [[[1]]]}}}", "[1] [2]",
                "\"\\ud800 lone\"", "{\"\\udbff\\udfff\": \"\\udfff\"}")) {
            same(json);
        }
    }

    @Test
    void randomDocumentsGiveTheSameTree() throws IOException {
        Random rnd = new Random(42);
        for (int i = 0; i < 2_000; i++) {
            StringBuilder b = new StringBuilder();
            random(rnd, b, 0);
            same(b.toString());
        }
    }

    @Test
    void whatObjectMapperRefusesIsRefused() {
        for (String json : List.of("{", "[1,", "{\"a\" 1}", "{\"a\": }", "[1, 2", "nul", "\"open", "{\"a\": NaN}", "[01]", "{'a': 1}",
                "[".repeat(1_200) + "]".repeat(1_200))) {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            assertThrows(IOException.class, () -> MAPPER.readTree(b), json);
            assertThrows(IOException.class, () -> JsonTree.read(b), json);
            assertThrows(IOException.class, () -> JsonTree.read(json), json);
        }
    }

    @Test
    void aLenientReadIsTheTreeOrNothing() throws IOException {
        for (String json : List.of("[{\"subsets\": [{\"img_count\": 4}]}]", "{\"10_cat\": {\"img_count\": 3, \"n_repeats\": 10}}", "0")) {
            assertEquals(JsonTree.read(json), JsonTree.lenient(json), json);
        }
        for (String bad : java.util.Arrays.asList(null, "", "  ", "{", "not json", "[1,")) {
            assertNull(JsonTree.lenient(bad), String.valueOf(bad));
        }
    }

    private static void random(Random rnd, StringBuilder b, int depth) {
        int kind = rnd.nextInt(depth > 4 ? 6 : 8);
        switch (kind) {
            case 0 -> b.append("null");
            case 1 -> b.append(rnd.nextBoolean());
            case 2 -> b.append(switch (rnd.nextInt(3)) {
                case 0 -> Integer.toString(rnd.nextInt());
                case 1 -> Long.toString(rnd.nextLong());
                default -> rnd.nextLong() + "" + Math.abs(rnd.nextLong());
            });
            case 3 -> b.append(rnd.nextBoolean() ? Double.toString(rnd.nextGaussian() * Math.pow(10, rnd.nextInt(40) - 20)) : rnd.nextInt(100) + "e" + (rnd.nextInt(800) - 400));
            case 4, 5 -> b.append('"').append(Long.toString(rnd.nextLong(), 36)).append(rnd.nextBoolean() ? "\\u00e9" : "").append('"');
            case 6 -> {
                b.append('[');
                int n = rnd.nextInt(5);
                for (int i = 0; i < n; i++) {
                    b.append(i > 0 ? "," : "");
                    random(rnd, b, depth + 1);
                }
                b.append(']');
            }
            default -> {
                b.append('{');
                int n = rnd.nextInt(5);
                for (int i = 0; i < n; i++) {
                    // few distinct keys, so repeated ones occur
                    b.append(i > 0 ? "," : "").append("\"k").append(rnd.nextInt(4)).append("\":");
                    random(rnd, b, depth + 1);
                }
                b.append('}');
            }
        }
    }

    private static byte[] canonical(String text) {
        return JsonTree.canonicalBase64(("\"" + text + "\"").getBytes(StandardCharsets.UTF_8), 1);
    }

    @Test
    void canonicalBase64DecodesAsTheJdkDoes() {
        Random r = new Random(7);
        for (int n = 0; n < 70; n++) {
            byte[] bytes = new byte[n];
            r.nextBytes(bytes);
            String text = Base64.getEncoder().encodeToString(bytes);
            assertArrayEquals(bytes, canonical(text), text);
            byte[] inside = ("[0, \"" + text + "\", 1]").getBytes(StandardCharsets.US_ASCII); // inside a document
            assertArrayEquals(bytes, JsonTree.canonicalBase64(inside, 5), text);
        }
    }

    @Test
    void textThatIsNotCanonicalBase64IsLeftToTheCaller() {
        // unpadded, a bad character, the URL alphabet, '=' inside, leftover bits set, non-ASCII, lone padding
        for (String text : List.of("QQ", "QUI", "QQ=", "QQ=A", "QUJD\nREVG", "QU-D", "QU_D", "Q=JD", "QR==", "QUJ=", "QUK=", "QUJ\u00e9", "====", "=", "A===", "QUJ\\", "QU\\u0041")) {
            assertNull(canonical(text), text);
        }
        assertNull(JsonTree.canonicalBase64("\"QUJD".getBytes(StandardCharsets.US_ASCII), 1), "no closing quote");
        assertArrayEquals(new byte[0], canonical(""));
    }

    @Test
    void base64KeysBecomeBytesOnlyWhereCanonical() throws IOException {
        byte[] bytes = {1, 2, 3, -1, -128, 127, 0};
        String b64 = Base64.getEncoder().encodeToString(bytes);
        String json = "{\"refs\": \"" + b64 + "\", \"name\": \"" + b64 + "\", \"mean\": \"@@@\", \"std\": [1.5],"
                + " \"inner\": [{\"refs\": \"" + b64 + "\"}], \"weights\": \"\\u0041\\u0051\\u003d\\u003d\"}";
        JsonNode t = JsonTree.read(json.getBytes(StandardCharsets.UTF_8), Set.of("refs", "mean", "std", "weights"));
        assertTrue(t.path("refs").isBinary());
        assertArrayEquals(bytes, t.path("refs").binaryValue());
        assertArrayEquals(bytes, t.path("inner").get(0).path("refs").binaryValue(), "at any depth");
        assertEquals(b64, t.path("name").asText(), "other keys keep their text");
        assertEquals("@@@", t.path("mean").asText(), "not base64: text, for the caller to refuse by name");
        assertTrue(t.path("std").isArray());
        assertEquals("AQ==", t.path("weights").asText(), "escaped: text, which the caller's decoder reads as before");
        JsonNode plain = JsonTree.read(json.getBytes(StandardCharsets.UTF_8));
        assertEquals(MAPPER.readTree(json), plain, "without keys, ObjectMapper's tree");
    }

    @Test
    void aStringLongerThanJacksonsDefaultBoundIsRead() throws IOException {
        // a model fitted on 200 SD 1.5 adapters holds a 20,054,016-character string (its pooled components)
        byte[] bytes = new byte[15_100_000];
        new Random(3).nextBytes(bytes);
        String b64 = Base64.getEncoder().encodeToString(bytes);
        assertTrue(b64.length() > 20_000_000);
        byte[] json = ("{\"components\": \"" + b64 + "\", \"text\": \"" + b64 + "\"}").getBytes(StandardCharsets.US_ASCII);
        JsonNode t = JsonTree.read(json, Set.of("components"));
        assertArrayEquals(bytes, t.path("components").binaryValue());
        assertEquals(b64, t.path("text").asText());
    }
}
