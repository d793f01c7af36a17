package dev.dsire.hub;

import dev.dsire.lora.KohyaMetadata;
import java.util.Map;
import java.util.Optional;

/**
 * The number of unique training images a file's own metadata states, and the key it came from:
 * {@link KohyaMetadata}'s rule (regularisation images and repeats never counted).
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
        return of(KohyaMetadata.of(meta));
    }

    /** The same, from metadata already read. */
    public static Optional<DeclaredLabel> of(KohyaMetadata k) {
        return k.trainImages().isPresent() ? Optional.of(new DeclaredLabel(k.trainImages().getAsInt(), k.trainImagesSource())) : Optional.empty();
    }
}
