package dev.dsire.lora;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * A regular expression written for Python's {@code re} (as PEFT's rank_pattern / alpha_pattern keys
 * are), translated to RE2 syntax and matched in linear time, so no pattern can make a file's cost
 * explode ({@code (.*.){30}!} is answered at once). Python-only syntax RE2 can express is
 * translated ({@code \Z} → {@code \z}, {@code {,n}} → {@code {0,n}}, {@code (?#…)} comments dropped;
 * {@code (?P<name>…)} is native); what needs backtracking (backreferences, lookaround, atomic
 * groups, conditionals) is refused with the reason.
 */
final class PythonRegex {
    /** Patterns longer than this are refused: config keys are module-name fragments. */
    static final int MAX_LENGTH = 4096;

    private PythonRegex() {}

    /** Thrown for a pattern that Python rejects or RE2 cannot express; the message says which part. */
    static final class Untranslatable extends RuntimeException {
        Untranslatable(String reason) {
            super(reason);
        }
    }

    /** PEFT's matching rule for a pattern key: the module name ends with it after a dot (re.match of (.*\.)?(key)$). */
    static Pattern peftKey(String key) {
        return compile("(.*\\.)?(" + key + ")$");
    }

    static Pattern compile(String python) {
        if (python.length() > MAX_LENGTH) {
            throw new Untranslatable("longer than " + MAX_LENGTH + " characters");
        }
        String re2 = translate(python);
        try {
            return Pattern.compile(re2);
        } catch (PatternSyntaxException | IllegalArgumentException e) {
            throw new Untranslatable(e.getMessage().lines().findFirst().orElse("invalid"));
        }
    }

    static String translate(String p) {
        StringBuilder out = new StringBuilder(p.length() + 8);
        boolean inClass = false;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '\\') {
                if (i + 1 >= p.length()) {
                    throw new Untranslatable("ends with a lone backslash");
                }
                char n = p.charAt(++i);
                if (!inClass && n >= '1' && n <= '9') {
                    throw new Untranslatable("backreference \\" + n + " needs backtracking");
                }
                if (n == 'Z' && !inClass) {
                    out.append("\\z");
                } else if ((n == 'u' || n == 'U') && i + (n == 'u' ? 4 : 8) < p.length()) {
                    int len = n == 'u' ? 4 : 8;
                    out.append("\\x{").append(p, i + 1, i + 1 + len).append('}');
                    i += len;
                } else if (n == 'N' || n == 'u' || n == 'U') {
                    throw new Untranslatable("escape \\" + n + " is not supported");
                } else {
                    out.append(c).append(n);
                }
                continue;
            }
            if (inClass) {
                if (c == ']') {
                    inClass = false;
                } else if (c == '[' && i + 1 < p.length() && p.charAt(i + 1) == ':') {
                    out.append("\\["); // Python has no POSIX classes inside [...]: '[' is literal there
                    continue;
                }
                out.append(c);
                continue;
            }
            if (c == '[') {
                inClass = true;
                out.append(c);
                if (i + 1 < p.length() && p.charAt(i + 1) == '^') {
                    out.append('^');
                    i++;
                }
                if (i + 1 < p.length() && p.charAt(i + 1) == ']') {
                    out.append("\\]"); // a ']' first in a class is literal in Python
                    i++;
                }
                continue;
            }
            if (c == '{' && i + 1 < p.length() && p.charAt(i + 1) == ',') {
                out.append("{0");
                continue;
            }
            if (c == '(' && i + 1 < p.length() && p.charAt(i + 1) == '?') {
                String rest = p.substring(i + 2);
                if (rest.startsWith("P=")) {
                    throw new Untranslatable("backreference (?P=" + rest.substring(2, Math.max(2, rest.indexOf(')'))) + ") needs backtracking");
                }
                if (rest.startsWith("#")) {
                    int close = p.indexOf(')', i);
                    if (close < 0) {
                        throw new Untranslatable("unterminated comment");
                    }
                    i = close;
                    continue;
                }
                if (rest.startsWith("=") || rest.startsWith("!") || rest.startsWith("<=") || rest.startsWith("<!")) {
                    throw new Untranslatable("lookaround (?" + rest.charAt(0) + " needs backtracking");
                }
                if (rest.startsWith(">")) {
                    throw new Untranslatable("atomic group (?> needs backtracking");
                }
                if (rest.startsWith("(")) {
                    throw new Untranslatable("conditional group needs backtracking");
                }
                int j = 0;
                while (j < rest.length() && Character.isLetter(rest.charAt(j))) {
                    j++;
                }
                String flags = rest.substring(0, j);
                if (flags.indexOf('x') >= 0 || flags.indexOf('L') >= 0) {
                    throw new Untranslatable("flag (?" + flags + ") is not supported");
                }
                // (?a) and (?u) only choose ASCII or Unicode classes: module names are ASCII either way
                String kept = flags.replace("a", "").replace("u", "");
                if (kept.isEmpty() && !flags.isEmpty() && j < rest.length() && rest.charAt(j) == ')') {
                    i += 2 + j;
                    continue;
                }
                out.append("(?").append(kept);
                i += 1 + j;
                continue;
            }
            if ((c == '+' || c == '?' || c == '*' || c == '}') && i + 1 < p.length() && p.charAt(i + 1) == '+') {
                throw new Untranslatable("possessive quantifier " + c + "+ needs backtracking");
            }
            out.append(c);
        }
        return out.toString();
    }
}
