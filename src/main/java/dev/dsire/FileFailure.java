package dev.dsire;

import java.nio.file.Path;

/**
 * Any failure while handling one file of a batch, turned into that file's error: the batch goes
 * on, the reason names what happened, and no stack trace is printed. An {@link InputException} is
 * kept as it is; a fault on a mapped page, a heap or stack exhausted by one file, or an unexpected
 * exception (a bug, reported as such) becomes a FileFailure.
 */
public final class FileFailure extends InputException {

    private FileFailure(Path file, String reason, Throwable cause) {
        super(file, reason, cause);
    }

    /**
     * Whether a throwable can be contained to the file that raised it. Other errors (linkage,
     * JVM-internal) mean the program itself is broken and must not be hidden per file.
     */
    public static boolean containable(Throwable t) {
        return t instanceof Exception || t instanceof InternalError || t instanceof OutOfMemoryError
                || t instanceof StackOverflowError || t instanceof AssertionError;
    }

    /** The file's error for t; rethrows t when it cannot be contained (see {@link #containable}). */
    public static InputException of(Path file, Throwable t) {
        if (t instanceof InputException ie) {
            return ie;
        }
        if (!containable(t)) {
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
        return new FileFailure(file, reason(t), t);
    }

    private static String reason(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root && (root instanceof java.util.concurrent.ExecutionException
                || root instanceof java.util.concurrent.CompletionException || root.getClass() == IllegalStateException.class
                || root.getClass() == RuntimeException.class)) {
            root = root.getCause(); // a worker pool's wrapper: the cause says what happened
        }
        if (root instanceof InputException ie) {
            return ie.reason();
        }
        if (root instanceof InternalError) {
            // how the JVM reports SIGBUS on a mapped page: the file shrank while it was being read
            return "file changed while being read (truncated under its memory mapping)";
        }
        if (root instanceof OutOfMemoryError) {
            return "needs more memory than this JVM has (" + first(root) + ")";
        }
        if (root instanceof StackOverflowError) {
            return "structure nested too deeply to read";
        }
        return "internal error on this file (" + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + first(root))
                + "); please report it";
    }

    private static String first(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m.lines().findFirst().orElse("");
    }
}
