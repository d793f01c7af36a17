package dev.dsire.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Manifest;
import dev.dsire.model.Method;
import dev.dsire.model.NeighbourSearch;
import dev.dsire.safetensors.DType;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.MatrixKind;
import dev.dsire.spectra.SpectrumBackend;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.BaseModels;
import dev.dsire.synth.ModuleSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CPU and CUDA must agree: every σ within {@link SpectrumBackend#TOLERANCE}·σ_max, and identical
 * predictions on the bundled zoo. Runs only where a GPU is usable; reported as skipped elsewhere.
 */
class CudaParityTest {
    @TempDir
    Path dir;

    private static final boolean GPU = CudaProbe.run().usable();

    @BeforeEach
    void needsGpu() {
        assumeTrue(GPU, "no usable CUDA GPU on this machine");
    }

    static double deviation(AdapterSpectra a, AdapterSpectra b) {
        return CudaParity.deviation(a, b);
    }

    @Test
    void everyParityCheckOfDoctorPasses() throws IOException {
        try (CudaContext cuda = CudaContext.open()) {
            List<String> notices = new ArrayList<>();
            for (CudaParity.Check c : new CudaParity(cuda, dir, notices::add).run()) {
                assertTrue(c.ok(), c.line());
            }
            assertEquals(List.of(), notices, "no batch may fall back to the CPU");
        }
    }

    private List<AdapterSpectra> spectra(SpectrumBackend b, List<LoraAdapter> adapters) {
        List<AdapterSpectra> out = new ArrayList<>();
        for (Computed c : b.compute(adapters)) {
            assertTrue(c.ok(), () -> c.error().getMessage());
            out.add(c.spectra());
        }
        return out;
    }

    @Test
    void spectraAgreeOnEveryDtypeAndShape() throws IOException {
        List<LoraAdapter> adapters = new ArrayList<>();
        int seed = 0;
        for (DType t : new DType[] {DType.F16, DType.BF16, DType.F32, DType.F64}) {
            for (int rank : new int[] {1, 4, 32, 48}) {
                List<ModuleSpec> m = BaseModels.sd15().subList(0, 16);
                adapters.add(LoraReader.open(AdapterWriter.write(dir.resolve(t + "-" + rank + ".safetensors"), AdapterWriter.Naming.KOHYA,
                        m, rank, rank / 2.0, t, AdapterWriter.random(m, rank, seed++), Map.of())));
            }
        }
        try (CudaContext cuda = CudaContext.open(); var gpu = new CudaSpectrumBackend(cuda, 2); var cpu = new CpuSpectrumBackend(2)) {
            List<AdapterSpectra> a = spectra(cpu, adapters), b = spectra(gpu, adapters);
            for (int i = 0; i < a.size(); i++) {
                assertTrue(deviation(a.get(i), b.get(i)) <= SpectrumBackend.TOLERANCE, adapters.get(i).path() + ": " + deviation(a.get(i), b.get(i)));
            }
        } finally {
            adapters.forEach(LoraAdapter::close);
        }
    }

    @Test
    void predictionsOnTheBundledZooAreIdentical() {
        Manifest m = Manifest.readCsv(Path.of("examples/zoo-low/manifest.csv"));
        List<LoraAdapter> adapters = m.entries().stream().map(e -> LoraReader.open(e.path())).toList();
        try (CudaContext cuda = CudaContext.open(); var gpu = new CudaSpectrumBackend(cuda, 2); var cpu = new CpuSpectrumBackend(2);
             var gpuSearch = new CudaNeighbourSearch(cuda)) {
            List<AdapterSpectra> a = spectra(cpu, adapters), b = spectra(gpu, adapters);
            List<Labelled> train = new ArrayList<>();
            for (int i = 0; i < a.size(); i += 2) {
                train.add(new Labelled(m.entries().get(i).path(), a.get(i), m.entries().get(i).size()));
            }
            DsireModel model = DsireModel.fit(Method.DSIRE, train);
            List<List<double[]>> qa = new ArrayList<>(), qb = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                assertTrue(deviation(a.get(i), b.get(i)) <= SpectrumBackend.TOLERANCE);
                qa.add(model.features(m.entries().get(i).path(), a.get(i)));
                qb.add(model.features(m.entries().get(i).path(), b.get(i)));
            }
            int[][] cpuNearest = NeighbourSearch.CPU.nearest(model, qa);
            int[][] gpuNearest = gpuSearch.nearest(model, qb);
            for (int i = 0; i < a.size(); i++) {
                assertEquals(model.vote(cpuNearest[i]), model.vote(gpuNearest[i]), m.entries().get(i).path().toString());
            }
        } finally {
            adapters.forEach(LoraAdapter::close);
        }
    }
}
