package dev.dsire.scan;

/** What became of one file in a scan, before any model answers it. */
public enum ScanStatus {
    /** Read, spectra computed; its rows' status is the models' answers (or no_model). */
    OK("ok"),
    /** Not read: the reason is in the error column. */
    ERROR("error"),
    /** A pickle checkpoint: recorded, never read. */
    PICKLE("pickle");

    private final String key;

    ScanStatus(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }
}
