package dev.dsire.lora;

import dev.dsire.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A LoRA adapter read from one file: its layers in canonical-name order, each a pair of zero-copy
 * views. Closing it unmaps the file; views must not be used afterwards.
 */
public record LoraAdapter(Path path, LoraFormat format, List<LoraLayer> layers, SafetensorsFile file)
        implements AutoCloseable {

    public Layout layout() {
        return new Layout(layers.stream().map(LoraLayer::shape).toList());
    }

    public Map<String, String> metadata() {
        return file.metadata();
    }

    public KohyaMetadata kohya() {
        return KohyaMetadata.of(file.metadata());
    }

    public long bytes() {
        return file.byteSize();
    }

    /** The weights' element type, or "mixed" with the types listed. */
    public String dtype() {
        TreeSet<String> types = new TreeSet<>();
        for (LoraLayer l : layers) {
            types.add(l.down().dtype().name());
            types.add(l.up().dtype().name());
        }
        return types.size() == 1 ? types.first() : "mixed(" + String.join(",", types) + ")";
    }

    /** Alphas stored in the file, ascending (empty when it stores none). */
    public List<Double> alphas() {
        return List.copyOf(new TreeSet<>(layers.stream().map(LoraLayer::alpha).filter(a -> !Double.isNaN(a)).toList()));
    }

    /** Refuses weights holding NaN or infinity: the reader itself does not decode them. */
    public void requireFinite() {
        for (LoraLayer l : layers) {
            for (var v : List.of(l.down(), l.up())) {
                if (!v.allFinite()) {
                    throw new LoraException(path, LoraException.Kind.NON_FINITE, "tensor " + v.info().name() + " holds NaN or infinite values");
                }
            }
        }
    }

    @Override
    public void close() {
        file.close();
    }
}
