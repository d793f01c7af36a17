package dev.dsire.serve;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One connection's time limit: a blocking read on a platform thread has no timeout of its own. Past a reading
 * limit the connection's input is shut, so that a blocked read ends at once and {@link HttpInput} turns it into
 * a 408 (the answer can still be written); past a writing limit (a client that does not read its answer) the
 * connection is closed.
 *
 * <p>A limit is two fields set under the connection's own lock, which only the {@link Watchdog} ever shares: it
 * looks at every open connection's limit each {@link Watchdog#TICK}. Limits are seconds long, so a limit acts at
 * most a tick late. A task scheduled on a timer per limit (four set and four cancelled per request) woke the
 * timer thread each time one became the earliest: a futex wake and a context switch on a 2-core machine.
 */
final class Deadline {
    private static final int NONE = 0, SHUT_INPUT = 1, CLOSE = 2;

    private final Watchdog watchdog;
    private final SocketChannel channel;
    /** What to do at due (System.nanoTime()); NONE: no limit set. */
    private int action;
    private long due;
    private volatile boolean expired;

    /** Watched from now until {@link #release()}. */
    Deadline(Watchdog watchdog, SocketChannel channel) {
        this.watchdog = watchdog;
        this.channel = channel;
        watchdog.watched.add(this);
    }

    /** Reads of this connection end at atNanos (System.nanoTime()). */
    synchronized void reading(long atNanos) {
        action = SHUT_INPUT;
        due = atNanos;
    }

    /** Writes of this connection must be done within limit. */
    synchronized void writing(Duration limit) {
        action = CLOSE;
        due = System.nanoTime() + limit.toNanos();
    }

    synchronized void cancel() {
        action = NONE;
    }

    /** No more limits: the connection is done. */
    void release() {
        cancel();
        watchdog.watched.remove(this);
    }

    /** Whether a limit has passed (the connection's input is shut, or it is closed). */
    boolean expired() {
        return expired;
    }

    /** Acts on the limit if it has passed by now; under the lock, so that a limit cancelled or replaced never acts late. */
    private synchronized void check(long now) {
        if (action == NONE || now - due < 0) {
            return;
        }
        int what = action;
        action = NONE;
        expired = true;
        try {
            if (what == SHUT_INPUT) {
                channel.shutdownInput();
            } else {
                channel.close();
            }
        } catch (IOException ignored) {
            // already closed: the read or write has ended anyway
        }
    }

    /** The thread that looks at every watched connection's limit, each tick, until closed. */
    static final class Watchdog implements AutoCloseable {
        static final Duration TICK = Duration.ofMillis(50);
        private final Set<Deadline> watched = ConcurrentHashMap.newKeySet();
        private final Thread thread;
        private volatile boolean closed;

        Watchdog(String name) {
            thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
            thread.start();
        }

        private void run() {
            while (!closed) {
                try {
                    TimeUnit.NANOSECONDS.sleep(TICK.toNanos());
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                for (Deadline d : watched) {
                    d.check(now);
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            thread.interrupt();
        }
    }
}
