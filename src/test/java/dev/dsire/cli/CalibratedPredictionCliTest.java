package dev.dsire.cli;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.testutil.Cli.Run;
import dev.dsire.testutil.Zoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The calibrated-prediction contract of fit, predict and eval (issue 11). */
class CalibratedPredictionCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void posteriorPredictionsCarryProbabilitiesAnIntervalAndAStatus() throws IOException {
        Path manifest = Zoo.write(dir.resolve("train"), Naming.KOHYA, 4, List.of(1, 2, 4, 8));
        Path model = dir.resolve("posterior.json");
        Run fit = dsire("fit", "--manifest", manifest, "--out", model, "--method", "posterior");
        assertEquals(0, fit.code(), fit.err());
        assertTrue(fit.out().contains("posterior (log-std+spectrum × per-layer a,b,ba × soft-3nn × posterior)"), fit.out());

        Path known = Zoo.writeOne(dir.resolve("q/known.safetensors"), 9, 4, Zoo.RANK, 1, 1);
        Path untrained = Zoo.writeOne(dir.resolve("q/untrained.safetensors"), 9, 4, Zoo.RANK, 1, 0);
        Path zeroUpdate = Zoo.writeOne(dir.resolve("q/zero-update.safetensors"), 9, 4, Zoo.RANK, 0, 1); // A = 0: ΔW = 0, B is not
        Path missing = dir.resolve("q/missing.safetensors");
        Run p = dsire("predict", "--model", model, "--json", known, untrained, zeroUpdate, missing);
        assertEquals(Main.INPUT_ERROR, p.code(), "the missing file is an input error; untrained ones are answers");
        List<JsonNode> rows = p.lines().stream().map(CalibratedPredictionCliTest::parse).toList();
        assertEquals(4, rows.size(), "one row per file");

        JsonNode ok = rows.get(0);
        assertEquals(List.of("path", "prediction", "estimate", "probabilities", "interval80", "status", "votes", "reason", "error",
                        "declared_images", "agrees", "model"),
                iterable(ok.fieldNames()));
        assertEquals("ok", ok.get("status").asText());
        assertEquals(4, ok.get("prediction").asInt());
        double sum = 0;
        for (var e : iterable(ok.get("probabilities").properties().iterator())) {
            sum += e.getValue().asDouble();
        }
        assertEquals(1.0, sum, 1e-9);
        assertEquals(List.of("1", "2", "4", "8"), iterable(ok.get("probabilities").fieldNames()));
        assertTrue(ok.get("interval80").get(0).asInt() <= 4 && 4 <= ok.get("interval80").get(1).asInt());
        assertTrue(ok.get("votes").isNull(), "the posterior does not vote");

