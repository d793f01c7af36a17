package dev.dsire.scan;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Collections;
import java.util.List;
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
            String marks = String.join(",", Collections.nCopies(ParquetColumns.ALL.size(), "?"));
            try (PreparedStatement insert = duck.prepareStatement("INSERT INTO scan VALUES (" + marks + ")")) {
                long[] count = {0};
                db.forEachRow(selectList(), rs -> {
                    try {
                        bind(duck, insert, rs);
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

    /** The database's columns under the Parquet names, in Parquet order. */
    private static String selectList() {
        return ParquetColumns.ALL.stream().map(c -> switch (c.name()) {
            case "reason" -> "error";
            case "layout_fingerprint" -> "layout";
            case "layout" -> "(SELECT l.layers FROM layouts l WHERE l.fingerprint = files.layout)";
            default -> c.name();
        }).collect(Collectors.joining(", "));
    }

    private static void bind(Connection duck, PreparedStatement p, ResultSet rs) throws SQLException {
        List<ParquetColumns.Column> cols = ParquetColumns.ALL;
        for (int i = 0; i < cols.size(); i++) {
            int at = i + 1;
            if (rs.getObject(at) == null) {
                p.setNull(at, switch (cols.get(i).type()) {
                    case STRING -> Types.VARCHAR;
                    case INT -> Types.INTEGER;
                    case LONG -> Types.BIGINT;
                    case FLOAT_ARRAY -> Types.ARRAY;
                });
                continue;
            }
            switch (cols.get(i).type()) {
                case STRING -> p.setString(at, rs.getString(at));
                case INT -> p.setInt(at, rs.getInt(at));
                case LONG -> p.setLong(at, rs.getLong(at));
                case FLOAT_ARRAY -> p.setArray(at, duck.createArrayOf("FLOAT", floats(rs.getBytes(at))));
            }
        }
    }

    private static Float[] floats(byte[] packed) {
        var b = ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        Float[] f = new Float[b.remaining()];
        for (int i = 0; i < f.length; i++) {
            f[i] = b.get(i);
        }
        return f;
    }

    private static String sqlType(ParquetColumns.Type t) {
        return switch (t) {
            case STRING -> "VARCHAR";
            case INT -> "INTEGER";
            case LONG -> "BIGINT";
            case FLOAT_ARRAY -> "FLOAT[]";
        };
    }
}
