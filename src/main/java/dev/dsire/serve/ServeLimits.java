package dev.dsire.serve;

import java.time.Duration;

/**
 * What one server admits.
 *
 * @param maxBytes largest request body (and largest unpacked upload)
 * @param workers requests computed at once
 * @param queue requests admitted beyond those (receiving their upload or waiting); more get 503
 * @param timeout one request's limit, upload and computation together
 */
public record ServeLimits(long maxBytes, int workers, int queue, Duration timeout) {
    public static final long DEFAULT_MAX_BYTES = 2L << 30;

    public ServeLimits {
        if (maxBytes < 1 || workers < 1 || queue < 0 || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--max-bytes, --workers and --timeout must be positive, --queue at least 0");
        }
    }
}
