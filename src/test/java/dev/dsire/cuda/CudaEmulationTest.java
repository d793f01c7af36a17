package dev.dsire.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dsire.cli.Main;
import dev.dsire.testutil.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole CUDA host path — FFM bindings, pinned staging, chunking, buffer layouts, CPU fallbacks,
 * the batched 1-NN — against native/fake-cuda: a CPU stand-in for libcuda, cuBLAS and cuSOLVER,
 * compiled here with cc and put first on the loader path of a child JVM. It checks the Java side
 * on machines without a GPU; the kernels and the real libraries are CudaParityTest's job.
 */
class CudaEmulationTest {
    @TempDir
    Path dir;
    Path libs;

    @BeforeEach
    void buildFake() throws IOException, InterruptedException {
        libs = FakeCuda.build(dir);
    }

    private Cli.Run child(String... args) throws IOException, InterruptedException {
        return FakeCuda.child(libs, dir, Map.of("FAKECUDA_REPORT", "1"), Main.class.getName(), args);
    }

    /** The stand-in's exit line: nothing left allocated, no misuse seen. */
    static void clean(Cli.Run r) {
        assertTrue(r.err().contains("fakecuda: live=0 violations=0 "), r.err());
    }

    @Test
    void doctorFindsTheDeviceAndLoadsTheKernels() throws Exception {
        Cli.Run r = child("doctor");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("context   ok: cuda (Fake CPU GPU, sm_90"), r.out());
        assertTrue(r.out().contains("kernels from fatbin"), r.out());
        assertTrue(r.out().contains("driver    libcuda.so.1, CUDA 13.0"), r.out());
        assertTrue(r.out().contains("cublas    libcublas.so.13, version 13.0.2"), r.out());
        assertTrue(r.out().contains("nvrtc     libnvrtc.so.13, version 13.0"), r.out());
        clean(r);
    }

    @Test
    void spectraAgreeWithTheCpuOnTheGramRouteAndTheRankAbove32Fallback() throws Exception {
        for (String rank : new String[] {"8", "48"}) {
            Cli.Run r = child("bench", "--device", "cuda", "--files", "2", "--rank", rank, "--repeats", "1");
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("agreement cuda vs cpu (1 thread)") && l.endsWith("predictions identical")), r.out());
            clean(r);
        }
    }

    @Test
    void predictionsThroughTheNnKernelPathMatchTheCpu() throws Exception {
        Path model = dir.resolve("m.json");
        assertEquals(0, Cli.dsire("fit", "--device", "cpu", "--manifest", "examples/zoo-low/manifest.csv", "--out", model).code());
        List<String> files = new ArrayList<>(List.of("predict", "--json", "--model", model.toString()));
        try (var s = Files.list(Path.of("examples/zoo-medium"))) {
            s.filter(p -> p.toString().endsWith(".safetensors")).sorted().limit(60).forEach(p -> files.add(p.toString()));
        }
        List<String> cpuArgs = new ArrayList<>(files);
        cpuArgs.addAll(List.of("--device", "cpu"));
        Cli.Run cpu = Cli.dsire(cpuArgs.toArray());
        List<String> gpuArgs = new ArrayList<>(files);
        gpuArgs.addAll(List.of("--device", "cuda"));
        Cli.Run gpu = child(gpuArgs.toArray(String[]::new));
        assertEquals(0, gpu.code(), gpu.err());
        assertEquals(60, gpu.lines().size());
        assertEquals(cpu.out(), gpu.out());
        clean(gpu);
    }
}
