package dev.dsire.spectra;

import dev.dsire.lora.LoraAdapter;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Computes layer spectra for batches of adapters. Every implementation returns, for each layer,
 * the exact singular values of A, B and s·B·A in descending order (r of each, zeros included) and
 * agrees with the others within {@link #TOLERANCE} of each matrix's largest singular value.
 */
public interface SpectrumBackend extends AutoCloseable {
    /** Agreement promised between backends and with an explicit SVD, relative to σ_max. */
    double TOLERANCE = 1e-9;

    /**
     * Below this σ_min/σ_max of A or B, a layer's spectra are computed by Householder QR instead of
     * from Gram matrices, whose squaring would cost more than 1e-10·σ_max of accuracy.
     */
    double GRAM_CONDITION_LIMIT = 1e-2;

    /** "cpu" or "cuda", with what it runs on. */
    String describe();

    /**
     * One result per adapter, in order. An adapter whose weights cannot be used (NaN, say) gets its
     * error in its own result; the others are unaffected.
     */
    List<Computed> compute(List<LoraAdapter> adapters);

    /**
     * Runs task(0), …, task(count − 1) on the backend's threads (in any order; each task handles its
     * own failures), returning when all are done. Here: one after the other on the caller's thread.
     */
    default void forEach(int count, IntConsumer task) {
        for (int i = 0; i < count; i++) {
            task.accept(i);
        }
    }

    @Override
    default void close() {}
}
