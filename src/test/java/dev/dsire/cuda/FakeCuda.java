package dev.dsire.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dsire.testutil.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** native/fake-cuda built with cc into a folder of sonames, and child JVMs that load it first. */
final class FakeCuda {
    private FakeCuda() {}

    /** Compiles the stand-in into dir/libs as libcuda.so.1, libcublas.so.13, libcusolver.so.12 and libnvrtc.so.13 / .12. */
    static Path build(Path dir) throws IOException, InterruptedException {
        Path cc = Path.of("/usr/bin/cc");
        assumeTrue(Files.isExecutable(cc), "no C compiler");
        Path libs = Files.createDirectories(dir.resolve("libs"));
        Path so = libs.resolve("libcuda.so.1");
        Process p = new ProcessBuilder(cc.toString(), "-shared", "-fPIC", "-O2", "-ffp-contract=off", "-pthread", "-o", so.toString(),
                "native/fake-cuda/fakecuda.c", "-lm", "-ldl").redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        // links, not copies: the loader then maps one object, so the driver, cuBLAS and cuSOLVER share
        // its state (current context, streams, allocations) as the real ones share the GPU
        for (String name : List.of("libcublas.so.13", "libcusolver.so.12")) {
            Files.createSymbolicLink(libs.resolve(name), so.getFileName());
        }
        for (String name : List.of("libnvrtc.so.13", "libnvrtc.so.12")) { // copies: each NVRTC tells its version by its own name
            Files.copy(so, libs.resolve(name));
        }
        return libs;
    }

    /** Runs a class's main in a child JVM with the stand-in first on the loader path and the given extra environment. */
    static Cli.Run child(Path libs, Path work, Map<String, String> env, String mainClass, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Duser.home=" + work, // the NVRTC cache goes here, not into the real home
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(work, "out", ".txt"), err = Files.createTempFile(work, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("LD_LIBRARY_PATH", libs.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child timed out: " + String.join(" ", args));
        }
        return new Cli.Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
