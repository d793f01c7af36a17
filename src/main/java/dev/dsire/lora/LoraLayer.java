package dev.dsire.lora;

import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.TensorView;

/**
 * One adapted layer: ΔW = scale·B·A with A (down) rank×inDim and B (up) outDim×rank. Conv weights
 * are read flattened (A: r×(in·k…), B: out×r). Embedding LoRA is read as PEFT stores it (A r×vocab,
 * B dim×r; ΔW is (B·A)ᵀ, same singular values). Where a PEFT variant stores its factors in pieces,
 * A and B are the rebuilt factors, so σ(A), σ(B) and σ(s·B·A) stay the spectra of what PEFT
 * multiplies: KaSA's and AdaLoRA's diagonal is folded into A (A = diag(d)·A_stored), BD-LoRA's
 * blocks are laid on the diagonal, a MoE expert's factors are cut out of the stacked ones.
 *
 * @param name   canonical layer name, the same for one base-model layer in every format
 * @param alpha  the alpha in force, or NaN when neither the file nor a config gives one
 * <p>LyCORIS LoHa and LoKr layers carry their {@link Structure}: B and A are then the structured
 * products it names (never formed), and down/up are two of the tensors the file stores, for their
 * element type only.
 *
 * @param stored    the element type the file stores the factors in
 * @param structure how B and A are built from small factors (LoHa, LoKr), or null for a plain B·A
 */
public record LoraLayer(String name, TensorView down, TensorView up, int rank, int outDim, int inDim,
                        double alpha, double scale, DType stored, Structure structure) {

    public LoraLayer(String name, TensorView down, TensorView up, int rank, int outDim, int inDim, double alpha, double scale, DType stored) {
        this(name, down, up, rank, outDim, inDim, alpha, scale, stored, null);
    }

    /** Shape summary used by layout fingerprints: name, rank, out, in. */
    public LayerShape shape() {
        return new LayerShape(name, rank, outDim, inDim);
    }
}
