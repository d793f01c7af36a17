package dev.dsire.scan;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scan progress on stderr: a bar redrawn in place on a terminal, plain lines every few seconds
 * otherwise (logs, CI), and a summary at the end.
 */
final class Progress {
    final AtomicLong found = new AtomicLong();
    final AtomicLong skipped = new AtomicLong();
    final AtomicLong done = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    volatile boolean walkFinished;

    private final PrintWriter err;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long lastPrint = start;

    Progress(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** Called from one thread only (the writer), after each committed batch or tick. */
    void tick() {
        long now = System.nanoTime();
        if (now - lastPrint < (terminal ? 200_000_000L : 10_000_000_000L)) {
            return;
        }
        lastPrint = now;
        String line = line(now);
        if (terminal) {
            err.print("\r" + line + "\u001b[K");
        } else {
            err.println(line);
        }
        err.flush();
    }

    private String line(long now) {
        double s = Math.max(1e-9, (now - start) / 1e9);
        long d = done.get(), todo = found.get() - skipped.get();
        double rate = d / s;
        String eta = walkFinished && rate > 0 ? String.format(Locale.ROOT, " ETA %s", duration((todo - d) / rate)) : "";
        int width = 24, filled = todo > 0 ? (int) Math.min(width, width * d / todo) : 0;
        String bar = terminal ? "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " : "";
        return String.format(Locale.ROOT, "scan: %s%d/%d%s files, %d skipped, %.1f files/s, %.1f MB/s, %d errors%s", bar, d, todo,
                walkFinished ? "" : "+", skipped.get(), rate, bytes.get() / s / 1e6, errors.get(), eta);
    }

    void finish() {
        long now = System.nanoTime();
        if (terminal) {
            err.print("\r\u001b[K");
        }
        double s = (now - start) / 1e9;
        err.printf(Locale.ROOT, "scan done: %d files scanned, %d unchanged and skipped, %d errors, %.1f MB in %.1f s (%.1f files/s, %.1f MB/s)%n",
                done.get(), skipped.get(), errors.get(), bytes.get() / 1e6, s, done.get() / Math.max(s, 1e-9), bytes.get() / 1e6 / Math.max(s, 1e-9));
        err.flush();
    }

    private static String duration(double seconds) {
        long t = Math.round(seconds);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60) : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
