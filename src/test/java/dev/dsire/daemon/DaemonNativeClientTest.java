package dev.dsire.daemon;

import static dev.dsire.daemon.DaemonTest.inProcess;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dsire.daemon.DaemonTest.Answer;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's native client (native/dsire-client.c), compiled here with the system's cc: it computes
 * the socket and identity Endpoint computes, answers byte for byte what the in-process command answers,
 * and steps aside (exit 125, nothing printed) whenever it cannot answer. Skipped where there is no C
 * compiler: the launcher then uses the Java client, which DaemonTest covers.
 */
class DaemonNativeClientTest {
    private static Path client;
    private static String skipped;

    @TempDir
    Path dir;

    private Path jar;
    private Map<String, String> env;
    private Endpoint ep;
    private DaemonServer server;
    private Thread serving;


    @BeforeAll
    static void compile() throws IOException, InterruptedException {
        Path src = Path.of("native", "dsire-client.c");
        Path work = Files.createDirectories(Path.of("target", "native-test"));
        Path probe = Files.writeString(work.resolve("probe.c"), "#include <stdio.h>\n#include <sys/socket.h>\nint main(void) { return 0; }\n");
        Path out = work.resolve("dsire-client");
        for (String cc : List.of(System.getenv().getOrDefault("CC", "cc"), "cc", "gcc", "clang")) {
            // a compiler that cannot build a program at all (no C library headers) counts as none
            if (cc.isBlank() || !"".equals(compile(cc, probe, work.resolve("probe")))) {
                continue;
            }
            String log = compile(cc, src, out);
            assertEquals("", log, cc + " failed on " + src);
            client = out;
            return;
        }
        skipped = "no working C compiler (cc, gcc, clang): the native client is not tested; the launcher uses the Java client";
        System.err.println("DaemonNativeClientTest: " + skipped);
    }

