package dev.dsire.serve;

import java.time.Duration;

/**
 * What one server admits.
 *
 * @param maxBytes largest request body (and largest unpacked upload)
 * @param workers requests computed at once
 * @param queue requests admitted beyond those (receiving their upload or waiting); more get 503
 * @param timeout one request's limit, upload and computation together
 * @param memoryBytes request bodies held in memory, all together (off the heap); a body that finds no room is spooled to disk
 */
public record ServeLimits(long maxBytes, int workers, int queue, Duration timeout, long memoryBytes) {
    public static final long DEFAULT_MAX_BYTES = 2L << 30;
    public static final long DEFAULT_MEMORY_BYTES = 1L << 30;

    public ServeLimits {
        if (maxBytes < 1 || workers < 1 || queue < 0 || timeout.isNegative() || timeout.isZero() || memoryBytes < 0) {
            throw new IllegalArgumentException("--max-bytes, --workers and --timeout must be positive, --queue and --memory at least 0");
        }
    }

    /** With the default memory budget. */
    public ServeLimits(long maxBytes, int workers, int queue, Duration timeout) {
        this(maxBytes, workers, queue, timeout, DEFAULT_MEMORY_BYTES);
    }
}
