package dev.dsire.lora;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dsire.json.JsonTree;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * Training facts kohya sd-scripts writes into {@code __metadata__}. The number of unique training
 * images (trainImages) is the first of: the sum of img_count over non-regularisation subsets of
 * {@code ss_datasets}; the sum of img_count over {@code ss_dataset_dirs}; {@code ss_num_train_images}
 * divided by the one repeat count every training folder shares ({@code ss_num_train_images} counts
 * repeats, so it is never that number alone). trainImagesSource names which. This one rule gives
 * {@code fit --labels-from-metadata} its sizes, {@code inspect} its train_images, and predict, scan and every
 * export their declared_images (hub.DeclaredLabel).
 */
public record KohyaMetadata(OptionalInt trainImages, String trainImagesSource, String trainGroup, String networkModule,
                            String baseModel, OptionalInt networkDim, String networkAlpha) {
    public static KohyaMetadata of(Map<String, String> meta) {
        JsonNode dirs = JsonTree.lenient(meta.get("ss_dataset_dirs")); // read once: the count and the group both use it
        Count count = count(JsonTree.lenient(meta.get("ss_datasets")), dirs, meta.get("ss_num_train_images"));
        return new KohyaMetadata(count == null ? OptionalInt.empty() : OptionalInt.of(count.images), count == null ? null : count.source,
                trainGroup(dirs), meta.get("ss_network_module"), meta.get("ss_base_model_version"), parseInt(meta.get("ss_network_dim")),
                meta.get("ss_network_alpha"));
    }

    public boolean present() {
        return networkModule != null || trainImages.isPresent();
    }

    private record Count(int images, String source) {}

    /** The first source in the order above that states a positive count; null when none does. */
    private static Count count(JsonNode datasets, JsonNode dirs, String numTrainImages) {
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
                return new Count(clamp(sum), "ss_datasets");
            }
        }
        if (dirs != null && dirs.isObject() && !dirs.isEmpty()) {
            long sum = 0;
            boolean all = true;
            int repeats = 0;
            boolean oneRepeat = true;
            for (JsonNode d : dirs) {
                all &= d.path("img_count").canConvertToInt();
                sum += d.path("img_count").asInt(0);
                int r = d.path("n_repeats").asInt(0);
                oneRepeat &= r > 0 && (repeats == 0 || repeats == r);
                repeats = r;
            }
            if (all && sum > 0) {
                return new Count(clamp(sum), "ss_dataset_dirs");
            }
            OptionalInt total = parseInt(numTrainImages);
            if (oneRepeat && total.isPresent() && total.getAsInt() > 0 && total.getAsInt() % repeats == 0) {
                return new Count(total.getAsInt() / repeats, "ss_num_train_images/n_repeats");
            }
        }
        return null;
    }

    private static int clamp(long v) {
        return (int) Math.min(v, Integer.MAX_VALUE);
    }

    /**
     * The micro-dataset the adapter was trained on, named by its training folders: the keys of
     * ss_dataset_dirs without kohya's "N_" repeats prefix, joined with '+'; "unknown" without them.
     */
    private static String trainGroup(JsonNode dirs) {
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
