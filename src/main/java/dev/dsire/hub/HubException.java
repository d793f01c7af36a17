package dev.dsire.hub;

import dev.dsire.InputException;
import java.nio.file.Path;

/** A scan or hub index that cannot be read or used: one line naming the file. */
public final class HubException extends InputException {
    public HubException(Path file, String reason) {
        super(file, reason);
    }
}
