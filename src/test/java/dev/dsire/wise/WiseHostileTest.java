package dev.dsire.wise;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.cli.Main;
import dev.dsire.model.Manifest;
import dev.dsire.testutil.Cli.Run;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.duckdb.DuckDBDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA-WiSE files built to attack the importer: paths that are glob patterns or Hive partitions,
 * a row too large to fetch, weights near the top of float64, names that break CSV, repeated
 * columns, and folders holding FIFOs and device links. The files are written through DuckDB.
 */
class WiseHostileTest {
    static final Path LOW = WiseTest.LOW;
    static final String DOWN = "unet.transformer_blocks.0.attn1.to_k.lora.down.weight";

    @TempDir
    Path dir;

    /** Runs SQL statements in a fresh in-memory DuckDB; {LOW} stands for the test subset as a table scan. */
    static void duck(String... sql) throws SQLException {
        try (Connection c = new DuckDBDriver().connect("jdbc:duckdb:", new Properties()); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q.replace("{LOW}", "read_parquet('" + LOW.toAbsolutePath() + "', file_row_number = true)"));
            }
        }
    }

    static String lit(Path p) {
        return "'" + p.toAbsolutePath().toString().replace("'", "''") + "'";
    }

    /** Rows [from, from+n) of the test subset as a Parquet file. */
    static Path rows(Path out, int from, int n) throws SQLException, IOException {
        Files.createDirectories(out.toAbsolutePath().getParent());
        duck("COPY (SELECT * EXCLUDE (file_row_number) FROM {LOW} WHERE file_row_number >= " + from + " AND file_row_number < " + (from + n)
                + " ORDER BY file_row_number) TO " + lit(out) + " (FORMAT parquet)");
        return out;
    }

    private Manifest imported(Path parquet, String out) {
        Run r = dsire("wise", parquet, "--rank", "8", "--out", dir.resolve(out));
        assertEquals(0, r.code(), r.err());
        return Manifest.readCsv(dir.resolve(out).resolve("manifest.csv"));
    }

    @Test
    void aPathMeansThatFileNotAPatternNorAPartition() throws Exception {
        Path d = Files.createDirectories(dir.resolve("in"));
        rows(d.resolve("a.parquet"), 0, 5);
        rows(d.resolve("a*.parquet"), 5, 2);
        rows(d.resolve("[a].parquet"), 7, 3);
        rows(d.resolve("a?.parquet"), 10, 1);
        assertEquals(2, imported(d.resolve("a*.parquet"), "star").entries().size(), "not a.parquet's rows too");
        assertEquals(3, imported(d.resolve("[a].parquet"), "bracket").entries().size(), "its own rows, not a.parquet's");
        assertEquals(1, imported(d.resolve("a?.parquet"), "question").entries().size());

        // a folder named like a Hive partition labels nothing; the label column is an INTEGER, as DuckDB then overrides it
        Path part = Files.createDirectories(dir.resolve("label=7"));
        duck("COPY (SELECT label::INTEGER AS label, * EXCLUDE (label, file_row_number) FROM {LOW} WHERE file_row_number < 6 ORDER BY file_row_number) TO "
                + lit(part.resolve("x.parquet")) + " (FORMAT parquet)");
        Manifest m = imported(part.resolve("x.parquet"), "hive");
        assertFalse(m.entries().stream().allMatch(e -> e.size() == 7), "labels come from the column: " + m.entries());
        List<Integer> want = new ArrayList<>();
        try (WiseReader reader = new WiseReader()) {
            reader.read(LOW, 8, reader.plan(LOW, Long.MAX_VALUE).columns().subList(0, 2), collect(new ArrayList<>(), want));
        }
        assertEquals(want.subList(0, 6), m.entries().stream().map(Manifest.Entry::size).toList());
    }

    private static WiseReader.Sink collect(List<WiseRow> rows, List<Integer> sizes) {
        return new WiseReader.Sink() {
            @Override
            public void row(WiseRow row) {
                rows.add(row);
                sizes.add(row.size());
            }

            @Override
            public void error(WiseException e) {
                fail(e.getMessage());
            }
        };
    }

    @Test
    void rowsAreFetchedInWindowsOfBoundedValuesWithTheSameResult() {
        List<String> columns;
        List<WiseRow> whole = new ArrayList<>(), windowed = new ArrayList<>();
        try (WiseReader reader = new WiseReader(); WiseReader small = new WiseReader(5000)) { // a few rows per query
            columns = reader.plan(LOW, Long.MAX_VALUE).columns();
            reader.read(LOW, 8, columns, collect(whole, new ArrayList<>()));
            small.read(LOW, 8, columns, collect(windowed, new ArrayList<>()));
        }
        assertEquals(36, whole.size());
        assertEquals(whole.size(), windowed.size());
        for (int i = 0; i < whole.size(); i++) {
            assertEquals(i, windowed.get(i).index());
            assertArrayEquals(whole.get(i).safetensors(), windowed.get(i).safetensors(), "row " + i);
        }
    }

    /**
     * One list of 20 M doubles in a file of 3 rows: refused in one line before it is fetched, in a
     * JVM of 512 MB (where fetching it crashed the JVM in the driver's native code), and the other rows are read.
     */
    @Test
    void aRowTooLargeToFetchIsRefusedInOneLineAndTheOthersAreRead() throws Exception {
        Path big = dir.resolve("big.parquet");
        duck("CREATE TABLE t AS SELECT * FROM {LOW} WHERE file_row_number < 3",
                "UPDATE t SET \"" + DOWN + "\" = list_transform(range(20000000), x -> 0.5::DOUBLE) WHERE file_row_number = 1",
                "COPY (SELECT * EXCLUDE (file_row_number) FROM t ORDER BY file_row_number) TO " + lit(big) + " (FORMAT parquet)");
        assertTrue(Files.size(big) < 20 << 20, "a small file: " + Files.size(big));
        for (String command : List.of("wise", "eval")) {
            List<String> args = command.equals("wise") ? List.of("wise", big.toString(), "--rank", "8", "--out", dir.resolve("out").toString())
                    : List.of("fit", "--wise", big.toString(), "--rank", "8", "--out", dir.resolve("m.json").toString());
            Child c = child("-Xmx512m", args);
            assertEquals(1, c.code(), command + ": " + c.err());
            assertFalse(c.err().contains("\tat ") || c.err().contains("internal error") || c.err().contains("SIGSEGV"), c.err());
            List<String> lines = c.err().lines().filter(l -> l.startsWith(big.toString())).toList();
            assertEquals(1, lines.size(), c.err());
            assertTrue(lines.getFirst().startsWith(big + "#1: holds 20000") && lines.getFirst().contains("more than the 8388608"), lines.getFirst());
        }
        assertEquals(2, Manifest.readCsv(dir.resolve("out/manifest.csv")).entries().size());
    }

    record Child(int code, String err) {}

    /** dsire in its own JVM with the given heap option. */
    static Child child(String heap, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap,
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=/dev/null",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("no exit in 300 s: " + args);
        }
        return new Child(p.exitValue(), new String(err, StandardCharsets.UTF_8));
    }

    /**
     * Row 3's weights near 1e283 (B·A's singular values overflow float64) and row 5's one weight
     * 1e100 times the rest (QL once failed to converge on its Gram): row 3 is refused in one
     * line, row 5 is read, and the run goes on. Row 5 as a safetensors file gives its spectra.
     */
    @Test
    void extremeWeightsCostOneRowAtMostAndGiveSpectraWhereTheyExist() throws Exception {
        Path ext = Files.createDirectories(dir.resolve("low_8")).resolve("ext.parquet");
        List<String> sql = new ArrayList<>(List.of("CREATE TABLE t AS SELECT * FROM {LOW}"));
        try (WiseReader reader = new WiseReader()) {
            for (String c : reader.plan(LOW, Long.MAX_VALUE).columns()) {
                String q = "\"" + c + "\"";
                sql.add("UPDATE t SET " + q + " = list_transform(" + q + ", x -> x * 1e283) WHERE file_row_number = 3");
                sql.add("UPDATE t SET " + q + " = list_concat([" + q + "[1] * 1e100], " + q + "[2:]) WHERE file_row_number = 5");
            }
        }
        sql.add("COPY (SELECT * EXCLUDE (file_row_number) FROM t ORDER BY file_row_number) TO " + lit(ext) + " (FORMAT parquet)");
        duck(sql.toArray(String[]::new));

        Run eval = dsire("eval", "--wise", ext, "--train-groups", "4", "--repeats", "2", "--device", "cpu");
        assertEquals(1, eval.code(), eval.err());
        assertTrue(eval.out().startsWith("method"), eval.out());
        List<String> bad = eval.err().lines().filter(l -> l.startsWith(ext.toString())).toList();
        assertEquals(1, bad.size(), eval.err());
        assertTrue(bad.getFirst().startsWith(ext + "#3: ") && bad.getFirst().contains("overflow"), bad.getFirst());
        assertTrue(eval.err().contains(" rows, 1 errors"), eval.err());

        Run imported = dsire("wise", ext, "--out", dir.resolve("out"));
        assertEquals(0, imported.code(), imported.err()); // the import keeps values; it computes no spectra
        Path row5 = Manifest.readCsv(dir.resolve("out/manifest.csv")).entries().get(5).path();
        Run features = dsire("features", row5, "--device", "cpu");
        assertEquals(0, features.code(), features.err());
        assertFalse(features.out().contains("NaN") || features.out().contains("Infinity"), features.out());
    }

    @Test
    void manifestFieldsAreQuotedSoNamesWithCommasAndLineBreaksRoundTripThroughFit() throws Exception {
        Path odd = Files.createDirectories(dir.resolve("we,ird")).resolve("low_8 \"x\",y.parquet");
        duck("COPY (SELECT label, CASE name WHEN 0 THEN 'a,b' WHEN 1 THEN 'two' || chr(10) || 'lines' WHEN 2 THEN '\"q\"' ELSE 'g' || name END AS name, "
                + "* EXCLUDE (label, name, file_row_number) FROM {LOW} ORDER BY file_row_number) TO " + lit(odd) + " (FORMAT parquet)");
        Path out = dir.resolve("out");
        Run r = dsire("wise", odd, "--rank", "8", "--out", out);
        assertEquals(0, r.code(), r.err());
        Manifest m = Manifest.readCsv(out.resolve("manifest.csv"));
        assertEquals(36, m.entries().size());
        assertEquals(new TreeSet<>(List.of("a,b", "two\nlines", "\"q\"", "g3", "g4", "g5")), new TreeSet<>(m.entries().stream().map(Manifest.Entry::group).toList()));
        assertTrue(m.entries().stream().allMatch(e -> Files.isRegularFile(e.path())), m.entries().toString());
        Run fit = dsire("fit", "--manifest", out.resolve("manifest.csv"), "--out", dir.resolve("m.json"), "--device", "cpu");
        assertEquals(0, fit.code(), fit.err());
    }

    @Test
    void namesOfAnyIntegerWidthOrStringsAndRepeatedColumnsRefused() throws Exception {
        Path wide = dir.resolve("wide.parquet");
        duck("COPY (SELECT label, (18446744073709551615::UBIGINT - name::UBIGINT) AS name, * EXCLUDE (label, name, file_row_number) FROM {LOW} "
                + "ORDER BY file_row_number) TO " + lit(wide) + " (FORMAT parquet)");
        Manifest m = imported(wide, "wide");
        assertEquals(new TreeSet<>(List.of("18446744073709551615", "18446744073709551614", "18446744073709551613", "18446744073709551612",
                "18446744073709551611", "18446744073709551610")), new TreeSet<>(m.entries().stream().map(Manifest.Entry::group).toList()));

        // two columns named label: DuckDB writes no such file, so one is written as "labex" and renamed in the bytes
        Path twice = dir.resolve("twice.parquet");
        duck("COPY (SELECT label, label + 1 AS labex, * EXCLUDE (label, file_row_number) FROM {LOW} ORDER BY file_row_number) TO " + lit(twice) + " (FORMAT parquet)");
        byte[] b = Files.readAllBytes(twice);
        String text = new String(b, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("labex"));
        Files.write(twice, text.replace("labex", "label").getBytes(StandardCharsets.ISO_8859_1));
        Run r = dsire("wise", twice, "--rank", "8", "--out", dir.resolve("twice"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains(twice + ": 2 columns are named 'label'"), r.err());
    }

    @Test
    void fifosAndDeviceLinksInAFolderGetALineAndCountAsErrors() throws Exception {
        Path d = Files.createDirectories(dir.resolve("low_8"));
        rows(d.resolve("a.parquet"), 0, 36);
        Path fifo = d.resolve("fifo.parquet"), zero = d.resolve("zero.parquet");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Files.createSymbolicLink(zero, Path.of("/dev/zero"));
        for (List<String> args : List.of(List.of("wise", dir.toString(), "--out", dir.resolve("out").toString()),
                List.of("eval", "--wise", dir.toString(), "--train-groups", "4", "--repeats", "2", "--device", "cpu"))) {
            Run r = dsire(args.toArray());
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains(fifo + ": not a regular file: a FIFO"), r.err());
            assertTrue(r.err().contains(zero + ": not a regular file: a character device"), r.err());
            assertTrue(r.err().contains("wise done: 36 rows, 2 errors"), r.err());
        }
    }

    @Test
    void theClosingCountHoldsFileErrorsOfTheImport() throws Exception {
        Path d = Files.createDirectories(dir.resolve("low_8"));
        rows(d.resolve("a.parquet"), 0, 36);
        Files.writeString(d.resolve("b.parquet"), "not parquet");
        StringWriter err = new StringWriter();
        WiseExporter.Result r = WiseExporter.export(WiseInputs.of(List.of(d), null, null), dir.resolve("out"), new PrintWriter(err, true), false);
        assertEquals(1, r.failed());
        assertTrue(err.toString().contains("wise done: 36 rows, 1 errors"), err.toString());
    }
}
