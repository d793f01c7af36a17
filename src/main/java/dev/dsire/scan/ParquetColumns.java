package dev.dsire.scan;

import java.util.List;

/**
 * The one schema of a scan's rows (docs/schema.md): the same names and types in the scan's JSON
 * lines, CSV/JSONL/Parquet exports and the Spark job's Parquet. Kept free of Spark. status and
 * family come last: the Spark job partitions by them, and partition columns are read back last.
 * The Parquet-only columns carry what {@code fit --from-scan} needs (spectra and layout).
 */
public final class ParquetColumns {
    /** A column's logical type: JSON string, integer, number, boolean, [int, int], {"size": number}, [float...]. */
    public enum Type { STRING, INT, LONG, DOUBLE, BOOLEAN, INT_ARRAY, DOUBLE_MAP, INT_MAP, FLOAT_ARRAY }

    public record Column(String name, Type type, boolean parquetOnly) {
        Column(String name, Type type) {
            this(name, type, false);
        }
    }

    public static final List<Column> ALL = List.of(
            new Column("path", Type.STRING),
            new Column("model", Type.STRING),
            new Column("layout", Type.STRING),
            new Column("prediction", Type.INT),
            new Column("estimate", Type.DOUBLE),
            new Column("interval80", Type.INT_ARRAY),
            new Column("probabilities", Type.DOUBLE_MAP),
            new Column("votes", Type.INT_MAP),
            new Column("reason", Type.STRING),
            new Column("declared_images", Type.INT),
            new Column("agrees", Type.BOOLEAN),
            new Column("learning_rate", Type.DOUBLE),
            new Column("train_steps", Type.LONG),
            new Column("label_source", Type.STRING),
            new Column("run", Type.STRING),
            new Column("error", Type.STRING),
            new Column("format", Type.STRING),
            new Column("rank", Type.INT),
            new Column("layers", Type.INT),
            new Column("dtype", Type.STRING),
            new Column("bytes", Type.LONG),
            new Column("scale_source", Type.STRING),
            new Column("train_group", Type.STRING),
            new Column("header_sha256", Type.STRING),
            new Column("size", Type.LONG),
            new Column("mtime", Type.LONG),
            new Column("model_set", Type.STRING),
            new Column("layout_fingerprint", Type.STRING),
            new Column("layout_layers", Type.STRING, true),
            new Column("spectra", Type.FLOAT_ARRAY, true),
            new Column("status", Type.STRING),
            new Column("family", Type.STRING));

    /** The columns of CSV and JSON lines: all but the Parquet-only ones, in the same order. */
    public static final List<Column> ROW = ALL.stream().filter(c -> !c.parquetOnly()).toList();

    /** The columns the job writes into directory names. */
    public static final List<String> PARTITIONS = List.of("status", "family");

    private ParquetColumns() {}
}
