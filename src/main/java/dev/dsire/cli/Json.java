package dev.dsire.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** The one JSON writer of the command line: compact, one object per line, keys in insertion order. */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

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
            return wellFormed(MAPPER.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
