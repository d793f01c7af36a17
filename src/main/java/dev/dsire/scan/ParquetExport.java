package dev.dsire.scan;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes a scan database as one Parquet file with the Spark job's columns ({@link ParquetColumns}),
 * so one notebook reads both. DuckDB (in process, no Hadoop) writes the Parquet.
 */
public final class ParquetExport {
    /** Rows per insert batch: bounds memory, not speed. */
    private static final int BATCH = 256;

    private ParquetExport() {}

    /** @return rows written */
    public static long write(ScanDb db, Path out) throws SQLException {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        long n;
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
            try (Statement s = duck.createStatement()) {
                s.execute("SET preserve_insertion_order = true");
                s.execute("CREATE TABLE scan (" + ParquetColumns.ALL.stream().map(c -> c.name() + " " + sqlType(c.type()))
                        .collect(Collectors.joining(", ")) + ")");
            }
            String marks = ParquetColumns.ALL.stream().map(c -> switch (c.type()) {
                // a size map is bound as its keys and its values; NULL keys make a NULL map
                case DOUBLE_MAP, INT_MAP -> "CASE WHEN ?::VARCHAR[] IS NULL THEN NULL ELSE MAP(?::VARCHAR[], ?::" + sqlType(c.type())
                        .replace("MAP(VARCHAR, ", "").replace(")", "") + "[]) END";
                default -> "?";
            }).collect(Collectors.joining(","));
            try (PreparedStatement insert = duck.prepareStatement("INSERT INTO scan VALUES (" + marks + ")")) {
                long[] count = {0};
                db.forEachScanRow(true, row -> {
                    try {
                        bind(duck, insert, row);
                        insert.addBatch();
                        if (++count[0] % BATCH == 0) {
                            insert.executeBatch();
                        }
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                insert.executeBatch();
                n = count[0];
            }
            try (Statement s = duck.createStatement()) {
                s.execute("COPY scan TO '" + tmp.toAbsolutePath().toString().replace("'", "''") + "' (FORMAT PARQUET)");
            }
        }
        try {
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new SQLException("cannot move " + tmp + " to " + out + ": " + e.getMessage(), e);
        }
        return n;
    }

    private static void bind(Connection duck, PreparedStatement p, ScanRow row) throws SQLException {
        int at = 1;
        for (ParquetColumns.Column c : ParquetColumns.ALL) {
            Object v = row.get(c.name());
            switch (c.type()) {
                case STRING -> p.setString(at++, (String) v);
                case INT -> p.setObject(at++, v, Types.INTEGER);
                case LONG -> p.setObject(at++, v, Types.BIGINT);
                case DOUBLE -> p.setObject(at++, v, Types.DOUBLE);
                case BOOLEAN -> p.setObject(at++, v, Types.BOOLEAN);
                case INT_ARRAY -> p.setObject(at++, v == null ? null : duck.createArrayOf("INTEGER", ((List<?>) v).toArray()));
                case FLOAT_ARRAY -> p.setObject(at++, v == null ? null : duck.createArrayOf("FLOAT", boxed((float[]) v)));
                case DOUBLE_MAP, INT_MAP -> {
                    Map<?, ?> m = (Map<?, ?>) v;
                    Object keys = m == null ? null : duck.createArrayOf("VARCHAR", m.keySet().toArray());
                    p.setObject(at++, keys);
                    p.setObject(at++, keys);
                    p.setObject(at++, m == null ? null : duck.createArrayOf(c.type() == ParquetColumns.Type.INT_MAP ? "INTEGER" : "DOUBLE",
                            m.values().toArray()));
                }
            }
        }
    }

    private static Float[] boxed(float[] f) {
        Float[] b = new Float[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = f[i];
        }
        return b;
    }

    static String sqlType(ParquetColumns.Type t) {
        return switch (t) {
            case STRING -> "VARCHAR";
            case INT -> "INTEGER";
            case LONG -> "BIGINT";
            case DOUBLE -> "DOUBLE";
            case BOOLEAN -> "BOOLEAN";
            case INT_ARRAY -> "INTEGER[]";
            case DOUBLE_MAP -> "MAP(VARCHAR, DOUBLE)";
            case INT_MAP -> "MAP(VARCHAR, INTEGER)";
            case FLOAT_ARRAY -> "FLOAT[]";
        };
    }
}
