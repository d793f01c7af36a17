package dev.dsire.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.lora.Recipe;
import java.util.List;
import org.junit.jupiter.api.Test;

class FixedRecipeTest {

    @Test
    void keepsTheFieldsEveryRecipeStatesWithOneValue() {
        FixedRecipe f = FixedRecipe.of(List.of(new Recipe(1e-3, 300), new Recipe(2e-3, 300), new Recipe(1e-3, 300)));
        assertEquals(List.of("steps"), f.fields());
        assertArrayEquals(new double[] {300}, f.values());
        FixedRecipe both = FixedRecipe.of(List.of(new Recipe(1e-3, 300), new Recipe(1e-3 * (1 + 1e-9), 300)));
        assertEquals(List.of("learning_rate", "steps"), both.fields(), "a rounding apart is one value");
    }

    @Test
    void aFieldSomeRecipeLeavesUnstatedIsNotFixed() {
        assertTrue(FixedRecipe.of(List.of(new Recipe(1e-3, 300), new Recipe(1e-3, Double.NaN))).fields().equals(List.of("learning_rate")));
        assertTrue(FixedRecipe.of(List.of(Recipe.UNKNOWN, Recipe.UNKNOWN)).isEmpty());
        assertTrue(FixedRecipe.of(List.of()).isEmpty());
    }

    @Test
    void aStatedOtherValueIsUnlikeAndAnUnstatedOneIsNot() {
        FixedRecipe f = FixedRecipe.of(List.of(new Recipe(1e-3, 300), new Recipe(1e-3, 300)));
        assertNull(f.unlike(new Recipe(1e-3, 300)));
        assertNull(f.unlike(Recipe.UNKNOWN), "a file that states nothing is answered from the weights");
        assertEquals("the file states learning rate 0.002 where every training adapter stated 0.001", f.unlike(new Recipe(2e-3, Double.NaN)));
        assertEquals("the file states learning rate 0.002 where every training adapter stated 0.001 and steps 450 where every training adapter stated 300",
                f.unlike(new Recipe(2e-3, 450)));
        assertNull(FixedRecipe.NONE.unlike(new Recipe(2e-3, 450)));
    }

    @Test
    void refusesWhatNoFitWrites() {
        assertThrows(IllegalArgumentException.class, () -> new FixedRecipe(List.of("epochs"), new double[] {3}));
        assertThrows(IllegalArgumentException.class, () -> new FixedRecipe(List.of("steps", "steps"), new double[] {3, 3}));
        assertThrows(IllegalArgumentException.class, () -> new FixedRecipe(List.of("steps"), new double[] {0}));
        assertThrows(IllegalArgumentException.class, () -> new FixedRecipe(List.of("steps"), new double[] {Double.POSITIVE_INFINITY}));
        assertThrows(IllegalArgumentException.class, () -> new FixedRecipe(List.of("steps"), new double[0]));
    }
}
