package dev.dsire.scan;

/**
 * A stage of the scan pipeline died (or rows went missing): the scan stopped instead of hanging
 * or exiting 0 with rows lost. The rows written so far are in the database; a rerun resumes.
 */
public final class ScanFailedException extends RuntimeException {
    private final long written;
    private final long seen;

    ScanFailedException(String why, long written, long seen) {
        super(why.lines().findFirst().orElse(why) + " (" + written + " of " + seen + " rows written; rerun to resume)");
        this.written = written;
        this.seen = seen;
    }

    public long written() {
        return written;
    }

    public long seen() {
        return seen;
    }
}
