package dev.dsire.model;

import dev.dsire.lora.Layout;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.MatrixKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * DSiRe and the paper's baseline and ablations. Each method says which voters it has (a 1-NN
 * classifier each), what feature vector a voter sees, and how votes combine.
 */
public enum Method {
    /** The paper's method: every (layer, kind ∈ {A, B, BA}) votes on its singular values; majority wins. */
    DSIRE("dsire", List.of(MatrixKind.A, MatrixKind.B, MatrixKind.BA), false, false, false),
    /** Baseline: the same voters, each on its matrix's Frobenius norm alone. */
    FROBENIUS("frobenius", List.of(MatrixKind.A, MatrixKind.B, MatrixKind.BA), true, false, false),
    /** Ablation: only A's spectra vote. */
    A_ONLY("a-only", List.of(MatrixKind.A), false, false, false),
    /** Ablation: only B's spectra vote. */
    B_ONLY("b-only", List.of(MatrixKind.B), false, false, false),
    /** Ablation: only the spectra of B·A vote. */
    BA_ONLY("ba-only", List.of(MatrixKind.BA), false, false, false),
    /** Ablation: one 1-NN on all spectra of all layers concatenated. */
    NN_FULL("nn-full", List.of(MatrixKind.A, MatrixKind.B, MatrixKind.BA), false, true, false),
    /** Ablation: DSiRe's voters, combined by the mean of their votes (snapped to the nearest known size). */
    AVG_VOTE("avg-vote", List.of(MatrixKind.A, MatrixKind.B, MatrixKind.BA), false, false, true);

    private final String key;
    private final List<MatrixKind> kinds;
    private final boolean normOnly;
    private final boolean concatenated;
    private final boolean meanVote;

    Method(String key, List<MatrixKind> kinds, boolean normOnly, boolean concatenated, boolean meanVote) {
        this.key = key;
        this.kinds = kinds;
        this.normOnly = normOnly;
        this.concatenated = concatenated;
        this.meanVote = meanVote;
    }

    public String key() {
        return key;
    }

    public boolean meanVote() {
        return meanVote;
    }

    public static Method byKey(String key) {
        for (Method m : values()) {
            if (m.key.equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + key + "' (known: " + String.join(", ", keys()) + ")");
    }

    public static List<String> keys() {
        return Arrays.stream(values()).map(Method::key).toList();
    }

    /** Voter names for a layout: "layer/kind", or one "all" voter for nn-full. */
    public List<String> voters(Layout layout) {
        if (concatenated) {
            return List.of("all");
        }
        List<String> out = new ArrayList<>();
        for (var l : layout.layers()) {
            for (MatrixKind k : kinds) {
                out.add(l.name() + "/" + k.key());
            }
        }
        return out;
    }

    /** Every voter's feature vector for one adapter, in {@link #voters} order. */
    public List<double[]> features(AdapterSpectra s) {
        List<double[]> out = new ArrayList<>();
        if (concatenated) {
            int n = 0;
            for (LayerSpectrum l : s.layers()) {
                for (MatrixKind k : kinds) {
                    n += l.values(k).length;
                }
            }
            double[] all = new double[n];
            int at = 0;
            for (LayerSpectrum l : s.layers()) {
                for (MatrixKind k : kinds) {
                    double[] v = l.values(k);
                    System.arraycopy(v, 0, all, at, v.length);
                    at += v.length;
                }
            }
            out.add(all);
            return out;
        }
        for (LayerSpectrum l : s.layers()) {
            for (MatrixKind k : kinds) {
                out.add(normOnly ? new double[] {l.norm(k)} : l.values(k));
            }
        }
        return out;
    }
}
