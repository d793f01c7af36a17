package dev.dsire.lora;

import dev.dsire.InputException;
import java.nio.file.Path;

/** A safetensors file that is not a plain LoRA adapter dsire can read; {@link #kind()} says why. */
public final class LoraException extends InputException {

    public enum Kind {
        PICKLE_FORMAT,
        NOT_LORA,
        UNSUPPORTED_TYPE,
        UNPAIRED,
        RANK_MISMATCH,
        ZERO_RANK,
        BAD_SHAPE,
        BAD_DTYPE,
        NON_FINITE,
        BAD_CONFIG
    }

    private final Kind kind;

    public LoraException(Path file, Kind kind, String reason) {
        super(file, reason);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
