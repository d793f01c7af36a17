package dev.dsire.scan;

/** What became of one file in a scan. */
public enum ScanStatus {
    /** Read, spectra computed (and predicted, with a model). */
    OK("ok"),
    /** Not read: the reason is in the error column. */
    ERROR("error"),
    /** A pickle checkpoint: recorded, never read. */
    PICKLE("pickle"),
    /** Read, but of another layout than the model's: spectra kept, no prediction. */
    MISMATCH("mismatch");

    private final String key;

    ScanStatus(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }
}
