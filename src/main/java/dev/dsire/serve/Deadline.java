package dev.dsire.serve;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One connection's time limit, kept by a shared timer thread: a blocking read on a platform thread has no
 * timeout of its own. Past a reading limit the connection's input is shut, so that a blocked read ends at
 * once and {@link HttpInput} turns it into a 408 (the answer can still be written); past a writing limit
 * (a client that does not read its answer) the connection is closed.
 */
final class Deadline {
    private final ScheduledExecutorService timer;
    private final SocketChannel channel;
    private ScheduledFuture<?> pending;
    private volatile boolean expired;

    Deadline(ScheduledExecutorService timer, SocketChannel channel) {
        this.timer = timer;
        this.channel = channel;
    }

    /** Reads of this connection end at atNanos (System.nanoTime()). */
    synchronized void reading(long atNanos) {
        cancel();
        pending = timer.schedule(this::shutInput, atNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    /** Writes of this connection must be done within limit. */
    synchronized void writing(Duration limit) {
        cancel();
        pending = timer.schedule(this::close, limit.toNanos(), TimeUnit.NANOSECONDS);
    }

    synchronized void cancel() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    /** Whether a limit has passed (the connection's input is shut, or it is closed). */
    boolean expired() {
        return expired;
    }

    private void shutInput() {
        expired = true;
        try {
            channel.shutdownInput();
        } catch (IOException ignored) {
            // already closed: the read has ended anyway
        }
    }

    private void close() {
        expired = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closed either way
        }
    }
}
