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
import java.util.concurrent.TimeUnit;
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
        Path cc = Path.of("/usr/bin/cc");
        assumeTrue(Files.isExecutable(cc), "no C compiler");
        libs = Files.createDirectories(dir.resolve("libs"));
        Path so = libs.resolve("libcuda.so.1");
        Process p = new ProcessBuilder(cc.toString(), "-shared", "-fPIC", "-O2", "-o", so.toString(), "native/fake-cuda/fakecuda.c", "-lm")
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        Files.copy(so, libs.resolve("libcublas.so.13"));
        Files.copy(so, libs.resolve("libcusolver.so.12"));
    }

    private Cli.Run child(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("LD_LIBRARY_PATH", libs.toString());
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child timed out");
        return new Cli.Run(p.exitValue(), Files.readString(dir.resolve("out.txt")), Files.readString(dir.resolve("err.txt")));
    }

    @Test
    void doctorFindsTheDeviceAndLoadsTheKernels() throws Exception {
        Cli.Run r = child("doctor");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("context   ok: cuda (Fake CPU GPU, sm_90"), r.out());
        assertTrue(r.out().contains("kernels from nvcc PTX"), r.out());
    }

    @Test
    void spectraAgreeWithTheCpuOnTheGramRouteAndTheRankAbove32Fallback() throws Exception {
        for (String rank : new String[] {"8", "48"}) {
            Cli.Run r = child("bench", "--device", "cuda", "--files", "2", "--rank", rank, "--repeats", "1");
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("agreement cuda vs cpu (1 thread)") && l.endsWith("predictions identical")), r.out());
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
    }
}
