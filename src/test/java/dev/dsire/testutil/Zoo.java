package dev.dsire.testutil;

import dev.dsire.safetensors.DType;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.LayerWeights;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.ModuleSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A synthetic labelled set whose answer is known: B's singular values grow with the dataset size
 * (as more images move the weights further), each group adds its own small perturbation.
 */
public final class Zoo {
    public static final List<ModuleSpec> MODULES = List.of(
            new ModuleSpec("unet", "blocks.0.attn1.to_q", 24, 16),
            new ModuleSpec("unet", "blocks.0.attn1.to_k", 24, 16),
            new ModuleSpec("unet", "blocks.1.attn2.to_v", 24, 40),
            new ModuleSpec("unet", "blocks.1.attn2.to_out.0", 24, 24));
    public static final int RANK = 4;

    private Zoo() {}

    /** Writes groups × sizes adapters and a manifest.csv; returns the manifest's path. */
    public static Path write(Path dir, Naming naming, int groups, List<Integer> sizes) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("path,group,size\n");
        for (int g = 0; g < groups; g++) {
            for (int n : sizes) {
                String name = "g" + g + "-n" + n;
                Path sub = Files.createDirectories(dir.resolve(name));
                List<LayerWeights> w = weights(g, n);
                String file = naming == Naming.PEFT ? "adapter_model.safetensors" : name + ".safetensors";
                AdapterWriter.write(sub.resolve(file), naming, MODULES, RANK, RANK, DType.F32, w,
                        Map.of("ss_dataset_dirs", "{\"10_group" + g + "\": {\"n_repeats\": 10, \"img_count\": " + n + "}}"));
                csv.append(name).append('/').append(file).append(",group").append(g).append(',').append(n).append('\n');
            }
        }
        Path manifest = dir.resolve("manifest.csv");
        Files.writeString(manifest, csv);
        return manifest;
    }

    /**
     * One adapter like the zoo's (group g, size n), written as kohya with the given alpha and its
     * A and B matrices multiplied by aScale and bScale (B zero: a LoRA that was never trained).
     */
    public static Path writeOne(Path file, int group, int size, double alpha, double aScale, double bScale) throws IOException {
        List<LayerWeights> w = new ArrayList<>();
        for (LayerWeights l : weights(group, size)) {
            double[] a = l.down().clone(), b = l.up().clone();
            for (int j = 0; j < a.length; j++) {
                a[j] *= aScale;
            }
            for (int j = 0; j < b.length; j++) {
                b[j] *= bScale;
            }
            w.add(new LayerWeights(a, b));
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        return AdapterWriter.write(file, Naming.KOHYA, MODULES, RANK, alpha, DType.F32, w, Map.of());
    }

    /** One zoo adapter (group g, size n), kohya-named, carrying exactly the given metadata. */
    public static Path writeWithMetadata(Path file, int group, int size, Map<String, String> metadata) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return AdapterWriter.write(file, Naming.KOHYA, MODULES, RANK, RANK, DType.F32, weights(group, size), metadata);
    }

    /**
     * A zoo of several recipes: group g trains at learning rate lrs[g % lrs.length] (stated in its kohya
     * metadata with 300 steps), which scales B as much as the size does, so the weights alone confuse
     * the two. Writes a manifest.csv and returns its path.
     */
    public static Path writeRecipes(Path dir, int groups, List<Integer> sizes, double[] lrs) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("path,group,size\n");
        for (int g = 0; g < groups; g++) {
            for (int n : sizes) {
                String name = "g" + g + "-n" + n + ".safetensors";
                writeRecipe(dir.resolve(name), g, n, lrs[g % lrs.length], true);
                csv.append(name).append(",group").append(g).append(',').append(n).append('\n');
            }
        }
        Path manifest = dir.resolve("manifest.csv");
        Files.writeString(manifest, csv);
        return manifest;
    }

    /** One adapter of {@link #writeRecipes}'s kind, with its recipe in the metadata or with none. */
    public static Path writeRecipe(Path file, int group, int size, double lr, boolean stated) throws IOException {
        return writeRecipe(file, group, size, lr, stated ? 300 : -1);
    }

    /** The same, stating these steps (and the learning rate); a negative step count states no recipe. */
    public static Path writeRecipe(Path file, int group, int size, double lr, int steps) throws IOException {
        boolean stated = steps >= 0;
        List<LayerWeights> w = new ArrayList<>();
        for (LayerWeights l : weights(group, size)) {
            double[] b = l.up().clone();
            for (int j = 0; j < b.length; j++) {
                b[j] *= lr / 1e-3;
            }
            w.add(new LayerWeights(l.down(), b));
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        // a stated recipe comes with kohya's record of the images and the run, as kohya writes them together
        Map<String, String> meta = stated ? Map.of("ss_learning_rate", Double.toString(lr), "ss_max_train_steps", Integer.toString(steps),
                "ss_dataset_dirs", "{\"10_group" + group + "\": {\"n_repeats\": 10, \"img_count\": " + size + "}}",
                "ss_session_id", "g" + group + "-n" + size) : Map.of();
        return AdapterWriter.write(file, Naming.KOHYA, MODULES, RANK, RANK, DType.F32, w, meta);
    }

    static List<LayerWeights> weights(int group, int size) {
        List<LayerWeights> base = AdapterWriter.random(MODULES, RANK, 99); // shared LoRA init: one recipe
        List<LayerWeights> jitter = AdapterWriter.random(MODULES, RANK, 1000 + group);
        List<LayerWeights> out = new ArrayList<>();
        for (int i = 0; i < base.size(); i++) {
            double[] a = base.get(i).down().clone();
            double[] b = base.get(i).up().clone();
            for (int j = 0; j < b.length; j++) {
                b[j] = b[j] * Math.log1p(size) * 10 + jitter.get(i).up()[j] * 0.5;
            }
            for (int j = 0; j < a.length; j++) {
                a[j] += jitter.get(i).down()[j] * 0.01;
            }
            out.add(new LayerWeights(a, b));
        }
        return out;
    }
}
