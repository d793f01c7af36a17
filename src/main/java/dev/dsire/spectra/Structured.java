package dev.dsire.spectra;

import dev.dsire.lora.Structure;
import java.util.Arrays;

/** Spectra of LyCORIS layers from their small factors, exactly (see {@link Structure}). */
final class Structured {
    private Structured() {}

    /**
     * LoHa: X_A = Aᵀ has rows A₁[:,j] ⊗ A₂[:,j], X_B = B rows B₁[i,:] ⊗ B₂[i,:]; LayerCore reads them
     * a block at a time like any factor, through the same exact r×r core (r = r₁·r₂).
     */
    static LayerCore.Job khatriRao(String layer, Structure.KhatriRao h, double scale) {
        Structure.Dense a1t = h.a1().transposed(), a2t = h.a2().transposed();
        Panel xa = Panel.rowKhatriRao(a1t.v(), a1t.cols(), a2t.v(), a2t.cols(), a1t.rows());
        Panel xb = Panel.rowKhatriRao(h.b1().v(), h.b1().cols(), h.b2().v(), h.b2().cols(), h.b1().rows());
        return new LayerCore.Job(layer, xa, xb, scale);
    }

    /**
     * LoKr: σ(X ⊗ Y) is every product σᵢ(X)·σⱼ(Y), so the spectra of A = A₁ ⊗ A₂, B = B₁ ⊗ B₂ and
     * s·B·A = s·(B₁A₁) ⊗ (B₂A₂) are the sorted pairwise products of the two small factors' spectra.
     */
    static LayerSpectrum kronecker(LayerCore core, String layer, Structure.Kronecker k, double scale) {
        LayerSpectrum f1 = factor(core, layer, k.b1(), k.a1());
        LayerSpectrum f2 = factor(core, layer, k.b2(), k.a2());
        double[] ba = products(f1.ba(), f2.ba());
        double s = Math.abs(scale);
        for (int i = 0; i < ba.length; i++) {
            ba[i] *= s;
        }
        return LayerSpectrum.of(layer, products(f1.a(), f2.a()), products(f1.b(), f2.b()), ba);
    }

    /** σ(A), σ(B), σ(B·A) of one small factor: X_A = Aᵀ from A's rows, X_B = B from Bᵀ's rows. */
    private static LayerSpectrum factor(LayerCore core, String layer, Structure.Dense b, Structure.Dense a) {
        return core.spectrum(layer, Panel.transposeOf(a.v(), a.rows(), a.cols()), Panel.transposeOf(b.transposed().v(), b.cols(), b.rows()), 1);
    }

    /** Every x[i]·y[j], descending. */
    static double[] products(double[] x, double[] y) {
        double[] out = new double[x.length * y.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < y.length; j++) {
                out[i * y.length + j] = x[i] * y[j];
            }
        }
        Arrays.sort(out);
        for (int i = 0, j = out.length - 1; i < j; i++, j--) {
            double t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }

}
