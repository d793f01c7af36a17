package dev.dsire.daemon;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The resident process answers byte for byte what the in-process command line answers, on the bundled zoo. */
class DaemonTest {
    private static final String ID = "test identity";

    @TempDir
    Path dir;

    private Path socket;
    private DaemonServer server;
    private Thread serving;

    record Answer(int code, String out, String err) {}

    @BeforeEach
    void start() throws IOException {
        System.setProperty("dsire.resident", "true"); // as DaemonServer.main sets it
        socket = Endpoint.ownedFolder(dir.resolve("run")).resolve("d.sock");
        server = DaemonServer.bind(socket, ID);
        serving = Thread.ofPlatform().start(() -> server.serve(Duration.ofMinutes(5)));
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.close();
        serving.join(10_000);
    }

    private Answer viaDaemon(String identity, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        DaemonClient c = new DaemonClient(out, err);
        DaemonClient.Outcome o = c.exchange(DaemonClient.connect(socket), identity, args);
        assertEquals(DaemonClient.Outcome.DONE, o);
        return new Answer(c.code(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Main.main's streams: UTF-8 and autoflush, into memory. */
    static Answer inProcess(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true),
                new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        return new Answer(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private void same(String... args) {
        Answer daemon = viaDaemon(ID, args);
        Answer local = inProcess(args);
        Answer again = viaDaemon(ID, args); // a second run in the same process answers the same (no state carried over)
        assertEquals(local, daemon, String.join(" ", args));
        assertEquals(local, again, String.join(" ", args));
    }

    /** Relative paths, as a user types them: the test runs in the project folder. */
    static List<String> zoo(String folder, int n) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("examples", folder))) {
            return s.filter(p -> !p.toString().endsWith(".csv")).sorted().limit(n).map(Path::toString).toList();
        }
    }

    static String[] line(Object... parts) {
        List<String> a = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof List<?> l) {
                l.forEach(x -> a.add(x.toString()));
            } else {
                a.add(p.toString());
            }
        }
        return a.toArray(String[]::new);
    }

    /** The command lines a resident process must answer as the command does in process, whichever client asks. */
    static List<String[]> answeredAlike(Path model, List<String> low, List<String> peft, Path bad) {
        return List.of(line("inspect", low, peft, bad),
                line("inspect", "--json", low, peft, bad, "missing.safetensors"),
                line("features", "--threads", "2", low, peft, bad),
                line("predict", "--json", "--model", model, low, peft, bad),
                line("predict", "--model", model, low));
    }

    @Test
    void inspectFeaturesAndPredictAnswerAsInProcess() throws IOException {
        List<String> low = zoo("zoo-low", 6), peft = zoo("zoo-peft16-low", 3);
        Path model = dir.resolve("model.json");
        assertEquals(0, inProcess("fit", "--manifest", "examples/zoo-low/manifest.csv", "--out", model.toString(), "--threads", "2").code());
        Path bad = Files.write(dir.resolve("bad.safetensors"), new byte[] {1, 2, 3});
        for (String[] args : answeredAlike(model, low, peft, bad)) {
            same(args);
        }
        // a refitted model in the same file: the resident process reads it again
        assertEquals(0, inProcess("fit", "--manifest", "examples/zoo-low/manifest.csv", "--method", "dsire", "--out", model.toString()).code());
        same(line("predict", "--json", "--model", model, low));
        same("predict", "--model", model.toString()); // a usage error: the same text and exit code 2
        same("--version");
    }

    @Test
    void aPeftFileWithoutItsConfigIsNotedOnEveryRun() throws IOException {
        Path alone = Files.createDirectories(dir.resolve("alone"));
        Files.copy(Path.of("examples/zoo-peft16-low/g00-DejaVuSans-Bold-n01/adapter_model.safetensors"), alone.resolve("adapter_model.safetensors"));
        String file = alone.resolve("adapter_model.safetensors").toString();
        for (Answer a : List.of(viaDaemon(ID, "inspect", file), viaDaemon(ID, "inspect", file), inProcess("inspect", file))) {
            assertTrue(a.err().contains("dsire: note: " + file + " has no "), a.err());
        }
        same("inspect", file);
    }

    @Test
    void aClosedStdoutIsIgnoredAsInProcess() throws IOException {
        OutputStream closed = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path bad = Files.write(dir.resolve("bad.safetensors"), new byte[] {1, 2, 3});
        String[] args = line("inspect", zoo("zoo-low", 6), bad);
        DaemonClient c = new DaemonClient(closed, err);
        assertEquals(DaemonClient.Outcome.DONE, c.exchange(DaemonClient.connect(socket), ID, args));
        Answer local = inProcess(args);
        assertEquals(local.code(), c.code());
        assertEquals(local.err(), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theSocketIsTheOwnersAlone() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(Endpoint.idFile(socket))));
        assertEquals(ID, Files.readString(Endpoint.idFile(socket)));
    }

    @Test
    void anotherIdentityIsRefusedAndTheStaleDaemonLeaves() throws InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DaemonClient c = new DaemonClient(out, out);
        assertEquals(DaemonClient.Outcome.REFUSED, c.exchange(DaemonClient.connect(socket), "a rebuilt jar", new String[] {"--version"}));
        assertEquals(0, out.size());
        serving.join(10_000);
        assertFalse(serving.isAlive());
        assertFalse(Files.exists(socket));
        assertFalse(Files.exists(Endpoint.idFile(socket)));
        assertNull(DaemonClient.connect(socket));
    }

    @Test
    void anIdleDaemonExits() throws IOException, InterruptedException {
        server.close();
        serving.join(10_000);
        DaemonServer idle = DaemonServer.bind(socket, ID);
        Thread t = Thread.ofPlatform().start(() -> idle.serve(Duration.ofMillis(200)));
        t.join(10_000);
        assertFalse(t.isAlive());
        assertFalse(Files.exists(socket));
    }

    @Test
    void aLiveDaemonIsNotReplacedAndAStaleSocketIs() throws IOException, InterruptedException {
        assertThrows(IOException.class, () -> DaemonServer.bind(socket, ID));
        server.close();
        serving.join(10_000);
        Files.createFile(socket); // left by a process that died
        DaemonServer again = DaemonServer.bind(socket, ID);
        again.close();
    }

    @Test
    void theEndpointDependsOnJarAndFolder() throws IOException {
        Path jar = Files.write(dir.resolve("dsire.jar"), new byte[] {1});
        Endpoint a = Endpoint.of(dir.resolve("run"), jar, "/a", java.util.Map.of());
        Endpoint b = Endpoint.of(dir.resolve("run"), jar, "/b", java.util.Map.of());
        Endpoint c = Endpoint.of(dir.resolve("run"), jar, "/a", java.util.Map.of("CUDA_VISIBLE_DEVICES", "1"));
        assertNotEquals(a.socket(), b.socket());
        assertEquals(a.socket(), c.socket());
        assertNotEquals(a.identity(), c.identity());
        Files.write(jar, new byte[] {1, 2});
        assertNotEquals(a.identity(), Endpoint.of(dir.resolve("run"), jar, "/a", java.util.Map.of()).identity());
    }

    /** A start behind a first call takes the marker; a second one while it is fresh steps aside; a stale one is taken over. */
    @Test
    void oneStartBehindFirstCallsAtATime() throws Exception {
        Path marker = dir.resolve("d.starting");
        long now = System.currentTimeMillis();
        assertTrue(DaemonClient.claimStart(marker, now));
        assertTrue(Files.exists(marker));
        assertFalse(DaemonClient.claimStart(marker, now + 1000), "a start is under way");
        assertTrue(DaemonClient.claimStart(marker, now + DaemonClient.STARTING_STALE_MS + 5000), "a stale marker is taken over");
        assertTrue(Files.exists(marker));
        assertTrue(DaemonClient.claimStart(dir.resolve("no-such-folder/d.starting"), now), "no marker can be made: start anyway");
    }
}
