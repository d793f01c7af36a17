package dev.dsire.lora;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dsire.json.JsonTree;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * Training facts kohya sd-scripts writes into {@code __metadata__}. The number of unique training
 * images is the sum of img_count over non-regularisation subsets; {@code ss_num_train_images}
 * counts repeats and is not that number.
 */
public record KohyaMetadata(OptionalInt trainImages, String trainGroup, String networkModule, String baseModel,
                            OptionalInt networkDim, String networkAlpha) {
    public static KohyaMetadata of(Map<String, String> meta) {
        return new KohyaMetadata(trainImages(meta), trainGroup(meta), meta.get("ss_network_module"),
                meta.get("ss_base_model_version"), parseInt(meta.get("ss_network_dim")), meta.get("ss_network_alpha"));
    }

    public boolean present() {
        return networkModule != null || trainImages.isPresent();
    }

    /** Unique training images: from ss_datasets (marks regularisation subsets), else ss_dataset_dirs. */
    static OptionalInt trainImages(Map<String, String> meta) {
        JsonNode datasets = JsonTree.lenient(meta.get("ss_datasets"));
        if (datasets != null && datasets.isArray() && !datasets.isEmpty()) {
            long sum = 0;
            for (JsonNode ds : datasets) {
                for (JsonNode sub : ds.path("subsets")) {
                    if (sub.path("is_reg").asBoolean(false)) {
                        continue;
                    }
                    if (!sub.path("img_count").canConvertToInt()) {
                        return OptionalInt.empty();
                    }
                    sum += sub.get("img_count").asInt();
                }
            }
            return sum > 0 ? OptionalInt.of((int) Math.min(sum, Integer.MAX_VALUE)) : OptionalInt.empty();
        }
        JsonNode dirs = JsonTree.lenient(meta.get("ss_dataset_dirs"));
        if (dirs != null && dirs.isObject() && !dirs.isEmpty()) {
            long sum = 0;
            for (JsonNode d : dirs) {
                if (!d.path("img_count").canConvertToInt()) {
                    return OptionalInt.empty();
                }
                sum += d.get("img_count").asInt();
            }
            return sum > 0 ? OptionalInt.of((int) Math.min(sum, Integer.MAX_VALUE)) : OptionalInt.empty();
        }
        return OptionalInt.empty();
    }

    /**
     * The micro-dataset the adapter was trained on, named by its training folders: the keys of
     * ss_dataset_dirs without kohya's "N_" repeats prefix, joined with '+'; "unknown" without them.
     */
    static String trainGroup(Map<String, String> meta) {
        JsonNode dirs = JsonTree.lenient(meta.get("ss_dataset_dirs"));
        TreeSet<String> names = new TreeSet<>();
        if (dirs != null && dirs.isObject()) {
            dirs.fieldNames().forEachRemaining(f -> names.add(f.replaceFirst("^\\d+_", "")));
        }
        return names.isEmpty() ? "unknown" : String.join("+", names);
    }


    private static OptionalInt parseInt(String s) {
        try {
            return s == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(s.trim()));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
