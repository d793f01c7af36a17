package dev.dsire.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dsire.json.JsonTree;
import java.util.Map;
import java.util.Optional;

/**
 * The number of unique training images a file's own metadata states, and the key it came from.
 * Regularisation images are never counted, and neither are repeats: kohya's ss_num_train_images
 * is images × repeats, so it is used only divided by a repeat count every training folder shares.
 *
 * @param source "ss_datasets" (kohya's subsets, is_reg excluded), "ss_dataset_dirs" (img_count per
 *               folder) or "ss_num_train_images/n_repeats"
 */
public record DeclaredLabel(int images, String source) {
    /** The first key that states a positive count, in the order above; empty when none does. */
    public static Optional<DeclaredLabel> of(Map<String, String> meta) {
        if (meta == null || meta.isEmpty()) {
            return Optional.empty();
        }
        JsonNode datasets = JsonTree.lenient(meta.get("ss_datasets"));
        if (datasets != null && datasets.isArray()) {
            long sum = 0;
            boolean all = true;
            for (JsonNode ds : datasets) {
                for (JsonNode sub : ds.path("subsets")) {
                    if (sub.path("is_reg").asBoolean(false)) {
                        continue;
                    }
                    all &= sub.path("img_count").canConvertToInt();
                    sum += sub.path("img_count").asInt(0);
                }
            }
            if (all && sum > 0) {
                return Optional.of(new DeclaredLabel(clamp(sum), "ss_datasets"));
            }
        }
        JsonNode dirs = JsonTree.lenient(meta.get("ss_dataset_dirs"));
        if (dirs != null && dirs.isObject() && !dirs.isEmpty()) {
            long sum = 0;
            boolean all = true;
            Integer repeats = null;
            boolean oneRepeat = true;
            for (JsonNode d : dirs) {
                all &= d.path("img_count").canConvertToInt();
                sum += d.path("img_count").asInt(0);
                int r = d.path("n_repeats").asInt(0);
                oneRepeat &= r > 0 && (repeats == null || repeats == r);
                repeats = r;
            }
            if (all && sum > 0) {
                return Optional.of(new DeclaredLabel(clamp(sum), "ss_dataset_dirs"));
            }
            Integer total = parseInt(meta.get("ss_num_train_images"));
            if (oneRepeat && total != null && total > 0 && total % repeats == 0) {
                return Optional.of(new DeclaredLabel(total / repeats, "ss_num_train_images/n_repeats"));
            }
        }
        return Optional.empty();
    }

    private static int clamp(long v) {
        return (int) Math.min(v, Integer.MAX_VALUE);
    }


    static Integer parseInt(String s) {
        try {
            return s == null ? null : Integer.valueOf(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
