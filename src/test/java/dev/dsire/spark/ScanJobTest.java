package dev.dsire.spark;

import dev.dsire.scan.ParquetColumns;
import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.model.ModelSet;
import dev.dsire.testutil.Cli.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScanJobTest {
    @TempDir
    static Path dir;

    static ScanTree tree;
    static ModelSet models;
    static Map<String, List<Object>> local;
    static SparkSession spark;
    static Path db;

    @BeforeAll
    static void scanLocally() throws Exception {
        tree = ScanTree.write(dir);
        models = ModelSet.load(List.of(tree.lowModel(), tree.synthModel()));
        db = dir.resolve("scan.sqlite");
        Run r = dsire("scan", tree.root(), "--db", db, "--model", tree.lowModel(), "--model", tree.synthModel(), "--threads", 2, "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        spark = SparkTestSession.get();
        Path exported = dir.resolve("local.parquet");
        Run e = dsire("export", "--db", db, "--format", "parquet", "--out", exported);
        assertEquals(0, e.code(), e.err());
        local = parquetRows(spark, exported);
    }

    private static ScanJob.Summary job(Path out, int chunk, int failAfter) throws IOException {
        return new ScanJob(spark).run(new ScanJob.Options(List.of(tree.root().toString()), out.toString(), models, "cpu", chunk, failAfter));
    }

    @Test
    void sparkRowsEqualTheLocalScanRowForRow() throws IOException {
        Path out = dir.resolve("out-equal");
        ScanJob.Summary s = job(out, 100, -1);
        assertEquals(local.size(), s.scanned());
        Map<String, List<Object>> rows = parquetRows(spark, out);
        assertEquals(local.keySet(), rows.keySet());
        for (String p : local.keySet()) {
            assertEquals(local.get(p), rows.get(p), p);
        }
        Map<String, Long> statuses = local.values().stream()
                .collect(Collectors.groupingBy(v -> (String) v.get(index("status")), TreeMap::new, Collectors.counting()));
        assertTrue(statuses.keySet().containsAll(List.of("error", "no_model", "ok", "pickle")), statuses.toString());
        for (String base : List.of("/synth/", "/zoo-low/")) {
            assertTrue(local.values().stream().anyMatch(v -> v.get(0).toString().contains(base) && v.get(index("prediction")) != null),
                    "each base layout is predicted by its own model: " + base);
        }
        assertEquals("no_model", local.get(tree.root().resolve("other-layout.safetensors") + "|null").get(index("status")));
        assertEquals(types(spark.read().parquet(out.toString())), types(spark.read().parquet(dir.resolve("local.parquet").toString())),
                "the export has the job's schema");

        // the job's output feeds the hub fit as the local database does
        Run fromSpark = dsire("fit", "--from-scan", out, "--out", dir.resolve("hub-spark"), "--min-runs", 4);
        Run fromDb = dsire("fit", "--from-scan", db, "--out", dir.resolve("hub-db"), "--min-runs", 4);
        assertEquals(0, fromSpark.code(), fromSpark.err());
        assertEquals(0, fromDb.code(), fromDb.err());
        assertEquals(2, new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("hub-db/index.json").toFile()).get("layouts").size(),
                "zoo-low's and the synthetic zoo's layouts have a model: " + fromDb.out());
        assertEquals(Files.readString(dir.resolve("hub-db/index.json")), Files.readString(dir.resolve("hub-spark/index.json")));

        ScanJob.Summary again = job(out, 100, -1);
        assertEquals(0, again.scanned(), "a rerun finds everything done");
        assertEquals(local.size(), again.skipped());
        assertEquals(local.size(), spark.read().parquet(out.toString()).count());
    }

    @Test
    void aJobThatFailsMidwayAndIsRerunEndsWithEveryFileExactlyOnce() throws IOException {
        Path out = dir.resolve("out-failed");
        assertThrows(SparkException.class, () -> job(out, 64, 1));
        long kept = spark.read().parquet(out.toString()).count();
        assertEquals(64, kept, "the committed chunk survives, the failed one leaves nothing");
        ScanJob.Summary s = job(out, 1000, -1);
        assertEquals(local.size() - kept, s.scanned());
        Map<String, List<Object>> rows = parquetRows(spark, out);
        assertEquals(local.keySet(), rows.keySet());
        assertEquals(local.size(), spark.read().parquet(out.toString()).count(), "no duplicates");
    }

    private static List<String> types(org.apache.spark.sql.Dataset<Row> d) {
        return java.util.Arrays.stream(d.schema().fields()).map(f -> f.name() + " " + f.dataType().simpleString()).toList();
    }

    @Test
    void aJobKilledMidwayAndRerunEndsWithEveryFileExactlyOnce() throws Exception {
        Path out = dir.resolve("out-killed");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--") || a.startsWith("-XX") || a.startsWith("-Dio.netty")).toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SparkMain.class.getName(), "scan", "--input", tree.root().toString(),
                "--out", out.toString(), "--chunk", "16", "--device", "cpu", "--master", "local[2]",
                "--model", tree.lowModel().toString(), "--model", tree.synthModel().toString()));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("killed.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + 180_000_000_000L;
            while (committedFiles(out) == 0 && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(child.isAlive(), "the job was still running when killed: " + Files.readString(dir.resolve("killed.log")));
        } finally {
            child.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no abort, no cleanup
        }
        long kept = spark.read().parquet(out.toString()).count();
        assertTrue(kept > 0 && kept < local.size(), "killed with " + kept + " rows committed");
        ScanJob.Summary s = job(out, 1000, -1);
        assertEquals(local.size() - kept, s.scanned());
        assertEquals(local, parquetRows(spark, out)); // parquetRows fails on a duplicate path
    }

    /** Parquet files outside the committer's scratch folders. */
    private static long committedFiles(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return 0;
        }
        try (var s = Files.walk(out)) {
            return s.filter(p -> p.toString().endsWith(".parquet") && !p.toString().contains("/_temporary") && !p.toString().contains("/.spark-staging")).count();
        } catch (java.io.UncheckedIOException e) {
            return 0; // the job renamed a scratch folder while the walk was inside it: the next poll looks again
        }
    }

    static int index(String column) {
        for (int i = 0; i < ParquetColumns.ALL.size(); i++) {
            if (ParquetColumns.ALL.get(i).name().equals(column)) {
                return i;
            }
        }
        throw new IllegalArgumentException(column);
    }

    /** Each row as its values in {@link ParquetColumns} order (arrays as lists, maps as maps), keyed by path|model. */
    static Map<String, List<Object>> parquetRows(SparkSession spark, Path data) {
        Map<String, List<Object>> out = new TreeMap<>();
        for (Row r : spark.read().parquet(data.toString()).collectAsList()) {
            List<Object> v = new ArrayList<>();
            for (ParquetColumns.Column c : ParquetColumns.ALL) {
                int i = r.fieldIndex(c.name());
                v.add(r.isNullAt(i) ? null : switch (c.type()) {
                    case FLOAT_ARRAY, INT_ARRAY -> List.copyOf(r.getList(i));
                    case DOUBLE_MAP, INT_MAP -> new java.util.HashMap<>(r.getJavaMap(i));
                    default -> r.get(i);
                });
            }
            assertNull(out.put(r.getString(r.fieldIndex("path")) + "|" + r.getString(r.fieldIndex("model")), v), "one row per path and model");
        }
        return out;
    }
}
