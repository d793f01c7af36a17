package dev.dsire.hub;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.safetensors.DType;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.ModuleSpec;
import dev.dsire.testutil.Cli.Run;
import dev.dsire.testutil.Zoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub workflow on a small simulated dump: one layout whose files half keep their kohya size
 * (two of them epoch snapshots of one run), half stripped, and a layout nobody labelled.
 */
class HubWorkflowTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<Integer> SIZES = List.of(1, 2, 4, 8);
    static final int GROUPS = 6;

    @TempDir
    static Path dir;
    static Path dump;
    static Path db;
    static Path models;
    static Map<String, Integer> truth = new HashMap<>();
    static Map<String, Boolean> labelled = new HashMap<>();
    static List<String> unlabelledLayout = new ArrayList<>();
    static Run fit;

    @BeforeAll
    static void scanAndFit() throws IOException {
        dump = Files.createDirectories(dir.resolve("dump"));
        for (int g = 0; g < GROUPS; g++) {
            for (int n : SIZES) {
                boolean keep = (g + SIZES.indexOf(n)) % 2 == 0; // every size keeps its label in half the groups
                Map<String, String> meta = new HashMap<>(Map.of("ss_network_module", "networks.lora", "ss_session_id", "s" + g + "-" + n));
                if (keep) {
                    meta.put("ss_dataset_dirs", "{\"10_group" + g + "\": {\"n_repeats\": 10, \"img_count\": " + n + "}}");
                    meta.put("ss_num_train_images", String.valueOf(10 * n));
                }
                Path f = Zoo.writeWithMetadata(dump.resolve("uploader-" + g % 3).resolve("g" + g + "-n" + n + ".safetensors"), g, n, meta);
                truth.put(f.toString(), n);
                labelled.put(f.toString(), keep);
                if (keep && g == 0 && n == 1) { // a second epoch snapshot of the same run
                    Path snap = Zoo.writeWithMetadata(dump.resolve("uploader-0/g0-n1-000002.safetensors"), g, n, meta);
                    truth.put(snap.toString(), n);
                    labelled.put(snap.toString(), true);
                }
            }
        }
        List<ModuleSpec> other = List.of(new ModuleSpec("unet", "z.to_q", 8, 8), new ModuleSpec("unet", "z.to_k", 8, 8));
        Files.createDirectories(dump.resolve("nobody"));
        for (int k = 0; k < 3; k++) {
            Path f = AdapterWriter.write(dump.resolve("nobody/other-" + k + ".safetensors"), Naming.KOHYA, other, 2, 2, DType.F16,
                    AdapterWriter.random(other, 2, k), Map.of());
            unlabelledLayout.add(f.toString());
        }
        db = dir.resolve("scan.sqlite");
        Run scan = dsire("scan", dump, "--db", db, "--threads", 2);
        assertEquals(0, scan.code(), scan.err());
        models = dir.resolve("models");
        fit = dsire("fit", "--from-scan", db, "--out", models);
    }

    static Map<String, List<JsonNode>> rows(Path db) throws IOException {
        Run r = dsire("export", "--db", db, "--format", "jsonl");
        assertEquals(0, r.code(), r.err());
        Map<String, List<JsonNode>> out = new HashMap<>();
        for (String line : r.lines()) {
            JsonNode n = JSON.readTree(line);
            out.computeIfAbsent(n.get("path").asText(), k -> new ArrayList<>()).add(n);
        }
        return out;
    }

    @Test
    void fitFromScanWritesAModelPerLabelledLayoutAndSaysWhyNotForTheOthers() throws IOException {
        assertEquals(0, fit.code(), fit.err());
        JsonNode index = JSON.readTree(models.resolve("index.json").toFile());
        assertEquals(1, index.get("layouts").size(), index.toString());
        JsonNode l = index.get("layouts").get(0);
        long declared = labelled.values().stream().filter(b -> b).count();
        assertEquals(declared, l.get("adapters").asInt());
        assertEquals(declared - 1, l.get("runs").asInt(), "the two snapshots of one run are one run");
        assertEquals("[1,2,4,8]", l.get("sizes").toString());
        assertEquals(declared, l.get("label_sources").get("ss_dataset_dirs").asInt());
        assertTrue(Files.isRegularFile(models.resolve(l.get("model").asText())));
        assertTrue(l.get("cv").get("mae").asDouble() < l.get("cv").get("constant_mae").asDouble(), l.toString());
        assertEquals(1, index.get("skipped").size());
        assertTrue(index.get("skipped").get(0).get("reason").asText().contains("no file of this layout states"));
        assertTrue(fit.out().contains(l.get("layout").asText()) && fit.out().contains("no model for "), fit.out());

        Run strict = dsire("fit", "--from-scan", db, "--out", dir.resolve("strict"), "--min-runs", 100);
        assertEquals(0, strict.code(), strict.err());
        assertTrue(strict.out().contains("(at least 100 needed)"), strict.out());
        assertEquals(0, JSON.readTree(dir.resolve("strict/index.json").toFile()).get("layouts").size());
    }

    @Test
    void scanWithTheHubsModelsPredictsTheStrippedFilesAndSaysNoModelForTheRest() throws IOException {
        Path db2 = dir.resolve("routed.sqlite");
        Run scan = dsire("scan", dump, "--db", db2, "--model", models);
        assertEquals(0, scan.code(), scan.err());
        assertTrue(scan.out().contains(", 3 no_model"), scan.out());
        Map<String, List<JsonNode>> rows = rows(db2);
        String layout = JSON.readTree(models.resolve("index.json").toFile()).get("layouts").get(0).get("layout").asText();
        int close = 0;
        for (var e : truth.entrySet()) {
            JsonNode r = rows.get(e.getKey()).getFirst();
            assertEquals(1, rows.get(e.getKey()).size());
            assertEquals(layout, r.get("model").asText());
            assertEquals(layout, r.get("layout").asText());
            assertTrue(r.get("prediction").isInt(), r.toString());
            close += Math.abs(r.get("prediction").asInt() - e.getValue()) <= 1 ? 1 : 0;
            if (labelled.get(e.getKey())) {
                assertEquals(e.getValue(), r.get("declared_images").asInt());
                assertEquals("ss_dataset_dirs", r.get("label_source").asText());
                assertTrue(r.get("agrees").isBoolean());
            } else {
                assertTrue(r.get("declared_images").isNull() && r.get("agrees").isNull(), r.toString());
            }
        }
        assertTrue(close >= 0.9 * truth.size(), close + " of " + truth.size() + " within one size");
        for (String f : unlabelledLayout) {
            JsonNode r = rows.get(f).getFirst();
            assertEquals("no_model", r.get("status").asText());
            assertTrue(r.get("prediction").isNull() && r.get("model").isNull());
            assertTrue(r.get("reason").asText().startsWith("no model for layout "), r.toString());
        }

        Path report = dir.resolve("hub.html");
        Run rep = dsire("report", db2, "--models", models, "--out", report);
        assertEquals(0, rep.code(), rep.err());
        String dom = renderedDom(report);
        assertTrue(dom.contains("data-ready=\"true\""), "the page's script ran");
        assertTrue(dom.contains("<td class=\"t\">no_model</td><td>3</td>"), "rows counted by status");
        assertTrue(dom.contains("<td class=\"t\">kohya</td><td>" + (truth.size() + 3) + "</td>"), "files counted by format");
        assertTrue(dom.matches("(?s).*<figure class=\"sizes\" data-family=\"[^\"]+\"><h3>[^<]+</h3><svg.*"), "a size plot per family, with a title");
        assertTrue(dom.contains("size (images, log scale)") && dom.contains(">files</text>"), "axis titles");
        assertTrue(dom.contains("declared in metadata") && dom.contains("inferred by a model"), "a legend");
        assertTrue(dom.contains("<td class=\"t\">" + layout + "</td>"), "the layout's cross-validated scores");
        long disagreeing = rows.values().stream().flatMap(List::stream).filter(r -> r.get("agrees").isBoolean() && !r.get("agrees").asBoolean()).count();
        assertTrue(dom.contains("<p>" + disagreeing + " rows whose declared size lies outside"), "the disagreeing count");
        int at = dom.indexOf("id=\"disagree-list\"");
        assertTrue(dom.substring(at).contains("data-rows=\"" + Math.min(disagreeing, 1000) + "\""), "and as many listed rows, counted in the browser");
    }

    @Test
    void severalModelsOfOneLayoutAnswerEachUnderItsName() throws IOException {
        String layout = JSON.readTree(models.resolve("index.json").toFile()).get("layouts").get(0).get("layout").asText();
        Path copy = dir.resolve("second.json");
        Files.copy(models.resolve(layout + ".json"), copy);
        Path db3 = dir.resolve("two.sqlite");
        assertEquals(0, dsire("scan", dump, "--db", db3, "--model", models, "--model", copy).code());
        Map<String, List<JsonNode>> rows = rows(db3);
        for (String f : truth.keySet()) {
            assertEquals(List.of(layout, "second"), rows.get(f).stream().map(r -> r.get("model").asText()).sorted().toList());
            assertEquals(rows.get(f).get(0).get("prediction"), rows.get(f).get(1).get("prediction"));
        }
        assertEquals(1, rows.get(unlabelledLayout.getFirst()).size());
        Path same = dir.resolve("more/second.json");
        Files.createDirectories(same.getParent());
        Files.copy(copy, same);
        Run clash = dsire("scan", dump, "--db", dir.resolve("clash.sqlite"), "--model", copy, "--model", same);
        assertNotEquals(0, clash.code());
        assertTrue(clash.err().contains("two models are named second"), clash.err());
    }

    @Test
    void evalFromScanCrossValidatesEveryMethodByRun() throws IOException {
        Run r = dsire("eval", "--from-scan", db, "--methods", "dsire,posterior", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode layouts = JSON.readTree(r.out()).get("layouts");
        assertEquals(List.of("dsire", "posterior"), List.of(layouts.get(0).get("method").asText(), layouts.get(1).get("method").asText()));
        long declared = labelled.values().stream().filter(b -> b).count();
        for (JsonNode l : layouts) {
            assertEquals(declared, l.get("adapters").asInt());
            assertTrue(l.get("mae").asDouble() < l.get("constant_mae").asDouble(), l.toString());
        }
        assertTrue(layouts.get(0).get("coverage80").isNull() && layouts.get(1).get("coverage80").isNumber());
    }

    @Test
    void parquetFeedsTheFitAsTheDatabaseDoes() throws IOException {
        Path parquet = dir.resolve("scan.parquet");
        assertEquals(0, dsire("export", "--db", db, "--format", "parquet", "--out", parquet).code());
        Path fromParquet = dir.resolve("models-parquet");
        Run r = dsire("fit", "--from-scan", parquet, "--out", fromParquet);
        assertEquals(0, r.code(), r.err());
        assertEquals(JSON.readTree(models.resolve("index.json").toFile()), JSON.readTree(fromParquet.resolve("index.json").toFile()));
        Run missing = dsire("fit", "--from-scan", dir.resolve("nowhere"), "--out", dir.resolve("x"));
        assertNotEquals(0, missing.code());
        assertTrue(missing.err().contains("nowhere: no such scan database"), missing.err());
    }

    /** The page as headless Chromium renders it (after its script ran). */
    static String renderedDom(Path html) throws IOException {
        String chromium = Stream.of("chromium", "chromium-browser", "google-chrome").map(HubWorkflowTest::onPath).filter(p -> p != null)
                .findFirst().orElse(null);
        if (chromium == null) {
            assertNull(System.getenv("CI"), "CI must have chromium (.ci/run installs it)");
            Assumptions.abort("no chromium on PATH (install the Debian package chromium)");
        }
        try {
            Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", html.toUri().toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
            assertEquals(0, p.exitValue());
            return new String(out, java.nio.charset.StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static String onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
