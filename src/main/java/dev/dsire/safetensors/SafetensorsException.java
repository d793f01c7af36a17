package dev.dsire.safetensors;

import dev.dsire.InputException;
import java.nio.file.Path;

/** A file that is not valid safetensors; {@link #kind()} says which rule it broke. */
public final class SafetensorsException extends InputException {

    /** One kind per failed check, in the order the reader makes them. */
    public enum Kind {
        /** A FIFO, directory, device or socket: refused before being opened. */
        NOT_A_FILE,
        IO_ERROR,
        HEADER_TOO_SMALL,
        HEADER_TOO_LARGE,
        INVALID_HEADER_LENGTH,
        INVALID_HEADER_UTF8,
        INVALID_HEADER_JSON,
        INVALID_TENSOR_INFO,
        INVALID_METADATA,
        VALIDATION_OVERFLOW,
        MISALIGNED_SLICE,
        TENSOR_SIZE_MISMATCH,
        INVALID_OFFSET,
        INCOMPLETE_BUFFER,
        TRAILING_BYTES,
        UNSUPPORTED_DTYPE
    }

    private final Kind kind;

    public SafetensorsException(Path file, Kind kind, String reason) {
        super(file, reason);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
