package dev.dsire.hub;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.lora.LayerShape;
import dev.dsire.lora.Layout;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.LayerSpectrum;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RunCrossValidationTest {
    static final Layout LAYOUT = new Layout(List.of(new LayerShape("l0", 3, 8, 8), new LayerShape("l1", 3, 8, 8)));

    /** Random spectra: nothing in them says the size. */
    static AdapterSpectra noise(Random rnd) {
        List<LayerSpectrum> layers = new ArrayList<>();
        for (LayerShape l : LAYOUT.layers()) {
            double[][] v = new double[3][3];
            for (double[] x : v) {
                for (int i = 0; i < 3; i++) {
                    x[i] = 1 + rnd.nextDouble();
                }
                java.util.Arrays.sort(x);
            }
            layers.add(LayerSpectrum.of(l.name(), v[0], v[1], v[2]));
        }
        return new AdapterSpectra(LAYOUT, layers);
    }

    @Test
    void epochSnapshotsOfOneRunNeverSitOnBothSides() {
        // each run: three identical snapshots with one random size; were a run split, 1-NN would find its twin every time
        Random rnd = new Random(7);
        List<Labelled> data = new ArrayList<>();
        for (int run = 0; run < 40; run++) {
            AdapterSpectra s = noise(rnd);
            int size = List.of(1, 2, 4, 8).get(rnd.nextInt(4));
            for (int snap = 0; snap < 3; snap++) {
                data.add(new Labelled(Path.of("r" + run + "-" + snap), s, size, "run" + run));
            }
        }
        RunCrossValidation.Result byRun = RunCrossValidation.run(Method.DSIRE, data, 10, 42);
        assertEquals(120, byRun.adapters());
        assertEquals(40, byRun.runs());
        assertTrue(byRun.accuracy() < 60, "held out by run, noise predicts near chance: " + byRun);

        List<Labelled> byFile = data.stream().map(l -> new Labelled(l.path(), l.spectra(), l.size(), l.path().toString())).toList();
        RunCrossValidation.Result leaky = RunCrossValidation.run(Method.DSIRE, byFile, 10, 42);
        assertTrue(leaky.accuracy() > 90, "split by file, a snapshot's twin gives it away: " + leaky);
    }

    @Test
    void fewerRunsThanFoldsIsLeaveOneRunOut() {
        Random rnd = new Random(3);
        List<Labelled> data = new ArrayList<>();
        for (int run = 0; run < 6; run++) {
            data.add(new Labelled(Path.of("f" + run), noise(rnd), run % 2 == 0 ? 1 : 5, "run" + run));
        }
        RunCrossValidation.Result r = RunCrossValidation.run(Method.DSIRE, data, 10, 42);
        assertEquals(6, r.folds());
        assertEquals(6, r.adapters());
        assertEquals(4.0, r.constantMae(), 1e-12, "holding out a 1 leaves the median at 5, holding out a 5 leaves it at 1");
    }
}
