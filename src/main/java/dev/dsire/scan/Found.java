package dev.dsire.scan;

import java.nio.file.Path;

/**
 * A file to scan, with the stamp that decides whether a rerun rescans it (size -1 when unknown);
 * problem is set when it could not be visited, and becomes the row's error.
 */
public record Found(Path path, long size, long mtime, String problem) {
    /** Marks the end of the walk on the readers' queue. */
    static final Found END = new Found(null, 0, 0, null);
}
