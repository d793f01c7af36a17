package dev.dsire.model;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.dsire.lora.LayerShape;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.LayerSpectrum;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzzing of the model-file reader (Jazzer): whatever the bytes, parse returns a
 * model or throws its one ModelFileException. A model that loads is a valid one: positive whole
 * labels, finite positive scales, finite non-negative weights, and it answers an adapter of its
 * layout with one of its training sizes and finite probabilities (a damaged file once answered 0,
 * −4 or NaN with status ok). Seeds: a small model of every format (4: a pooled-recipe model without
 * references; 3 with base64 vectors, 2 with numbers, 1 without calibration; a pooled-recipe model with its
 * recipe block). CI replays {@code .../ModelFileFuzzTestInputs/};
 * {@code JAZZER_FUZZ=1} fuzzes.
 */
class ModelFileFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void modelsLoadOrFailCleanly(byte[] json) {
        DsireModel m;
        try {
            m = ModelFile.parse(Path.of("fuzz.json"), json);
        } catch (ModelFileException e) {
            if (e.getMessage() == null || e.getMessage().lines().count() != 1) {
                throw new AssertionError("not one line: " + e.getMessage());
            }
            return;
        }
        valid(m);
    }

    /** What every loaded model must satisfy, whatever file it came from. */
    static void valid(DsireModel m) {
        for (int l : m.labels()) {
            check(l > 0, "label " + l);
        }
        for (double t : m.calibration().tau()) {
            check(t > 0 && Double.isFinite(t), "tau " + t);
        }
        for (double w : m.calibration().weights()) {
            check(w >= 0 && Double.isFinite(w), "weight " + w);
        }
        for (Standardiser z : m.scalers()) {
            for (int j = 0; j < z.std().length; j++) {
                check(z.std()[j] > 0 && Double.isFinite(z.std()[j]) && Double.isFinite(z.mean()[j]), "standardiser " + z.std()[j] + ", " + z.mean()[j]);
            }
        }
        for (NearestNeighbour nn : m.index()) {
            // a pooled score never searches references, and since format 4 its model stores none
            check(nn.size() == m.labels().length || m.method().rule().pooled() && nn.size() == 0,
                    "references " + nn.size() + " for " + m.labels().length + " labels");
        }
        // an adapter of the model's layout, with spectra decaying from 1
        List<LayerSpectrum> layers = new ArrayList<>();
        for (LayerShape l : m.layout().layers()) {
            double[] s = new double[l.rank()];
            for (int i = 0; i < s.length; i++) {
                s[i] = 1.0 / (i + 1);
            }
            layers.add(LayerSpectrum.of(l.name(), s, s.clone(), s.clone()));
        }
        // without a recipe, and with one (a pooled-recipe model then answers from its recipe block)
        for (dev.dsire.lora.Recipe recipe : List.of(dev.dsire.lora.Recipe.UNKNOWN, new dev.dsire.lora.Recipe(1e-3, 300))) {
            answers(m, m.predict(Path.of("x.safetensors"), new AdapterSpectra(m.layout(), layers, recipe)));
        }
    }

    private static void answers(DsireModel m, Prediction p) {
        if (p.size() != null) {
            check(m.sizes().contains(p.size()), "answer " + p.size() + " is not a training size " + m.sizes());
        }
        check(Double.isFinite(p.estimate()) || p.size() == null, "estimate " + p.estimate());
        if (p.posterior() != null) {
            for (double q : p.posterior().p()) {
                check(q >= 0 && q <= 1, "probability " + q);
            }
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("a model loaded with " + what);
        }
    }
}
