package dev.dsire;

import java.nio.file.Path;

/**
 * Bad input: a file dsire cannot or will not read. The message is one line that names the file
 * and the reason, fit to print as is; the CLI never shows a stack trace for these.
 */
public abstract class InputException extends RuntimeException {
    private final Path file;

    protected InputException(Path file, String reason) {
        super(oneLine(reason));
        this.file = file;
    }

    protected InputException(Path file, String reason, Throwable cause) {
        super(oneLine(reason), cause);
        this.file = file;
    }

    /** The file at fault, or null when it is not known. */
    public Path file() {
        return file;
    }

    /** The reason alone, without the file name. */
    public String reason() {
        return super.getMessage();
    }

    /** "PATH: reason". */
    @Override
    public String getMessage() {
        return file == null ? reason() : oneLine(file.toString()) + ": " + reason();
    }

    /**
     * Text fit for one line of UTF-8: control characters (a tensor or file name may hold a newline)
     * become \n-style escapes and unpaired surrogates U+FFFD, so "PATH: reason" is always one line.
     */
    public static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String rep = null;
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                if (b != null) {
                    b.append(c).append(s.charAt(i + 1));
                }
                i++;
                continue;
            } else if (Character.isSurrogate(c)) {
                rep = "\ufffd";
            } else if (c == '\n') {
                rep = "\\n";
            } else if (c == '\r') {
                rep = "\\r";
            } else if (c == '\t') {
                rep = "\\t";
            } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                rep = String.format("\\u%04x", (int) c);
            }
            if (rep != null && b == null) {
                b = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (b != null) {
                b.append(rep != null ? rep : String.valueOf(c));
            }
        }
        return b == null ? s : b.toString();
    }
}
