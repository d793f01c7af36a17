package dev.dsire;

import java.nio.file.Path;

/**
 * Bad input: a file dsire cannot or will not read. The message is one line that names the file
 * and the reason, fit to print as is; the CLI never shows a stack trace for these.
 */
public abstract class InputException extends RuntimeException {
    private final Path file;

    protected InputException(Path file, String reason) {
        super(reason);
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
        return file == null ? reason() : file + ": " + reason();
    }
}
