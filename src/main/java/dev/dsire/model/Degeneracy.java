package dev.dsire.model;

import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.LayerSpectrum;
import java.util.Optional;

/** Adapters that carry no training signal get no size: nothing in their weights was learned from images. */
final class Degeneracy {
    private Degeneracy() {}

    /** The untrained or degenerate verdict, or empty for an adapter with a non-zero update somewhere. */
    static Optional<Prediction> check(AdapterSpectra s) {
        boolean allBZero = true, allUpdateZero = true;
        for (LayerSpectrum l : s.layers()) {
            allBZero &= isZero(l.b());
            allUpdateZero &= isZero(l.ba());
        }
        if (allBZero) {
            return Optional.of(Prediction.none(Status.UNTRAINED, "B is zero in every layer: a LoRA that was never trained"));
        }
        if (allUpdateZero) {
            return Optional.of(Prediction.none(Status.DEGENERATE, "ΔW = s·B·A is zero in every layer although B is not (A is zero, or B·A cancels)"));
        }
        return Optional.empty();
    }

    private static boolean isZero(double[] sigma) {
        return sigma.length == 0 || !(sigma[0] > 0); // descending: σ₁ = 0 means the matrix is 0
    }
}
