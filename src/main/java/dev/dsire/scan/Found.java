package dev.dsire.scan;

import java.nio.file.Path;

/** A file the walker found, with the stamp that decides whether a rerun rescans it; problem is set when it could not be visited. */
record Found(Path path, long size, long mtime, String problem) {
    static final Found END = new Found(null, 0, 0, null);
}
