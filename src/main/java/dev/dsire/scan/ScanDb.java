package dev.dsire.scan;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.List;
import java.util.function.Consumer;

/**
 * The scan's SQLite database: one row per file keyed by path, so reruns replace rather than
 * duplicate, and each batch is one transaction, so a killed scan loses at most its last batch.
 * WAL mode lets the walker look rows up while the writer commits. An existing database is checked
 * ({@code PRAGMA quick_check}) when a process first opens it: damaged pages once exported garbled
 * and duplicated rows with exit 0. Export opens it read-only, so it works on a read-only filesystem.
 */
public final class ScanDb implements AutoCloseable {
    static final String COLUMNS = "path, size, mtime, header_sha256, format, family, rank, layers, dtype, bytes, train_images, "
            + "train_group, status, error, layout, spectra, prediction, votes, model, answer, probabilities, scale_source, label_source, run, "
            + "layout_name, learning_rate, train_steps";

    private static final String LAYOUTS = "fingerprint TEXT PRIMARY KEY, layers TEXT NOT NULL";
    private static final String ANSWERS = "path TEXT NOT NULL, model TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, "
            + "prediction INTEGER, estimate REAL, interval80 TEXT, probabilities TEXT, votes TEXT, PRIMARY KEY (path, model)";

    private final Connection conn;
    private final PreparedStatement upsert;
    private final PreparedStatement layout;
    private final PreparedStatement stamp;
    private final PreparedStatement forget;
    private final PreparedStatement answer;
    /** Opened for export: no statement writes, and there is nothing to commit. */
    private final boolean readOnly;
    /** Databases this process has checked (the scan opens a second connection for its walker). */
    private static final java.util.Set<String> CHECKED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private ScanDb(Connection conn, boolean readOnly) throws SQLException {
        this.conn = conn;
        this.readOnly = readOnly;
        if (readOnly) {
            upsert = layout = stamp = forget = answer = null;
            conn.setAutoCommit(false);
            return;
        }
        try (Statement s = conn.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=NORMAL");
            s.execute("PRAGMA busy_timeout=10000");
            s.execute("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, header_sha256 TEXT, "
                    + "format TEXT, family TEXT, rank TEXT, layers INTEGER, dtype TEXT, bytes INTEGER, train_images INTEGER, "
                    + "train_group TEXT, status TEXT NOT NULL, error TEXT, layout TEXT, spectra BLOB, prediction INTEGER, votes TEXT, model TEXT, "
                    + "answer TEXT, probabilities TEXT)");
            addMissingColumns(s);
            s.execute("CREATE TABLE IF NOT EXISTS layouts (" + LAYOUTS + ")");
            // one row per (file, model): every model of a file's layout answers
            s.execute("CREATE TABLE IF NOT EXISTS answers (" + ANSWERS + ")");
        }
        conn.setAutoCommit(false);
        upsert = conn.prepareStatement("INSERT OR REPLACE INTO files (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        forget = conn.prepareStatement("DELETE FROM answers WHERE path = ?");
        answer = conn.prepareStatement("INSERT INTO answers (path, model, status, reason, prediction, estimate, interval80, probabilities, votes) "
                + "VALUES (?,?,?,?,?,?,?,?,?)");
        layout = conn.prepareStatement("INSERT OR IGNORE INTO layouts (fingerprint, layers) VALUES (?, ?)");
        stamp = conn.prepareStatement("SELECT size, mtime, model, status, layout_name FROM files WHERE path = ?");
        conn.commit();
    }

    /** A database written before the prediction's status and probabilities were columns gets them (null). */
    private static void addMissingColumns(Statement s) throws SQLException {
        java.util.Set<String> have = new java.util.HashSet<>();
        try (ResultSet rs = s.executeQuery("PRAGMA table_info(files)")) {
            while (rs.next()) {
                have.add(rs.getString("name"));
            }
        }
        for (String c : new String[] {"answer", "probabilities", "scale_source", "label_source", "run", "layout_name"}) {
            if (!have.contains(c)) {
                s.execute("ALTER TABLE files ADD COLUMN " + c + " TEXT");
            }
        }
        if (!have.contains("learning_rate")) { // the recipe a file states (pooled-recipe reads it in fit --from-scan)
            s.execute("ALTER TABLE files ADD COLUMN learning_rate REAL");
        }
        if (!have.contains("train_steps")) {
            s.execute("ALTER TABLE files ADD COLUMN train_steps INTEGER");
        }
    }

    public static ScanDb open(Path file) {
        SqliteLibrary.prepare();
        boolean existing = Files.isRegularFile(file) && size(file) > 0;
        Connection c = null;
        try {
            c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            if (existing) {
                check(file, c);
            }
            return new ScanDb(c, false);
        } catch (SQLException e) {
            close(c);
            throw corruptOr(file, e);
        } catch (RuntimeException e) {
            close(c);
            throw e;
        }
    }

    /**
     * An existing database for reading only (export): no statement writes, so its schema stays as it
     * was and SQLite removes its WAL files at close, as after a scan. On a read-only filesystem,
     * where SQLite cannot make the WAL's shared-memory file, it is opened immutable, which is safe
     * only while no write-ahead log holds rows not yet in the file.
     */
    public static ScanDb openReadOnly(Path file) {
        SqliteLibrary.prepare();
        Connection c = null;
        try {
            try {
                c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
                columns(c); // reads the schema: fails here, not mid-export, where the file cannot be opened
            } catch (SQLException e) {
                close(c);
                Path wal = file.resolveSibling(file.getFileName() + "-wal");
                if (Files.isRegularFile(wal) && size(wal) > 0) {
                    throw e;
                }
                c = DriverManager.getConnection("jdbc:sqlite:" + uri(file) + "?immutable=1");
            }
            check(file, c);
            java.util.Set<String> have = columns(c);
            // an older database lacks later columns and tables: temporary ones (the one thing a
            // read-only connection may create) show them as null and empty, as the writer would add them
            List<String> missing = java.util.Arrays.stream(COLUMNS.split(",")).map(String::strip).filter(k -> !have.contains(k)).toList();
            try (Statement s = c.createStatement()) {
                if (!missing.isEmpty()) {
                    s.execute("CREATE TEMP VIEW files AS SELECT *, " + String.join(", ", missing.stream().map(k -> "NULL AS " + k).toList()) + " FROM main.files");
                }
                if (!hasTable(s, "answers")) {
                    s.execute("CREATE TEMP TABLE answers (" + ANSWERS + ")");
                }
                if (!hasTable(s, "layouts")) {
                    s.execute("CREATE TEMP TABLE layouts (" + LAYOUTS + ")");
                }
            }
            return new ScanDb(c, true);
        } catch (SQLException e) {
            close(c);
            throw corruptOr(file, e);
        } catch (RuntimeException e) {
            close(c);
            throw e;
        }
    }

    /** One line for a damaged database: rows read from it could be garbled, duplicated or missing. */
    private static void check(Path file, Connection c) throws SQLException {
        String key = file.toAbsolutePath().normalize() + "\0" + size(file) + "\0" + mtime(file);
        if (CHECKED.contains(key)) {
            return;
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA quick_check(1)")) {
            String result = rs.next() ? rs.getString(1) : "no answer";
            if (!"ok".equals(result)) {
                throw new ScanDbException(file, "corrupt: rescan into a new file (" + result + ")");
            }
        }
        CHECKED.add(key);
    }

    /** SQLite's own words for a file that is not a database, or is damaged, say the same as quick_check. */
    private static ScanDbException corruptOr(Path file, SQLException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("SQLITE_CORRUPT") || m.contains("SQLITE_NOTADB") || m.contains("malformed")) {
            return new ScanDbException(file, "corrupt: rescan into a new file (" + m.lines().findFirst().orElse("") + ")");
        }
        return new ScanDbException(file, e);
    }

