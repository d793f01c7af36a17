package dev.dsire.scan;

import java.util.List;

/**
 * What a scan learns about one file; {@link ScanRow} is how it is written out (one row per answer).
 * Fields a file could not provide are null.
 *
 * @param rank           "32", or the distinct ranks joined with commas
 * @param declaredImages the unique training images the file's metadata states (see hub.DeclaredLabel)
 * @param labelSource    the metadata key that count came from
 * @param learningRate   the learning rate the file's metadata states (lora.Recipe), what pooled-recipe reads
 * @param trainSteps     the training steps it states
 * @param run            the training run (hub.TrainingRun), so a run's snapshots are held out together
 * @param layoutName     the layout's short name (hub.LayoutName)
 * @param spectra        every layer's σ(A), σ(B), σ(s·B·A) in layout order, as float32 little-endian
 * @param layoutJson     the layout's layers as JSON [[name, rank, out, in], ...], stored once per fingerprint
 * @param answers        one per model of the file's layout; empty when no model has it (or none was given)
 */
public record ScanRecord(String path, long size, long mtime, String headerHash, String format, String family, String rank,
                         Integer layers, String dtype, Long bytes, String scaleSource, Integer declaredImages, String labelSource,
                         Double learningRate, Long trainSteps, String run, String trainGroup, ScanStatus status, String error, String layoutFingerprint, String layoutJson,
                         String layoutName, byte[] spectra, List<Answer> answers) {

    public ScanRecord {
        answers = answers == null ? List.of() : List.copyOf(answers);
    }

    /** Marks the end of the readers' results on the writer's queue; never written. */
    static final ScanRecord END = failed("", -1, 0, ScanStatus.ERROR, "end of results");

    /** A file that was not read. */
    public static ScanRecord failed(String path, long size, long mtime, ScanStatus status, String error) {
        return new ScanRecord(path, size, mtime, null, null, null, null, null, null, size < 0 ? null : size, null, null, null, null, null, null, null,
                status, error, null, null, null, null, List.of());
    }
}
