package dev.dsire.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a long command on stderr: a bar redrawn in place on a terminal, a plain line every
 * 10 s otherwise (logs, CI), nothing with --quiet. A ticker thread redraws it while a single long
 * step runs, so the elapsed time keeps moving. Thread-safe: workers may call {@link #step}.
 */
final class Progress implements AutoCloseable {
    enum Mode { BAR, LINES, OFF }

    /** A bar is redrawn at most this often (dsire.progress.bar-ms: a test under a pseudo-terminal draws every step). */
    private static final long BAR_EVERY_NS = Long.getLong("dsire.progress.bar-ms", 200) * 1_000_000L;
    /** A log gets a line at most this often (dsire.progress.line-ms, for tests). */
    private static final long LINE_EVERY_NS = Long.getLong("dsire.progress.line-ms", 10_000) * 1_000_000L;

    private final PrintWriter err;
    private final Mode mode;
    private String phase;
    private String unit;
    private long total;
    private long done;
    private long phaseStart = System.nanoTime();
    private long lastPrint = System.nanoTime();
    private boolean drawn;
    private Thread ticker;

    Progress(PrintWriter err, Mode mode) {
        this.err = err;
        this.mode = mode;
    }

    /** The mode a command's flags and stderr call for. */
    static Progress of(PrintWriter err, OutputOptions output) {
        return new Progress(err, output.quiet ? Mode.OFF : Main.stderrIsTerminal() ? Mode.BAR : Mode.LINES);
    }

    /** Starts a phase of total units (e.g. "reading spectra", 40, "files"); total 0 when unknown, unit null for no count. */
    synchronized Progress phase(String name, long total, String unit) {
        this.phase = name;
        this.total = total;
        this.unit = unit;
        this.done = 0;
        this.phaseStart = System.nanoTime();
        this.lastPrint = phaseStart; // the first line comes after one interval: a short phase prints nothing
        if (mode != Mode.OFF && ticker == null) {
            long every = Math.max(1, Math.min(mode == Mode.BAR ? 1000 : LINE_EVERY_NS / 1_000_000, 1000));
            ticker = Thread.ofPlatform().daemon().name("dsire-progress").start(() -> {
                try {
                    while (true) {
                        Thread.sleep(every);
                        show(System.nanoTime());
                    }
                } catch (InterruptedException e) {
                    // closed
                }
            });
        }
        return this;
    }

    synchronized void step() {
        done++;
        show(System.nanoTime());
    }

    /** Draws the line if the interval has passed since the last one. */
    private synchronized void show(long now) {
        if (mode == Mode.OFF || phase == null || now - lastPrint < (mode == Mode.BAR ? BAR_EVERY_NS : LINE_EVERY_NS)) {
            return;
        }
        lastPrint = now;
        if (mode == Mode.BAR) {
            err.print("\r" + line(now, true) + "\u001b[K");
            drawn = true;
        } else {
            err.println(line(now, false));
        }
        err.flush();
    }

    private String line(long now, boolean bar) {
        double s = Math.max(1e-9, (now - phaseStart) / 1e9);
        StringBuilder b = new StringBuilder("dsire: ").append(phase).append(": ");
        if (bar && total > 0) {
            int width = 24, filled = (int) Math.min(width, width * done / total);
            b.append('[').append("#".repeat(filled)).append(".".repeat(width - filled)).append("] ");
        }
        if (unit == null) { // a step without a count: its name and the time it has taken
            return b.delete(b.length() - 2, b.length()).append(String.format(Locale.ROOT, ", %.0f s", s)).toString();
        }
        b.append(done);
        if (total > 0) {
            b.append('/').append(total);
        }
        b.append(' ').append(unit).append(String.format(Locale.ROOT, ", %.0f s", s));
        if (total > 0 && done >= Math.max(2, total / 20) && done < total) { // a first batch says little about the rest
            b.append(", about ").append(duration(s / done * (total - done))).append(" left");
        }
        return b.toString();
    }

    /** One step with no count (e.g. "fitting the model"): on a terminal at once, in a log every interval while it lasts. */
    synchronized void status(String text) {
        phase(text, 0, null);
        if (mode == Mode.BAR) {
            err.print("\r" + line(System.nanoTime(), true) + "\u001b[K");
            err.flush();
            drawn = true;
        }
    }

    /** A line of its own (an error) while the bar may be drawn: the bar is cleared first and redrawn on the next step. */
    synchronized void say(String line) {
        erase();
        err.println(line);
        err.flush();
    }

    /** Stops the ticker and clears the bar. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = ticker;
            ticker = null;
            phase = null;
        }
        if (t != null) {
            t.interrupt();
        }
        clear();
    }

    /** Ends the phase and clears the bar, so results and errors start on a clean line. */
    synchronized void clear() {
        phase = null;
        erase();
    }

    private synchronized void erase() {
        if (drawn) {
            err.print("\r\u001b[K");
            err.flush();
            drawn = false;
        }
    }

    static String duration(double seconds) {
        long t = Math.round(seconds);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                : t >= 60 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60) : t + " s";
    }
}
