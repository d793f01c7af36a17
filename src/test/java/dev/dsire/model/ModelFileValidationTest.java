package dev.dsire.model;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsire.testutil.Cli.Run;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model files damaged field by field: each is refused at load in one line naming the field, where
 * they once loaded and answered with status ok (or an internal error). The models are the fuzz
 * seeds: two layers of rank 2, four training adapters.
 */
class ModelFileValidationTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path SEEDS = Path.of("src/test/resources/dev/dsire/model/ModelFileFuzzTestInputs/modelsLoadOrFailCleanly");

    @TempDir
    Path dir;

    private String refused(String seed, Consumer<ObjectNode> damage) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(SEEDS.resolve(seed).toFile());
        ModelFile.parse(Path.of(seed), JSON.writeValueAsBytes(root)); // the seed itself loads
        damage.accept(root);
        Path p = dir.resolve("m.json");
        JSON.writeValue(p.toFile(), root);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.load(p), root.toString());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        return e.getMessage();
    }

    private static String doubles(double... xs) {
        ByteBuffer b = ByteBuffer.allocate(8 * xs.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(xs);
        return Base64.getEncoder().encodeToString(b.array());
    }

    @Test
    void labelsMustBeAnArrayOfPositiveWholeNumbers() throws Exception {
        assertTrue(refused("v3-dsire.json", r -> ((ArrayNode) r.get("labels")).set(1, "abc")).contains("labels[1]"));
        assertTrue(refused("v3-dsire.json", r -> ((ArrayNode) r.get("labels")).set(0, -4)).contains("labels[0] (a training size in images) is -4"));
        assertTrue(refused("v3-dsire.json", r -> ((ArrayNode) r.get("labels")).set(0, 0)).contains("labels[0]"));
        assertTrue(refused("v3-dsire.json", r -> ((ArrayNode) r.get("labels")).set(0, 2.5)).contains("labels[0]"));
        assertTrue(refused("v3-dsire.json", r -> ((ArrayNode) r.get("labels")).set(0, 1e12)).contains("labels[0]"));
        assertTrue(refused("v3-dsire.json", r -> r.putObject("labels").put("a", 1)).contains("labels is not an array"));
    }

    @Test
    void calibrationMustBeFiniteAndPositive() throws Exception {
        assertTrue(refused("v3-posterior.json", r -> ((ArrayNode) r.get("calibration").get("weights")).set(0, JSON.getNodeFactory().numberNode(new java.math.BigDecimal("1e999"))))
                .contains("calibration weights holds a non-finite value"));
        assertTrue(refused("v3-posterior.json", r -> ((ArrayNode) r.get("calibration").get("weights")).set(0, -0.5)).contains("calibration weights holds -0.5"));
        assertTrue(refused("v3-dsire.json", r -> ((ArrayNode) r.get("calibration").get("tau")).set(2, -0.2)).contains("calibration tau holds -0.2"));
        assertTrue(refused("v3-dsire.json", r -> ((ArrayNode) r.get("calibration").get("tau")).set(2, 0)).contains("calibration tau holds 0.0"));
        assertTrue(refused("v3-dsire.json", r -> ((ObjectNode) r.get("calibration")).put("ood_threshold", -3)).contains("ood_threshold"));
        assertTrue(refused("v3-dsire.json", r -> ((ObjectNode) r.get("calibration")).put("interval_mass", "0.5")).contains("interval_mass"));
    }

    @Test
    void standardisersMustScaleByPositiveFiniteAmounts() throws Exception {
        assertTrue(refused("v3-posterior.json", r -> ((ObjectNode) r.get("voters").get(0)).put("std", doubles(0, 0.75))).contains("voter x/a/log std holds 0.0"));
        assertTrue(refused("v3-posterior.json", r -> ((ObjectNode) r.get("voters").get(0)).put("std", doubles(-1, 0.75))).contains("voter x/a/log std holds -1.0"));
        assertTrue(refused("v3-posterior.json", r -> ((ObjectNode) r.get("voters").get(0)).put("mean", doubles(Double.NaN, 0))).contains("non-finite"));
    }

    /** dim halved and labels doubled keep refs = labels × dim: the method's dimension on the layout tells. */
    @Test
    void voterDimensionsMustBeWhatTheMethodGivesOnTheLayout() throws Exception {
        String m = refused("v3-dsire.json", r -> {
            ArrayNode labels = (ArrayNode) r.get("labels");
            labels.addAll(labels.deepCopy());
            for (JsonNode v : r.get("voters")) {
                ((ObjectNode) v).put("dim", 1);
            }
        });
        assertTrue(m.contains("voter x/a dim is 1, but method dsire gives 2 values on this layout"), m);
        assertTrue(refused("v3-dsire.json", r -> ((ObjectNode) r.get("voters").get(0)).put("dim", "2")).contains("voter x/a dim"));
        assertTrue(refused("v3-dsire.json", r -> ((ArrayNode) r.get("voters")).remove(5)).contains("voters do not match"));
        assertTrue(refused("v3-dsire.json", r -> ((ArrayNode) r.get("layout").get("layers").get(0)).set(1, -2)).contains("layout.layers[0] rank"));
        assertTrue(refused("v3-dsire.json", r -> r.put("voters", "x")).contains("voters is not an array"));
        assertTrue(refused("v3-dsire.json", r -> r.put("version", "3")).contains("version"));
    }

    /** A FIFO once hung predict forever, and /dev/zero ran out of memory with a stack trace. */
    @Test
    void thePooledTargetIsOneItKnowsOrAbsent() throws Exception {
        assertTrue(refused("v3-pooled-recipe.json", r -> ((ObjectNode) r.get("pooled")).put("target", "sqrt")).contains("pooled target"));
        assertTrue(refused("v3-pooled-recipe.json", r -> ((ObjectNode) r.get("pooled")).put("target", 1)).contains("pooled target"));
        // absent: a model saved before the target was chosen, which regressed on log n
        ObjectNode root = (ObjectNode) JSON.readTree(SEEDS.resolve("v3-pooled-recipe.json").toFile());
        ((ObjectNode) root.get("pooled")).remove("target");
        assertEquals(ScoreTarget.LOG_SIZE, ModelFile.parse(Path.of("old.json"), JSON.writeValueAsBytes(root)).pooled().target());
        ((ObjectNode) root.get("pooled")).put("target", "rank");
        assertEquals(ScoreTarget.RANK, ModelFile.parse(Path.of("new.json"), JSON.writeValueAsBytes(root)).pooled().target());
    }

    @Test
    void aFixedRecipeNamesKnownFieldsWithPositiveValuesOrIsAbsent() throws Exception {
        assertTrue(refused("v3-pooled-recipe.json", r -> r.putObject("fixed_recipe").put("learning_rate", -0.001)).contains("fixed recipe values must be finite and positive"));
        assertTrue(refused("v3-pooled-recipe.json", r -> r.putObject("fixed_recipe").put("epochs", 10)).contains("fixed recipe fields must be distinct names"));
        assertTrue(refused("v3-pooled-recipe.json", r -> r.putObject("fixed_recipe").put("steps", "300")).contains("fixed_recipe steps must be a number"));
        assertTrue(refused("v3-pooled-recipe.json", r -> r.put("fixed_recipe", 300)).contains("fixed_recipe must be an object"));
        assertTrue(refused("v3-dsire.json", r -> r.putObject("fixed_recipe").put("steps", 300)).contains("reads no recipe"));
        ObjectNode root = (ObjectNode) JSON.readTree(SEEDS.resolve("v3-pooled-recipe.json").toFile());
        assertTrue(ModelFile.parse(Path.of("old.json"), JSON.writeValueAsBytes(root)).fixed().isEmpty(), "a model saved before fixed recipes: none");
        root.putObject("fixed_recipe").put("steps", 300).put("learning_rate", 0.001);
        FixedRecipe f = ModelFile.parse(Path.of("new.json"), JSON.writeValueAsBytes(root)).fixed();
        assertEquals(List.of("steps", "learning_rate"), f.fields());
    }

    @Test
    void nonRegularModelFilesAreRefusedAtOnce() throws Exception {
        Path fifo = dir.resolve("model.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Path adapter = Files.list(Path.of("examples/zoo-low")).filter(p -> p.toString().endsWith(".safetensors")).findFirst().orElseThrow();
        for (Path model : new Path[] {fifo, Path.of("/dev/zero"), dir}) {
            Run r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> dsire("predict", "--model", model, adapter, "--device", "cpu"));
            assertNotEquals(0, r.code());
            assertTrue(r.err().lines().anyMatch(l -> l.contains(model + ": not a regular file: ")), r.err());
            assertFalse(r.err().contains("\tat ") || r.err().contains("internal error"), r.err());
        }
    }

    /** predict reads the model beside the adapters: a damaged one still answers nothing, with one line naming it. */
    @Test
    void aDamagedModelAnswersNothingWhileItsAdaptersAreRead() throws Exception {
        Path model = dir.resolve("damaged.json");
        Files.writeString(model, "{\"format\":\"dsire-model\",\"version\":3,");
        List<Path> adapters = Files.list(Path.of("examples/zoo-low")).filter(p -> p.toString().endsWith(".safetensors")).sorted().limit(3).toList();
        Run r = dsire("predict", "--model", model, adapters.get(0), adapters.get(1), adapters.get(2), "--device", "cpu");
        assertNotEquals(0, r.code());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith(model.toString()), r.err());
    }
}
