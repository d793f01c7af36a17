package dev.dsire.lora;

import dev.dsire.safetensors.TensorView;

/**
 * One adapted layer: ΔW = scale·B·A with A (down) rank×inDim and B (up) outDim×rank, both
 * zero-copy views into the file. Conv weights are read flattened (A: r×(in·kh·kw), B: out×r).
 *
 * @param name  canonical layer name, the same for one base-model layer in every format
 * @param alpha the stored alpha, or NaN when the file has none
 */
public record LoraLayer(String name, TensorView down, TensorView up, int rank, int outDim, int inDim,
                        double alpha, double scale) {

    /** Shape summary used by layout fingerprints: name, rank, out, in. */
    public LayerShape shape() {
        return new LayerShape(name, rank, outDim, inDim);
    }
}