    private static boolean hasTable(Statement s, String name) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = '" + name + "'")) {
            return rs.next();
        }
    }

    private static java.util.Set<String> columns(Connection c) throws SQLException {
        java.util.Set<String> have = new java.util.HashSet<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA table_info(files)")) {
            while (rs.next()) {
                have.add(rs.getString("name"));
            }
        }
        if (have.isEmpty()) {
            throw new SQLException("no files table: not a dsire scan database");
        }
        return have;
    }

    /** The path as an SQLite URI filename: characters that end or escape a path there are percent-encoded. */
    private static String uri(Path file) {
        String p = file.toAbsolutePath().toString();
        return "file:" + p.replace("%", "%25").replace("?", "%3f").replace("#", "%23");
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static long mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // already failing: the first error is the one to report
            }
        }
    }

    /** Whether the file was already scanned with this size, mtime and model (null: any model will do). */
    public boolean unchanged(String path, long size, long mtime, String model) throws SQLException {
        stamp.setString(1, path);
        try (ResultSet rs = stamp.executeQuery()) {
            // a file read by an earlier dsire (no layout name) is scanned again: its answers were not kept per model
            return rs.next() && rs.getLong(1) == size && rs.getLong(2) == mtime && (model == null || model.equals(rs.getString(3)))
                    && (rs.getString(5) != null || "error".equals(rs.getString(4)) || "pickle".equals(rs.getString(4)));
        } finally {
            conn.commit(); // ends the read transaction so the writer's commits stay visible
        }
    }

    /** Writes the rows in one transaction. */
    public void write(List<ScanRecord> rows, String model) throws SQLException {
        for (ScanRecord r : rows) {
            int i = 1;
            upsert.setString(i++, r.path());
            upsert.setLong(i++, r.size());
            upsert.setLong(i++, r.mtime());
            upsert.setString(i++, r.headerHash());
            upsert.setString(i++, r.format());
            upsert.setString(i++, r.family());
            upsert.setString(i++, r.rank());
            setInt(upsert, i++, r.layers());
            upsert.setString(i++, r.dtype());
            setLong(upsert, i++, r.bytes());
            setInt(upsert, i++, r.declaredImages());
            upsert.setString(i++, r.trainGroup());
            upsert.setString(i++, r.status().key());
            upsert.setString(i++, r.error());
            upsert.setString(i++, r.layoutFingerprint());
            upsert.setBytes(i++, r.spectra());
            upsert.setNull(i++, Types.INTEGER); // prediction, votes: answers are in their own table now
            upsert.setNull(i++, Types.VARCHAR);
            upsert.setString(i++, model);
            upsert.setNull(i++, Types.VARCHAR); // answer, probabilities: likewise
            upsert.setNull(i++, Types.VARCHAR);
            upsert.setString(i++, r.scaleSource());
            upsert.setString(i++, r.labelSource());
            upsert.setString(i++, r.run());
            upsert.setString(i++, r.layoutName());
            setDouble(upsert, i++, r.learningRate());
            setLong(upsert, i, r.trainSteps());
            upsert.addBatch();
            forget.setString(1, r.path());
            forget.addBatch();
            for (Answer a : r.answers()) {
                answer.setString(1, r.path());
                answer.setString(2, a.model());
                answer.setString(3, a.status().key());
                answer.setString(4, a.reason());
                setInt(answer, 5, a.prediction());
                if (a.estimate() == null) {
                    answer.setNull(6, Types.REAL);
                } else {
                    answer.setDouble(6, a.estimate());
                }
                answer.setString(7, ScanRow.json(a.interval80()));
                answer.setString(8, ScanRow.json(a.probabilities()));
                answer.setString(9, ScanRow.json(a.votes()));
                answer.addBatch();
            }
            if (r.layoutFingerprint() != null) {
                layout.setString(1, r.layoutFingerprint());
                layout.setString(2, r.layoutJson());
                layout.addBatch();
            }
        }
        upsert.executeBatch();
        forget.executeBatch();
        answer.executeBatch();
        layout.executeBatch();
        conn.commit();
    }

    private static void setInt(PreparedStatement p, int i, Integer v) throws SQLException {
        if (v == null) {
            p.setNull(i, Types.INTEGER);
        } else {
            p.setInt(i, v);
        }
    }

    private static void setLong(PreparedStatement p, int i, Long v) throws SQLException {
        if (v == null) {
            p.setNull(i, Types.INTEGER);
        } else {
            p.setLong(i, v);
        }
    }

    private static void setDouble(PreparedStatement p, int i, Double v) throws SQLException {
        if (v == null) {
            p.setNull(i, Types.REAL);
        } else {
            p.setDouble(i, v);
        }
    }

    /** Every row in path order, as column name → value, for export. */
    public void forEachRow(String columns, Consumer<ResultSet> row) throws SQLException {
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT " + columns + " FROM files ORDER BY path")) {
            while (rs.next()) {
                row.accept(rs);
            }
        } finally {
            conn.commit();
        }
    }

    /** Every output row ({@link ScanRow}: a file with each model's answer), in path then model order. */
    public void forEachScanRow(boolean withSpectra, Consumer<ScanRow> row) throws SQLException {
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(ScanRow.SELECT)) {
            while (rs.next()) {
                row.accept(ScanRow.read(rs, withSpectra));
            }
        } finally {
            conn.commit();
        }
    }

    public long count() throws SQLException {
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM files")) {
            return rs.next() ? rs.getLong(1) : 0;
        } finally {
            conn.commit();
        }
    }

    @Override
    public void close() {
        try {
            if (readOnly) {
                conn.close();
                return;
            }
            conn.commit();
            conn.close();
        } catch (SQLException e) {
            // closing after a failure: nothing more to save
        }
    }
}
