package dev.dsire.scan;

import dev.dsire.InputException;
import java.nio.file.Path;
import java.sql.SQLException;

/** The scan database cannot be opened or written. */
public final class ScanDbException extends InputException {
    public ScanDbException(Path file, SQLException cause) {
        super(file, "scan database: " + cause.getMessage());
    }

    public ScanDbException(Path file, String reason) {
        super(file, reason);
    }
}
