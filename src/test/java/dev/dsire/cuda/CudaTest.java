package dev.dsire.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dsire.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What can be checked of the CUDA side on any machine, GPU or not. */
class CudaTest {
    @TempDir
    Path dir;

    @Test
    void kernelsAreBundledAsPtxAndSource() {
        String ptx = new String(CudaContext.resource("dsire.ptx"), StandardCharsets.US_ASCII);
        for (String k : new String[] {"to_double", "cholesky_lower", "nn_argmin"}) {
            assertTrue(ptx.contains(".entry " + k + "("), k);
        }
        String src = new String(CudaContext.resource("dsire.cu"), StandardCharsets.UTF_8);
        assertTrue(src.contains("__global__ void nn_argmin("));
    }

    @Test
    void committedPtxIsBuiltFromTheCommittedSource() throws IOException, InterruptedException {
        Path nvcc = Path.of(System.getenv().getOrDefault("NVCC", "/usr/local/cuda/bin/nvcc"));
        assumeTrue(Files.isExecutable(nvcc), "nvcc not installed");
        // another nvcc release may emit other (equally good) PTX: compare only with the release that built it
        String committed = new String(CudaContext.resource("dsire.ptx"), StandardCharsets.US_ASCII);
        Process v = new ProcessBuilder(nvcc.toString(), "--version").redirectErrorStream(true).start();
        String version = new String(v.getInputStream().readAllBytes());
        v.waitFor();
        String release = committed.lines().filter(l -> l.startsWith("// Cuda compilation tools")).findFirst().orElse("?").substring(3);
        assumeTrue(version.contains(release), "committed PTX was built by " + release);
        Path cu = dir.resolve("dsire.cu"), ptx = dir.resolve("dsire.ptx");
        Files.write(cu, CudaContext.resource("dsire.cu"));
        Process p = new ProcessBuilder(nvcc.toString(), "-ptx", "-arch=compute_75", "-O3", "-o", ptx.toString(), cu.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        assertEquals(new String(CudaContext.resource("dsire.ptx"), StandardCharsets.US_ASCII).replaceAll("(?m)^//.*\n", ""),
                Files.readString(ptx).replaceAll("(?m)^//.*\n", ""), "run kernels/build.sh after editing kernels/dsire.cu");
    }

    @Test
    void committedFatbinIsBuiltFromTheCommittedSource() throws IOException, InterruptedException {
        Path nvcc = Path.of(System.getenv().getOrDefault("NVCC", "/usr/local/cuda/bin/nvcc"));
        assumeTrue(Files.isExecutable(nvcc), "nvcc not installed");
        String committedPtx = new String(CudaContext.resource("dsire.ptx"), StandardCharsets.US_ASCII);
        Process v = new ProcessBuilder(nvcc.toString(), "--version").redirectErrorStream(true).start();
        String version = new String(v.getInputStream().readAllBytes());
        v.waitFor();
        // kernels/build.sh makes both with one nvcc: the PTX's header names the release
        String release = committedPtx.lines().filter(l -> l.startsWith("// Cuda compilation tools")).findFirst().orElse("?").substring(3);
        assumeTrue(version.contains(release), "committed kernels were built by " + release);
        Path cu = dir.resolve("dsire.cu"), fatbin = dir.resolve("dsire.fatbin");
        Files.write(cu, CudaContext.resource("dsire.cu"));
        Process p = new ProcessBuilder(nvcc.toString(), "-fatbin", "-O3", "-gencode", "arch=compute_80,code=sm_80", "-gencode",
                "arch=compute_90,code=sm_90", "-gencode", "arch=compute_90,code=compute_90", "-o", fatbin.toString(), cu.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        assertArrayEquals(Files.readAllBytes(fatbin), CudaContext.resource("dsire.fatbin"), "run kernels/build.sh after editing kernels/dsire.cu");
    }

    @Test
    void fatbinHoldsEveryKernelForSm80AndSm90() {
        byte[] f = CudaContext.resource("dsire.fatbin");
        assertEquals(0xBA55ED50, java.nio.ByteBuffer.wrap(f).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0)); // fatbin magic
        String s = new String(f, StandardCharsets.ISO_8859_1);
        for (String k : new String[] {"to_double", "cholesky_lower", "nn_argmin"}) {
            assertTrue(s.contains(k), k);
        }
    }

    @Test
    void nvrtcIsNeverNewerThanTheDriver() {
        assertEquals(java.util.List.of("libnvrtc.so.12"), Nvrtc.sonames(12080));
        assertEquals(java.util.List.of("libnvrtc.so.13", "libnvrtc.so.12"), Nvrtc.sonames(13000));
        assertEquals(java.util.List.of("libnvrtc.so.13", "libnvrtc.so.12"), Nvrtc.sonames(14000)); // bound: what dsire knows
        assertEquals(java.util.List.of(), Nvrtc.sonames(11080));
    }

    @Test
    void nvrtcCacheKeyHoldsTheNvrtcVersionTheSourceAndTheGpu() {
        byte[] src = "x".getBytes(StandardCharsets.UTF_8);
        Path a = CudaContext.cacheFile(dir, src, "12.8", 9, 0), b = CudaContext.cacheFile(dir, src, "13.0", 9, 0);
        assertNotEquals(a, b);
        assertNotEquals(a, CudaContext.cacheFile(dir, src, "12.8", 8, 6));
        assertNotEquals(a, CudaContext.cacheFile(dir, "y".getBytes(StandardCharsets.UTF_8), "12.8", 9, 0));
        assertEquals(a, CudaContext.cacheFile(dir, src, "12.8", 9, 0));
    }

    @Test
    void aLibraryThatDoesNotLoadKeepsTheLoadersReason() throws IOException {
        NativeLibrary.Search missing = NativeLibrary.search("libdsire-no-such.so.7");
        assertTrue(missing.library().isEmpty());
        assertTrue(missing.error().contains("libdsire-no-such.so.7: cannot open shared object file"), missing.error());
        Path broken = dir.resolve("libbroken.so.1");
        Files.write(broken, new byte[64]);
        String why = NativeLibrary.dlerror(broken.toString());
        assertTrue(why.contains("libbroken.so.1") && (why.contains("invalid ELF header") || why.contains("file too short")), why);
    }

    @Test
    void doctorWorksAndExitsZeroEverywhere() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, Main.run(new String[] {"doctor"}, new PrintWriter(out), new PrintWriter(err)), err.toString());
        assertTrue(out.toString().contains("java "));
        assertTrue(out.toString().contains("auto "));
    }

    @Test
    void deviceCudaWithoutAGpuFailsWithOneClearLine() throws IOException {
        assumeFalse(CudaProbe.run().usable(), "a GPU is here");
        Path f = dir.resolve("x.safetensors");
        Files.write(f, new byte[16]);
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new String[] {"features", "--device", "cuda", f.toString()}, new PrintWriter(out), new PrintWriter(err));
        assertEquals(Main.DEVICE_ERROR, code);
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("dsire: CUDA: "));
    }

    @Test
    void kernelArgumentsArePackedAsPointersToValues() {
        try (var a = java.lang.foreign.Arena.ofConfined()) {
            var p = Driver.params(a, 7, 1L << 40);
            assertEquals(7, p.getAtIndex(java.lang.foreign.ValueLayout.ADDRESS, 0).reinterpret(4).get(java.lang.foreign.ValueLayout.JAVA_INT, 0));
            assertEquals(1L << 40, p.getAtIndex(java.lang.foreign.ValueLayout.ADDRESS, 1).reinterpret(8).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
        }
    }
}
