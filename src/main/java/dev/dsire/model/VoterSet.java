package dev.dsire.model;

import dev.dsire.lora.Layout;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.MatrixKind;
import java.util.ArrayList;
import java.util.List;

/**
 * Which voters a method has: one per (layer, kind) for the given kinds, or a single voter that
 * sees every layer's features concatenated (the paper's NN-full).
 */
public record VoterSet(List<MatrixKind> kinds, boolean concatenated) {
    public static final VoterSet ALL_KINDS = new VoterSet(List.of(MatrixKind.A, MatrixKind.B, MatrixKind.BA), false);

    public VoterSet {
        kinds = List.copyOf(kinds);
    }

    /** "per-layer a,b,ba" or "concatenated a,b,ba". */
    public String key() {
        return (concatenated ? "concatenated " : "per-layer ") + String.join(",", kinds.stream().map(MatrixKind::key).toList());
    }

    public static VoterSet byKey(String key) {
        String[] p = key.split(" ");
        if (p.length != 2 || !(p[0].equals("per-layer") || p[0].equals("concatenated"))) {
            throw new IllegalArgumentException("unknown voter set '" + key + "'");
        }
        List<MatrixKind> kinds = new ArrayList<>();
        for (String k : p[1].split(",")) {
            kinds.add(switch (k) {
                case "a" -> MatrixKind.A;
                case "b" -> MatrixKind.B;
                case "ba" -> MatrixKind.BA;
                default -> throw new IllegalArgumentException("unknown matrix kind '" + k + "'");
            });
        }
        return new VoterSet(kinds, p[0].equals("concatenated"));
    }

    /** Voter names for a layout: "layer/kind" (plus "/log" or "/raw" for two-view transforms), or one "all" voter when concatenated. */
    public List<String> names(Layout layout, FeatureTransform t) {
        if (concatenated) {
            return List.of("all");
        }
        List<String> out = new ArrayList<>();
        for (var l : layout.layers()) {
            for (MatrixKind k : kinds) {
                for (int view = 0; view < t.views(); view++) {
                    out.add(l.name() + "/" + k.key() + t.viewSuffix(view));
                }
            }
        }
        return out;
    }

    /** Whether voter v's features are standardised by the model (per view; all or nothing when concatenated). */
    public boolean standardises(int v, FeatureTransform t) {
        return concatenated ? t.standardised() : t.standardises(v % t.views());
    }

    /** Every voter's feature vector for one adapter (before any fitted standardisation), in {@link #names} order. */
    public List<double[]> features(AdapterSpectra s, FeatureTransform t) {
        List<double[]> out = new ArrayList<>();
        for (LayerSpectrum l : s.layers()) {
            for (MatrixKind k : kinds) {
                for (int view = 0; view < t.views(); view++) {
                    out.add(t.apply(l, k, view));
                }
            }
        }
        if (!concatenated) {
            return out;
        }
        int n = out.stream().mapToInt(v -> v.length).sum(), at = 0;
        double[] all = new double[n];
        for (double[] v : out) {
            System.arraycopy(v, 0, all, at, v.length);
            at += v.length;
        }
        return List.of(all);
    }
}
