package dev.dsire.lora;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** What kohya's metadata says of the recipe, and what is not a recipe. */
class RecipeTest {
    @Test
    void readsLearningRateAndStepsWithKohyasFallbacks() {
        Recipe r = Recipe.of(Map.of("ss_learning_rate", "0.002", "ss_max_train_steps", "300", "ss_num_epochs", "15"));
        assertEquals(0.002, r.learningRate());
        assertEquals(300, r.steps());
        assertEquals(0.002, r.statedLearningRate());
        assertEquals(300L, r.statedSteps());
        Recipe fallback = Recipe.of(Map.of("ss_unet_lr", " 1e-4 ", "ss_steps", "1200"));
        assertEquals(1e-4, fallback.learningRate());
        assertEquals(1200, fallback.steps());
        assertArrayEquals(new double[] {1e-4, 1200}, fallback.values());
    }

    @Test
    void garbledZeroNegativeOrAbsentFieldsAreNotStated() {
        for (String bad : new String[] {"None", "", "nan", "Infinity", "0", "-1e-3", "1e-3,2e-3"}) {
            Recipe r = Recipe.of(Map.of("ss_learning_rate", bad, "ss_max_train_steps", "300"));
            assertTrue(Double.isNaN(r.learningRate()), bad);
            assertNull(r.statedLearningRate(), bad);
        }
        Recipe none = Recipe.of(Map.of());
        assertNull(none.statedLearningRate());
        assertNull(none.statedSteps());
        assertEquals(none, Recipe.of((Double) null, null), "the stored form of nothing stated reads back as nothing stated");
        assertTrue(Double.isNaN(Recipe.of(Map.of("ss_learning_rate", "1e-3")).steps()));
    }
}
