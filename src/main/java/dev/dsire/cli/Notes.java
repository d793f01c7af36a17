package dev.dsire.cli;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Notes about input files (facts, not errors, e.g. an assumed scale). A batch of hundreds would
 * bury its results and errors, so by default they become one summary line at the end; --verbose
 * prints each as it comes, --quiet none.
 */
final class Notes implements Consumer<String> {
    private final PrintWriter err;
    private final boolean verbose;
    private final boolean terminal;
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicReference<String> first = new AtomicReference<>();

    /** @param terminal stderr is a terminal: a progress bar may be drawn there, so a note clears its line first */
    Notes(PrintWriter err, boolean verbose, boolean terminal) {
        this.err = err;
        this.verbose = verbose;
        this.terminal = terminal;
    }

    @Override
    public void accept(String note) {
        count.incrementAndGet();
        first.compareAndSet(null, note);
        if (verbose) {
            synchronized (err) {
                err.println(terminal ? "\r\u001b[K" + note : note); // the bar redraws itself on its next tick
                err.flush();
            }
        }
    }

    int count() {
        return count.get();
    }

    /** The closing line, or nothing: a single note is printed as it is, several as a count and the first. */
    void summarise(boolean quiet) {
        int n = count.get();
        if (verbose || quiet || n == 0) {
            return;
        }
        if (n == 1) {
            err.println(first.get());
        } else {
            String one = first.get().startsWith(PREFIX) ? first.get().substring(PREFIX.length()) : first.get();
            err.println(PREFIX + n + " notes about input files (--verbose lists them); the first: " + one);
        }
        err.flush();
    }

    static final String PREFIX = "dsire: note: ";
}
