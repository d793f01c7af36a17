package dev.dsire.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's own rules, with a stand-in for dsire: limits, refusals, and what an upload becomes on disk. */
class DsireHttpServerTest {
    @TempDir
    Path dir;

    private DsireHttpServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    /** What the stand-in saw: the upload's file name, its shown name, and the files beside it. */
    private final AtomicReference<String> seen = new AtomicReference<>();
    /** The bytes it read. */
    private final AtomicReference<String> seenBytes = new AtomicReference<>();
    private volatile CountDownLatch hold = new CountDownLatch(0);

    private final Analyst standIn = new Analyst() {
        @Override
        public Answer predict(String model, Upload upload) {
            try {
                hold.await();
                Path file = upload.file();
                List<String> beside = List.of();
                if (Files.isDirectory(file.getParent())) {
                    try (var s = Files.list(file.getParent())) {
                        beside = s.map(p -> p.getFileName().toString()).sorted().toList();
                    }
                }
                long size = upload.image() != null ? upload.image().byteSize() : Files.size(file);
                String bytes = upload.image() != null ? new String(upload.image().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1)
                        : Files.readString(file, StandardCharsets.ISO_8859_1);
                seen.set(file.getFileName() + "|" + upload.name() + "|" + beside + "|" + size + "|" + model + "|" + (upload.image() != null ? "memory" : "disk"));
                seenBytes.set(bytes);
            } catch (InterruptedException | IOException e) {
                throw new IllegalStateException(e);
            }
            return new Answer(true, "{\"ok\":true}");
        }

        @Override
        public Answer inspect(Upload upload) {
            return new Answer(false, "{\"error\":\"bad\"}");
        }

        @Override
        public String models() {
            return "{\"models\":[]}";
        }
    };

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private URI start(ServeLimits limits) throws IOException {
        server = DsireHttpServer.start(new InetSocketAddress("127.0.0.1", 0), limits, standIn, dir.resolve("spool"));
        return URI.create("http://127.0.0.1:" + server.address().getPort());
    }

    private static ServeLimits limits(long maxBytes, int workers, int queue, Duration timeout) {
        return new ServeLimits(maxBytes, workers, queue, timeout);
    }

    private HttpResponse<String> post(URI base, String path, String type, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void oneLineError(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("{\"error\":\"") && r.body().endsWith("\"}\n") && r.body().lines().count() == 1, r.body());
    }

