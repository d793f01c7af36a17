package dev.dsire.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.lora.Recipe;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Which recipe fields pooled-recipe reads, and what it answers with them: features that move with
 * log n plus log lr (the recipe confounds the size), groups each with their own learning rate.
 */
class RecipeScoreTest {
    private static final int P = 12;
    private static final double[] LRS = {5e-4, 1e-3, 2e-3};
    private static final int[] SIZES = {1, 2, 3, 4, 5, 6};

    private record Data(double[] z, int n, int[] labels, int[] group, List<Recipe> recipes) {}

    /** steps: the step count of every group (a constant is not a field to condition on) or, if negative, per group. */
    private static Data data(int groups, long seed, double steps, boolean everyLrStated) {
        Random r = new Random(seed);
        int n = groups * SIZES.length;
        double[] z = new double[n * P];
        int[] labels = new int[n], group = new int[n];
        List<Recipe> recipes = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            double lr = LRS[g % LRS.length];
            for (int k = 0; k < SIZES.length; k++) {
                int i = g * SIZES.length + k;
                labels[i] = SIZES[k];
                group[i] = g;
                for (int c = 0; c < P; c++) {
                    z[i * P + c] = (c < 4 ? Math.log(SIZES[k]) + Math.log(lr / 1e-3) : 0) + 0.05 * r.nextGaussian();
                }
                boolean stated = everyLrStated || i != 0;
                recipes.add(new Recipe(stated ? lr : Double.NaN, steps > 0 ? steps : 200 + 100 * (g % 3)));
            }
        }
        PooledScoreTest.centre(z, n, P);
        return new Data(z, n, labels, group, recipes);
    }

    @Test
    void readsTheFieldsEveryTrainingFileStatesAndThatVary() {
        Data one = data(12, 1, 300, true);
        assertEquals(List.of("learning_rate"), RecipeScore.fit(one.z, one.n, P, one.recipes, one.labels, one.group).fields(),
                "300 steps everywhere: nothing to condition on");
        Data both = data(12, 2, -1, true);
        assertEquals(List.of("learning_rate", "steps"), RecipeScore.fit(both.z, both.n, P, both.recipes, both.labels, both.group).fields());
        Data gap = data(12, 3, 300, false);
        assertNull(RecipeScore.fit(gap.z, gap.n, P, gap.recipes, gap.labels, gap.group),
                "one training file without a learning rate, the steps constant: no field left");
    }

    @Test
    void theStatedRecipeUndoesTheConfoundAndItsAbsenceIsNoticed() {
        Data d = data(15, 4, 300, true);
        RecipeScore rs = RecipeScore.fit(d.z, d.n, P, d.recipes, d.labels, d.group);
        PooledScore pooled = PooledScore.fit(d.z, d.n, P, d.labels, d.group);
        int recipeRight = 0, pooledRight = 0;
        for (int i = 0; i < d.n; i++) {
            double[] row = java.util.Arrays.copyOfRange(d.z, i * P, (i + 1) * P);
            Prediction withRecipe = rs.predict(row, d.recipes.get(i), null);
            assertTrue(withRecipe.reason().contains("answered with the stated recipe"), withRecipe.reason());
            recipeRight += withRecipe.size() != null && withRecipe.size() == d.labels[i] ? 1 : 0;
            Integer p = pooled.predict(row).size();
            pooledRight += p != null && p == d.labels[i] ? 1 : 0;
        }
        assertTrue(recipeRight > 0.8 * d.n, recipeRight + " of " + d.n);
        assertTrue(recipeRight > pooledRight + d.n / 4, "recipe " + recipeRight + ", pooled " + pooledRight);
        assertTrue(rs.covers(new Recipe(1e-3, Double.NaN)), "steps are not a field this score reads");
        assertFalse(rs.covers(new Recipe(Double.NaN, 300)));
    }
}
