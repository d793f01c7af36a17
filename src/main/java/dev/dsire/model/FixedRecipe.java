package dev.dsire.model;

import dev.dsire.lora.Recipe;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The recipe fields that every training adapter stated, all with one value: a model fitted on them has
 * never seen what another value does to the weights, so a file that states another is answered as out of
 * distribution. (A field that varies in training is read by {@link RecipeScore} instead, and extrapolated:
 * fitted on steps 200–450, answers at 40–480 steps held up; fitted on one learning rate, nothing says how
 * another moves the spectra.)
 *
 * @param fields the fields, among {@link Recipe#FIELDS}
 * @param values each field's one training value
 */
public record FixedRecipe(List<String> fields, double[] values) {
    public static final FixedRecipe NONE = new FixedRecipe(List.of(), new double[0]);

    /** Two stated values closer than this (relative) are the same: text written and read back, rounding. */
    private static final double SAME = 1e-6;

    public FixedRecipe {
        fields = List.copyOf(fields);
        values = values.clone();
        if (fields.size() != values.length) {
            throw new IllegalArgumentException("a fixed recipe needs one value per field");
        }
        for (int j = 0; j < values.length; j++) {
            if (!Recipe.FIELDS.contains(fields.get(j)) || fields.indexOf(fields.get(j)) != j) {
                throw new IllegalArgumentException("fixed recipe fields must be distinct names among " + Recipe.FIELDS);
            }
            if (!(values[j] > 0 && Double.isFinite(values[j]))) {
                throw new IllegalArgumentException("fixed recipe values must be finite and positive");
            }
        }
    }

    /** The fields every one of the recipes states with the same value (none when there are no recipes). */
    static FixedRecipe of(List<Recipe> recipes) {
        if (recipes.isEmpty()) {
            return NONE;
        }
        List<String> fields = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (int f = 0; f < Recipe.FIELDS.size(); f++) {
            double first = recipes.getFirst().values()[f];
            boolean fixed = !Double.isNaN(first);
            for (Recipe r : recipes) {
                fixed &= same(r.values()[f], first);
            }
            if (fixed) {
                fields.add(Recipe.FIELDS.get(f));
                values.add(first);
            }
        }
        return new FixedRecipe(fields, values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    public boolean isEmpty() {
        return fields.isEmpty();
    }

    /**
     * Why a file's stated recipe lies outside the training's, in words ("the file states learning rate 0.002;
     * every training adapter stated 0.001"), or null: each fixed field it states has the training value.
     */
    public String unlike(Recipe recipe) {
        List<String> said = new ArrayList<>();
        for (int j = 0; j < fields.size(); j++) {
            double v = recipe.values()[Recipe.FIELDS.indexOf(fields.get(j))];
            if (!Double.isNaN(v) && !same(v, values[j])) {
                String name = fields.get(j).replace('_', ' ');
                said.add(String.format(Locale.ROOT, "%s %s where every training adapter stated %s", name, RecipeScore.compact(v), RecipeScore.compact(values[j])));
            }
        }
        return said.isEmpty() ? null : "the file states " + String.join(" and ", said);
    }

    private static boolean same(double a, double b) {
        return !Double.isNaN(a) && Math.abs(a - b) <= SAME * Math.max(Math.abs(a), Math.abs(b));
    }
}