    @Test
    void healthModelsAndTheWrongRequests() throws Exception {
        URI u = start(limits(1000, 1, 1, Duration.ofSeconds(10)));
        assertEquals("{\"status\":\"ok\"}\n", http.send(HttpRequest.newBuilder(u.resolve("/healthz")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("{\"models\":[]}\n", http.send(HttpRequest.newBuilder(u.resolve("/v1/models")).build(), HttpResponse.BodyHandlers.ofString()).body());
        oneLineError(http.send(HttpRequest.newBuilder(u.resolve("/v1/predict")).build(), HttpResponse.BodyHandlers.ofString()), 405);
        oneLineError(post(u, "/nope", null, new byte[] {1}), 404);
        oneLineError(post(u, "/v1/predict", null, new byte[0]), 400);
        assertEquals(422, post(u, "/v1/inspect", null, new byte[] {1}).statusCode());
    }

    @Test
    void aBodyOverTheLimitIs413WithOrWithoutItsLength() throws Exception {
        URI u = start(limits(1000, 1, 1, Duration.ofSeconds(10)));
        oneLineError(post(u, "/v1/predict", null, new byte[1001]), 413);
        HttpRequest chunked = HttpRequest.newBuilder(u.resolve("/v1/predict"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[5000]))).build(); // no length: chunked
        oneLineError(http.send(chunked, HttpResponse.BodyHandlers.ofString()), 413);
        byte[] bomb = zip(List.of("a/adapter_model.safetensors"), List.of(new byte[4000])); // compresses far below 1000 bytes
        assertTrue(bomb.length < 1000);
        oneLineError(post(u, "/v1/predict", "application/zip", bomb), 413);
        assertEquals(200, post(u, "/v1/predict", null, new byte[1000]).statusCode());
    }

    @Test
    void aFullQueueIs503AndTheQueuedRequestIsStillAnswered() throws Exception {
        URI u = start(limits(1000, 1, 1, Duration.ofSeconds(30)));
        hold = new CountDownLatch(1);
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 2; i++) { // one computing, one queued
            inFlight.add(http.sendAsync(HttpRequest.newBuilder(u.resolve("/v1/predict")).POST(HttpRequest.BodyPublishers.ofByteArray(new byte[10])).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (int tries = 0; tries < 500 && server.inFlight() < 2; tries++) { // until both are admitted
            Thread.sleep(20);
        }
        assertEquals(2, server.inFlight());
        HttpResponse<String> third = post(u, "/v1/predict", null, new byte[10]);
        oneLineError(third, 503);
        assertEquals("1", third.headers().firstValue("Retry-After").orElse(""));
        hold.countDown();
        for (CompletableFuture<HttpResponse<String>> f : inFlight) {
            assertEquals(200, f.get(20, TimeUnit.SECONDS).statusCode());
        }
        assertEquals(200, post(u, "/v1/predict", null, new byte[10]).statusCode());
    }

    @Test
    void aRequestPastItsTimeLimitIs503AndTheServerGoesOn() throws Exception {
        URI u = start(limits(1000, 1, 4, Duration.ofMillis(1500)));
        hold = new CountDownLatch(1);
        oneLineError(post(u, "/v1/predict", null, new byte[10]), 503);
        hold.countDown();
        assertEquals(200, post(u, "/v1/predict", null, new byte[10]).statusCode());
    }

    @Test
    void uploadsArriveInMemoryOrAsFilesAndPeftFoldersWithTheirNames() throws Exception {
        uploads(true);
    }

    @Test
    void withNoMemoryBudgetEveryUploadIsSpooledToDisk() throws Exception {
        uploads(false);
    }

    private void uploads(boolean memory) throws Exception {
        URI u = start(new ServeLimits(100_000, 1, 1, Duration.ofSeconds(10), memory ? ServeLimits.DEFAULT_MEMORY_BYTES : 0));
        String where = memory ? "memory" : "disk";
        assertEquals(200, post(u, "/v1/predict?name=dir/my%20lora.safetensors&model=m1", "application/octet-stream", new byte[7]).statusCode());
        assertEquals("my_lora.safetensors|dir/my lora.safetensors|" + (memory ? "[]" : "[my_lora.safetensors]") + "|7|m1|" + where, seen.get());
        byte[] z = zip(List.of("x/", "x/adapter_model.safetensors", "x/adapter_config.json", "y/README"), List.of(new byte[0], new byte[5], new byte[3], new byte[2]));
        assertEquals(200, post(u, "/v1/predict", "application/zip", z).statusCode());
        assertEquals("adapter_model.safetensors|x/adapter_model.safetensors|[adapter_config.json, adapter_model.safetensors]|5|null|disk", seen.get());
        assertEquals(200, post(u, "/v1/predict", null, z).statusCode(), "a zip is known by its bytes too");
        assertEquals("adapter_model.safetensors|x/adapter_model.safetensors|[adapter_config.json, adapter_model.safetensors]|5|null|disk", seen.get());
        String b = "XyZ";
        byte[] form = form(b, List.of("adapter_model.safetensors", "adapter_config.json"), List.of("\r\n--XyNOT-A-BOUNDARY", "{}"));
        assertEquals(200, post(u, "/v1/predict", "multipart/form-data; boundary=" + b, form).statusCode());
        assertEquals("adapter_model.safetensors|adapter_model.safetensors|" + (memory ? "[adapter_config.json]" : "[adapter_config.json, adapter_model.safetensors]")
                + "|20|null|" + where, seen.get());
        assertEquals("\r\n--XyNOT-A-BOUNDARY", seenBytes.get(), "the part's bytes, not the form's");
        assertEquals(200, post(u, "/v1/predict", "multipart/form-data; boundary=\"" + b + "\"", form(b, List.of("one.safetensors"), List.of("abc"))).statusCode());
        assertEquals("one.safetensors|one.safetensors|" + (memory ? "[]" : "[one.safetensors]") + "|3|null|" + where, seen.get());
        assertEquals("abc", seenBytes.get());
        HttpRequest chunked = HttpRequest.newBuilder(u.resolve("/v1/predict?name=c.safetensors"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream("chunked".getBytes(StandardCharsets.UTF_8)))).build();
        assertEquals(200, http.send(chunked, HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals("c.safetensors|c.safetensors|[c.safetensors]|7|null|disk", seen.get(), "a body without a length is spooled");
        assertEquals("chunked", seenBytes.get());
        oneLineError(post(u, "/v1/predict", "multipart/form-data; boundary=" + b, "--XyZ\r\nno end".getBytes(StandardCharsets.UTF_8)), 400);
        oneLineError(post(u, "/v1/predict", "multipart/form-data", form), 400);
        oneLineError(post(u, "/v1/predict", "multipart/form-data; boundary=" + b, form(b, List.of("a.json"), List.of("{}"))), 422);
        oneLineError(post(u, "/v1/predict", "multipart/form-data; boundary=" + b,
                form(b, List.of("a.safetensors", "b.safetensors"), List.of("1", "2"))), 422);
        oneLineError(post(u, "/v1/predict", "multipart/form-data; boundary=" + b, form(b, List.of(), List.of())), 422);
        oneLineError(post(u, "/v1/predict", "application/zip", new byte[] {'P', 'K', 3, 4, 9, 9}), 400);
        oneLineError(post(u, "/v1/predict", "application/zip", zip(List.of("a.txt"), List.of(new byte[1]))), 422);
        try (var s = Files.list(dir.resolve("spool"))) {
            assertEquals(0, s.count(), "every request's folder is removed");
        }
        assertEquals(0, server.memoryInUse(), "every request's buffer is given back");
    }

    /** One answer read off a raw connection: its status line, headers (names lower-cased) and body. */
    private record Raw(String statusLine, java.util.Map<String, String> headers, String body) {
        int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }

    private static Raw readAnswer(java.io.InputStream in) throws IOException {
        StringBuilder h = new StringBuilder();
        while (!h.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("closed after: " + h);
            }
            h.append((char) b);
        }
        String[] lines = h.toString().split("\r\n");
        java.util.Map<String, String> headers = new java.util.TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, c).toLowerCase(java.util.Locale.ROOT), lines[i].substring(c + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Raw(lines[0], headers, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }

    private java.net.Socket connect() throws IOException {
        java.net.Socket s = new java.net.Socket("127.0.0.1", server.address().getPort());
        s.setSoTimeout(20_000);
        return s;
    }

    private static void oneLineError(Raw r, int status, String reasonPart) {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.body().startsWith("{\"error\":\"") && r.body().endsWith("\"}\n") && r.body().lines().count() == 1, r.body());
        assertTrue(r.body().contains(reasonPart), r.body());
        assertEquals("close", r.headers().get("connection"));
    }

    @Test
    void requestsShareAKeepAliveConnectionAndHttp10ClosesIt() throws Exception {
        start(limits(1000, 1, 1, Duration.ofSeconds(10)));
        try (java.net.Socket s = connect()) {
            String post = "POST /v1/predict?name=k.safetensors HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
            s.getOutputStream().write((post + post + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)); // pipelined
            for (int i = 0; i < 2; i++) {
                Raw r = readAnswer(s.getInputStream());
                assertEquals(200, r.status(), r.body());
                assertEquals("{\"ok\":true}\n", r.body());
                assertNull(r.headers().get("connection"));
            }
            assertEquals("{\"status\":\"ok\"}\n", readAnswer(s.getInputStream()).body());
            assertEquals("abc", seenBytes.get());
        }
        try (java.net.Socket s = connect()) { // as ApacheBench sends, with and without -k
            s.getOutputStream().write("POST /v1/predict HTTP/1.0\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi".getBytes(StandardCharsets.ISO_8859_1));
            Raw r = readAnswer(s.getInputStream());
            assertEquals(200, r.status());
            assertEquals("keep-alive", r.headers().get("connection"));
            s.getOutputStream().write("POST /v1/predict HTTP/1.0\r\nContent-Length: 2\r\n\r\nho".getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(200, readAnswer(s.getInputStream()).status());
            assertEquals(-1, s.getInputStream().read(), "HTTP/1.0 without keep-alive: closed after the answer");
        }
    }

    @Test
    void expectContinueIsAnsweredOnlyOnceTheRequestIsAdmitted() throws Exception {
        start(limits(1000, 1, 1, Duration.ofSeconds(10)));
        try (java.net.Socket s = connect()) {
            s.getOutputStream().write("POST /v1/predict HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            Raw interim = readAnswer(s.getInputStream());
            assertEquals("HTTP/1.1 100 Continue", interim.statusLine());
            s.getOutputStream().write("body".getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(200, readAnswer(s.getInputStream()).status());
            assertEquals("body", seenBytes.get());
        }
        try (java.net.Socket s = connect()) { // too large: the final answer instead of 100, and the body is never sent
            s.getOutputStream().write("POST /v1/predict HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            oneLineError(readAnswer(s.getInputStream()), 413, "larger than --max-bytes");
        }
    }

    @Test
    void aMalformedHeadIsOneLineAndTheConnectionCloses() throws Exception {
        start(limits(1000, 1, 1, Duration.ofSeconds(10)));
        try (java.net.Socket s = connect()) {
            s.getOutputStream().write("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc".getBytes(StandardCharsets.ISO_8859_1));
            oneLineError(readAnswer(s.getInputStream()), 400, "both Content-Length and Transfer-Encoding");
            assertEquals(-1, s.getInputStream().read());
        }
        try (java.net.Socket s = connect()) { // a HEAD is answered without a body
            s.getOutputStream().write("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            var in = s.getInputStream();
            StringBuilder all = new StringBuilder();
            for (int b; (b = in.read()) >= 0; ) {
                all.append((char) b);
            }
            assertTrue(all.toString().startsWith("HTTP/1.1 405 Method Not Allowed\r\n") && all.toString().contains("\r\nAllow: GET\r\n")
                    && all.toString().endsWith("\r\n\r\n"), all.toString());
        }
        try (java.net.Socket s = connect()) {
            s.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: x\r\n" + "X: y\r\n".repeat(200) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            oneLineError(readAnswer(s.getInputStream()), 431, "more than 100 header fields");
        }
        try (java.net.Socket s = connect()) {
            s.getOutputStream().write("POST /v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".getBytes(StandardCharsets.ISO_8859_1));
            oneLineError(readAnswer(s.getInputStream()), 400, "bad chunk size");
        }
        assertEquals(0, server.inFlight());
        assertEquals(0, server.memoryInUse());
    }

    @Test
    void aStalledUploadIs408AndAnIdleConnectionIsClosedQuietly() throws Exception {
        start(limits(1000, 1, 1, Duration.ofMillis(1500)));
        try (java.net.Socket s = connect()) {
            s.getOutputStream().write("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this".getBytes(StandardCharsets.ISO_8859_1));
            long t0 = System.nanoTime();
            oneLineError(readAnswer(s.getInputStream()), 408, "not received within the request time limit");
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
        }
        try (java.net.Socket s = connect()) { // a chunked upload (spooled to a file) that stalls: the same 408
            s.getOutputStream().write("POST /v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nonly this\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            oneLineError(readAnswer(s.getInputStream()), 408, "not received within the request time limit");
        }
        try (java.net.Socket s = connect()) { // a head that never ends: 408 too
            s.getOutputStream().write("POST /v1/predict HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
            oneLineError(readAnswer(s.getInputStream()), 408, "not received within the request time limit");
        }
        try (java.net.Socket s = connect()) { // nothing sent: closed without an answer
            assertEquals(-1, s.getInputStream().read());
        }
        assertEquals(0, server.inFlight());
        assertEquals(0, server.memoryInUse());
        for (int i = 0; i < 100 && server.openConnections() > 0; i++) {
            Thread.sleep(20);
        }
        assertEquals(0, server.openConnections());
    }

    @Test
    void connectionsPastTheBoundAre503() throws Exception {
        start(limits(1000, 1, 0, Duration.ofSeconds(10)));
        int bound = 2 * (1 + 0) + 16;
        List<java.net.Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < bound; i++) {
                idle.add(connect());
            }
            for (int tries = 0; tries < 500 && server.openConnections() < bound; tries++) {
                Thread.sleep(10);
            }
            assertEquals(bound, server.openConnections());
            try (java.net.Socket s = connect()) {
                s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                Raw r = readAnswer(s.getInputStream());
                oneLineError(r, 503, bound + " connections open");
                assertEquals("1", r.headers().get("retry-after"));
            }
        } finally {
            for (java.net.Socket s : idle) {
                s.close();
            }
        }
        for (int tries = 0; tries < 500 && server.openConnections() > 0; tries++) {
            Thread.sleep(10);
        }
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    /**
     * The fuzz test's inputs (HttpRequestFuzzTest), each sent on its own connection to a live server: every answer
     * is a status the server means to send with a one-line reason, or the connection is closed without one; the
     * server answers the next request, and no request, buffer or folder is left behind.
     */
    @Test
    void theFuzzCorpusOnTheWireGetsOneLineRefusalsAndTheServerGoesOn() throws Exception {
        URI u = start(limits(1 << 20, 2, 4, Duration.ofSeconds(10)));
        Path corpus = Path.of("src/test/resources/dev/dsire/serve/HttpRequestFuzzTestInputs/requestsAreReadOrRefusedCleanly");
        java.util.Set<Integer> meant = java.util.Set.of(200, 400, 404, 405, 408, 413, 414, 417, 422, 431, 501, 505);
        List<Path> inputs;
        try (var files = Files.list(corpus)) {
            inputs = files.sorted().toList();
        }
        assertTrue(inputs.size() >= 4, "the committed inputs");
        int answers = 0;
        for (Path input : inputs) {
            try (java.net.Socket s = connect()) {
                s.getOutputStream().write(Files.readAllBytes(input));
                s.shutdownOutput(); // the input ends where the bytes do
                var in = new java.io.BufferedInputStream(s.getInputStream());
                while (true) {
                    in.mark(1);
                    if (in.read() < 0) {
                        break;
                    }
                    in.reset();
                    Raw r = readAnswer(in);
                    answers++;
                    if (r.status() == 100) {
                        continue; // the interim answer to Expect: 100-continue
                    }
                    assertTrue(meant.contains(r.status()), input + ": " + r.statusLine() + " " + r.body());
                    assertEquals(1, r.body().lines().count(), input + ": " + r.body());
                }
            } catch (java.net.SocketException reset) {
                // the server closed on bytes it had not read: a reset instead of the end, allowed
            }
        }
        assertTrue(answers > 0);
        assertEquals(200, http.send(HttpRequest.newBuilder(u.resolve("/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        for (int i = 0; i < 100 && server.inFlight() > 0; i++) {
            Thread.sleep(20);
        }
        assertEquals(0, server.inFlight());
        assertEquals(0, server.memoryInUse());
        try (var s = Files.list(dir.resolve("spool"))) {
            assertEquals(0, s.count());
        }
    }

    private static byte[] zip(List<String> names, List<byte[]> bodies) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(b)) {
            for (int i = 0; i < names.size(); i++) {
                z.putNextEntry(new ZipEntry(names.get(i)));
                z.write(bodies.get(i));
                z.closeEntry();
            }
        }
        return b.toByteArray();
    }

    private static byte[] form(String boundary, List<String> files, List<String> bodies) {
        StringBuilder s = new StringBuilder("preamble\r\n");
        s.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n");
        for (int i = 0; i < files.size(); i++) {
            s.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"f").append(i).append("\"; filename=\"")
                    .append(files.get(i)).append("\"\r\nContent-Type: application/octet-stream\r\n\r\n").append(bodies.get(i)).append("\r\n");
        }
        return s.append("--").append(boundary).append("--\r\n").toString().getBytes(StandardCharsets.UTF_8);
    }
}
