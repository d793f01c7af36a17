package dev.dsire.lora;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Adapter types whose weight update is not a plain B·A. dsire names them and refuses them rather
 * than misreading their tensors as LoRA factors.
 */
public enum AdapterType {
    LOHA("LoHa (LyCORIS Hadamard product)", "\\.hada_(w[12]_[ab]|t[12])$"),
    LOKR("LoKr (LyCORIS Kronecker product)", "\\.lokr_(w[12](_[ab])?|t2)$"),
    LOCON_TUCKER("LoCon with a Tucker core (lora_mid)", "\\.lora_mid\\.weight$"),
    DORA("DoRA (weight-decomposed LoRA)", "(\\.dora_scale|lora_magnitude_vector(\\.[A-Za-z0-9_]+)?(\\.weight)?)$"),
    FULL_DIFF("full weight difference (diff)", "\\.(diff|diff_b)$"),
    IA3("IA3", "\\.on_input$"),
    OFT("OFT/BOFT (orthogonal fine-tuning)", "\\.(oft_blocks|oft_diag|oft_r)$"),
    NORM("norm-layer fine-tune (w_norm/b_norm)", "\\.(w_norm|b_norm)$");

    private final String label;
    private final Pattern key;

    AdapterType(String label, String keyPattern) {
        this.label = label;
        this.key = Pattern.compile(keyPattern);
    }

    public String label() {
        return label;
    }

    /** The first not-plain-LoRA type any key reveals, with the key that revealed it. */
    public static Optional<Found> detect(Iterable<String> keys) {
        List<AdapterType> types = List.of(values());
        for (String k : keys) {
            for (AdapterType t : types) {
                if (t.key.matcher(k).find()) {
                    return Optional.of(new Found(t, k));
                }
            }
        }
        return Optional.empty();
    }

    public record Found(AdapterType type, String key) {}
}
