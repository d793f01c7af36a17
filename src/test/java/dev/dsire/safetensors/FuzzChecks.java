package dev.dsire.safetensors;

import dev.dsire.InputException;

/** Invariants the fuzz tests hold every outcome to. */
public final class FuzzChecks {
    private FuzzChecks() {}

    /** An input error is one line naming a reason, never a negative size or offset. */
    public static void oneLineReason(InputException e) {
        String m = e.getMessage();
        if (m == null || m.isBlank() || m.contains("\n") || m.contains("\r")) {
            throw new AssertionError("not a one-line reason: " + m);
        }
        wellFormedText(m);
    }

    /** No lone surrogate: the text can be written as UTF-8 and read back unchanged. */
    public static void wellFormedText(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new AssertionError("lone surrogate U+" + Integer.toHexString(c) + " accepted in " + s.replaceAll("\\p{Cs}", "?"));
            }
        }
    }
}
