package dev.dsire;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** An I/O failure in words a user reads ("no such file"), not a Java exception's class name. */
public final class IoReason {
    private IoReason() {}

    public static String of(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "a folder on its path is a file";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(java.util.Locale.ROOT); // the system's own words, e.g. "is a directory"
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? "input/output error" : m.lines().findFirst().orElse(m);
    }
}
