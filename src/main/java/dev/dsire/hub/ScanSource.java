package dev.dsire.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.lora.LayerShape;
import dev.dsire.lora.Layout;
import dev.dsire.lora.Recipe;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.LayerSpectrum;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A finished scan read back for fitting: a scan's SQLite database, or the Spark job's Parquet
 * output (a folder, read through DuckDB). Two passes keep memory bounded: {@link #declared()}
 * returns only the small facts of the files that state their size; {@link #spectra} then streams
 * the spectra of one layout's chosen files, which the caller keeps only while it fits that layout.
 */
public final class ScanSource implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A file whose metadata states its training-image count (no spectra). */
    public record Declared(String path, String fingerprint, String family, int images, String source, String run, long mtime) {}

    private final Path origin;
    private final Connection conn;
    private final boolean parquet;
    /** Whether the scan stores each file's stated recipe (scans made before those columns do not). */
    private final boolean recipes;
    private final Map<String, Layout> layouts = new HashMap<>();

    private ScanSource(Path origin, Connection conn, boolean parquet) {
        this.origin = origin;
        this.conn = conn;
        this.parquet = parquet;
        this.recipes = hasRecipe(conn, parquet);
    }

    /** A SQLite file, or a folder (or file) of Parquet written by the Spark job or {@code export --format parquet}. */
    public static ScanSource open(Path db) {
        if (!Files.exists(db)) {
            throw new HubException(db, "no such scan database or Parquet folder");
        }
        try {
            if (Files.isDirectory(db) || db.getFileName().toString().endsWith(".parquet")) {
                Connection c = DriverManager.getConnection("jdbc:duckdb:");
                String glob = Files.isDirectory(db) ? db.toAbsolutePath() + "/**/*.parquet" : db.toAbsolutePath().toString();
                try (Statement s = c.createStatement()) {
                    // a path may have several rows (one per model, or an older scan of a changed file): the newest is taken below
                    s.execute("CREATE VIEW scan AS SELECT * FROM read_parquet('" + glob.replace("'", "''") + "', hive_partitioning = true, union_by_name = true)");
                }
                return new ScanSource(db, c, true);
            }
            return new ScanSource(db, DriverManager.getConnection("jdbc:sqlite:file:" + db.toAbsolutePath() + "?mode=ro"), false);
        } catch (SQLException e) {
            throw new HubException(db, "not a readable scan: " + firstLine(e));
        }
    }

    private static String firstLine(Exception e) {
        return String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    }

    /** The files (read without error) that state their size, in path order; a path's newest row when it has several. */
    public List<Declared> declared() {
        String sql = parquet
                ? "SELECT path, layout_fingerprint, family, declared_images, label_source, run, mtime FROM scan "
                  + "WHERE declared_images IS NOT NULL AND spectra IS NOT NULL AND status NOT IN ('error', 'pickle') ORDER BY path, mtime DESC"
                : "SELECT path, layout, family, train_images, label_source, run, mtime FROM files "
                  + "WHERE train_images IS NOT NULL AND spectra IS NOT NULL AND status NOT IN ('error', 'pickle') ORDER BY path";
        List<Declared> out = new ArrayList<>();
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                String path = rs.getString(1);
                if (!out.isEmpty() && out.getLast().path().equals(path)) {
                    continue;
                }
                String source = rs.getString(5);
                String run = rs.getString(6);
                // a database scanned before labels had their source recorded: its counts came from ss_dataset_dirs/ss_datasets
                out.add(new Declared(path, rs.getString(2), rs.getString(3), rs.getInt(4),
                        source == null ? "ss_dataset_dirs" : source, run == null ? "file:" + path : run, rs.getLong(7)));
            }
        } catch (SQLException e) {
            throw new HubException(origin, "cannot read the declared sizes: " + firstLine(e)
                    + (parquet ? "" : " (a scan written before labels were recorded: rescan it)"));
        }
        return out;
    }

    /** Every layout the scan read a file of: fingerprint → family, in fingerprint order. */
    public Map<String, String> layouts() {
        String sql = parquet ? "SELECT layout_fingerprint, min(family) FROM scan WHERE layout_fingerprint IS NOT NULL GROUP BY 1 ORDER BY 1"
                : "SELECT layout, min(family) FROM files WHERE layout IS NOT NULL GROUP BY 1 ORDER BY 1";
        Map<String, String> out = new java.util.LinkedHashMap<>();
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        } catch (SQLException e) {
            throw new HubException(origin, "cannot read the layouts: " + firstLine(e));
        }
        return out;
    }

    /** The layout of this fingerprint, as the scan stored it. */
    public Layout layout(String fingerprint) {
        Layout known = layouts.get(fingerprint);
        if (known != null) {
            return known;
        }
        String sql = parquet ? "SELECT layout_layers FROM scan WHERE layout_fingerprint = ? LIMIT 1"
                : "SELECT layers FROM layouts WHERE fingerprint = ?";
        try (PreparedStatement p = conn.prepareStatement(sql)) {
            p.setString(1, fingerprint);
            try (ResultSet rs = p.executeQuery()) {
                if (!rs.next()) {
                    throw new HubException(origin, "layout " + fingerprint + " is not recorded");
                }
                List<LayerShape> shapes = new ArrayList<>();
                for (JsonNode l : JSON.readTree(rs.getString(1))) {
                    shapes.add(new LayerShape(l.get(0).asText(), l.get(1).asInt(), l.get(2).asInt(), l.get(3).asInt()));
                }
                Layout layout = new Layout(shapes);
                layouts.put(fingerprint, layout);
                return layout;
            }
        } catch (SQLException | IOException e) {
            throw new HubException(origin, "cannot read layout " + fingerprint + ": " + firstLine(e));
        }
    }

    /**
     * Streams the stored spectra (float32, widened to double) of the {@code wanted} files of this
     * layout, one row at a time (path → the mtime {@link #declared()} chose), each once; a row whose
     * spectra do not fit the layout is skipped and named.
     */
    public void spectra(String fingerprint, Map<String, Long> wanted, BiConsumer<String, AdapterSpectra> each,
                        java.util.function.Consumer<String> skipped) {
        Layout layout = layout(fingerprint);
        Map<String, Long> left = new HashMap<>(wanted);
        // no ORDER BY: sorting would hold the layout's spectra; the wanted (path, mtime) picks each file's row
        // the recipe each file states (scans since pooled-recipe store it; an older scan's files state none)
        String recipe = recipes ? "learning_rate, train_steps" : "NULL, NULL";
        String sql = parquet ? "SELECT path, mtime, spectra, " + recipe + " FROM scan WHERE layout_fingerprint = ? AND spectra IS NOT NULL"
                : "SELECT path, mtime, spectra, " + recipe + " FROM files WHERE layout = ? AND spectra IS NOT NULL";
        try (PreparedStatement p = conn.prepareStatement(sql)) {
            p.setString(1, fingerprint);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    String path = rs.getString(1);
                    Long mtime = left.get(path);
                    if (mtime == null || mtime != rs.getLong(2)) {
                        continue;
                    }
                    left.remove(path);
                    float[] f = parquet ? floats(rs.getArray(3)) : floats(rs.getBytes(3));
                    Recipe r = Recipe.of(rs.getObject(4) == null ? null : rs.getDouble(4), rs.getObject(5) == null ? null : rs.getLong(5));
                    AdapterSpectra s = unpack(layout, f, r);
                    if (s == null) {
                        skipped.accept(path + ": stored spectra do not match its layout");
                    } else {
                        each.accept(path, s);
                    }
                }
            }
        } catch (SQLException e) {
            throw new HubException(origin, "cannot read spectra: " + firstLine(e));
        }
    }

    /** The scan's packed σ(A), σ(B), σ(s·B·A) per layer (rank values each); null when the count is off. */
    static AdapterSpectra unpack(Layout layout, float[] f) {
        return unpack(layout, f, Recipe.UNKNOWN);
    }

    /** As {@link #unpack(Layout, float[])}, with the recipe the file stated. */
    static AdapterSpectra unpack(Layout layout, float[] f, Recipe recipe) {
        int total = 0;
        for (LayerShape l : layout.layers()) {
            total += 3 * l.rank();
        }
        if (f == null || f.length != total) {
            return null;
        }
        List<LayerSpectrum> layers = new ArrayList<>(layout.layers().size());
        int at = 0;
        for (LayerShape l : layout.layers()) {
            double[][] v = new double[3][l.rank()];
            for (double[] x : v) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = f[at++];
                }
            }
            layers.add(LayerSpectrum.of(l.name(), v[0], v[1], v[2]));
        }
        return new AdapterSpectra(layout, layers, recipe);
    }

    private static float[] floats(byte[] packed) {
        if (packed == null) {
            return null;
        }
        float[] f = new float[packed.length / 4];
        ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    private static float[] floats(Array a) throws SQLException {
        if (a == null) {
            return null;
        }
        Object[] o = (Object[]) a.getArray();
        float[] f = new float[o.length];
        for (int i = 0; i < o.length; i++) {
            f[i] = ((Number) o[i]).floatValue();
        }
        return f;
    }

    @Override
    public void close() {
        try {
            conn.close();
        } catch (SQLException e) {
            // read-only: nothing to save
        }
    }

    private static boolean hasRecipe(Connection conn, boolean parquet) {
        try (Statement s = conn.createStatement()) {
            s.executeQuery("SELECT learning_rate, train_steps FROM " + (parquet ? "scan" : "files") + " LIMIT 0").close();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }
}
