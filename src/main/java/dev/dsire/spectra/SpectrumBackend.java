package dev.dsire.spectra;

import dev.dsire.lora.LoraAdapter;
import java.util.List;

/**
 * Computes layer spectra for batches of adapters. Every implementation returns, for each layer,
 * the exact singular values of A, B and s·B·A in descending order (r of each, zeros included) and
 * agrees with the others within {@link #TOLERANCE} of each matrix's largest singular value.
 */
public interface SpectrumBackend extends AutoCloseable {
    /** Agreement promised between backends and with an explicit SVD, relative to σ_max. */
    double TOLERANCE = 1e-9;

    /** "cpu" or "cuda", with what it runs on. */
    String describe();

    /**
     * One result per adapter, in order. An adapter whose weights cannot be used (NaN, say) gets its
     * error in its own result; the others are unaffected.
     */
    List<Computed> compute(List<LoraAdapter> adapters);

    @Override
    default void close() {}
}
