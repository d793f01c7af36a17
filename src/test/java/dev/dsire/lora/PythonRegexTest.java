package dev.dsire.lora;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class PythonRegexTest {
    @Test
    void pythonOnlySyntaxIsTranslated() {
        assertEquals("q_proj\\z", PythonRegex.translate("q_proj\\Z"));
        assertEquals("a{0,3}", PythonRegex.translate("a{,3}"));
        assertEquals("q_proj", PythonRegex.translate("(?#a comment)q_proj"));
        assertEquals("q_proj", PythonRegex.translate("(?a)q_proj"));
        assertEquals("(?i)Q", PythonRegex.translate("(?ai)Q"));
        assertEquals("\\x{0041}", PythonRegex.translate("\\u0041"));
        assertEquals("[\\Z]", PythonRegex.translate("[\\Z]"), "escapes inside a class are left alone");
        assertEquals("[\\]a]", PythonRegex.translate("[]a]"), "a leading ] in a class is literal in Python");
        assertTrue(PythonRegex.peftKey("(?P<layer>\\d+)\\.self_attn\\.q_proj\\Z").matches("model.layers.12.self_attn.q_proj"));
        assertFalse(PythonRegex.peftKey("q_proj").matches("model.layers.0.self_attn.xq_proj"), "PEFT matches after a dot");
        assertTrue(PythonRegex.peftKey("q_proj").matches("q_proj"));
    }

    @Test
    void plainKeysMatchExactlyAsTheRegexWould() {
        java.util.List<String> names = java.util.List.of("model.layers.0.self_attn.q_proj", "q_proj", "xq_proj", "model.layers.10.self_attn.q_proj",
                "layers.0.self_attn.q.proj", "a-b", "x.a-b", "model.layers.1.mlp.down_proj", "q_proj.x", ".q_proj", "");
        for (String key : java.util.List.of("q_proj", "layers.0.self_attn.q_proj", "layers\\.0\\.self_attn\\.q_proj", "q.proj", "a-b",
                "model.layers.1.mlp.down_proj", "1.mlp.down_proj", "0", "layers.1.")) {
            PythonRegex.Key k = PythonRegex.Key.of(key);
            assertNull(k.re2(), key + " is plain");
            for (String n : names) {
                assertEquals(PythonRegex.peftKey(key).matches(n), k.matches(n), key + " vs " + n);
            }
        }
        assertNotNull(PythonRegex.Key.of("q_proj|k_proj").re2());
        assertTrue(PythonRegex.Key.of("q_proj|k_proj").matches("model.layers.0.self_attn.k_proj"));
    }

    @Test
    void backtrackingConstructsAreRefusedWithTheReason() {
        for (String[] c : new String[][] {{"(?P<a>x)(?P=a)", "backreference"}, {"(x)\\1", "backreference"}, {"x(?=y)", "lookaround"},
                {"x(?!y)", "lookaround"}, {"(?<=x)y", "lookaround"}, {"(?>x)", "atomic"}, {"(x)?(?(1)y|z)", "conditional"},
                {"x++", "possessive"}, {"(?x) x", "flag"}, {"\\N{DIGIT ONE}", "escape"}, {"((a{100}){100})", "nested repetition"}}) {
            PythonRegex.Untranslatable e = assertThrows(PythonRegex.Untranslatable.class, () -> PythonRegex.compile(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
