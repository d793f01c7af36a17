package dev.dsire.model;

import dev.dsire.InputException;
import java.nio.file.Path;

/** A manifest that cannot be read. */
public final class ManifestException extends InputException {
    public ManifestException(Path file, String reason) {
        super(file, reason);
    }
}
