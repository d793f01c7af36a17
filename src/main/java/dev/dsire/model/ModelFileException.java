package dev.dsire.model;

import dev.dsire.InputException;
import java.nio.file.Path;

/** A saved model that cannot be loaded. */
public final class ModelFileException extends InputException {
    public ModelFileException(Path file, String reason) {
        super(file, reason);
    }
}
