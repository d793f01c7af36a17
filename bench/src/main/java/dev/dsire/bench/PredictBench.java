package dev.dsire.bench;

import dev.dsire.lora.LayerShape;
import dev.dsire.lora.Layout;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.model.Prediction;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.LayerSpectrum;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * Prediction for an SD1.5-shaped adapter (128 layers, rank 32: 384 (layer, kind) voters of
 * dimension 32, twice that for the two-view posterior), by the paper's dsire and by the posterior
 * methods, over references of 15 groups × 6 sizes (90) or 60 groups × 6 sizes (360).
 * {@code predict}: the model step alone, from spectra. {@code predictFile}: what {@code dsire predict}
 * does per model, from the path: open, read, spectra (1 thread), predict. The posterior's target:
 * at most 2× dsire's time per model.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PredictBench {
    private static final int RANK = 32;
    private static final int[] SIZES = {1, 10, 20, 30, 40, 50};

    @Param({"dsire", "posterior", "posterior-raw"})
    String method;

    @Param({"90", "360"})
    int refs;

    DsireModel model;
    Path file;
    CpuSpectrumBackend cpu;
    AdapterSpectra[] queries = new AdapterSpectra[16];
    int next;

    @Setup
    public void setup() throws java.io.IOException {
        file = Sd15File.write(RANK);
        cpu = new CpuSpectrumBackend(1);
        Layout layout;
        try (LoraAdapter a = LoraReader.open(file)) {
            layout = cpu.compute(List.of(a)).getFirst().spectra().layout(); // the references share the file's layout
        }
        SplittableRandom r = new SplittableRandom(11);
        List<Labelled> train = new ArrayList<>();
        for (int i = 0; i < refs; i++) {
            int size = SIZES[i % SIZES.length];
            train.add(new Labelled(Path.of("ref" + i), spectra(layout, size, r), size, "g" + i / SIZES.length));
        }
        model = DsireModel.fit(Method.byKey(method), train);
        for (int q = 0; q < queries.length; q++) {
            queries[q] = spectra(layout, SIZES[q % SIZES.length], r);
        }
    }

    /** Descending singular values that grow with the size, with noise: the shape of real spectra. */
    static AdapterSpectra spectra(Layout layout, int size, SplittableRandom r) {
        List<LayerSpectrum> layers = new ArrayList<>();
        for (LayerShape l : layout.layers()) {
            double[][] s = new double[3][RANK];
            for (double[] k : s) {
                for (int j = 0; j < RANK; j++) {
                    k[j] = Math.log1p(size) * Math.exp(-0.1 * j) * (1 + 0.2 * r.nextDouble());
                }
                Arrays.sort(k);
                for (int j = 0; j < RANK / 2; j++) { // descending
                    double t = k[j];
                    k[j] = k[RANK - 1 - j];
                    k[RANK - 1 - j] = t;
                }
            }
            layers.add(LayerSpectrum.of(l.name(), s[0], s[1], s[2]));
        }
        return new AdapterSpectra(layout, layers);
    }

    @TearDown
    public void tearDown() {
        cpu.close();
    }

    @Benchmark
    public Prediction predict() {
        return model.predict(Path.of("q"), queries[next++ & 15]);
    }

    @Benchmark
    public Prediction predictFile() {
        try (LoraAdapter a = LoraReader.open(file)) {
            return model.predict(file, cpu.compute(List.of(a)).getFirst().spectra());
        }
    }
}
