package dev.dsire.wise;

import dev.dsire.lora.TensorRole;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.duckdb.DuckDBDriver;

/**
 * Reads LoRA-WiSE Parquet files row by row through DuckDB: columns {@code label} and {@code name}
 * (integers) and one LIST&lt;DOUBLE&gt; column per factor, named like {@code unet.<module>.lora.down.weight}.
 * Results stream a chunk at a time, so memory holds one row group, never a whole file or dataset.
 * A file that cannot be read at all throws; a row that is bad goes to the sink as its own error.
 */
public final class WiseReader implements AutoCloseable {

    /** Where rows and row errors go, in file order. */
    public interface Sink {
        void row(WiseRow row);

        void error(WiseException e);
    }

    private final Connection db;

    public WiseReader() {
        Properties p = new Properties();
        p.setProperty("jdbc_stream_results", "true"); // otherwise the driver materialises the whole result first
        try {
            db = new DuckDBDriver().connect("jdbc:duckdb:", p); // not DriverManager: the shaded jar keeps one java.sql.Driver service file
        } catch (SQLException e) {
            throw new IllegalStateException("cannot start DuckDB: " + e.getMessage(), e);
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("DuckDB's native library does not load on this platform (this build carries Linux x86-64 only): " + e.getMessage(), e);
        }
    }

