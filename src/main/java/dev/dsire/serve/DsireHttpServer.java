package dev.dsire.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * dsire over HTTP/1.1: the JDK's com.sun.net.httpserver, a virtual thread per connection for the I/O,
 * and a fixed pool of `workers` platform threads for the spectra (each keeps its kernels' scratch).
 * A request is admitted only while fewer than workers + queue are in flight; the rest get 503 at once,
 * before their upload is read. Every refusal is a status and {"error": one line}.
 */
public final class DsireHttpServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer http;
    private final ServeLimits limits;
    private final Analyst analyst;
    private final Path spool;
    private final Semaphore admitted;
    private final BodyBuffers memory;
    private final ExecutorService compute;
    private final ExecutorService io = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger requestIds = new AtomicInteger();

    private DsireHttpServer(HttpServer http, ServeLimits limits, Analyst analyst, Path spool) {
        this.http = http;
        this.limits = limits;
        this.analyst = analyst;
        this.spool = spool;
        this.admitted = new Semaphore(limits.workers() + limits.queue());
        this.memory = new BodyBuffers(limits.memoryBytes());
        AtomicInteger n = new AtomicInteger();
        this.compute = Executors.newFixedThreadPool(limits.workers(), r -> {
            Thread t = new Thread(r, "dsire-serve-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Listens on address (port 0: any free port); uploads are spooled under spool. */
    public static DsireHttpServer start(InetSocketAddress address, ServeLimits limits, Analyst analyst, Path spool) throws IOException {
        // the JDK server's own limits: headers, and how long a request (or a response) may take on the wire
        System.setProperty("sun.net.httpserver.maxReqHeaders", "100");
        System.setProperty("sun.net.httpserver.maxReqHeaderSize", "65536");
        System.setProperty("sun.net.httpserver.maxReqTime", Long.toString(Math.max(1, limits.timeout().toSeconds())));
        System.setProperty("sun.net.httpserver.maxRspTime", Long.toString(Math.max(1, limits.timeout().toSeconds())));
        HttpServer http = HttpServer.create(address, 256);
        DsireHttpServer s = new DsireHttpServer(http, limits, analyst, Files.createDirectories(spool));
        http.createContext("/", s::handle);
        http.setExecutor(s.io);
        http.start();
        return s;
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** Requests admitted and not yet answered. */
    public int inFlight() {
        return limits.workers() + limits.queue() - admitted.availablePermits();
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
            } catch (HttpFailure f) {
                refuse(ex, f.status(), error(f.getMessage()));
            } catch (RuntimeException | Error | IOException e) {
                System.err.println("dsire serve: internal error on " + ex.getRequestURI().getPath() + ": " + e);
                send(ex, 500, error("internal error: " + Upload.oneLine(String.valueOf(e))));
            }
        } catch (IOException | UncheckedIOException gone) {
            // the client went away before its answer: nothing to tell it
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        switch (path) {
            case "/healthz" -> {
                only(ex, "GET");
                send(ex, 200, "{\"status\":\"ok\"}");
            }
            case "/v1/models" -> {
                only(ex, "GET");
                send(ex, 200, analyst.models());
            }
            case "/v1/predict", "/v1/inspect" -> {
                only(ex, "POST");
                analyse(ex, path.equals("/v1/predict"));
            }
            default -> throw new HttpFailure(404, "no such endpoint: " + method + " " + path
                    + " (GET /healthz, GET /v1/models, POST /v1/predict, POST /v1/inspect)");
        }
    }

    private static void only(HttpExchange ex, String method) {
        if (!ex.getRequestMethod().equals(method)) {
            ex.getResponseHeaders().set("Allow", method);
            throw new HttpFailure(405, ex.getRequestURI().getPath() + " takes " + method);
        }
    }

    private void analyse(HttpExchange ex, boolean predict) throws IOException {
        long deadline = System.nanoTime() + limits.timeout().toNanos();
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null && parseLength(length) > limits.maxBytes()) { // (a chunked body has no length: the JDK refuses both at once)
            throw new HttpFailure(413, "request body of " + length + " bytes is larger than --max-bytes (" + limits.maxBytes() + ")");
        }
        if (!admitted.tryAcquire()) {
            ex.getResponseHeaders().set("Retry-After", "1");
            throw new HttpFailure(503, "busy: " + (limits.workers() + limits.queue()) + " requests in flight (--workers + --queue); retry later");
        }
        int id = requestIds.incrementAndGet();
        Upload.Folder folder = new Upload.Folder(spool, "r" + id + "-");
        BodyBuffers.Lease[] lease = {null};
        AtomicBoolean leaseClaimed = new AtomicBoolean(); // by the computation once it starts; else given back here
        try {
            Map<String, String> query = query(ex.getRequestURI().getRawQuery());
            Upload up;
            try (InputStream body = ex.getRequestBody()) {
                up = Upload.receive(body, length == null ? -1 : parseLength(length), ex.getRequestHeaders().getFirst("Content-Type"), query.get("name"),
                        folder, spool.resolve("m" + id), memory, lease, limits.maxBytes(), deadline);
            }
            Upload upload = up;
            String model = query.get("model");
            Future<Analyst.Answer> f = compute.submit(() -> {
                if (!leaseClaimed.compareAndSet(false, true)) {
                    return null; // the request gave up before this started
                }
                try {
                    return predict ? analyst.predict(model, upload) : analyst.inspect(upload);
                } finally {
                    giveBack(lease[0]); // only once the adapter is closed: the buffer is reused by the next upload
                }
            });
            Analyst.Answer a;
            try {
                a = f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException t) {
                f.cancel(true);
                throw new HttpFailure(503, "not answered within the time limit (--timeout " + limits.timeout().toSeconds() + " s)");
            } catch (InterruptedException i) {
                f.cancel(true);
                Thread.currentThread().interrupt();
                throw new HttpFailure(503, "server stopping");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof HttpFailure h) {
                    throw h;
                }
                throw new IllegalStateException(Upload.oneLine(String.valueOf(e.getCause())), e.getCause());
            }
            send(ex, a.ok() ? 200 : 422, a.json());
        } finally {
            if (leaseClaimed.compareAndSet(false, true)) { // no computation started, and none will
                giveBack(lease[0]);
            }
            admitted.release();
            if (folder.made() != null) {
                deleteTree(folder.made());
            }
        }
    }

    private static void giveBack(BodyBuffers.Lease lease) {
        if (lease != null) {
            lease.giveBack();
        }
    }

    /** Bytes of the memory budget lent to requests now (0 when none is in flight). */
    long memoryInUse() {
        return memory.inUse();
    }

    private static long parseLength(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new HttpFailure(400, "bad Content-Length: " + Upload.oneLine(s));
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw != null) {
            for (String kv : raw.split("&")) {
                int eq = kv.indexOf('=');
                try {
                    q.put(URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8),
                            eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw new HttpFailure(400, "bad query string");
                }
            }
        }
        return q;
    }

    static String error(String reason) {
        try {
            return JSON.writeValueAsString(Map.of("error", Upload.oneLine(reason)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Most of an unread upload that may still be read without holding the worker long. */
    private static final long DRAIN_BYTES = 64L << 20;

    /**
     * Sends a refusal, then reads what is left of the request's body (up to {@link #DRAIN_BYTES})
     * before closing: closing on a client still sending resets the connection, and a reset that
     * arrives before the client has read the answer loses it ("connection reset" instead of the
     * one-line reason). Answering first lets a client that reads while it sends stop sending.
     */
    private static void refuse(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = (json + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Connection", "close"); // an unread upload may still be on the wire
        ex.sendResponseHeaders(status, b.length);
        OutputStream out = ex.getResponseBody();
        out.write(b);
        out.flush(); // on the wire now; closing the stream would also close the request body
        drain(ex);
        out.close();
    }

    /** Reads what is left of a refused request's body, up to {@link #DRAIN_BYTES}. */
    private static void drain(HttpExchange ex) {
        try (InputStream in = ex.getRequestBody()) {
            byte[] buf = new byte[64 << 10];
            long left = DRAIN_BYTES;
            int r;
            while (left > 0 && (r = in.read(buf, 0, (int) Math.min(buf.length, left))) >= 0) {
                left -= r;
            }
        } catch (IOException | RuntimeException ignored) {
            // already consumed, closed, or cut off: the answer is sent all the same
        }
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = (json + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        if (status >= 400) {
            ex.getResponseHeaders().set("Connection", "close"); // an unread upload may still be on the wire
        }
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // the spool folder is removed at exit
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // as above; or a request's own cleanup removed part of the tree while it was walked
        }
    }

    /** Stops accepting, lets running requests finish for up to a second, removes the spool folder. */
    @Override
    public void close() {
        http.stop(1);
        compute.shutdownNow();
        io.shutdownNow();
        memory.close();
        deleteTree(spool);
    }
}
