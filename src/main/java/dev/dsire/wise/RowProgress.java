package dev.dsire.wise;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a pass over LoRA-WiSE rows on stderr, as scan shows its own: a bar redrawn in place
 * on a terminal, a plain line every 10 s otherwise, and a summary at the end.
 */
final class RowProgress {
    private final PrintWriter err;
    private final boolean terminal;
    private final String verb;
    private final long total;
    private long units, totalUnits;
    private final long start = System.nanoTime();
    private long lastPrint = start;
    private long rows, errors, bytes;

    RowProgress(PrintWriter err, boolean terminal, String verb, long total) {
        this.err = err;
        this.terminal = terminal;
        this.verb = verb;
        this.total = total;
    }

    /** Work ahead, in row-slices (a file of n rows read in k slices is n·k); estimates the ETA. */
    void plan(long rowSlices) {
        totalUnits += rowSlices;
    }

    /** One row's slice read, with its weights' bytes. */
    void bytes(long valueBytes) {
        bytes += valueBytes;
        units++;
        tick();
    }

    /** A row done (its last slice). */
    void row() {
        rows++;
        tick();
    }

    /** Errors found before this progress began (a first pass), for the closing count. */
    void errors(long n) {
        errors += n;
    }

    void error() {
        errors++;
        tick();
    }

    /** Error lines must not land in the middle of a bar. */
    void clearLine() {
        if (terminal) {
            err.print("\r\u001b[K");
        }
    }

    private void tick() {
        long now = System.nanoTime();
        if (now - lastPrint < (terminal ? 200_000_000L : 10_000_000_000L)) {
            return;
        }
        lastPrint = now;
        double s = Math.max(1e-9, (now - start) / 1e9);
        long done = rows + errors;
        double rate = done / s;
        int width = 24, filled = totalUnits > 0 ? (int) Math.min(width, width * units / totalUnits) : 0;
        String bar = terminal ? "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " : "";
        double unitRate = units / s;
        String eta = unitRate > 0 && totalUnits >= units ? " ETA " + duration((totalUnits - units) / unitRate) : "";
        String line = String.format(Locale.ROOT, "%s: %s%d/%d rows, %.2f rows/s, %.1f MB/s, %d errors%s",
                verb, bar, done, total, rate, bytes / s / 1e6, errors, eta);
        if (terminal) {
            err.print("\r" + line + "\u001b[K");
        } else {
            err.println(line);
        }
        err.flush();
    }

    void finish() {
        clearLine();
        double s = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        err.printf(Locale.ROOT, "%s done: %d rows, %d errors, %.1f MB of weights in %.1f s (%.2f rows/s, %.1f MB/s)%n",
                verb, rows, errors, bytes / 1e6, s, rows / s, bytes / 1e6 / s);
        err.flush();
    }

    private static String duration(double seconds) {
        long t = Math.round(seconds);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60) : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
