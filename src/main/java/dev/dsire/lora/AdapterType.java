package dev.dsire.lora;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Adapter types whose weight update is not a plain B·A. dsire names them and refuses them rather
 * than misreading their tensors as LoRA factors.
 */
public enum AdapterType {
    DORA("DoRA (weight-decomposed LoRA, magnitude vectors)", "(\\.dora_scale|lora_magnitude_vector(\\.[A-Za-z0-9_]+)?(\\.weight)?)$",
            "its update m·(W + sBA)/‖W + sBA‖ - W depends on the base weights W, which the file does not hold"),
    FULL_DIFF("full weight difference (diff)", "\\.(diff|diff_b)$", null),
    IA3("IA3", "\\.on_input$", null),
    OFT("OFT/BOFT (orthogonal fine-tuning)", "\\.(oft_blocks|oft_diag|oft_r)$", null),
    NORM("norm-layer fine-tune (w_norm/b_norm)", "\\.(w_norm|b_norm)$", null);

    private final String label;
    private final Pattern key;
    private final String why;

    AdapterType(String label, String keyPattern, String why) {
        this.label = label;
        this.key = Pattern.compile(keyPattern);
        this.why = why;
    }

    /** Why dsire cannot read it. */
    public String why() {
        return why != null ? why : "dsire reads only ΔW = B·A adapters";
    }

    public String label() {
        return label;
    }

    /**
     * Literals at least one of which every pattern above needs in a key it matches: a key with none
     * of them (every plain LoRA key) skips the regexes, which cost ~5 % of a model's whole spectra.
     */
    private static final String[] MARKERS = {"dora_scale", "lora_magnitude_vector",
            "diff", "on_input", "oft_", "_norm"};

    /** The first not-plain-LoRA type any key reveals, with the key that revealed it. */
    public static Optional<Found> detect(Iterable<String> keys) {
        List<AdapterType> types = List.of(values());
        for (String k : keys) {
            if (!hasMarker(k)) {
                continue;
            }
            for (AdapterType t : types) {
                if (t.key.matcher(k).find()) {
                    return Optional.of(new Found(t, k));
                }
            }
        }
        return Optional.empty();
    }

    private static boolean hasMarker(String key) {
        for (String m : MARKERS) {
            if (key.contains(m)) {
                return true;
            }
        }
        return false;
    }

    public record Found(AdapterType type, String key) {}
}
