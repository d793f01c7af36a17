package dev.dsire.cli;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

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

/**
 * pooled-recipe end to end: on a zoo whose learning rates move the weights as much as the size does,
 * the stated recipe makes the answers better; a file that states none gets pooled's answer, and says so.
 */
class RecipeCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final double[] LRS = {5e-4, 1e-3, 2e-3};

    @TempDir
    Path dir;

    @Test
    void theStatedRecipeIsReadWhereEveryTrainingFileStatesIt() throws IOException {
        Path manifest = Zoo.writeRecipes(dir.resolve("zoo"), 9, List.of(1, 2, 3, 4), LRS);
        Path model = dir.resolve("m.json");
        Run fit = dsire("fit", "--manifest", manifest, "--out", model, "--method", "pooled-recipe");
        assertEquals(0, fit.code(), fit.err());
        assertTrue(fit.out().contains("recipe: learning_rate"), fit.out());
        assertFalse(fit.out().contains("steps ("), "300 steps everywhere: nothing to condition on: " + fit.out());

        Path stated = Zoo.writeRecipe(dir.resolve("q/stated.safetensors"), 12, 3, 2e-3, true);
        Path bare = Zoo.writeRecipe(dir.resolve("q/bare.safetensors"), 12, 3, 2e-3, false);
        Run p = dsire("predict", "--model", model, "--json", stated, bare);
        assertEquals(0, p.code(), p.err());
        JsonNode a = JSON.readTree(p.lines().get(0)), b = JSON.readTree(p.lines().get(1));
        assertEquals(3, a.get("prediction").asInt(), a.toString());
        assertTrue(a.get("reason").asText().contains("answered with the stated recipe (learning rate 0.002, 300 steps)"), a.toString());
        assertTrue(b.get("reason").asText().contains("the file states no learning rate: answered from the weights alone"), b.toString());

        Run inspect = dsire("inspect", "--json", stated, bare);
        assertEquals(0, inspect.code(), inspect.err());
        JsonNode is = JSON.readTree(inspect.lines().get(0)), ib = JSON.readTree(inspect.lines().get(1));
        assertEquals(0.002, is.get("learning_rate").asDouble());
        assertEquals(300, is.get("train_steps").asInt());
        assertTrue(ib.get("learning_rate").isNull() && ib.get("train_steps").isNull(), ib.toString());

        Run words = dsire("predict", "--model", model, stated);
        assertTrue(words.out().contains("answered with the stated recipe"), words.out());
    }

    /**
     * Every training file states 300 steps: what 450 do to the weights was never seen, so a file that states
     * them is out of distribution, its interval at least as wide as the same weights' stating 300, and a
     * file that states 300 is answered as before. pooled, which reads no metadata, does not look.
     */
    @Test
    void aRecipeValueNoTrainingAdapterHadIsOutOfDistribution() throws IOException {
        Path manifest = Zoo.writeRecipes(dir.resolve("zoo"), 9, List.of(1, 2, 3, 4), LRS);
        Path model = dir.resolve("m.json"), weightsOnly = dir.resolve("p.json");
        assertEquals(0, dsire("fit", "--manifest", manifest, "--out", model, "--method", "pooled-recipe").code());
        assertEquals(0, dsire("fit", "--manifest", manifest, "--out", weightsOnly, "--method", "pooled").code());
        Path usual = Zoo.writeRecipe(dir.resolve("q/usual.safetensors"), 12, 3, 1e-3, 300);
        Path longer = Zoo.writeRecipe(dir.resolve("q/longer.safetensors"), 12, 3, 1e-3, 450);
        Run p = dsire("predict", "--model", model, "--json", usual, longer);
        assertEquals(0, p.code(), p.err());
        JsonNode a = JSON.readTree(p.lines().get(0)), b = JSON.readTree(p.lines().get(1));
        assertEquals("ok", a.get("status").asText(), a.toString());
        assertEquals("out_of_distribution", b.get("status").asText(), b.toString());
        assertTrue(b.get("reason").asText().contains("the file states steps 450 where every training adapter stated 300"), b.toString());
        assertEquals(a.get("prediction"), b.get("prediction"), "the same weights, the same answer: only its trust changes");
        int widthA = a.get("interval80").get(1).asInt() - a.get("interval80").get(0).asInt();
        int widthB = b.get("interval80").get(1).asInt() - b.get("interval80").get(0).asInt();
        assertTrue(widthB > widthA, "the flagged interval widens: " + a.get("interval80") + " against " + b.get("interval80"));
        assertTrue(new String(java.nio.file.Files.readAllBytes(model)).contains("\"fixed_recipe\":{\"steps\":300"), "the model file keeps it");
        Run words = dsire("predict", "--model", model, longer);
        assertTrue(words.out().contains("steps 450 where every training adapter stated 300"), words.out());
        Run pooled = dsire("predict", "--model", weightsOnly, "--json", longer);
        assertFalse(pooled.out().contains("training adapter stated"), pooled.out());
    }

    @Test
    void evalMeasuresTheRecipesWorth() throws IOException {
        Path manifest = Zoo.writeRecipes(dir.resolve("zoo"), 18, List.of(1, 2, 3, 4), LRS);
        Run r = dsire("eval", "--manifest", manifest, "--methods", "pooled,pooled-recipe", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode methods = JSON.readTree(r.out()).get("methods");
        double pooled = Double.NaN, recipe = Double.NaN;
        for (JsonNode m : methods) {
            double mae = m.get("mae_mean").asDouble();
            if (m.get("method").asText().equals("pooled")) {
                pooled = mae;
            } else {
                recipe = mae;
            }
        }
        assertTrue(recipe < 0.5 * pooled, "pooled " + pooled + ", pooled-recipe " + recipe);
    }

    @Test
    void aZooWithoutRecipesFitsAndAnswersFromTheWeights() throws IOException {
        Path manifest = Zoo.write(dir.resolve("one"), Naming.KOHYA, 6, List.of(1, 2, 3));
        Path model = dir.resolve("one.json");
        Run fit = dsire("fit", "--manifest", manifest, "--out", model, "--method", "pooled-recipe", "--json");
        assertEquals(0, fit.code(), fit.err());
        assertEquals(0, JSON.readTree(fit.out()).get("recipe_fields").size(), fit.out());
        assertTrue(java.util.Set.of("log-size", "rank").contains(JSON.readTree(fit.out()).get("target").asText()), fit.out());
        assertTrue(JSON.readTree(fit.out()).get("recipe_target").isNull(), fit.out());
        Path q = Zoo.writeOne(dir.resolve("q.safetensors"), 9, 2, Zoo.RANK, 1, 1);
        Run p = dsire("predict", "--model", model, "--json", q);
        assertEquals(0, p.code(), p.err());
        assertTrue(JSON.readTree(p.out()).get("reason").isNull(), "answered as pooled, nothing to say: " + p.out());
    }

    /** The hub workflow: a scan stores each file's stated recipe, and the model fitted from the scan reads it. */
    @Test
    void aScanKeepsTheRecipeAndFitFromScanReadsIt() throws IOException {
        Zoo.writeRecipes(dir.resolve("dump"), 9, List.of(1, 2, 3, 4), LRS);
        Path db = dir.resolve("scan.sqlite");
        Run scan = dsire("scan", dir.resolve("dump"), "--db", db);
        assertEquals(0, scan.code(), scan.err());
        Run export = dsire("export", "--db", db, "--format", "jsonl");
        assertEquals(0, export.code(), export.err());
        JsonNode row = JSON.readTree(export.lines().getFirst());
        assertEquals(300, row.get("train_steps").asLong(), row.toString());
        assertTrue(row.get("learning_rate").isNumber(), row.toString());

        Path models = dir.resolve("models");
        Run fit = dsire("fit", "--from-scan", db, "--out", models);
        assertEquals(0, fit.code(), fit.err());
        JsonNode index = JSON.readTree(models.resolve("index.json").toFile());
        JsonNode model = JSON.readTree(models.resolve(index.get("layouts").get(0).get("model").asText()).toFile());
        assertEquals("pooled-recipe", model.get("method").asText());
        assertEquals("[\"learning_rate\"]", model.get("recipe").get("fields").toString(), "the scan's stated learning rates, read back");

        Path parquet = dir.resolve("scan.parquet");
        Run p = dsire("export", "--db", db, "--format", "parquet", "--out", parquet);
        assertEquals(0, p.code(), p.err());
        Path fromParquet = dir.resolve("models-parquet");
        Run fit2 = dsire("fit", "--from-scan", parquet, "--out", fromParquet);
        assertEquals(0, fit2.code(), fit2.err());
        JsonNode index2 = JSON.readTree(fromParquet.resolve("index.json").toFile());
        JsonNode model2 = JSON.readTree(fromParquet.resolve(index2.get("layouts").get(0).get("model").asText()).toFile());
        assertEquals(model.get("recipe"), model2.get("recipe"), "the Parquet export gives the same recipe block");
    }
}
