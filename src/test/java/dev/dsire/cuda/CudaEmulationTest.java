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
import org.junit.jupiter.api.BeforeAll;
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
    static Path shared;
    static Path libs;

    @TempDir
    Path dir;

    @BeforeAll
    static void buildFake() throws IOException, InterruptedException {
        libs = FakeCuda.build(shared); // once per class: the tests only read it
    }

    private Cli.Run child(String... args) throws IOException, InterruptedException {
        return FakeCuda.child(libs, dir, Map.of("FAKECUDA_REPORT", "1"), Main.class.getName(), args);
    }

    /** The stand-in's exit line: nothing left allocated, no misuse seen; and no batch fell back to the CPU. */
    static void clean(Cli.Run r) {
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("fakecuda: live=0 violations=0 ")).count(), r.err());
        assertTrue(r.err().lines().noneMatch(l -> l.startsWith("fakecuda: violation")), r.err());
        assertFalse(r.err().contains("dsire: CUDA"), r.err());
    }

    @Test
    void doctorParityPassesAndFallsBackNowhere() throws Exception {
        Cli.Run r = child("doctor", "--parity");
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(6, r.out().lines().filter(l -> l.startsWith("parity    ") && l.endsWith(" ok")).count(), r.out());
        assertTrue(r.out().contains("parity    all checks passed"), r.out());
        clean(r);
    }

    @Test
    void bandwidthIsMeasuredAndEverythingFreed() throws Exception {
        Cli.Run r = child("doctor", "--bandwidth");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("bandwidth host->device, pinned: [0-9.]+ GB/s \\(256 MiB x 8\\)")), r.out());
        clean(r);
    }

    @Test
    void aScanWhoseGpuRunsOutOfMemoryLosesNoRowAndMatchesTheCpu() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        try (var s = Files.list(Path.of("examples/zoo-medium"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".safetensors")).sorted().limit(24).toList()) {
                Files.copy(p, tree.resolve(p.getFileName()));
            }
        }
        Path cpuDb = dir.resolve("cpu.sqlite"), gpuDb = dir.resolve("gpu.sqlite"), model = dir.resolve("m.json");
        assertEquals(0, Cli.dsire("fit", "--device", "cpu", "--method", "dsire", "--manifest", "examples/zoo-low/manifest.csv", "--out", model).code());
        assertEquals(0, Cli.dsire("scan", tree, "--db", cpuDb, "--model", model, "--device", "cpu").code());
        // sticky: every allocation from the 12th on fails, so the GPU gives up for good after three batches at most
        for (Map.Entry<String, String> fail : List.of(Map.entry("12", ""), Map.entry("12", "sticky"))) {
            Files.deleteIfExists(gpuDb);
            Map<String, String> env = new java.util.HashMap<>(Map.of("FAKECUDA_FAIL_AT", fail.getKey(), "FAKECUDA_REPORT", "1"));
            Cli.Run gpu = FakeCuda.child(libs, dir, env, Main.class.getName(), "scan", tree.toString(), "--db", gpuDb.toString(),
                    "--model", model.toString(), "--device", "cuda");
            assertEquals(0, gpu.code(), gpu.err());
            assertTrue(gpu.err().lines().anyMatch(l -> l.startsWith("dsire: CUDA: ") && l.contains("on the CPU")), gpu.err());
            Cli.Run a = Cli.dsire("export", "--db", cpuDb, "--format", "csv"), b = Cli.dsire("export", "--db", gpuDb, "--format", "csv");
            assertEquals(25, b.lines().size(), b.out());
            assertEquals(a.out(), b.out()); // every row, its status and its prediction, as on the CPU
        }
    }

    @Test
    void aContextThatFailsHalfwayReleasesWhatItTookAndDoctorSaysWhy() throws Exception {
        Path own = FakeCuda.build(dir); // its own copy, without cuSOLVER
        Files.delete(own.resolve("libcusolver.so.12"));
        Cli.Run r = FakeCuda.child(own, dir, Map.of("FAKECUDA_REPORT", "1"), Main.class.getName(), "doctor");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("cusolver  not found: libcusolver.so.12: cannot open shared object file"), r.out());
        assertTrue(r.out().contains("context   failed: cuSOLVER not found"), r.out());
        assertTrue(r.err().contains("fakecuda: live=0 violations=0 "), r.err()); // the primary context was released
    }

    @Test
    void aCuda12DriverGetsKernelsFromTheMatchingNvrtcCachedUnderItsVersion() throws Exception {
        Cli.Run r = FakeCuda.child(libs, dir, Map.of("FAKECUDA_DRIVER_VERSION", "12080"), Main.class.getName(), "doctor");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("driver    libcuda.so.1, CUDA 12.8"), r.out());
        assertTrue(r.out().contains("nvrtc     libnvrtc.so.12, version 12.8"), r.out());
        assertTrue(r.out().contains("kernels from NVRTC 12.8)"), r.out());
        try (var s = Files.list(dir.resolve(".cache/dsire"))) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().matches("dsire-[0-9a-f]{16}-nvrtc12\\.8-sm90\\.ptx")));
        }
        Cli.Run again = FakeCuda.child(libs, dir, Map.of("FAKECUDA_DRIVER_VERSION", "12080"), Main.class.getName(), "doctor");
        assertTrue(again.out().contains("kernels from NVRTC 12.8)"), again.out()); // from the cache
    }

    @Test
    void outOfGpuMemoryMidRunFinishesThatBatchOnTheCpuWithOneLine() throws Exception {
        Path model = dir.resolve("m.json");
        assertEquals(0, Cli.dsire("fit", "--device", "cpu", "--method", "dsire", "--manifest", "examples/zoo-low/manifest.csv", "--out", model).code());
        List<String> args = new ArrayList<>(List.of("predict", "--json", "--model", model.toString()));
        try (var s = Files.list(Path.of("examples/zoo-medium"))) {
            s.filter(p -> p.toString().endsWith(".safetensors")).sorted().limit(20).forEach(p -> args.add(p.toString()));
        }
        List<String> cpuArgs = new ArrayList<>(args);
        cpuArgs.addAll(List.of("--device", "cpu"));
        Cli.Run cpu = Cli.dsire(cpuArgs.toArray());
        args.addAll(List.of("--device", "cuda"));
        // allocations 1-9: the context, both slots' streams and handles; 12 is a device buffer of the first chunk
        Cli.Run gpu = FakeCuda.child(libs, dir, Map.of("FAKECUDA_FAIL_AT", "12", "FAKECUDA_REPORT", "1"), Main.class.getName(),
                args.toArray(String[]::new));
        assertEquals(0, gpu.code(), gpu.err());
        assertEquals(cpu.out(), gpu.out());
        List<String> said = gpu.err().lines().filter(l -> l.startsWith("dsire: CUDA")).toList();
        assertEquals(1, said.size(), gpu.err());
        assertTrue(said.getFirst().contains("CUDA_ERROR_OUT_OF_MEMORY") && said.getFirst().endsWith("finishes on the CPU"), said.getFirst());
        assertTrue(gpu.err().contains("fakecuda: live=0 violations=0 "), gpu.err());
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
        assertEquals(0, Cli.dsire("fit", "--device", "cpu", "--method", "dsire", "--manifest", "examples/zoo-low/manifest.csv", "--out", model).code());
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
