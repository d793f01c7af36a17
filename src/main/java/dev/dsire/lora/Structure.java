package dev.dsire.lora;

/**
 * How a LyCORIS layer's update is built from small factors, each F64 row-major: ΔW = s·B·A still
 * holds, with B and A the structured products below, but they are never formed, because they are
 * large (r² or r₁·r₂ columns) while their pieces are small. The spectra are computed from the pieces,
 * exactly.
 */
public sealed interface Structure {
    /** A dense matrix, row-major. */
    record Dense(double[] v, int rows, int cols) {
        public double at(int i, int j) {
            return v[i * cols + j];
        }

        /** This matrix transposed, row-major. */
        public Dense transposed() {
            double[] t = new double[v.length];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    t[j * rows + i] = v[i * cols + j];
                }
            }
            return new Dense(t, cols, rows);
        }
    }

    /**
     * LoKr: ΔW = s·(B₁A₁) ⊗ (B₂A₂), so B = B₁ ⊗ B₂ and A = A₁ ⊗ A₂ (rank r₁·r₂). A factor the file
     * stores whole (lokr_w1, lokr_w2) is A with B the identity. The singular values of a Kronecker
     * product are the pairwise products of its factors', so σ(A), σ(B) and σ(ΔW) come from the two
     * small factors' own spectra.
     */
    record Kronecker(Dense b1, Dense a1, Dense b2, Dense a2) implements Structure {}

    /**
     * LoHa: ΔW = s·(B₁A₁) ∘ (B₂A₂) (element-wise), which is s·B·A with B = B₁ ⊙ᵣ B₂ (row i is
     * B₁[i,:] ⊗ B₂[i,:]) and A = A₁ ⊙꜀ A₂ (column j is A₁[:,j] ⊗ A₂[:,j]): rank r₁·r₂, an exact
     * (r₁r₂)×(r₁r₂) core. The rows of B and Aᵀ are formed a block at a time as the spectra read them.
     */
    record KhatriRao(Dense b1, Dense a1, Dense b2, Dense a2) implements Structure {}
}
