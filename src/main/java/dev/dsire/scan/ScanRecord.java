package dev.dsire.scan;

/**
 * One row of the scan database. Fields a file could not provide are null.
 *
 * @param rank       "32", or the distinct ranks joined with commas
 * @param spectra    every layer's σ(A), σ(B), σ(s·B·A) in layout order, as float32 little-endian
 * @param layoutJson the layout's layers as JSON [[name, rank, out, in], ...], stored once per fingerprint
 * @param answer     the prediction's status (ok, out_of_distribution, untrained, degenerate); null without a model
 * @param probabilities the posterior's probability of every training size as JSON {"size": p}; null for vote methods
 */
public record ScanRecord(String path, long size, long mtime, String headerHash, String format, String family, String rank,
                         Integer layers, String dtype, Long bytes, Integer trainImages, String trainGroup, ScanStatus status,
                         String error, String layoutFingerprint, String layoutJson, byte[] spectra, Integer prediction,
                         String votes, String answer, String probabilities) {

    /** Marks the end of the readers' results on the writer's queue; never written. */
    static final ScanRecord END = failed("", -1, 0, ScanStatus.ERROR, "end of results");

    /** A file that was not read. */
    public static ScanRecord failed(String path, long size, long mtime, ScanStatus status, String error) {
        return new ScanRecord(path, size, mtime, null, null, null, null, null, null, size < 0 ? null : size, null, null, status, error,
                null, null, null, null, null, null, null);
    }
}
