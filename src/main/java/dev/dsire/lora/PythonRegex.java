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
    static final int MAX_LENGTH = 1024;
    /**
     * Bounds on the compiled program, so that compiling and matching stay cheap: RE2's own limit on
     * nested repetition (a{1000}){1000} would otherwise expand to 10⁶ states), and on the pattern's size
     * with repetitions expanded, which is what each match costs per character of the module name.
     */
    static final int MAX_REPEAT = 1000;
    static final long MAX_EXPANDED = 20_000;
    private static final int MAX_NESTING = 100;

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

    /**
     * A rank_pattern / alpha_pattern key ready to match module names. Most keys are module paths
     * (letters, digits, '_', '-', '.' — which matches any character — and '\.'): those are matched
     * by a direct comparison, as fast as string equality; the others through RE2.
     *
     * @param states the RE2 program size (0 for a plain key): matching costs about states × name length
     */
    record Key(String key, Pattern re2, long states) {
        static Key of(String python) {
            if (plain(python)) {
                return new Key(python, null, 0);
            }
            long states = cost("(.*\\.)?(" + python + ")$");
            return new Key(python, peftKey(python), states);
        }

        boolean matches(String module) {
            if (re2 != null) {
                return re2.matches(module);
            }
            // (.*\.)?(KEY)$ with a plain KEY: the module's last len(KEY) characters, at its start or after a dot
            int len = 0;
            for (int i = 0; i < key.length(); i++, len++) {
                if (key.charAt(i) == '\\') {
                    i++;
                }
            }
            int start = module.length() - len;
            if (start < 0 || start > 0 && module.charAt(start - 1) != '.') {
                return false;
            }
            for (int i = 0, j = start; i < key.length(); i++, j++) {
                char k = key.charAt(i);
                if (k == '\\') {
                    if (module.charAt(j) != key.charAt(++i)) {
                        return false;
                    }
                } else if (k != '.' && k != module.charAt(j)) {
                    return false;
                }
            }
            return true;
        }

        private static boolean plain(String key) {
            if (key.isEmpty()) {
                return false;
            }
            for (int i = 0; i < key.length(); i++) {
                char c = key.charAt(i);
                if (c == '\\') {
                    if (i + 1 >= key.length() || key.charAt(i + 1) != '.') {
                        return false;
                    }
                    i++;
                } else if (!(Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '-' || c == '.')) {
                    return false;
                }
            }
            return true;
        }
    }

    /** What matching the pattern costs per character of a name: its state count with repetitions expanded. */
    static long cost(String python) {
        return new Cost(translate(python)).check();
    }

    static Pattern compile(String python) {
        if (python.length() > MAX_LENGTH) {
            throw new Untranslatable("longer than " + MAX_LENGTH + " characters");
        }
        String re2 = translate(python);
        new Cost(re2).check();
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

    /** The size of a translated pattern with its repetitions expanded, and its deepest product of repeat counts. */
    private static final class Cost {
        private final String p;
        private int i;

        Cost(String p) {
            this.p = p;
        }

        long check() {
            return sequence(0)[0];
        }

        /** {expanded size, largest nested repeat product} of the parts up to the next unmatched ')'. */
        private long[] sequence(int depth) {
            if (depth > MAX_NESTING) {
                throw new Untranslatable("groups nested deeper than " + MAX_NESTING);
            }
            long size = 0, product = 1;
            while (i < p.length() && p.charAt(i) != ')') {
                char c = p.charAt(i);
                if (c == '|') {
                    i++;
                    continue;
                }
                long atomSize = 1, atomProduct = 1;
                if (c == '(') {
                    i++;
                    if (i < p.length() && p.charAt(i) == '?') {
                        i++;
                        if (p.startsWith("P<", i)) {
                            int close = p.indexOf('>', i);
                            i = close < 0 ? p.length() : close + 1;
                        } else {
                            while (i < p.length() && (Character.isLetter(p.charAt(i)) || p.charAt(i) == '-')) {
                                i++;
                            }
                            if (i < p.length() && p.charAt(i) == ')') {
                                i++; // a flags-only group such as (?i)
                                continue;
                            }
                            if (i < p.length() && p.charAt(i) == ':') {
                                i++;
                            }
                        }
                    }
                    long[] inner = sequence(depth + 1);
                    if (i < p.length()) {
                        i++; // ')'
                    }
                    atomSize = Math.max(1, inner[0]);
                    atomProduct = inner[1];
                } else if (c == '[') {
                    i++;
                    if (i < p.length() && p.charAt(i) == '^') {
                        i++;
                    }
                    if (i < p.length() && p.charAt(i) == ']') {
                        i++;
                    }
                    while (i < p.length() && p.charAt(i) != ']') {
                        i += p.charAt(i) == '\\' ? 2 : 1;
                    }
                    i++;
                } else if (c == '\\') {
                    i++;
                    if (i + 1 < p.length() && "xpP".indexOf(p.charAt(i)) >= 0 && p.charAt(i + 1) == '{') {
                        int close = p.indexOf('}', i);
                        i = close < 0 ? p.length() : close + 1;
                    } else {
                        i++;
                    }
                } else {
                    i++;
                }
                long count = quantifier();
                atomSize = Math.multiplyExact(atomSize, count);
                atomProduct = Math.multiplyExact(atomProduct, count);
                if (atomProduct > MAX_REPEAT) {
                    throw new Untranslatable("nested repetition counts multiply to more than " + MAX_REPEAT);
                }
                size += atomSize;
                product = Math.max(product, atomProduct);
                if (size > MAX_EXPANDED) {
                    throw new Untranslatable("more than " + MAX_EXPANDED + " states once its repetitions are expanded");
                }
            }
            return new long[] {size, product};
        }

        /** The largest count of a quantifier at i (1 for *, +, ? and none), consuming it. */
        private long quantifier() {
            if (i >= p.length()) {
                return 1;
            }
            char c = p.charAt(i);
            if (c == '*' || c == '+' || c == '?') {
                i++;
                if (i < p.length() && p.charAt(i) == '?') {
                    i++;
                }
                return 1;
            }
            if (c != '{') {
                return 1;
            }
            int close = p.indexOf('}', i);
            if (close < 0) {
                return 1;
            }
            String body = p.substring(i + 1, close);
            if (!body.matches("\\d{1,9}(,\\d{0,9})?")) {
                return 1; // a literal brace, as in RE2
            }
            long count = 0;
            for (String part : body.split(",")) {
                if (!part.isEmpty()) {
                    count = Math.max(count, Long.parseLong(part));
                }
            }
            if (count > MAX_REPEAT) {
                throw new Untranslatable("repetition count " + count + " is above " + MAX_REPEAT);
            }
            i = close + 1;
            if (i < p.length() && p.charAt(i) == '?') {
                i++;
            }
            return Math.max(1, count);
        }
    }
}
