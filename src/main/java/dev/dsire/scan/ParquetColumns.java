package dev.dsire.scan;

import java.util.List;

/**
 * The Parquet schema of a scan, shared by the Spark job and {@code dsire export --format parquet}
 * (so it lives here, free of Spark). status and family come last: the job partitions by them, and
 * partition columns are read back last.
 */
public final class ParquetColumns {
    /** A column's logical type. */
    public enum Type { STRING, INT, LONG, FLOAT_ARRAY }

    public record Column(String name, Type type) {}

    public static final List<Column> ALL = List.of(
            new Column("path", Type.STRING),
            new Column("size", Type.LONG),
            new Column("mtime", Type.LONG),
            new Column("header_sha256", Type.STRING),
            new Column("format", Type.STRING),
            new Column("rank", Type.STRING),
            new Column("layers", Type.INT),
            new Column("dtype", Type.STRING),
            new Column("bytes", Type.LONG),
            new Column("train_images", Type.INT),
            new Column("train_group", Type.STRING),
            new Column("reason", Type.STRING),
            new Column("layout_fingerprint", Type.STRING),
            new Column("layout", Type.STRING),
            new Column("prediction", Type.INT),
            new Column("votes", Type.STRING),
            new Column("answer", Type.STRING),
            new Column("probabilities", Type.STRING),
            new Column("spectra", Type.FLOAT_ARRAY),
            new Column("model", Type.STRING),
            new Column("status", Type.STRING),
            new Column("family", Type.STRING));

    /** The columns the job writes into directory names. */
    public static final List<String> PARTITIONS = List.of("status", "family");

    private ParquetColumns() {}
}
