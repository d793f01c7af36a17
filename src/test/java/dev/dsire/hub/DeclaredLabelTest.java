package dev.dsire.hub;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeclaredLabelTest {

    @Test
    void kohyaSubsetsCountUniqueImagesWithoutRegularisation() {
        String datasets = "[{\"subsets\": [{\"img_count\": 12, \"num_repeats\": 10}, {\"img_count\": 3, \"num_repeats\": 5},"
                + " {\"img_count\": 200, \"is_reg\": true}]}]";
        assertEquals(Optional.of(new DeclaredLabel(15, "ss_datasets")), DeclaredLabel.of(Map.of("ss_datasets", datasets,
                "ss_dataset_dirs", "{\"10_a\": {\"n_repeats\": 10, \"img_count\": 99}}", "ss_num_train_images", "135")));
    }

    @Test
    void datasetDirsSumImgCountNotRepeats() {
        assertEquals(Optional.of(new DeclaredLabel(7, "ss_dataset_dirs")), DeclaredLabel.of(Map.of(
                "ss_dataset_dirs", "{\"10_cat\": {\"n_repeats\": 10, \"img_count\": 4}, \"5_dog\": {\"n_repeats\": 5, \"img_count\": 3}}",
                "ss_num_train_images", "55")));
    }

    @Test
    void trainImagesDivideByOneSharedRepeatCountOnly() {
        assertEquals(Optional.of(new DeclaredLabel(6, "ss_num_train_images/n_repeats")), DeclaredLabel.of(Map.of(
                "ss_dataset_dirs", "{\"10_cat\": {\"n_repeats\": 10}}", "ss_num_train_images", "60")));
        assertEquals(Optional.empty(), DeclaredLabel.of(Map.of(
                "ss_dataset_dirs", "{\"10_cat\": {\"n_repeats\": 10}, \"5_dog\": {\"n_repeats\": 5}}", "ss_num_train_images", "60")),
                "repeats differ per folder: the images cannot be told from the total");
        assertEquals(Optional.empty(), DeclaredLabel.of(Map.of("ss_num_train_images", "60")), "repeats unknown");
    }

    @Test
    void nothingStatedIsNoLabel() {
        assertEquals(Optional.empty(), DeclaredLabel.of(Map.of()));
        assertEquals(Optional.empty(), DeclaredLabel.of(Map.of("ss_network_dim", "8", "ss_dataset_dirs", "{not json")));
        assertEquals(Optional.empty(), DeclaredLabel.of(Map.of("ss_dataset_dirs", "{\"10_a\": {\"n_repeats\": 10, \"img_count\": 0}}")));
    }

    @Test
    void aRunIsTheSessionElseTheStartElseTheOutputNameElseTheFile() {
        assertEquals("session:42", TrainingRun.of(Map.of("ss_session_id", "42", "ss_training_started_at", "1700", "ss_output_name", "x"), "f"));
        assertEquals("started:1700", TrainingRun.of(Map.of("ss_training_started_at", "1700", "ss_output_name", "x"), "f"));
        assertEquals("file:/a/b.safetensors", TrainingRun.of(Map.of(), "/a/b.safetensors"));
        // epoch and step snapshots of one run share it
        for (String name : new String[] {"mychar-000004", "mychar-000010", "mychar-step00001000", "mychar_e10", "mychar", "mychar-last"}) {
            assertEquals("output:mychar", TrainingRun.of(Map.of("ss_output_name", name), "f"), name);
        }
        assertEquals("output:v2-mychar", TrainingRun.of(Map.of("ss_output_name", "v2-mychar"), "f"), "a name is not all suffix");
    }
}
