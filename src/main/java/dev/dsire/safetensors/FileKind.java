package dev.dsire.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What a path is, when it is not a regular file: opening a FIFO blocks until a writer comes,
 * and a device or directory has no size worth reading, so readers ask here first.
 */
public final class FileKind {
    private FileKind() {}

    /** null for a regular file (through links); otherwise the reason to refuse it, e.g. "not a regular file: a FIFO (named pipe)". */
    public static String notRegular(Path path) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return Files.isSymbolicLink(path) ? "broken symbolic link (its target does not exist)" : null; // missing: the open says so
        } catch (IOException | SecurityException e) {
            return null; // the open reports it with the system's reason
        }
        if (a.isRegularFile()) {
            return null;
        }
        String what = a.isDirectory() ? "a directory" : special(path);
        String via = "";
        if (Files.isSymbolicLink(path)) {
            try {
                via = " (symbolic link to " + Files.readSymbolicLink(path) + ")";
            } catch (IOException | UnsupportedOperationException e) {
                via = " (through a symbolic link)";
            }
        }
        return "not a regular file: " + what + via;
    }

    /** FIFO, device or socket, from the Unix mode bits where the platform offers them. */
    private static String special(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode");
            return switch (mode & 0170000) {
                case 0010000 -> "a FIFO (named pipe)";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file";
        }
    }
}
