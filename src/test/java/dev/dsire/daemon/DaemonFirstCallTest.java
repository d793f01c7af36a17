package dev.dsire.daemon;

import static dev.dsire.daemon.DaemonTest.inProcess;
import static dev.dsire.daemon.DaemonTest.line;
import static dev.dsire.daemon.DaemonTest.zoo;
import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.cli.Main;
import dev.dsire.daemon.DaemonTest.Answer;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first call (docs/daemon.md): with no resident process, the command runs in the launcher's own JVM, which
 * answers exactly as in process, releases the caller's streams and exit code while still alive, and stays on as
 * the one resident process, which then answers the next call the same. Checked on the JVM's hand-off alone
 * (DaemonServer.handOff, run by Main) and through the real `dsire` launcher in a throwaway layout.
 */
class DaemonFirstCallTest {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final long WAIT_S = 60;

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();
    private final List<Runnable> stops = new ArrayList<>();

    @AfterEach
    void stopEverything() throws InterruptedException {
        stops.forEach(Runnable::run);
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        // a resident process of this test's jar outlives its launcher: find it by the layout's path
        ProcessHandle.allProcesses().filter(h -> h.info().commandLine().orElse("").contains(dir.toString())).forEach(ProcessHandle::destroy);
    }

    /** A process's answer, read to the end of both streams, which must come while it may still be alive. */
    private static Answer answer(Process p, byte[] stdin) throws Exception {
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin);
        } catch (IOException closed) {
            // it did not read its input
        }
        String o = new String(out.get(WAIT_S, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        String e = new String(err.get(WAIT_S, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        return new Answer(-1, o, e);
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The exit code as the launcher reads it: a line, written just after the streams end. */
    private static String code(Path file) throws IOException, InterruptedException {
        for (int i = 0; i < WAIT_S * 50 && !(Files.exists(file) && Files.readString(file).endsWith("\n")); i++) {
            Thread.sleep(20);
        }
        return Files.readString(file);
    }

    private static Path classes() throws URISyntaxException {
        return Path.of(Endpoint.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** The file's text once it holds a whole line (newline included) containing what (within WAIT_S). */
    private static String awaitLine(Path file, String what) throws IOException, InterruptedException {
        for (int i = 0; i < WAIT_S * 50; i++) {
            String text = Files.exists(file) ? Files.readString(file) : "";
            int at = text.indexOf(what);
            if (at >= 0 && text.indexOf('\n', at) >= 0) {
                return text;
            }
            Thread.sleep(20);
        }
        fail("no line with '" + what + "' in " + file + ": " + (Files.exists(file) ? Files.readString(file) : "(no file)"));
        return null;
    }

    private static Path awaitSocket(Path socket) throws InterruptedException {
        for (int i = 0; i < WAIT_S * 50 && DaemonClient.connect(socket) == null; i++) {
            Thread.sleep(20);
        }
        assertTrue(DaemonClient.probe(socket), "a resident process listens on " + socket);
        return socket;
    }

    private static Answer viaDaemon(Endpoint ep, String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(), err = new java.io.ByteArrayOutputStream();
        DaemonClient c = new DaemonClient(out, err);
        assertEquals(DaemonClient.Outcome.DONE, c.exchange(DaemonClient.connect(ep.socket()), ep.identity(), args));
        return new Answer(c.code(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private void stopOn(Endpoint ep) {
        stops.add(() -> stop(ep));
    }

    /** Sends the stop request (as `dsire daemon stop` does) where a process listens. */
    private static void stop(Endpoint ep) {
        var ch = DaemonClient.connect(ep.socket());
        if (ch != null) {
            new DaemonClient(OutputStream.nullOutputStream(), OutputStream.nullOutputStream()).exchange(ch, ep.identity(), new String[] {Frames.STOP});
        }
    }

    private static String withoutJvmWarnings(String err) {
        return err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).map(l -> l + "\n").reduce("", String::concat);
    }

    @Test
    void theInProcessAnswerIsHandedOverAndItsProcessStaysOnAsTheOnlyResidentOne() throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("XDG_RUNTIME_DIR", Files.createDirectories(dir.resolve("xdg")).toString());
        env.put("DSIRE_DAEMON_IDLE", "120"); // should this test fail half-way, what it started leaves soon
        Endpoint ep = Endpoint.of(Endpoint.runtimeDir(env), classes(), System.getProperty("user.dir"), env);
        stopOn(ep);
        Path bad = Files.write(dir.resolve("bad.safetensors"), new byte[] {1, 2, 3});
        String[] args = line("inspect", zoo("zoo-low", 3), bad); // exit code 1: one input failed
        Answer local = inProcess(args);
        assertEquals(Main.INPUT_ERROR, local.code());
        // two first calls at once, as two terminals might: both answer, one stays on
        List<Process> calls = new ArrayList<>();
        List<Path> codes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path code = dir.resolve("code" + i);
            codes.add(code);
            List<String> cmd = new ArrayList<>(List.of(JAVA, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), "-Ddsire.handoff=" + code, Main.class.getName()));
            cmd.addAll(List.of(args));
            calls.add(start(cmd, env));
        }
        for (int i = 0; i < 2; i++) {
            Answer a = answer(calls.get(i), new byte[0]); // both streams end: the answer is complete
            assertEquals(local.code() + "\n", code(codes.get(i)), "the exit code, told to the launcher");
            assertEquals(local.out(), a.out());
            assertEquals(local.err(), withoutJvmWarnings(a.err()));
        }
        awaitSocket(ep.socket());
        // the loser of the start lock exits; the winner answers the next call as the command does in process
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (calls.stream().filter(Process::isAlive).count() > 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, calls.stream().filter(Process::isAlive).count(), "one resident process");
        assertEquals(local, viaDaemon(ep, args));
        assertTrue(Files.readString(DaemonServer.logFile(ep.socket())).contains("stayed on after answering the first call"));
        stop(ep);
        for (Process p : calls) {
            assertTrue(p.waitFor(WAIT_S, TimeUnit.SECONDS), "stopped");
        }
        assertFalse(Files.exists(ep.socket()));
    }

    @Test
    void whereNoneCanServeTheAnswerIsTheSame() throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        // a runtime folder that cannot be made (a file in the way): the process answers, then just exits
        Path blocked = Files.writeString(dir.resolve("not-a-folder"), "");
        env.put("XDG_RUNTIME_DIR", dir.toString());
        Files.move(blocked, dir.resolve("dsire"));
        Path code = dir.resolve("code");
        List<String> cmd = new ArrayList<>(List.of(JAVA, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "-Ddsire.handoff=" + code, Main.class.getName(), "--version"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        started.add(p);
        Answer a = answer(p, new byte[0]);
        assertEquals(inProcess("--version").out(), a.out());
        assertTrue(p.waitFor(WAIT_S, TimeUnit.SECONDS), "it exits");
        assertEquals("0\n", code(code));
    }

    /**
     * One small adapter in process runs on a JVM with C1 alone and the scalar kernels (the launcher's
     * one_small_file), with the same answer; a second adapter, a folder or DSIRE_C1=0 keeps C2. Which JIT ran is
     * read from the JVM's own compilation log: C1 alone compiles every method at tier 1, a tiered JVM most at 3 first.
     */
    @Test
    void oneSmallFileInProcessRunsOnC1AloneWithTheSameAnswer() throws Exception {
        Path root = layout();
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("DSIRE_DAEMON", "0");
        Path log = dir.resolve("jit.log");
        env.put("DSIRE_JAVA_OPTS", "-Xlog:jit+compilation=debug:file=" + log);
        List<String> two = zoo("zoo-low", 2);
        for (String command : List.of("features", "inspect")) {
            String[] one = line(command, "--threads", "2", two.get(0));
            assertEquals(inProcess(one), launch(root, env, one), command + ", one file");
            assertEquals(Set.of("1"), tiers(log), command + ", one file: C1 alone");
        }
        assertEquals(inProcess(line("features", two)), launch(root, env, line("features", two)));
        assertTrue(tiers(log).contains("3"), "two files: tiered");
        assertEquals(inProcess(line("features", "examples/zoo-low")), launch(root, env, line("features", "examples/zoo-low")));
        assertTrue(tiers(log).contains("3"), "a folder: tiered");
        env.put("DSIRE_C1", "0");
        assertEquals(inProcess(line("features", two.get(0))), launch(root, env, line("features", two.get(0))));
        assertTrue(tiers(log).contains("3"), "DSIRE_C1=0: tiered");
    }

    /** The tiers at which the JVM of the last launch compiled Java methods (native wrappers, tier 0, left out). */
    private static Set<String> tiers(Path log) throws IOException {
        Set<String> tiers = new java.util.TreeSet<>();
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("\\]\\s+\\d+\\s+[%sbn! ]*?\\s([1-4])\\s+\\S+::");
        for (String l : Files.readAllLines(log)) {
            java.util.regex.Matcher m = line.matcher(l);
            if (m.find()) {
                tiers.add(m.group(1));
            }
        }
        assertFalse(tiers.isEmpty(), "the log names compiled methods");
        return tiers;
    }

    /**
     * The launcher's part: a layout holding the real `dsire` script, its native client's source and a jar of
     * this build's classes (dependencies by manifest class path), with no sources beside it, so it never builds.
     */
    private Path layout() throws IOException, URISyntaxException {
        Path root = Files.createDirectories(dir.resolve("layout"));
        Files.createDirectories(root.resolve("native"));
        Files.createDirectories(root.resolve("target"));
        for (String f : List.of("dsire", "native/find-jdk.sh", "native/dsire-client.c")) {
            Files.copy(Path.of(f), root.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        List<String> deps = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.endsWith(".jar")) {
                deps.add(Path.of(e).toAbsolutePath().toUri().toString());
            }
        }
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", deps));
        Path classes = classes();
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(root.resolve("target/dsire.jar")), m);
                Stream<Path> all = Files.walk(classes)) {
            for (Path f : all.filter(Files::isRegularFile).sorted().toList()) {
                String name = classes.relativize(f).toString().replace(File.separatorChar, '/');
                if (name.equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                jar.putNextEntry(new JarEntry(name));
                Files.copy(f, jar);
                jar.closeEntry();
            }
        }
        return root;
    }

    /** Starts cmd with exactly env as its environment; the test stops it at the end if it is still there. */
    private Process start(List<String> cmd, Map<String, String> env) throws java.io.IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private Answer launch(Path root, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(root.resolve("dsire").toString()));
        cmd.addAll(List.of(args));
        Process p = start(cmd, env);
        Answer a = answer(p, new byte[0]);
        assertTrue(p.waitFor(WAIT_S, TimeUnit.SECONDS), "the launcher exits once it has answered");
        return new Answer(p.exitValue(), a.out(), a.err());
    }

    /** The launcher's environment with resident processes on, in this test's own socket folder. */
    private Map<String, String> residentEnv() throws IOException {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("XDG_RUNTIME_DIR", Files.createDirectories(dir.resolve("xdg")).toString());
        env.put("DSIRE_DAEMON_IDLE", "120");
        env.remove("DSIRE_DAEMON");
        return env;
    }

    @Test
    void throughTheLauncherTheFirstCallAnswersInProcessAndTheNextOneResident() throws Exception {
        Path root = layout();
        Map<String, String> env = residentEnv();
        Path jar = root.resolve("target/dsire.jar").toRealPath();
        Path bad = Files.write(dir.resolve("bad.safetensors"), new byte[] {1, 2, 3});
        String[] args = line("features", "--threads", "2", zoo("zoo-low", 2), bad);
        Answer local = inProcess(args);
        // the native client where there is a C compiler, then the Java client alone: both find none, then one
        for (String nativeClient : List.of("1", "0")) {
            env.put("DSIRE_NATIVE_CLIENT", nativeClient);
            Endpoint ep = Endpoint.of(Endpoint.runtimeDir(env), jar, System.getProperty("user.dir"), env);
            stopOn(ep);
            assertFalse(DaemonClient.probe(ep.socket()));
            assertEquals(local, launch(root, env, args), "the first call, DSIRE_NATIVE_CLIENT=" + nativeClient);
            // listening before the launcher let its caller go: a script's next call is answered resident
            assertTrue(DaemonClient.probe(ep.socket()), "listening as the first call returns");
            assertEquals(0, launch(root, env, "daemon", "status").code());
            assertEquals(local, launch(root, env, args), "the next call, resident");
            assertEquals(0, launch(root, env, "daemon", "stop").code());
            assertFalse(DaemonClient.probe(ep.socket()));
            assertEquals(1, launch(root, env, "daemon", "status").code());
        }
        // DSIRE_DAEMON=0: in process, and nothing stays on
        env.put("DSIRE_DAEMON", "0");
        Endpoint ep = Endpoint.of(Endpoint.runtimeDir(env), jar, System.getProperty("user.dir"), env);
        assertEquals(local, launch(root, env, args));
        Thread.sleep(500);
        assertFalse(DaemonClient.probe(ep.socket()));
    }

    /**
     * A first call on one small adapter answers in the launcher's JVM on C1 alone, which would make a slow
     * resident process: instead, once it has answered, the launcher starts a resident process in the background
     * that warms up on that adapter (with the call's model, for predict); the call returns without waiting for it,
     * and the calls after it are resident.
     */
    @Test
    void aFirstCallOnOneSmallFileAnswersOnC1AndAResidentProcessComesUpBehindIt() throws Exception {
        Path root = layout();
        Map<String, String> env = residentEnv();
        env.remove("DSIRE_C1");
        Path jar = root.resolve("target/dsire.jar").toRealPath();
        String file = zoo("zoo-low", 1).get(0);
        Path model = dir.resolve("model.json");
        assertEquals(0, inProcess("fit", "--manifest", "examples/zoo-low/manifest.csv", "--out", model.toString()).code());
        for (String nativeClient : List.of("1", "0")) {
            env.put("DSIRE_NATIVE_CLIENT", nativeClient);
            Endpoint ep = Endpoint.of(Endpoint.runtimeDir(env), jar, System.getProperty("user.dir"), env);
            stopOn(ep);
            assertFalse(DaemonClient.probe(ep.socket()));
            for (String[] args : List.of(line("features", "--threads", "2", file), line("inspect", file),
                    line("predict", "--model", model, file), line("predict", "--model=" + model, file))) {
                Answer local = inProcess(args);
                assertEquals(local, launch(root, env, args), "the first call, DSIRE_NATIVE_CLIENT=" + nativeClient);
                awaitSocket(ep.socket());
                // it listens before it has warmed up; a call made meanwhile may still run in process (the same answer);
                // a predict's warm-up answers with its model, which the resident process keeps
                String warmed = "warmed up on " + file + " in ";
                String log = awaitLine(DaemonServer.logFile(ep.socket()), warmed);
                String kind = log.substring(log.indexOf(warmed)).lines().findFirst().orElseThrow();
                assertTrue(kind.contains(args[0].equals("predict") ? "(predict, exit 0)" : "(features, exit 0)"), kind);
                assertFalse(log.contains("stayed on after answering"), "the first call's JVM did not stay on: " + log);
                assertEquals(local, launch(root, env, args), "the next call, resident");
                assertEquals(0, launch(root, env, "daemon", "stop").code());
                assertFalse(DaemonClient.probe(ep.socket()));
                Files.deleteIfExists(DaemonServer.logFile(ep.socket()));
            }
        }
    }
}
