package dev.dsire.wise;

import dev.dsire.InputException;
import java.nio.file.Path;

/** A LoRA-WiSE file or row dsire cannot use; the path is the file, or "FILE#ROW" for one row. */
public final class WiseException extends InputException {
    public WiseException(Path where, String reason) {
        super(where, reason);
    }
}
