package dev.dsire.wise;

import dev.dsire.InputException;
import java.nio.file.Path;

/** A LoRA-WiSE file or row dsire cannot use; the path is the file, or "FILE#ROW" for one row. */
public final class WiseException extends InputException {
    private final long row;

    /** The whole file is unusable. */
    public WiseException(Path file, String reason) {
        super(file, reason);
        this.row = -1;
    }

    /** One row is unusable. */
    public WiseException(Path file, long row, String reason) {
        super(WiseRow.where(file, row), reason);
        this.row = row;
    }

    /** The row at fault, or -1 when it is the file. */
    public long row() {
        return row;
    }
}
