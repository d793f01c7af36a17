package dev.dsire.hostile;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.cli.Main;
import dev.dsire.model.Manifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.duckdb.DuckDBDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LoRA-WiSE mutation test: Parquet files made from the bundled subset by edits of their
 * schema, values and list lengths (through DuckDB, so each row's truth is known), files at paths
 * that are glob patterns or Hive partitions, and byte-level damage (flips, zeroed runs,
 * truncation), all in one folder through {@code wise} and {@code eval --wise}, each in its own JVM:
 * no JVM crash, no hang, exit 0, 1 or 2, no stack trace. Of the import: every row of every file
 * is answered exactly once (a manifest entry, or an error line naming the row or its file), no
 * row is invented, and rows of files not damaged at the byte level keep their label and name
 * (byte damage may change values where Parquet holds no checksum).
 *
 * <p>CI runs one file of each edit and {@code hostile.wise.files} (default 24) byte-damaged ones;
 * {@code bench/hostile/run.sh} runs more and appends its summary line to {@code hostile.report}.
 */
class WiseMutationTest {
    static final Path LOW = Path.of("src/test/resources/wise/low_8/zoo-low.parquet");
    private static final int DAMAGED = Integer.getInteger("hostile.wise.files", 24);
    private static final long SEED = Long.getLong("hostile.seed", 12);
    private static final long TIMEOUT_S = Long.getLong("hostile.timeout", 600);

    @TempDir
    Path tmp;

    /** What a row must become: imported with this label and name, or refused. */
    record Truth(boolean refused, int label, String name) {}

    /** One corpus file: its rows' truths (null: byte-damaged, rows may be lost but not invented), and its row count. */
    record Made(String mutation, Map<Long, Truth> rows, int count) {}

    private final Map<Path, Made> corpus = new LinkedHashMap<>();
    private List<String> columns;
    private final List<int[]> original = new ArrayList<>(); // label, name per LOW row

    @Test
    void mutatedParquetThroughWiseAndEval() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("corpus/low_8"));
        try (Connection c = new DuckDBDriver().connect("jdbc:duckdb:", new Properties()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE low AS SELECT * FROM read_parquet('" + LOW.toAbsolutePath() + "', file_row_number = true)");
            columns = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("DESCRIBE low")) {
                while (rs.next()) {
                    if (rs.getString(1).contains(".lora.")) {
                        columns.add(rs.getString(1));
                    }
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT label, name FROM low ORDER BY file_row_number")) {
                while (rs.next()) {
                    original.add(new int[] {rs.getInt(1), rs.getInt(2)});
                }
            }
            edits(s, root);
            damaged(s, root);
        }
        List<String> problems = new ArrayList<>();
        Path out = tmp.resolve("out");
        Child wise = run(List.of("wise", root.getParent().toString(), "--out", out.toString()));
        common("wise", wise, problems);
        account(wise, Manifest.readCsv(out.resolve("manifest.csv")), out, problems);
        Child eval = run(List.of("eval", "--wise", root.getParent().toString(), "--train-groups", "3", "--repeats", "1", "--methods", "dsire", "--device", "cpu"));
        common("eval", eval, problems);
        if (!eval.out().startsWith("method")) {
            problems.add("eval printed no table (exit " + eval.code() + "): " + String.join(" | ", eval.err().subList(Math.max(0, eval.err().size() - 3), eval.err().size())));
        }
        String summary = String.format(Locale.ROOT, "wise mutation: %d Parquet files (%d byte-damaged), seed %d; wise exit %d in %.1f s, eval --wise exit %d in %.1f s; %s",
                corpus.size(), DAMAGED, SEED, wise.code(), wise.seconds(), eval.code(), eval.seconds(), problems.isEmpty() ? "every check passed" : problems.size() + " problems");
        System.out.println(summary);
        if (System.getProperty("hostile.report") != null) { // bench/hostile/run.sh: after the batch test's summary
            Files.writeString(Path.of(System.getProperty("hostile.report")), summary + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems.subList(0, Math.min(20, problems.size()))));
    }

    /** Rows [0, n) of the subset, edited by SQL on table t (file_row_number r); truths start as the originals. */
    private Map<Long, Truth> table(Statement s, int n) throws SQLException {
        // a row of each group, each of another size: eval over the corpus has groups and sizes to split
        int[] pick = {0, 7, 14, 21, 28, 35};
        String in = java.util.Arrays.stream(pick, 0, n).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","));
        s.execute("CREATE OR REPLACE TABLE t AS SELECT * EXCLUDE (file_row_number), row_number() OVER (ORDER BY file_row_number) - 1 AS r FROM low "
                + "WHERE file_row_number IN (" + in + ")");
        Map<Long, Truth> truth = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            truth.put((long) i, new Truth(false, original.get(pick[i])[0], Integer.toString(original.get(pick[i])[1])));
        }
        return truth;
    }

    private void write(Statement s, Path file, String select, String mutation, Map<Long, Truth> truth) throws SQLException, IOException {
        Files.createDirectories(file.getParent());
        s.execute("COPY (" + select + " ORDER BY r) TO '" + file.toAbsolutePath().toString().replace("'", "''") + "' (FORMAT parquet)");
        corpus.put(file, new Made(mutation, truth, truth.size()));
    }

    private static String q(String column) {
        return "\"" + column + "\"";
    }

    private void edits(Statement s, Path root) throws Exception {
        String down = q(columns.getFirst()), up = q(columns.get(1));
        String plain = "SELECT * EXCLUDE (r) FROM t";
        record Edit(String name, String sql, long row, boolean refused) {}
        List<Edit> rowEdits = List.of(
                new Edit("nan", "UPDATE t SET " + down + " = list_concat(['nan'::DOUBLE], " + down + "[2:]) WHERE r = 1", 1, true),
                new Edit("inf", "UPDATE t SET " + up + " = list_concat(" + up + "[:3], ['inf'::DOUBLE], " + up + "[5:]) WHERE r = 2", 2, true),
                new Edit("null-list", "UPDATE t SET " + down + " = NULL WHERE r = 0", 0, true),
                new Edit("null-element", "UPDATE t SET " + down + " = list_concat([NULL::DOUBLE], " + down + "[2:]) WHERE r = 3", 3, true),
                new Edit("short-list", "UPDATE t SET " + down + " = " + down + "[2:] WHERE r = 4", 4, true),
                new Edit("empty-list", "UPDATE t SET " + up + " = []::DOUBLE[] WHERE r = 5", 5, true),
                new Edit("long-list", "UPDATE t SET " + down + " = list_concat(" + down + ", " + down + "[1:8]) WHERE r = 2", 2, true),
                new Edit("label-null", "UPDATE t SET label = NULL WHERE r = 1", 1, true),
                new Edit("label-zero", "UPDATE t SET label = 0 WHERE r = 2", 2, true),
                new Edit("label-negative", "UPDATE t SET label = -3 WHERE r = 3", 3, true),
                new Edit("label-huge", "UPDATE t SET label = 1099511627776 WHERE r = 4", 4, true),
                new Edit("name-null", "UPDATE t SET name = NULL WHERE r = 5", 5, true),
                new Edit("extreme-values", "UPDATE t SET " + down + " = list_transform(" + down + ", x -> x * 1e283) WHERE r = 1", 1, false),
                new Edit("big-row", "UPDATE t SET " + down + " = list_transform(range(9000000), x -> 0.25::DOUBLE) WHERE r = 2", 2, true));
        int k = 0;
        for (Edit e : rowEdits) {
            Map<Long, Truth> truth = table(s, 6);
            s.execute(e.sql());
            if (e.refused()) {
                truth.put(e.row(), new Truth(true, 0, null));
            }
            write(s, root.resolve(String.format(Locale.ROOT, "e%02d-%s.parquet", k++, e.name())), plain, e.name(), truth);
        }
        // whole-file edits: schema and types
        Map<Long, Truth> refusedAll = new TreeMap<>();
        for (long i = 0; i < 6; i++) {
            refusedAll.put(i, new Truth(true, 0, null));
        }
        table(s, 6);
        write(s, root.resolve("f00-no-up.parquet"), "SELECT * EXCLUDE (r, " + up + ") FROM t", "drop-column", refusedAll);
        write(s, root.resolve("f01-no-label.parquet"), "SELECT * EXCLUDE (r, label) FROM t", "no-label", refusedAll);
        write(s, root.resolve("f02-varchar-list.parquet"), "SELECT * EXCLUDE (r) REPLACE (" + down + "::VARCHAR[] AS " + down + ") FROM t", "tensor-type", refusedAll);
        write(s, root.resolve("f03-label-string.parquet"), "SELECT * EXCLUDE (r) REPLACE (label::VARCHAR AS label) FROM t", "label-type", refusedAll);
        write(s, root.resolve("f04-label-double.parquet"), "SELECT * EXCLUDE (r) REPLACE (label::DOUBLE AS label) FROM t", "label-type", refusedAll);
        Map<Long, Truth> kept = table(s, 6);
        write(s, root.resolve("f05-extra-column.parquet"), "SELECT * EXCLUDE (r), 'x' AS note, 3.5 AS \"unet.not.a.lora\" FROM t", "extra-column", kept);
        Map<Long, Truth> strings = new TreeMap<>();
        kept.forEach((i, t) -> strings.put(i, new Truth(false, t.label(), "g," + t.name())));
        write(s, root.resolve("f06-name-string.parquet"), "SELECT * EXCLUDE (r) REPLACE ('g,' || name AS name) FROM t", "name-string", strings);
        Map<Long, Truth> wide = new TreeMap<>();
        kept.forEach((i, t) -> wide.put(i, new Truth(false, t.label(), Long.toUnsignedString(-1L - Long.parseLong(t.name())))));
        write(s, root.resolve("f07-name-uint64.parquet"), "SELECT * EXCLUDE (r) REPLACE (18446744073709551615::UBIGINT - name::UBIGINT AS name) FROM t", "name-uint64", wide);
        write(s, root.resolve("f08-empty.parquet"), "SELECT * EXCLUDE (r) FROM t WHERE r < 0", "empty", new TreeMap<>());
        write(s, root.resolve("f09-labex.parquet"), "SELECT label, label + 1 AS labex, * EXCLUDE (r, label) FROM t", "duplicate-label", refusedAll);
        Path labex = root.resolve("f09-labex.parquet");
        String text = new String(Files.readAllBytes(labex), StandardCharsets.ISO_8859_1);
        Files.write(labex, text.replace("labex", "label").getBytes(StandardCharsets.ISO_8859_1));
        // paths: glob characters beside the files they would match, and Hive-like folders with INTEGER columns
        write(s, root.resolve("g.parquet"), plain, "glob-sibling", table(s, 6));
        write(s, root.resolve("g*.parquet"), plain + " WHERE r < 2", "glob-star", sub(table(s, 2)));
        write(s, root.resolve("[g].parquet"), plain + " WHERE r < 3", "glob-bracket", sub(table(s, 3)));
        write(s, root.resolve("g?.parquet"), plain + " WHERE r < 4", "glob-question", sub(table(s, 4)));
        Map<Long, Truth> hive = table(s, 6);
        write(s, root.resolve("label=7/name=99/h.parquet"), "SELECT * EXCLUDE (r) REPLACE (label::INTEGER AS label, name::INTEGER AS name) FROM t",
                "hive-folders", hive);
    }

    /** The truths as written (the table was cut to these rows). */
    private static Map<Long, Truth> sub(Map<Long, Truth> t) {
        return t;
    }

    /** Byte-level damage of small valid files: flips, zeroed runs, truncation, a copied footer length. */
    private void damaged(Statement s, Path root) throws Exception {
        Path clean = tmp.resolve("clean.parquet");
        table(s, 6);
        s.execute("COPY (SELECT * EXCLUDE (r) FROM t ORDER BY r) TO '" + clean + "' (FORMAT parquet)");
        byte[] base = Files.readAllBytes(clean);
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int i = 0; i < DAMAGED; i++) {
            byte[] b = base.clone();
            String how;
            switch (i % 4) {
                case 0 -> {
                    int flips = 1 + rnd.nextInt(64);
                    for (int f = 0; f < flips; f++) {
                        b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    how = "flip";
                }
                case 1 -> { // the footer: schema and row-group metadata
                    int flips = 1 + rnd.nextInt(8);
                    for (int f = 0; f < flips; f++) {
                        b[b.length - 8 - 1 - rnd.nextInt(Math.min(2000, b.length - 9))] = (byte) rnd.nextInt(256);
                    }
                    how = "footer";
                }
                case 2 -> {
                    int at = rnd.nextInt(b.length), len = 1 + rnd.nextInt(512);
                    java.util.Arrays.fill(b, at, Math.min(b.length, at + len), (byte) 0);
                    how = "zeroed";
                }
                default -> {
                    b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
                    how = "cut";
                }
            }
            Path f = root.resolve(String.format(Locale.ROOT, "z%03d-%s.parquet", i, how));
            Files.write(f, b);
            corpus.put(f, new Made(how, null, 6));
        }
    }

    record Child(int code, String out, List<String> err, double seconds) {}

    private Child run(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-XX:ErrorFile=" + tmp.resolve("hs_err_%p.log"),
                "-XX:-CreateCoredumpOnCrash", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        Path out = tmp.resolve(args.getFirst() + ".out"), err = tmp.resolve(args.getFirst() + ".err");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail("dsire " + args.getFirst() + " hung: no exit within " + TIMEOUT_S + " s");
        }
        List<String> errLines = Files.readAllLines(err).stream().filter(l -> !l.startsWith("WARNING: Using incubator modules")
                && !l.startsWith("dsire: device auto -> ")).toList();
        return new Child(p.exitValue(), Files.readString(out), errLines, (System.nanoTime() - t0) / 1e9);
    }

    private void common(String what, Child c, List<String> problems) throws IOException {
        if (c.code() < 0 || c.code() > 2) {
            problems.add(what + " exited " + c.code() + ": " + String.join(" | ", c.err().subList(Math.max(0, c.err().size() - 3), c.err().size())));
        }
        for (String l : c.err()) {
            if (l.startsWith("\tat ") || l.contains("Exception in thread") || l.startsWith("Caused by:") || l.contains("internal error")) {
                problems.add(what + " printed a stack trace or internal error: " + l);
                break;
            }
        }
        try (var s = Files.list(tmp)) {
            s.filter(f -> f.getFileName().toString().startsWith("hs_err")).forEach(f -> problems.add(what + ": the JVM crashed (" + f + ")"));
        }
    }

    private static final Pattern EXPORTED = Pattern.compile("^low_8-(.*)-(\\d{5})\\.safetensors$");

    /** Every row answered once, none invented, truths kept; error lines name a corpus file or row. */
    private void account(Child wise, Manifest m, Path out, List<String> problems) {
        Map<String, Path> byStem = new HashMap<>();
        for (Path f : corpus.keySet()) {
            byStem.put(f.getFileName().toString().replaceFirst("\\.parquet$", ""), f);
        }
        Map<Path, Map<Long, String>> answered = new HashMap<>(); // file -> row -> how
        Map<Path, String> fileErrors = new HashMap<>();
        for (Manifest.Entry e : m.entries()) {
            Matcher x = EXPORTED.matcher(out.relativize(e.path()).toString());
            Path src = x.matches() ? byStem.get(x.group(1)) : null;
            if (src == null) {
                problems.add("wise wrote a row of no corpus file: " + e.path());
                continue;
            }
            long row = Long.parseLong(x.group(2));
            Made made = corpus.get(src);
            if (row >= made.count()) {
                problems.add(src + ": row " + row + " invented (the file has " + made.count() + ")");
            }
            if (answered.computeIfAbsent(src, k -> new HashMap<>()).put(row, "imported") != null) {
                problems.add(src + "#" + row + " imported twice");
            }
            Truth t = made.rows() == null ? null : made.rows().get(row);
            if (made.rows() != null && (t == null || t.refused())) {
                problems.add(src + "#" + row + " (" + made.mutation() + ") was imported but must be refused");
            } else if (t != null && (t.label() != e.size() || !t.name().equals(e.group()))) {
                problems.add(src + "#" + row + " (" + made.mutation() + ") relabelled: " + e.size() + "/" + e.group() + " for " + t.label() + "/" + t.name());
            }
        }
        for (String l : wise.err()) {
            if (l.startsWith("wise") || l.startsWith("wrote ")) {
                continue;
            }
            Path src = null;
            long row = -1;
            for (Path f : corpus.keySet()) {
                String p = f.toString();
                if (l.startsWith(p + ": ")) {
                    src = f;
                } else if (l.startsWith(p + "#")) {
                    Matcher x = Pattern.compile("^#(\\d+): ").matcher(l.substring(p.length()));
                    if (x.find()) {
                        src = f;
                        row = Long.parseLong(x.group(1));
                    }
                }
            }
            if (src == null) {
                problems.add("wise: an error line naming no corpus file: " + l);
            } else if (row < 0) {
                fileErrors.put(src, l);
            } else if (answered.computeIfAbsent(src, k -> new HashMap<>()).put(row, "refused") != null) {
                problems.add(src + "#" + row + " answered twice: " + l);
            }
        }
        for (Map.Entry<Path, Made> c : corpus.entrySet()) {
            Path f = c.getKey();
            Map<Long, String> rows = answered.getOrDefault(f, Map.of());
            if (fileErrors.containsKey(f)) {
                if (c.getValue().rows() != null && c.getValue().rows().values().stream().anyMatch(t -> !t.refused())) {
                    problems.add(f + " (" + c.getValue().mutation() + ") refused whole: " + fileErrors.get(f));
                }
                continue;
            }
            if (c.getValue().rows() == null) { // byte damage may leave values changed, but every row is still answered
                for (long i = 0; i < c.getValue().count(); i++) {
                    if (!rows.containsKey(i)) {
                        problems.add(f + "#" + i + " (" + c.getValue().mutation() + ") dropped: neither imported nor refused");
                    }
                }
                continue;
            }
            for (Map.Entry<Long, Truth> t : c.getValue().rows().entrySet()) {
                String how = rows.get(t.getKey());
                if (how == null) {
                    problems.add(f + "#" + t.getKey() + " (" + c.getValue().mutation() + ") dropped: neither imported nor refused");
                } else if (t.getValue().refused() != how.equals("refused")) {
                    problems.add(f + "#" + t.getKey() + " (" + c.getValue().mutation() + ") " + how + ", expected " + (t.getValue().refused() ? "refused" : "imported"));
                }
            }
        }
    }
}
