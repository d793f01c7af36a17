package dev.dsire.scan;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.cli.Main;
import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsWriter;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.ModuleSpec;
import dev.dsire.testutil.Cli.Run;
import dev.dsire.testutil.Zoo;
import static dev.dsire.testutil.Cli.dsire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScanTest {
    static final ObjectMapper JSON = new ObjectMapper();


    @TempDir
    Path dir;


    /** A tree of every kind of file a hub dump holds. */
    private Path mixedTree() throws IOException {
        Path root = Files.createDirectories(dir.resolve("dump"));
        for (Naming n : Naming.values()) {
            Zoo.write(root.resolve(n.name().toLowerCase()), n, 1, List.of(1, 5));
        }
        Path bad = Files.createDirectories(root.resolve("bad"));
        Files.write(bad.resolve("truncated.safetensors"), new byte[] {10, 0, 0, 0, 0, 0, 0, 0, '{'});
        new SafetensorsWriter().put("model.diffusion.weight", DType.F32, new long[] {2, 2}, new double[4]).write(bad.resolve("checkpoint.safetensors"));
        new SafetensorsWriter().put("lora_unet_x.hada_w1_a", DType.F32, new long[] {2}, new double[2]).write(bad.resolve("loha.safetensors"));
        new SafetensorsWriter().put("x.lora_A.weight", DType.F32, new long[] {1, 2}, new double[] {1, Double.NaN})
                .put("x.lora_B.weight", DType.F32, new long[] {2, 1}, new double[] {1, 2}).write(bad.resolve("nan.safetensors"));
        Files.write(bad.resolve("model.ckpt"), new byte[] {(byte) 0x80, 2, 'x'});
        Files.write(bad.resolve("pytorch_model.bin"), new byte[] {'P', 'K', 3, 4});
        Files.writeString(bad.resolve("notes.txt"), "not a candidate");
        Files.createSymbolicLink(bad.resolve("loop"), root);
        Files.createSymbolicLink(bad.resolve("dangling.safetensors"), bad.resolve("nowhere"));
        new ProcessBuilder("mkfifo", bad.resolve("fifo.safetensors").toString()).start().onExit().join();
        return root;
    }

    private static Map<String, JsonNode> rows(Path db) throws IOException {
        Run r = dsire("export", "--db", db, "--format", "jsonl");
        assertEquals(0, r.code(), r.err());
        Map<String, JsonNode> out = new HashMap<>();
        for (String line : r.out().lines().toList()) {
            JsonNode n = JSON.readTree(line);
            out.put(n.get("path").asText(), n);
        }
        return out;
    }

    @Test
    void aMixedTreeGetsOneRowPerFileAndNothingCrashes() throws IOException {
        Path root = mixedTree();
        Path db = dir.resolve("scan.sqlite");
        Path model = dir.resolve("m.json");
        assertEquals(0, dsire("fit", "--manifest", root.resolve("kohya/manifest.csv"), "--out", model).code());
        Run r = dsire("scan", root, "--db", db, "--model", model, "--threads", 2, "--jsonl", dir.resolve("scan.jsonl"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("scan done: "), r.err());
        Map<String, JsonNode> rows = rows(db);
        Path bad = root.resolve("bad");
        assertEquals("ok", rows.get(root.resolve("peft/g0-n5/adapter_model.safetensors").toString()).get("status").asText());
        assertEquals(5, rows.get(root.resolve("diffusers/g0-n5/g0-n5.safetensors").toString()).get("prediction").asInt(),
                "a kohya-fitted model predicts other formats of the same layout");
        assertEquals(5, rows.get(root.resolve("kohya/g0-n5/g0-n5.safetensors").toString()).get("declared_images").asInt());
        assertEquals("pickle", rows.get(bad.resolve("model.ckpt").toString()).get("status").asText());
        assertEquals("pickle", rows.get(bad.resolve("pytorch_model.bin").toString()).get("status").asText());
        for (String f : List.of("truncated.safetensors", "checkpoint.safetensors", "loha.safetensors", "nan.safetensors",
                "dangling.safetensors", "fifo.safetensors", "loop")) {
            JsonNode n = rows.get(bad.resolve(f).toString());
            assertNotNull(n, f);
            assertEquals("error", n.get("status").asText(), f);
            assertFalse(n.get("error").asText().isBlank(), f);
        }
        assertTrue(rows.get(bad.resolve("loha.safetensors").toString()).get("error").asText().contains("LoHa"));
        assertEquals(4 * 2 + 7 + 2, rows.size(), "every candidate once; the loop is not followed");
        assertEquals(rows.size(), Files.readAllLines(dir.resolve("scan.jsonl")).size());

        Run again = dsire("scan", root, "--db", db, "--model", model);
        assertTrue(again.out().startsWith("3 scanned, 14 skipped"), again.out()); // entries that could not be visited are retried
        assertEquals(rows, rows(db), "a rerun changes nothing");
    }

    @Test
    void aFileOfAnotherLayoutGetsNoModel() throws IOException {
        Path root = Files.createDirectories(dir.resolve("t"));
        Zoo.write(root.resolve("a"), Naming.KOHYA, 1, List.of(2));
        List<ModuleSpec> other = List.of(new ModuleSpec("unet", "z.to_q", 8, 8));
        AdapterWriter.write(root.resolve("other.safetensors"), Naming.KOHYA, other, 2, 2, DType.F16, AdapterWriter.random(other, 2, 1), Map.of());
        Path model = dir.resolve("m.json");
        assertEquals(0, dsire("fit", "--manifest", root.resolve("a/manifest.csv"), "--out", model, "--method", "frobenius").code());
        Path db = dir.resolve("s.sqlite");
        assertEquals(0, dsire("scan", root, "--db", db, "--model", model).code());
        JsonNode n = rows(db).get(root.resolve("other.safetensors").toString());
        assertEquals("no_model", n.get("status").asText());
        assertTrue(n.get("reason").asText().startsWith("no model for layout "), n.toString());
        assertTrue(n.get("error").isNull());
    }

    @Test
    void aDatabaseOfAnEarlierDsireIsRescannedNotSkipped() throws Exception {
        Path root = Files.createDirectories(dir.resolve("old"));
        Zoo.write(root, Naming.KOHYA, 1, List.of(2));
        Path file = root.resolve("g0-n2/g0-n2.safetensors");
        Path db = dir.resolve("old.sqlite");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) { // the files table as earlier versions wrote it
            c.createStatement().execute("CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, header_sha256 TEXT, "
                    + "format TEXT, family TEXT, rank TEXT, layers INTEGER, dtype TEXT, bytes INTEGER, train_images INTEGER, "
                    + "train_group TEXT, status TEXT NOT NULL, error TEXT, layout TEXT, spectra BLOB, prediction INTEGER, votes TEXT, model TEXT)");
            c.createStatement().execute("INSERT INTO files (path, size, mtime, status) VALUES ('" + file + "', " + Files.size(file) + ", "
                    + Files.getLastModifiedTime(file).toMillis() + ", 'mismatch')");
        }
        Run r = dsire("scan", root, "--db", db);
        assertTrue(r.out().startsWith("1 scanned, 0 skipped"), r.out());
        JsonNode row = rows(db).get(file.toString());
        assertEquals(2, row.get("declared_images").asInt());
        assertEquals("no_model", row.get("status").asText());
        assertTrue(row.get("layout").asText().contains("-r4-4l-"), row.toString());
    }

    @Test
    void exportWritesCsvAndAManifestFromMetadata() throws IOException {
        Path root = Files.createDirectories(dir.resolve("t"));
        Zoo.write(root, Naming.KOHYA, 2, List.of(1, 3));
        Path db = dir.resolve("s.sqlite");
        assertEquals(0, dsire("scan", root, "--db", db).code());
        Run csv = dsire("export", "--db", db, "--format", "csv");
        List<String> lines = csv.out().lines().toList();
        assertEquals(ScanRow.csvHeader(), lines.getFirst());
        assertEquals(5, lines.size());
        Path manifest = dir.resolve("labels.csv");
        assertEquals(0, dsire("export", "--db", db, "--labels-from-metadata", "--out", manifest).code());
        List<String> m = Files.readAllLines(manifest);
        assertEquals("path,group,size", m.getFirst());
        assertEquals(5, m.size());
        assertTrue(m.get(1).endsWith(",group0,1"), m.get(1));
        assertEquals(0, dsire("fit", "--manifest", manifest, "--out", dir.resolve("model.json")).code(), "the manifest feeds fit");
    }

    @Test
    void aScanKilledWithSigkillAndRerunEndsWithTheRowsOfAnUninterruptedScan() throws Exception {
        Path root = Files.createDirectories(dir.resolve("many"));
        List<ModuleSpec> m = List.of(new ModuleSpec("unet", "a.to_q", 64, 64), new ModuleSpec("unet", "a.to_k", 64, 64));
        for (int i = 0; i < 1500; i++) {
            Path sub = Files.createDirectories(root.resolve("d" + i % 10));
            AdapterWriter.write(sub.resolve("f" + i + ".safetensors"), Naming.KOHYA, m, 4, 4, DType.F16, AdapterWriter.random(m, 4, i), Map.of());
        }
        Path killed = dir.resolve("killed.sqlite");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "scan", root.toString(), "--db", killed.toString(),
                "--threads", "1").redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        long rowsAtKill = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (p.isAlive() && System.nanoTime() < deadline) {
            rowsAtKill = countRows(killed);
            if (rowsAtKill > 0) {
                break;
            }
            Thread.sleep(2);
        }
        p.destroyForcibly(); // SIGKILL
        p.waitFor();
        assertTrue(rowsAtKill > 0 && rowsAtKill < 1500, "killed mid-scan after " + rowsAtKill + " rows; " + Files.readString(dir.resolve("child.log")));

        Run resumed = dsire("scan", root, "--db", killed);
        assertEquals(0, resumed.code(), resumed.err());
        Path clean = dir.resolve("clean.sqlite");
        assertEquals(0, dsire("scan", root, "--db", clean, "--threads", 2).code());
        assertEquals(dsire("export", "--db", clean, "--format", "jsonl").out(), dsire("export", "--db", killed, "--format", "jsonl").out());
        assertEquals(1500, countRows(killed));
    }

    private static long countRows(Path db) {
        if (!Files.exists(db)) {
            return 0;
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM files")) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (Exception e) {
            return 0; // not created yet
        }
    }

    @Test
    void aFileChangingDuringTheScanGetsAnErrorRowNotACrash() throws IOException {
        Path f = dir.resolve("x.safetensors");
        List<ModuleSpec> m = List.of(new ModuleSpec("unet", "a.to_q", 16, 16));
        AdapterWriter.write(f, Naming.KOHYA, m, 2, 2, DType.F16, AdapterWriter.random(m, 2, 1), Map.of());
        long size = Files.size(f);
        Found stale = new Found(f, size, Files.getLastModifiedTime(f).toMillis() - 5000, null);
        try (var cpu = new dev.dsire.spectra.CpuSpectrumBackend(1)) {
            ScanRecord r = new FileScanner(cpu, null).scan(stale);
            assertEquals(ScanStatus.ERROR, r.status());
            assertEquals("file changed while being scanned", r.error());
            // truncated after being found: the reader sees a short file and says so
            Files.write(f, java.util.Arrays.copyOf(Files.readAllBytes(f), (int) size - 10));
            ScanRecord t = new FileScanner(cpu, null).scan(new Found(f, size, Files.getLastModifiedTime(f).toMillis(), null));
            assertEquals(ScanStatus.ERROR, t.status());
            assertNotNull(t.error());
        }
    }

    @Test
    void aMissingPathIsAUsageError() {
        Run r = dsire("scan", dir.resolve("absent"), "--db", dir.resolve("s.sqlite"));
        assertEquals(Main.USAGE, r.code());
        assertTrue(r.err().strip().endsWith("absent: no such file or folder"), r.err());
    }

    static List<String> lines(String s) {
        return new ArrayList<>(s.lines().toList());
    }
}
