package dev.dsire.lora;

import dev.dsire.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A LoRA adapter read from one file: its layers in canonical-name order, each a pair of views
 * (zero-copy into the file, or rebuilt in memory for PEFT variants that store factors in pieces).
 * Closing it unmaps the file; views must not be used afterwards.
 */
public record LoraAdapter(Path path, LoraFormat format, List<LoraLayer> layers, SafetensorsFile file, Facts facts)
        implements AutoCloseable {

    /**
     * How the file was read.
     *
     * @param scaleSource where the scale came from: "config" (adapter_config.json), "metadata"
     *                    (lora_adapter_metadata in the file; "metadata(transformer)" for a component's
     *                    prefixed config), "kohya alpha" (alpha tensors), "lycoris alpha" (LoHa/LoKr alpha),
     *                    "assumed" (1: nothing in or beside the file says), or several joined with '+'
     * @param variants    PEFT variants and extras found: embedding, kasa, adalora, bd-lora,
     *                    target_parameters, lora_bias, conv, rslora; LyCORIS loha, lokr, tucker (empty for plain LoRA)
     * @param modelClass  the base model class PEFT recorded (auto_mapping.base_model_class), or null
     * @param modelName   the base model PEFT recorded (base_model_name_or_path), or null
     * @param base        the base model the reader decided on (names, widths, original naming, metadata), or null
     */
    public record Facts(String scaleSource, List<String> variants, String modelClass, String modelName, BaseModel base) {
        public static final Facts UNKNOWN = new Facts("assumed", List.of(), null, null, null);
    }

    /** Shares the facts of the adapter it was cut from (one-layer views for backends). */
    public LoraAdapter(Path path, LoraFormat format, List<LoraLayer> layers, SafetensorsFile file) {
        this(path, format, layers, file, Facts.UNKNOWN);
    }

    public Layout layout() {
        return new Layout(layers.stream().map(LoraLayer::shape).toList());
    }

    /** The base model family: from layer names, refined by the model class in the config when there is one. */
    public BaseFamily family() {
        return base().family();
    }

    /** The base model with its variant where known (SD3.5 large, Wan 2.1 1.3B, FramePack …). */
    public BaseModel base() {
        return facts.base() != null ? facts.base() : new BaseModel(BaseFamily.guess(layout().layers(), facts.modelClass(), facts.modelName()), null);
    }

    public Map<String, String> metadata() {
        return file.metadata();
    }

    public KohyaMetadata kohya() {
        return KohyaMetadata.of(file.metadata());
    }

    /** The training recipe the metadata states (fields NaN where it does not). */
    public Recipe recipe() {
        return Recipe.of(file.metadata());
    }

    public long bytes() {
        return file.byteSize();
    }

    /** The weights' element type, or "mixed" with the types listed. */
    public String dtype() {
        TreeSet<String> types = new TreeSet<>();
        for (LoraLayer l : layers) {
            types.add(l.stored().name());
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