    /** Rows in the file, from its footer alone. */
    public long rowCount(Path file) {
        requireFile(file);
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT num_rows FROM parquet_file_metadata(" + literal(file) + ")")) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (SQLException e) {
            throw new WiseException(file, "not a readable Parquet file: " + firstLine(e));
        }
    }

    /**
     * A file's tensor columns (down and up of each layer side by side, in canonical layer order) and
     * the same cut into slices of whole layers whose values, read together, stay near sliceBytes
     * per row group: the driver materialises a whole row group of the selected columns at once.
     */
    public record Plan(Path file, List<String> columns, List<List<String>> slices) {}

    /** Checks the file's schema (a bad one throws) and plans slices of about sliceBytes. */
    public Plan plan(Path file, long sliceBytes) {
        List<String> columns = tensorColumns(file);
        Map<String, Long> values = new LinkedHashMap<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT path_in_schema, max(num_values) FROM parquet_metadata(" + literal(file) + ") GROUP BY path_in_schema")) {
            while (rs.next()) {
                String path = rs.getString(1);
                int comma = path.indexOf(", ");
                values.merge(comma < 0 ? path : path.substring(0, comma), rs.getLong(2), Math::max);
            }
        } catch (SQLException e) {
            throw new WiseException(file, "not a readable Parquet file: " + firstLine(e));
        }
        List<List<String>> slices = new ArrayList<>();
        List<String> current = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < columns.size(); i += 2) {
            long pair = 9 * (values.getOrDefault(columns.get(i), 0L) + values.getOrDefault(columns.get(i + 1), 0L)); // a double and a null flag each
            if (!current.isEmpty() && bytes + pair > sliceBytes) {
                slices.add(List.copyOf(current));
                current.clear();
                bytes = 0;
            }
            current.add(columns.get(i));
            current.add(columns.get(i + 1));
            bytes += pair;
        }
        slices.add(List.copyOf(current));
        return new Plan(file, columns, List.copyOf(slices));
    }

    /** Streams every row of the file, with the given tensor columns (down/up pairs), to the sink. */
    public void read(Path file, int rank, List<String> tensors, Sink sink) {
        if (rank < 1) {
            throw new IllegalArgumentException("--rank must be positive");
        }
        StringBuilder sql = new StringBuilder("SELECT label, name");
        for (String c : tensors) {
            sql.append(", ").append(identifier(c));
        }
        sql.append(" FROM read_parquet(").append(literal(file)).append(")");
        long index = 0;
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql.toString())) {
            while (rs.next()) {
                long row = index++;
                try {
                    sink.row(row(file, row, rank, tensors, rs));
                } catch (WiseException e) {
                    sink.error(e);
                }
            }
        } catch (SQLException e) {
            throw index == 0 ? new WiseException(file, "cannot read: " + firstLine(e)) : new WiseException(file, index, "cannot read: " + firstLine(e));
        }
    }

    /** A row's labels and its lists' lengths, for laying out files before any value is read. */
    public interface LengthSink {
        void row(long index, int size, String group, long[] lengths);

        void error(WiseException e);
    }

    /**
     * Streams each row's label, name and list lengths for the given columns; rows with a null,
     * a bad label or a length that is not a positive multiple of the rank go to error.
     */
    public void lengths(Path file, int rank, List<String> tensors, LengthSink sink) {
        StringBuilder sql = new StringBuilder("SELECT label, name");
        for (String c : tensors) {
            sql.append(", len(").append(identifier(c)).append(")");
        }
        sql.append(" FROM read_parquet(").append(literal(file)).append(")");
        long index = 0;
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql.toString())) {
            while (rs.next()) {
                long row = index++;
                try {
                    int size = size(file, row, rs);
                    String group = group(file, row, rs);
                    long[] lengths = new long[tensors.size()];
                    for (int i = 0; i < lengths.length; i++) {
                        lengths[i] = rs.getLong(i + 3);
                        if (rs.wasNull()) {
                            throw new WiseException(file, row, tensors.get(i) + " is null");
                        }
                        if (lengths[i] == 0 || lengths[i] % rank != 0) {
                            throw new WiseException(file, row, tensors.get(i) + " has " + lengths[i] + " values, not a positive multiple of rank " + rank);
                        }
                    }
                    sink.row(row, size, group, lengths);
                } catch (WiseException e) {
                    sink.error(e);
                }
            }
        } catch (SQLException e) {
            throw index == 0 ? new WiseException(file, "cannot read: " + firstLine(e)) : new WiseException(file, index, "cannot read: " + firstLine(e));
        }
    }

    /** The tensor columns, down and up of each layer side by side, in layer order; the file's layout errors throw. */
    private List<String> tensorColumns(Path file) {
        requireFile(file);
        Map<String, String> types = new LinkedHashMap<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("DESCRIBE SELECT * FROM read_parquet(" + literal(file) + ")")) {
            while (rs.next()) {
                types.put(rs.getString("column_name"), rs.getString("column_type"));
            }
        } catch (SQLException e) {
            throw new WiseException(file, "not a readable Parquet file: " + firstLine(e));
        }
        for (String required : List.of("label", "name")) {
            String t = types.get(required);
            if (t == null) {
                throw new WiseException(file, "no '" + required + "' column: not in the LoRA-WiSE schema (label, name, unet.<module>.lora.down/up.weight)");
            }
            if (!t.matches("(BIG|SMALL|TINY|U)?INT(EGER)?|HUGEINT|UBIGINT|USMALLINT|UTINYINT")) {
                throw new WiseException(file, "column '" + required + "' is " + t + ", not an integer");
            }
        }
        Map<String, String[]> layers = new TreeMap<>();
        for (Map.Entry<String, String> c : types.entrySet()) {
            var role = TensorRole.of(c.getKey());
            if (role.isEmpty() || role.get().part() == TensorRole.Part.ALPHA) {
                continue;
            }
            if (!c.getValue().equals("DOUBLE[]") && !c.getValue().equals("FLOAT[]")) {
                throw new WiseException(file, "column '" + c.getKey() + "' is " + c.getValue() + ", not a list of float64");
            }
            String[] pair = layers.computeIfAbsent(role.get().layer(), k -> new String[2]);
            pair[role.get().part() == TensorRole.Part.DOWN ? 0 : 1] = c.getKey();
        }
        if (layers.isEmpty()) {
            throw new WiseException(file, "no LoRA columns (none named like unet.<module>.lora.down.weight / .lora.up.weight)");
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String[]> l : layers.entrySet()) {
            String[] p = l.getValue();
            if (p[0] == null || p[1] == null) {
                throw new WiseException(file, "column '" + (p[0] == null ? p[1] : p[0]) + "' has no " + (p[0] == null ? "down" : "up") + " partner");
            }
            out.add(p[0]);
            out.add(p[1]);
        }
        return out;
    }

    private static WiseRow row(Path file, long index, int rank, List<String> tensors, ResultSet rs) throws SQLException {
        int size = size(file, index, rs);
        String group = group(file, index, rs);
        List<WiseRow.Tensor> out = new ArrayList<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            String column = tensors.get(i);
            double[] values = values(file, index, column, rs.getArray(i + 3));
            if (values.length == 0 || values.length % rank != 0) {
                throw new WiseException(file, index, column + " has " + values.length + " values, not a positive multiple of rank " + rank);
            }
            long other = values.length / rank;
            boolean down = (i % 2) == 0;
            out.add(new WiseRow.Tensor(column, down ? new long[] {rank, other} : new long[] {other, rank}, values));
        }
        return new WiseRow(file, index, size, group, out);
    }

    private static int size(Path file, long index, ResultSet rs) throws SQLException {
        long label = rs.getLong(1);
        if (rs.wasNull()) {
            throw new WiseException(file, index, "label is null");
        }
        if (label < 1 || label > Integer.MAX_VALUE) {
            throw new WiseException(file, index, "label " + label + " is not a positive number of images");
        }
        return (int) label;
    }

    private static String group(Path file, long index, ResultSet rs) throws SQLException {
        long name = rs.getLong(2);
        if (rs.wasNull()) {
            throw new WiseException(file, index, "name (the micro-dataset) is null");
        }
        return Long.toString(name);
    }

    private static double[] values(Path file, long index, String column, Array list) throws SQLException {
        if (list == null) {
            throw new WiseException(file, index, column + " is null");
        }
        try (ResultSet e = list.getResultSet()) {
            double[] v = new double[64];
            int n = 0;
            while (e.next()) {
                double x = e.getDouble(2);
                if (e.wasNull()) {
                    throw new WiseException(file, index, column + " holds a null at " + n);
                }
                if (!Double.isFinite(x)) {
                    throw new WiseException(file, index, column + " holds " + x + " at " + n);
                }
                if (n == v.length) {
                    v = java.util.Arrays.copyOf(v, v.length * 2);
                }
                v[n++] = x;
            }
            return n == v.length ? v : java.util.Arrays.copyOf(v, n);
        } finally {
            list.free();
        }
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new WiseException(file, Files.exists(file) ? "not a regular file" : "no such file");
        }
    }

    private static String literal(Path file) {
        return "'" + file.toAbsolutePath().toString().replace("'", "''") + "'";
    }

    private static String identifier(String column) {
        return "\"" + column.replace("\"", "\"\"") + "\"";
    }

    /** DuckDB's messages run over several lines; errors here are one line. */
    private static String firstLine(SQLException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce((a, b) -> a + " " + b).orElse(m);
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException e) {
            // closing an in-memory database loses nothing
        }
    }
}
