package dev.dsire.scan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.model.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * One output row of a scan in the one schema ({@link ParquetColumns}): a file and one model's
 * answer, or a file no model answered (status no_model), or a file not read (error, pickle).
 * Built the same way from a fresh {@link ScanRecord} (the Spark job, the scan's JSON lines) and
 * from the database (exports), so every output carries the same values.
 */
public record ScanRow(Object[] values) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Integer> INDEX = index();

    private static Map<String, Integer> index() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < ParquetColumns.ALL.size(); i++) {
            m.put(ParquetColumns.ALL.get(i).name(), i);
        }
        return m;
    }

    public Object get(String column) {
        Integer i = INDEX.get(column);
        if (i == null) {
            throw new IllegalArgumentException("no column " + column);
        }
        return values[i];
    }

    /** The rows of one scanned file: one per answer, else one. */
    public static List<ScanRow> of(ScanRecord r, String modelSet) {
        List<ScanRow> out = new ArrayList<>();
        if (r.answers().isEmpty()) {
            out.add(row(r, null, modelSet));
        }
        for (Answer a : r.answers()) {
            out.add(row(r, a, modelSet));
        }
        return out;
    }

    private static ScanRow row(ScanRecord r, Answer a, String modelSet) {
        return build(r.path(), r.status().key(), a, r.layoutName(), r.declaredImages(), r.learningRate(), r.trainSteps(), r.labelSource(), r.run(), r.error(), r.format(),
                r.rank(), r.layers(), r.dtype(), r.bytes(), r.scaleSource(), r.trainGroup(), r.headerHash(), r.size(), r.mtime(), modelSet,
                r.layoutFingerprint(), r.layoutJson(), floats(r.spectra()), r.family());
    }

    private static ScanRow build(String path, String fileStatus, Answer a, String layout, Integer declared, Double learningRate, Long trainSteps,
                                 String labelSource, String run,
                                 String error, String format, String rank, Integer layers, String dtype, Long bytes, String scaleSource,
                                 String trainGroup, String sha, long size, long mtime, String modelSet, String fingerprint,
                                 String layoutJson, float[] spectra, String family) {
        String status;
        String reason;
        if (!fileStatus.equals(ScanStatus.OK.key())) {
            status = fileStatus;
            reason = null;
        } else if (a == null) {
            status = Status.NO_MODEL.key();
            reason = modelSet == null ? "scanned without a model" : "no model for layout " + layout;
        } else {
            status = a.status().key();
            reason = a.reason();
        }
        return new ScanRow(new Object[] {path, a == null ? null : a.model(), layout, a == null ? null : a.prediction(),
                a == null ? null : a.estimate(), a == null || a.interval80() == null ? null : List.of(a.interval80()[0], a.interval80()[1]),
                a == null ? null : keyed(a.probabilities()), a == null ? null : keyed(a.votes()), reason, declared,
                a == null ? null : a.agrees(declared), learningRate, trainSteps, labelSource, run, error, format, rank(rank), layers, dtype, bytes, scaleSource,
                trainGroup, sha, size, mtime, modelSet, fingerprint, layoutJson, spectra, status, family});
    }

    /** The largest rank: layouts of mixed ranks are told apart by their layout name. */
    static Integer rank(String ranks) {
        if (ranks == null || ranks.isBlank()) {
            return null;
        }
        return Arrays.stream(ranks.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).max().getAsInt();
    }

    private static <V> Map<String, V> keyed(SortedMap<Integer, V> m) {
        if (m == null) {
            return null;
        }
        Map<String, V> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k.toString(), v));
        return out;
    }

    /** The export's query: every file with each of its answers, in path then model order. */
    static final String SELECT = "SELECT f.path, f.status, a.model, a.status, a.prediction, a.estimate, a.interval80, a.probabilities, a.votes, "
            + "a.reason, f.layout_name, f.train_images, f.label_source, f.run, f.error, f.format, f.rank, f.layers, f.dtype, f.bytes, "
            + "f.scale_source, f.train_group, f.header_sha256, f.size, f.mtime, f.model, f.layout, l.layers, f.spectra, f.family, "
            + "f.learning_rate, f.train_steps "
            + "FROM files f LEFT JOIN answers a ON a.path = f.path LEFT JOIN layouts l ON l.fingerprint = f.layout ORDER BY f.path, a.model";

    /** A row of {@link #SELECT}; spectra and layout layers only when asked (they are large). */
    static ScanRow read(ResultSet rs, boolean withSpectra) throws SQLException {
        Answer a = null;
        if (rs.getString(3) != null) {
            a = new Answer(rs.getString(3), status(rs.getString(4)), intOrNull(rs, 5),
                    rs.getObject(6) == null ? null : rs.getDouble(6), interval(rs.getString(7)), sizes(rs.getString(8), Double.class),
                    sizes(rs.getString(9), Integer.class), rs.getString(10));
        }
        String fileStatus = rs.getString(2);
        if (fileStatus.equals("mismatch")) {
            fileStatus = ScanStatus.OK.key(); // a database of an earlier dsire: read, but no model had its layout
        }
        return build(rs.getString(1), fileStatus, a, rs.getString(11), intOrNull(rs, 12),
                doubleOrNull(rs, 31), longOrNull(rs, 32), rs.getString(13),
                rs.getString(14), rs.getString(15), rs.getString(16), rs.getString(17), intOrNull(rs, 18),
                rs.getString(19), longOrNull(rs, 20), rs.getString(21), rs.getString(22), rs.getString(23),
                rs.getLong(24), rs.getLong(25), rs.getString(26), rs.getString(27), withSpectra ? rs.getString(28) : null,
                withSpectra ? floats(rs.getBytes(29)) : null, rs.getString(30));
    }

    private static Integer intOrNull(ResultSet rs, int i) throws SQLException {
        int v = rs.getInt(i);
        return rs.wasNull() ? null : v;
    }

    private static Long longOrNull(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull() ? null : v;
    }

    private static Double doubleOrNull(ResultSet rs, int i) throws SQLException {
        double v = rs.getDouble(i);
        return rs.wasNull() ? null : v;
    }

    private static Status status(String key) {
        for (Status s : Status.values()) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        throw new IllegalStateException("unknown status in the scan database: " + key);
    }

    private static int[] interval(String json) throws SQLException {
        if (json == null) {
            return null;
        }
        try {
            return JSON.readValue(json, int[].class);
        } catch (JsonProcessingException e) {
            throw new SQLException("bad interval80 " + json, e);
        }
    }

    private static <V> SortedMap<Integer, V> sizes(String json, Class<V> type) throws SQLException {
        if (json == null) {
            return null;
        }
        try {
            Map<String, V> m = JSON.readValue(json, JSON.getTypeFactory().constructMapType(LinkedHashMap.class, String.class, type));
            SortedMap<Integer, V> out = new java.util.TreeMap<>();
            m.forEach((k, v) -> out.put(Integer.valueOf(k), v));
            return out;
        } catch (JsonProcessingException | NumberFormatException e) {
            throw new SQLException("bad size map " + json, e);
        }
    }

    /** How the database stores an answer's interval and size maps: JSON text. */
    static String json(Object v) {
        if (v == null) {
            return null;
        }
        try {
            return JSON.writeValueAsString(v instanceof SortedMap<?, ?> m ? keyed(cast(m)) : v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static SortedMap<Integer, Object> cast(SortedMap<?, ?> m) {
        return (SortedMap<Integer, Object>) m;
    }

    static float[] floats(byte[] packed) {
        if (packed == null) {
            return null;
        }
        float[] f = new float[packed.length / 4];
        ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    /** The row's CSV/JSON-lines fields, by name in schema order. */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (ParquetColumns.Column c : ParquetColumns.ROW) {
            m.put(c.name(), values[INDEX.get(c.name())]);
        }
        return m;
    }

    /** One CSV line: strings as they are (quoted when needed), every other value as its JSON text. */
    public String csv() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < ParquetColumns.ROW.size(); i++) {
            Object v = values[INDEX.get(ParquetColumns.ROW.get(i).name())];
            if (i > 0) {
                s.append(',');
            }
            if (v != null) {
                String text = v instanceof String str ? str : json(v);
                s.append(text.contains(",") || text.contains("\"") || text.contains("\n") || text.contains("\r")
                        ? "\"" + text.replace("\"", "\"\"") + "\"" : text);
            }
        }
        return s.toString();
    }

    public static String csvHeader() {
        return String.join(",", ParquetColumns.ROW.stream().map(ParquetColumns.Column::name).toList());
    }
}