        assertEquals("untrained", rows.get(1).get("status").asText());
        assertTrue(rows.get(1).get("prediction").isNull(), "never a size for an untrained adapter");
        assertTrue(rows.get(1).get("reason").asText().contains("B is zero in every layer"));
        assertEquals("degenerate", rows.get(2).get("status").asText());
        assertTrue(rows.get(2).get("prediction").isNull());
        assertEquals("error", rows.get(3).get("status").asText());
        assertFalse(rows.get(3).get("error").isNull());
        assertEquals(1, p.err().lines().count(), "one line for the one failing file: " + p.err());
    }

    @Test
    void dsireAlsoRefusesToSizeAnUntrainedAdapterAndFlagsFarAwayOnes() throws IOException {
        Path manifest = Zoo.write(dir.resolve("train"), Naming.KOHYA, 4, List.of(1, 2, 4, 8));
        Path model = dir.resolve("dsire.json");
        assertEquals(0, dsire("fit", "--manifest", manifest, "--method", "dsire", "--out", model).code());
        Path untrained = Zoo.writeOne(dir.resolve("q/untrained.safetensors"), 9, 4, Zoo.RANK, 1, 0);
        Path far = Zoo.writeOne(dir.resolve("q/far.safetensors"), 9, 4, Zoo.RANK, 1, 50); // B and ΔW 50× larger
        Run p = dsire("predict", "--model", model, "--json", untrained, far);
        assertEquals(0, p.code(), p.err());
        JsonNode u = parse(p.lines().get(0)), f = parse(p.lines().get(1));
        assertEquals("untrained", u.get("status").asText());
        assertTrue(u.get("prediction").isNull());
        assertEquals("out_of_distribution", f.get("status").asText());
        assertFalse(f.get("prediction").isNull(), "out of distribution keeps its prediction");
        Run text = dsire("predict", "--model", model, untrained);
        assertTrue(text.out().contains("no estimate: never trained: B is zero in every layer"), text.out());
    }

    @Test
    void scanRowsCarryThePredictionsStatusAndThePosteriorsProbabilities() throws IOException {
        Path manifest = Zoo.write(dir.resolve("train"), Naming.KOHYA, 4, List.of(1, 2, 4, 8));
        Path model = dir.resolve("posterior.json");
        assertEquals(0, dsire("fit", "--manifest", manifest, "--method", "posterior", "--out", model).code());
        Path q = dir.resolve("q");
        Path known = Zoo.writeOne(q.resolve("known.safetensors"), 9, 4, Zoo.RANK, 1, 1);
        Path untrained = Zoo.writeOne(q.resolve("untrained.safetensors"), 9, 4, Zoo.RANK, 1, 0);
        Path db = dir.resolve("scan.sqlite");
        Run scan = dsire("scan", q, "--db", db, "--model", model);
        assertEquals(0, scan.code(), scan.err());
        Run export = dsire("export", "--db", db, "--format", "jsonl");
        assertEquals(0, export.code(), export.err());
        java.util.Map<String, JsonNode> rows = new java.util.HashMap<>();
        for (String line : export.out().lines().toList()) {
            JsonNode n = parse(line);
            rows.put(n.get("path").asText(), n);
        }
        JsonNode k = rows.get(known.toString()), u = rows.get(untrained.toString());
        assertTrue(List.of("ok", "out_of_distribution").contains(k.get("status").asText()), k.toString());
        JsonNode probabilities = k.get("probabilities");
        double sum = 0;
        for (JsonNode p : probabilities) {
            sum += p.asDouble();
        }
        assertEquals(1, sum, 1e-9, "a probability for every training size");
        assertEquals(4, probabilities.size());
        assertTrue(k.get("votes").isNull(), "the posterior does not vote");
        assertEquals("untrained", u.get("status").asText());
        assertTrue(u.get("prediction").isNull(), "never a size for an untrained adapter");
        assertTrue(u.get("probabilities").isNull());
    }

    @Test
    void evalReportsCoverageUnseenSizesAndTheTrainingGroupsSweep() throws IOException {
        Path manifest = Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 17, List.of(1, 2, 4, 8));
        Path report = dir.resolve("r.html");
        Run r = dsire("eval", "--manifest", manifest, "--methods", "dsire,posterior", "--repeats", "2", "--json", "--unseen-sizes", "4",
                "--sweep-train-groups", "3", "--report", report);
        assertEquals(0, r.code(), r.err());
        JsonNode n = JSON.readTree(r.out());
        JsonNode posterior = n.get("methods").get(1);
        assertEquals("posterior", posterior.get("method").asText());
        double cov = posterior.get("coverage80_mean").asDouble();
        assertTrue(cov >= 0 && cov <= 1);
        assertEquals(List.of(4), iterable(n.get("unseen_sizes").elements()).stream().map(JsonNode::asInt).toList());
        JsonNode unseenPosterior = n.get("unseen").get(1);
        assertEquals("posterior", unseenPosterior.get("method").asText());
        assertTrue(unseenPosterior.get("mae_by_size").has("4"));
        assertTrue(unseenPosterior.get("mae_mean").asDouble() < n.get("unseen").get(0).get("mae_mean").asDouble(),
                "between sizes 2 and 8 the posterior's continuous estimate beats a snapped vote");
        assertEquals(2 * 3, n.get("sweep_train_groups").size(), "two methods × 1..3 groups");
        assertEquals(3, n.get("sweep_train_groups").get(5).get("train_groups").asInt());
        String html = Files.readString(report);
        for (String s : List.of("observed accuracy", "perfect calibration", "Sizes never seen in training", "training groups", "accuracy (%)",
                "predicted size", "true size")) {
            assertTrue(html.contains(s), s);
        }
        Run bad = dsire("eval", "--manifest", manifest, "--unseen-sizes", "3");
        assertEquals(Main.USAGE, bad.code());
        assertTrue(bad.err().contains("unseen size 3 is not in the data"), bad.err());
    }

    @Test
    void helpListsEveryMethodWithItsComposition() {
        Run h = dsire("fit", "--help");
        for (String m : dev.dsire.model.Method.keys()) {
            assertTrue(h.out().contains(m), m);
        }
        assertTrue(h.out().contains("log-std+spectrum × per-layer a,b,ba × soft-3nn × posterior"), h.out());
        assertTrue(h.out().contains("log-std × per-layer a,b,ba × soft-1nn × weighted-posterior"), h.out());
        assertTrue(dsire("eval", "--help").out().contains("ridge"));
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError(line, e);
        }
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
