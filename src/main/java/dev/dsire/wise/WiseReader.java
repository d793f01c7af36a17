package dev.dsire.wise;

import dev.dsire.lora.TensorRole;
import dev.dsire.safetensors.FileKind;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
 *
 * <p>A path means that one file: it is bound as a parameter with DuckDB's glob characters escaped
 * ({@code a*.parquet} is not a pattern) and Hive partitioning is off (a folder {@code label=7/}
 * labels nothing). What a row costs is known before its values are fetched: list lengths come
 * first, a row holding more than {@link #MAX_ROW_VALUES} values in one query is refused in one
 * line, and rows are fetched in windows of at most {@link #MAX_QUERY_VALUES} values, since the
 * driver turns a whole chunk of rows into Java arrays at once.
 */
public final class WiseReader implements AutoCloseable {

    /** Where rows and row errors go, in file order. */
    public interface Sink {
        void row(WiseRow row);

        void error(WiseException e);
    }

    /** List values one row may hold in one query: 64 MiB of float64, far above any LoRA-WiSE layer slice. */
    public static final long MAX_ROW_VALUES = 1L << 23;
    /** List values fetched by one query: the driver materialises up to 2,048 rows of them at once. */
    static final long MAX_QUERY_VALUES = 1L << 23;

    private final Connection db;
    private final long queryValues;

    public WiseReader() {
        this(MAX_QUERY_VALUES);
    }

    /** With another bound on the values one query fetches (tests make windows with a small one). */
    WiseReader(long queryValues) {
        this.queryValues = queryValues;
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
        try (PreparedStatement s = prepare("SELECT num_rows FROM parquet_file_metadata(?)", file); ResultSet rs = s.executeQuery()) {
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
        try (PreparedStatement s = prepare("SELECT path_in_schema, max(num_values) FROM parquet_metadata(?) GROUP BY path_in_schema", file);
             ResultSet rs = s.executeQuery()) {
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

    /**
     * Streams every row of the file, with the given tensor columns (down/up pairs), to the sink.
     * Lengths are read first: a row over {@link #MAX_ROW_VALUES} goes to error unread, and the
     * others are fetched in windows of consecutive rows of at most {@link #MAX_QUERY_VALUES} values.
     */
    public void read(Path file, int rank, List<String> tensors, Sink sink) {
        if (rank < 1) {
            throw new IllegalArgumentException("--rank must be positive");
        }
        List<long[]> windows = new ArrayList<>(); // [first row, end row) each
        long rows = 0;
        StringBuilder total = new StringBuilder("0");
        for (String c : tensors) {
            total.append(" + coalesce(len(").append(identifier(c)).append("), 0)");
        }
        long[] open = null;
        long values = 0;
        try (PreparedStatement s = prepare("SELECT file_row_number, " + total + " FROM " + SCAN, file);
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                long row = rs.getLong(1), n = rs.getLong(2);
                rows++;
                if (n > MAX_ROW_VALUES) {
                    sink.error(tooLarge(file, row, n));
                    open = null;
                    continue;
                }
                if (open == null || values + n > queryValues || open[1] != row) {
                    windows.add(open = new long[] {row, row + 1});
                    values = 0;
                }
                open[1] = row + 1;
                values += n;
            }
        } catch (SQLException e) {
            throw new WiseException(file, "cannot read: " + firstLine(e));
        }
        StringBuilder sql = new StringBuilder("SELECT label, name");
        for (String c : tensors) {
            sql.append(", ").append(identifier(c));
        }
        sql.append(", file_row_number FROM ").append(SCAN);
        boolean whole = windows.size() == 1 && windows.getFirst()[0] == 0 && windows.getFirst()[1] == rows;
        for (long[] w : windows) {
            // no ORDER BY: a sort would hold every row's lists at once; a scan keeps the file's order
            String query = whole ? sql.toString() : sql + " WHERE file_row_number >= " + w[0] + " AND file_row_number < " + w[1];
            long last = -1;
            try (PreparedStatement s = prepare(query, file); ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    long row = rs.getLong(tensors.size() + 3);
                    last = row;
                    try {
                        sink.row(row(file, row, rank, tensors, rs));
                    } catch (WiseException e) {
                        sink.error(e);
                    }
                }
            } catch (SQLException e) { // the file's error: its rows read so far are not to be trusted either
                long at = last < 0 ? w[0] : last + 1;
                throw new WiseException(file, "cannot read" + (at == 0 ? "" : " (at row " + at + ")") + ": " + firstLine(e));
            }
        }
    }

    private static WiseException tooLarge(Path file, long row, long values) {
        return new WiseException(file, row, "holds " + values + " list values in one slice of layers, more than the " + MAX_ROW_VALUES
                + " a row may (" + (MAX_ROW_VALUES * 8 >> 20) + " MiB of float64); not read");
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
        sql.append(", file_row_number FROM ").append(SCAN);
        long index = 0;
        try (PreparedStatement s = prepare(sql.toString(), file); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                long row = rs.getLong(tensors.size() + 3);
                index = row + 1;
                try {
                    int size = size(file, row, rs);
                    String group = group(file, row, rs);
                    long[] lengths = new long[tensors.size()];
                    long sum = 0;
                    for (int i = 0; i < lengths.length; i++) {
                        lengths[i] = rs.getLong(i + 3);
                        if (rs.wasNull()) {
                            throw new WiseException(file, row, tensors.get(i) + " is null");
                        }
                        if (lengths[i] == 0 || lengths[i] % rank != 0) {
                            throw new WiseException(file, row, tensors.get(i) + " has " + lengths[i] + " values, not a positive multiple of rank " + rank);
                        }
                        sum += lengths[i];
                    }
                    if (sum > MAX_ROW_VALUES) {
                        throw tooLarge(file, row, sum);
                    }
                    sink.row(row, size, group, lengths);
                } catch (WiseException e) {
                    sink.error(e);
                }
            }
        } catch (SQLException e) {
            throw new WiseException(file, "cannot read" + (index == 0 ? "" : " (at row " + index + ")") + ": " + firstLine(e));
        }
    }

    /** The tensor columns, down and up of each layer side by side, in layer order; the file's layout errors throw. */
    private List<String> tensorColumns(Path file) {
        requireFile(file);
        Map<String, String> types = new LinkedHashMap<>();
        try (PreparedStatement s = prepare("DESCRIBE SELECT * FROM " + SCAN, file); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                types.put(rs.getString("column_name"), rs.getString("column_type"));
            }
        } catch (SQLException e) {
            throw new WiseException(file, "not a readable Parquet file: " + firstLine(e));
        }
        // DuckDB renames a repeated column (label, label_1): the file's own names say which repeat
        Map<String, Integer> named = new java.util.HashMap<>();
        try (PreparedStatement s = prepare("SELECT lower(name), count(*) FROM parquet_schema(?) GROUP BY lower(name) HAVING count(*) > 1", file);
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                named.put(rs.getString(1), rs.getInt(2));
            }
        } catch (SQLException e) {
            throw new WiseException(file, "not a readable Parquet file: " + firstLine(e));
        }
        for (String c : types.keySet()) {
            Integer n = named.get(c.toLowerCase(java.util.Locale.ROOT));
            if (n != null && (c.equals("label") || c.equals("name") || TensorRole.of(c).isPresent())) {
                throw new WiseException(file, n + " columns are named '" + c + "': which one holds the " + (c.equals("label") ? "label" : c.equals("name") ? "name" : "tensor") + " is not clear");
            }
        }
        String label = types.get("label"), name = types.get("name");
        for (String required : List.of("label", "name")) {
            if (types.get(required) == null) {
                throw new WiseException(file, "no '" + required + "' column: not in the LoRA-WiSE schema (label, name, unet.<module>.lora.down/up.weight)");
            }
        }
        if (!label.matches(INTEGER)) {
            throw new WiseException(file, "column 'label' is " + label + ", not an integer");
        }
        if (!name.matches(INTEGER) && !name.equals("VARCHAR")) {
            throw new WiseException(file, "column 'name' is " + name + ", not an integer or a string");
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
        String label = rs.getString(1); // as text: a UBIGINT or HUGEINT does not fit a long
        if (label == null) {
            throw new WiseException(file, index, "label is null");
        }
        BigInteger n = new BigInteger(label.strip());
        if (n.signum() < 1 || n.bitLength() > 31) {
            throw new WiseException(file, index, "label " + label + " is not a positive number of images (at most " + Integer.MAX_VALUE + ")");
        }
        return n.intValue();
    }

    /** The micro-dataset: an integer (any width, as its decimal digits) or a string, as the dataset card leaves open. */
    private static String group(Path file, long index, ResultSet rs) throws SQLException {
        String name = rs.getString(2);
        if (name == null) {
            throw new WiseException(file, index, "name (the micro-dataset) is null");
        }
        return name;
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
        String why = FileKind.notRegular(file);
        if (why != null) {
            throw new WiseException(file, why);
        }
        if (!Files.isRegularFile(file)) {
            throw new WiseException(file, Files.exists(file) ? "not a regular file" : "no such file");
        }
    }

    /** Integer column types, signed and unsigned, of any width. */
    private static final String INTEGER = "(BIG|SMALL|TINY|U)?INT(EGER)?|HUGEINT|UHUGEINT|UBIGINT|USMALLINT|UTINYINT";

    /** The one file, its row numbers, no partition columns guessed from its folders. */
    private static final String SCAN = "read_parquet(?, hive_partitioning = false, file_row_number = true)";

    /** A statement with every ? bound to the file's path as DuckDB must be given it. */
    private PreparedStatement prepare(String sql, Path file) throws SQLException {
        PreparedStatement s = db.prepareStatement(sql);
        try {
            s.setString(1, globLiteral(file));
            return s;
        } catch (SQLException e) {
            s.close();
            throw e;
        }
    }

    /**
     * The absolute path with DuckDB's glob characters made literal: each of * ? [ becomes a
     * one-character class ([*] [?] [[]), so the pattern matches that file and no other.
     */
    static String globLiteral(Path file) {
        String p = file.toAbsolutePath().toString();
        StringBuilder out = new StringBuilder(p.length() + 8);
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '*' || c == '?' || c == '[') {
                out.append('[').append(c).append(']');
            } else {
                out.append(c);
            }
        }
        return out.toString();
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
