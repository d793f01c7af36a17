package dev.dsire.model;

import dev.dsire.lora.Recipe;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The recipe-conditioned half of {@code pooled-recipe}: the pooled ridge refitted on the spectra's
 * standardised log features with the standardised log recipe (learning rate, steps) appended, each
 * recipe column scaled by a weight so that a few columns are not drowned by hundreds of spectral
 * ones. The weight and the ridge penalty are chosen leave-one-group-out. An adapter whose file states
 * every field gets this answer; one that does not gets the recipe-agnostic {@link PooledScore}.
 *
 * @param fields the recipe fields used (those stated by every training adapter and varying among them)
 * @param mean   each field's training mean of log value
 * @param std    each field's training standard deviation of log value
 * @param weight the scale applied to the standardised recipe columns
 * @param score  the pooled score over [spectral features, weight·recipe]
 */
public record RecipeScore(List<String> fields, double[] mean, double[] std, double weight, PooledScore score) {

    /** Recipe column weights tried: 1 treats a field like one singular value, 10 lets it outweigh the spectra's noise. */
    private static final double[] WEIGHTS = {1, 3, 10};

    /**
     * Fits on n standardised spectral feature vectors (row-major, p columns) and the training adapters'
     * recipes; null when no field is stated by every adapter and varies among them (one recipe: nothing
     * to condition on, the agnostic answer stands).
     */
    static RecipeScore fit(double[] z, int n, int p, List<Recipe> recipes, int[] labels, int[] group) {
        List<String> all = Recipe.FIELDS;
        boolean[] use = new boolean[all.size()];
        int k = 0;
        double[][] logs = new double[n][];
        for (int i = 0; i < n; i++) {
            logs[i] = Arrays.stream(recipes.get(i).values()).map(Math::log).toArray();
        }
        double[] mean = new double[all.size()], std = new double[all.size()];
        for (int f = 0; f < all.size(); f++) {
            boolean stated = true;
            for (int i = 0; i < n; i++) {
                stated &= !Double.isNaN(logs[i][f]);
                mean[f] += logs[i][f] / n;
            }
            if (!stated) {
                continue;
            }
            for (int i = 0; i < n; i++) {
                std[f] += (logs[i][f] - mean[f]) * (logs[i][f] - mean[f]) / n;
            }
            std[f] = Math.sqrt(std[f]);
            use[f] = std[f] > 1e-9;
            k += use[f] ? 1 : 0;
        }
        if (k == 0) {
            return null;
        }
        List<String> fields = new java.util.ArrayList<>();
        double[] m = new double[k], s = new double[k];
        for (int f = 0, j = 0; f < all.size(); f++) {
            if (use[f]) {
                fields.add(all.get(f));
                m[j] = mean[f];
                s[j++] = std[f];
            }
        }
        RecipeScore best = null;
        double bestErr = Double.POSITIVE_INFINITY;
        for (double w : WEIGHTS) {
            RecipeScore candidate = new RecipeScore(List.copyOf(fields), m, s, w, null);
            double[] x = new double[n * (p + k)];
            for (int i = 0; i < n; i++) {
                System.arraycopy(z, i * p, x, i * (p + k), p);
                System.arraycopy(candidate.columns(recipes.get(i)), 0, x, i * (p + k) + p, k);
            }
            PooledScore.Fitted fitted = PooledScore.fitScored(x, n, p + k, labels, group);
            if (fitted.heldOutError() < bestErr - 1e-12) {
                bestErr = fitted.heldOutError();
                best = new RecipeScore(List.copyOf(fields), m, s, w, fitted.score());
            }
        }
        return best;
    }

    /** Whether the recipe states every field this score uses. */
    public boolean covers(Recipe recipe) {
        double[] v = recipe.values();
        for (String f : fields) {
            if (Double.isNaN(v[Recipe.FIELDS.indexOf(f)])) {
                return false;
            }
        }
        return true;
    }

    /**
     * The answer for standardised spectral features z of an adapter whose file states the recipe;
     * recipeUnlike says why the recipe lies outside the training's (null: it does not).
     */
    public Prediction predict(double[] z, Recipe recipe, String recipeUnlike) {
        double[] c = columns(recipe);
        double[] x = Arrays.copyOf(z, z.length + c.length);
        System.arraycopy(c, 0, x, z.length, c.length);
        return score.predict(x, recipeUnlike).withNote("answered with the stated recipe (" + describe(recipe) + ")");
    }

    /** The weighted, standardised log recipe columns. */
    double[] columns(Recipe recipe) {
        double[] v = recipe.values();
        double[] c = new double[fields.size()];
        for (int j = 0; j < c.length; j++) {
            c[j] = weight * (Math.log(v[Recipe.FIELDS.indexOf(fields.get(j))]) - mean[j]) / std[j];
        }
        return c;
    }

    /** "learning rate 0.001, 300 steps": the recipe as a reason says it. */
    static String describe(Recipe r) {
        return String.format(Locale.ROOT, "learning rate %s, %s steps", compact(r.learningRate()), compact(r.steps()));
    }

    static String compact(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }
}
