package dev.dsire.cli;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.testutil.Cli.Run;
import dev.dsire.testutil.Zoo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default method (pooled-recipe; pooled where no recipe varies) end to end: fit, range statuses in JSON and words, and eval --transfer. */
class PooledCliTest {
    @TempDir
    Path dir;

    @Test
    void theDefaultAnswersAnAdapterBeyondTheTrainedRangeAsSuch() throws IOException {
        Path manifest = Zoo.write(dir.resolve("train"), Naming.KOHYA, 6, List.of(1, 2, 3));
        Path model = dir.resolve("m.json");
        Run fit = dsire("fit", "--manifest", manifest, "--out", model);
        assertEquals(0, fit.code(), fit.err());
        assertTrue(fit.out().contains("pooled-recipe (log-std × concatenated a,b,ba × pooled-ridge+recipe × score-posterior)"), fit.out());
        assertTrue(fit.out().contains("recipe: no field (learning rate, steps) is stated by every training file"), "the zoo states no recipe: " + fit.out());
        assertTrue(fit.out().matches("(?s).*score: ridge on (log n|the size's rank among the training sizes) \\(chosen with the penalty by the held-out error\\).*"), fit.out());

        Path like = Zoo.writeOne(dir.resolve("q/like.safetensors"), 9, 2, Zoo.RANK, 1, 1);
        Path far = Zoo.writeOne(dir.resolve("q/far.safetensors"), 9, 400, Zoo.RANK, 1, 1);
        Run p = dsire("predict", "--model", model, "--json", like, far);
        assertEquals(0, p.code(), p.err());
        ObjectMapper json = new ObjectMapper();
        JsonNode a = json.readTree(p.lines().get(0)), b = json.readTree(p.lines().get(1));
        assertEquals("ok", a.get("status").asText());
        assertEquals(2, a.get("prediction").asInt());
        assertEquals("above_range", b.get("status").asText());
        assertEquals(3, b.get("prediction").asInt(), "the bound of the trained sizes");
        assertTrue(b.get("estimate").asDouble() > 3, b.toString());

        Run words = dsire("predict", "--model", model, far);
        assertTrue(words.out().contains("above the trained range"), words.out());
    }

    @Test
    void transferReportsFlaggedShareAndStatuses() throws IOException {
        Path train = Zoo.write(dir.resolve("a"), Naming.KOHYA, 5, List.of(1, 2, 3));
        Path test = Zoo.write(dir.resolve("b"), Naming.PEFT, 3, List.of(1, 2, 3, 30));
        Run r = dsire("eval", "--transfer", train, test, "--methods", "dsire,pooled");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("big errors flagged"), r.out());
        assertTrue(r.out().contains("above_range"), "adapters of 30 images against a 1–3 model: " + r.out());
        assertTrue(r.out().contains("recall per true size"), r.out());
    }
}