    /** "" when the compiler built {@code out}; else its complaints, or null when it does not exist. */
    private static String compile(String cc, Path src, Path out) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cc, "-O2", "-Wall", "-o", out.toString(), src.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException none) {
            return null;
        }
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() == 0 ? "" : log.isEmpty() ? "exit " + p.exitValue() : log;
    }

    @BeforeEach
    void start() throws IOException {
        assumeTrue(client != null, skipped);
        System.setProperty("dsire.resident", "true"); // as DaemonServer.main sets it
        // a stand-in for the jar: the identity reads its path, size and time, never its contents
        jar = Files.write(dir.resolve("dsire.jar"), new byte[] {1, 2, 3}).toRealPath();
        env = new HashMap<>(System.getenv());
        env.put("XDG_RUNTIME_DIR", Files.createDirectories(dir.resolve("xdg")).toString());
        ep = endpoint(env);
        server = DaemonServer.bind(ep.socket(), ep.identity());
        serving = Thread.ofPlatform().start(() -> server.serve(Duration.ofMinutes(5)));
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close();
            serving.join(10_000);
        }
    }

    private Endpoint endpoint(Map<String, String> env) throws IOException {
        return Endpoint.of(Endpoint.runtimeDir(env), jar, System.getProperty("user.dir"), env);
    }

    /** The native client run as the launcher runs it, in the project folder. */
    private Answer viaNative(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(client.toString(), jar.toString(), System.getProperty("java.home")));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        byte[] out = readAll(p.getInputStream());
        int code = p.waitFor();
        return new Answer(code, new String(out, StandardCharsets.UTF_8), new String(err.join(), StandardCharsets.UTF_8));
    }

    private Answer viaNative(String... args) throws IOException, InterruptedException {
        return viaNative(env, args);
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }


    private void same(String... args) throws IOException, InterruptedException {
        Answer local = inProcess(args);
        assertEquals(local, viaNative(args), String.join(" ", args));
    }

    /** Whether this JVM passes arguments and environment to a child as UTF-8 (not under a POSIX locale). */
    private static final boolean UTF8 = "UTF-8".equals(System.getProperty("sun.jnu.encoding"));
    private static final Answer ASIDE = new Answer(DaemonClient.FALL_BACK, "", "");
    /** Certain that none listens: the launcher answers in process, and that process stays on. */
    private static final Answer NONE = new Answer(DaemonClient.NONE, "", "");

    private static List<String> zoo(String folder, int n) throws IOException {
        return DaemonTest.zoo(folder, n);
    }

    private static String[] line(Object... parts) {
        return DaemonTest.line(parts);
    }

    private void endpointAgrees(Map<String, String> env) throws IOException, InterruptedException {
        Endpoint java = endpoint(env);
        List<String> cmd = List.of(client.toString(), "--endpoint", jar.toString(), System.getProperty("java.home"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertEquals(java.socket() + "\n" + java.identity() + "\n", out, "the C client's endpoint is Endpoint.java's");
    }

    @Test
    void theSocketAndIdentityAreEndpoints() throws IOException, InterruptedException {
        endpointAgrees(env);
        Map<String, String> e = new HashMap<>(env);
        e.put("CUDA_VISIBLE_DEVICES", "1");
        e.put("DSIRE_JAVA_OPTS", UTF8 ? "-Xmx2g -Dx=é" : "-Xmx2g");
        e.put("XDG_RUNTIME_DIR", dir.resolve("xdg") + "//");
        endpointAgrees(e);
        e.remove("XDG_RUNTIME_DIR"); // the home folder's .cache/dsire/run
        endpointAgrees(e);
        e.put("XDG_RUNTIME_DIR", "relative/xdg");
        endpointAgrees(e);
    }

    @Test
    void inspectFeaturesAndPredictAnswerAsInProcess() throws IOException, InterruptedException {
        List<String> low = zoo("zoo-low", 6), peft = zoo("zoo-peft16-low", 3);
        Path model = dir.resolve("model.json");
        assertEquals(0, inProcess("fit", "--manifest", "examples/zoo-low/manifest.csv", "--out", model.toString(), "--threads", "2").code());
        Path bad = Files.write(dir.resolve("bad.safetensors"), new byte[] {1, 2, 3});
        for (String[] args : DaemonTest.answeredAlike(model, low, peft, bad)) {
            same(args);
        }
        same("predict", "--model", model.toString()); // a usage error: the same text and exit code 2
        if (UTF8) {
            same("inspect", "nöt-thére.safetensors"); // UTF-8 arguments travel unchanged
        }
        same("--version");
        assertTrue(Files.exists(ep.socket()), "the resident process is still there");
    }

    @Test
    void aClosedStdoutIsIgnoredAsInProcess() throws IOException, InterruptedException {
        Path bad = Files.write(dir.resolve("bad.safetensors"), new byte[] {1, 2, 3});
        String[] args = line("inspect", zoo("zoo-low", 6), bad);
        List<String> cmd = new ArrayList<>(List.of(client.toString(), jar.toString(), System.getProperty("java.home")));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getInputStream().close(); // `| head -0`: every write to stdout fails
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        Answer local = inProcess(args);
        assertEquals(local.code(), p.waitFor());
        assertEquals(local.err(), err);
    }

    @Test
    void withoutAResidentProcessItStepsAside() throws IOException, InterruptedException {
        server.close();
        serving.join(10_000);
        assertEquals(NONE, viaNative("--version"));
        // a socket left by a process that died, with its identity file: nobody answers on it
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(ep.socket()));
        }
        assertTrue(Files.exists(ep.socket()));
        Files.writeString(Endpoint.idFile(ep.socket()), ep.identity());
        assertEquals(NONE, viaNative("--version"));
        // no socket folder at all (the first call on this machine)
        Map<String, String> fresh = new HashMap<>(env);
        fresh.put("XDG_RUNTIME_DIR", Files.createDirectories(dir.resolve("fresh")).toString());
        assertEquals(NONE, viaNative(fresh, "--version"));
        assertFalse(Files.exists(dir.resolve("fresh/dsire")), "the native client creates nothing");
    }

    @Test
    void aResidentProcessOfAnotherIdentityIsLeftAlone() throws IOException, InterruptedException {
        Map<String, String> e = new HashMap<>(env);
        e.put("CUDA_VISIBLE_DEVICES", "7"); // the same socket, another identity: the Java client replaces it
        assertEquals(ep.socket(), endpoint(e).socket());
        assertEquals(ASIDE, viaNative(e, "--version"));
        assertTrue(serving.isAlive(), "not asked, so not stopped");
        assertEquals(inProcess("--version"), viaNative("--version"));
    }

    @Test
    void aStaleResidentProcessRefusesAndLeaves() throws IOException, InterruptedException {
        server.close();
        serving.join(10_000);
        server = DaemonServer.bind(ep.socket(), "a rebuilt jar");
        serving = Thread.ofPlatform().start(() -> server.serve(Duration.ofMinutes(5)));
        Files.writeString(Endpoint.idFile(ep.socket()), ep.identity()); // claims this client's identity, answers with another
        assertEquals(NONE, viaNative("--version")); // it left, so none listens
        serving.join(10_000);
        assertFalse(serving.isAlive());
        assertFalse(Files.exists(ep.socket()));
    }

    @Test
    void onlyThisUsersFolderAndSocket() throws IOException, InterruptedException {
        Path folder = ep.socket().getParent();
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(ASIDE, viaNative("--version"));
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
        assertEquals(inProcess("--version"), viaNative("--version"));
        // the socket's name a link to a socket elsewhere: never followed
        Path elsewhere = Endpoint.ownedFolder(dir.resolve("elsewhere")).resolve("d.sock");
        DaemonServer other = DaemonServer.bind(elsewhere, ep.identity());
        Thread t = Thread.ofPlatform().start(() -> other.serve(Duration.ofMinutes(5)));
        try {
            server.close();
            serving.join(10_000);
            Files.writeString(Endpoint.idFile(ep.socket()), ep.identity());
            Files.createSymbolicLink(ep.socket(), elsewhere);
            assertEquals(ASIDE, viaNative("--version"));
            Files.delete(ep.socket());
            Files.delete(Endpoint.idFile(ep.socket()));
        } finally {
            other.close();
            t.join(10_000);
        }
    }

    @Test
    void aSocketOwnedBySomeoneElseIsNotUsed() throws IOException, InterruptedException {
        assumeTrue("0".equals(Endpoint.uid().toString()), "giving a socket to another user needs root");
        Files.setAttribute(ep.socket(), "unix:uid", 65534);
        assertEquals(ASIDE, viaNative("--version"));
        Files.setAttribute(ep.socket(), "unix:uid", 0);
        Files.setAttribute(Endpoint.idFile(ep.socket()), "unix:uid", 65534);
        assertEquals(ASIDE, viaNative("--version"));
        Files.setAttribute(Endpoint.idFile(ep.socket()), "unix:uid", 0);
        assertEquals(inProcess("--version"), viaNative("--version"));
    }

    @Test
    void whatOnlyTheJavaSideDoesItLeavesToIt() throws IOException, InterruptedException {
        assertEquals(ASIDE, viaNative("features", "-")); // a file list on standard input
        assertEquals(ASIDE, viaNative("predict", "--files-from=-"));
        assertEquals(ASIDE, viaNative("daemon", "status"));
        Map<String, String> c = new HashMap<>(env);
        c.put("LANG", "C");
        c.remove("LC_ALL");
        c.remove("LC_CTYPE");
        if (UTF8) {
            assertEquals(ASIDE, viaNative(c, "inspect", "nöt-thére.safetensors")); // Java would not decode it to the same bytes
        }
    }
}
