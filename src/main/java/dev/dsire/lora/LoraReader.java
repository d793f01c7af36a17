package dev.dsire.lora;

import static dev.dsire.lora.LoraException.Kind.*;

import dev.dsire.safetensors.SafetensorsException;
import dev.dsire.safetensors.SafetensorsFile;
import dev.dsire.safetensors.TensorInfo;
import dev.dsire.safetensors.TensorView;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a plain-LoRA adapter from a safetensors file in any supported naming convention: finds
 * each layer's down (A) and up (B) tensors, checks that they pair up, and works out the scale.
 */
public final class LoraReader {
    /** Extensions of pickle checkpoints, which dsire never unpickles. */
    public static final Set<String> PICKLE_EXTENSIONS = Set.of("ckpt", "pt", "pth", "bin");

    private LoraReader() {}

    /** Opens and pairs the adapter; the caller closes it. */
    public static LoraAdapter open(Path path) {
        refusePickleByName(path);
        SafetensorsFile file;
        try {
            file = SafetensorsFile.open(path);
        } catch (SafetensorsException e) {
            if (looksLikePickle(path)) {
                throw new LoraException(path, PICKLE_FORMAT, "pickle (torch.save) checkpoint, not safetensors: never unpickled");
            }
            throw e;
        }
        try {
            return pair(path, file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Pairs the layers of an already open file (one built in memory, say); closing the adapter closes it. */
    public static LoraAdapter read(SafetensorsFile file) {
        try {
            return pair(file.path(), file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public static boolean isPickleName(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot >= 0 && PICKLE_EXTENSIONS.contains(name.substring(dot + 1));
    }

    private static void refusePickleByName(Path path) {
        if (isPickleName(path)) {
            throw new LoraException(path, PICKLE_FORMAT, "pickle checkpoint (." + extension(path) + "): never unpickled; convert it to .safetensors");
        }
    }

    private static String extension(Path path) {
        String n = path.getFileName().toString();
        return n.substring(n.lastIndexOf('.') + 1);
    }

    /** Pickle protocol 2+ starts 0x80 0x02..0x05; torch.save since 1.6 writes a zip. */
    private static boolean looksLikePickle(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] b = in.readNBytes(4);
            return (b.length >= 2 && (b[0] & 0xff) == 0x80 && b[1] >= 2 && b[1] <= 5)
                    || (b.length == 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4);
        } catch (IOException e) {
            return false;
        }
    }

    private static final class Pending {
        String down, up, alpha, module;
    }

    static LoraAdapter pair(Path path, SafetensorsFile file) {
        Map<String, TensorInfo> tensors = file.tensors();
        Optional<AdapterType.Found> other = AdapterType.detect(tensors.keySet());
        if (other.isPresent()) {
            throw new LoraException(path, UNSUPPORTED_TYPE, other.get().type().label() + " is not plain LoRA (tensor "
                    + other.get().key() + "); dsire reads only ΔW = B·A adapters");
        }
        Map<String, Pending> layers = new TreeMap<>();
        EnumSet<LoraFormat> formats = EnumSet.noneOf(LoraFormat.class);
        for (String key : tensors.keySet()) {
            Optional<TensorRole> role = TensorRole.of(key);
            if (role.isEmpty()) {
                continue; // embeddings and other extras ride along in some files; they are not LoRA factors
            }
            TensorRole r = role.get();
            Pending p = layers.computeIfAbsent(r.layer(), k -> new Pending());
            p.module = r.module();
            switch (r.part()) {
                case DOWN -> p.down = twice(path, p.down, key, r.layer());
                case UP -> p.up = twice(path, p.up, key, r.layer());
                case ALPHA -> p.alpha = twice(path, p.alpha, key, r.layer());
            }
            if (r.part() != TensorRole.Part.ALPHA) {
                formats.add(r.format());
            }
        }
        layers.values().removeIf(p -> p.down == null && p.up == null); // alphas of layers not in the file
        if (layers.isEmpty()) {
            throw new LoraException(path, NOT_LORA, "no LoRA tensors (" + tensors.size() + " tensors, none named like lora_down/lora_up, lora.down/lora.up or lora_A/lora_B)");
        }
        if (formats.size() > 1) {
            throw new LoraException(path, NOT_LORA, "mixes naming conventions " + formats + " in one file");
        }
        LoraFormat format = formats.iterator().next();
        PeftConfig config = config(path, file, format);
        List<LoraLayer> out = new ArrayList<>(layers.size());
        for (Map.Entry<String, Pending> e : layers.entrySet()) {
            out.add(layer(path, file, e.getKey(), e.getValue(), config));
        }
        return new LoraAdapter(path, format, List.copyOf(out), file);
    }

    private static String twice(Path path, String prev, String key, String layer) {
        if (prev != null) {
            throw new LoraException(path, UNPAIRED, "layer " + layer + " has two tensors in the same role: " + prev + " and " + key);
        }
        return key;
    }

    private static PeftConfig config(Path path, SafetensorsFile file, LoraFormat format) {
        String meta = file.metadata().get("lora_adapter_metadata");
        if (meta != null) {
            Optional<PeftConfig> c = PeftConfig.fromMetadata(path, meta);
            if (c.isPresent()) {
                return c.get();
            }
        }
        return format == LoraFormat.PEFT ? PeftConfig.besides(path).orElse(null) : null;
    }

    private static LoraLayer layer(Path path, SafetensorsFile file, String name, Pending p, PeftConfig config) {
        if (p.down == null || p.up == null) {
            throw new LoraException(path, UNPAIRED, "layer " + name + " has " + (p.down == null ? "an up (B) tensor but no down (A)" : "a down (A) tensor but no up (B)"));
        }
        TensorView down = file.view(p.down);
        TensorView up = file.view(p.up);
        for (TensorView v : List.of(down, up)) {
            if (!v.dtype().isDecodable()) {
                throw new LoraException(path, BAD_DTYPE, "tensor " + v.info().name() + " is " + v.dtype() + "; LoRA weights must be F16, BF16, F32 or F64");
            }
        }
        long[] ds = down.info().shape();
        long[] us = up.info().shape();
        if (!(ds.length == 2 || ds.length == 4) || !(us.length == 2 || (us.length == 4 && us[2] == 1 && us[3] == 1))) {
            throw new LoraException(path, BAD_SHAPE, "layer " + name + ": down " + down.info() + " / up " + up.info()
                    + " are not 2-D (or conv 4-D with a 1x1 up)");
        }
        long rank = ds[0];
        long inDim = ds.length == 2 ? ds[1] : ds[1] * ds[2] * ds[3];
        long outDim = us[0];
        if (rank == 0 || us[1] == 0) {
            throw new LoraException(path, ZERO_RANK, "layer " + name + " has rank 0");
        }
        if (us[1] != rank) {
            throw new LoraException(path, RANK_MISMATCH, "layer " + name + ": down has rank " + rank + " but up has rank " + us[1]);
        }
        if (inDim == 0 || outDim == 0 || inDim > Integer.MAX_VALUE || outDim > Integer.MAX_VALUE || rank > 65536) {
            throw new LoraException(path, BAD_SHAPE, "layer " + name + ": shape " + outDim + "x" + rank + "x" + inDim + " out of range");
        }
        double alpha = Double.NaN;
        if (p.alpha != null) {
            TensorView a = file.view(p.alpha);
            if (a.elementCount() != 1 || !a.dtype().isDecodable() || !Double.isFinite(a.get(0))) {
                throw new LoraException(path, BAD_SHAPE, "alpha " + p.alpha + " is not one finite number");
            }
            alpha = a.get(0);
        }
        double scale;
        if (!Double.isNaN(alpha)) {
            scale = alpha / rank;
        } else if (config != null) {
            int configured = config.rankOf(p.module);
            if (configured != rank) {
                throw new LoraException(path, BAD_CONFIG, "adapter config gives " + p.module + " rank " + configured + " but its tensors have rank " + rank);
            }
            alpha = config.alphaOf(p.module);
            scale = config.scaleOf(p.module, (int) rank);
        } else {
            scale = 1.0; // no alpha anywhere: the file's B·A is the update as stored
        }
        return new LoraLayer(name, down, up, (int) rank, (int) outDim, (int) inDim, alpha, scale);
    }
}
