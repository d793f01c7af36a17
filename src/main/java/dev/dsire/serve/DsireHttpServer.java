package dev.dsire.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * dsire over HTTP/1.1: a reader of its own ({@link HttpInput}) on one platform thread per connection, and a fixed
 * pool of `workers` platform threads for the spectra (each keeps its kernels' scratch). An upload with a
 * Content-Length is read by its connection's thread straight from the socket into a pooled off-heap buffer in
 * whole blocking reads: measured against the JDK's com.sun.net.httpserver and Jetty 12, and against the same reads
 * on a virtual thread, this costs the least CPU by far (bench/serve/ReceiveCost.java, docs/serving.md).
 * Open connections are bounded (a thread each); one past the bound is answered 503 and closed.
 * A request is admitted only while fewer than workers + queue are in flight; the rest get 503 at once,
 * before their upload is read. Every refusal is a status and {"error": one line}.
 */
public final class DsireHttpServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a request's head may take to arrive, and how long an idle keep-alive connection is kept (at most --timeout). */
    static final Duration HEAD_TIME = Duration.ofSeconds(30);
    /** How long an answer may take to be written, and a refused upload to be drained (at most --timeout). */
    static final Duration WRITE_TIME = Duration.ofSeconds(30), DRAIN_TIME = Duration.ofSeconds(10);

    private final ServerSocketChannel listener;
    private final ServeLimits limits;
    private final Analyst analyst;
    private final Path spool;
    private final Semaphore admitted;
    private final BodyBuffers memory;
    private final ExecutorService compute;
    /** One platform thread per open connection (kept for the next once it closes). */
    private final ThreadPoolExecutor connections;
    private final Semaphore connectionSlots;
    private final int maxConnections;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final Deadline.Watchdog watchdog;
    private final Thread acceptor;
    private final AtomicInteger requestIds = new AtomicInteger();
    private volatile boolean closing;

    private DsireHttpServer(ServerSocketChannel listener, ServeLimits limits, Analyst analyst, Path spool) {
        this.listener = listener;
        this.limits = limits;
        this.analyst = analyst;
        this.spool = spool;
        this.admitted = new Semaphore(limits.workers() + limits.queue());
        this.memory = new BodyBuffers(limits.memoryBytes());
        this.compute = Executors.newFixedThreadPool(limits.workers(), daemons("dsire-serve-"));
        // admitted requests, and as many again for refusals, health checks and idle keep-alive connections
        this.maxConnections = 2 * (limits.workers() + limits.queue()) + 16;
        this.connectionSlots = new Semaphore(maxConnections);
        this.connections = new ThreadPoolExecutor(0, maxConnections, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), daemons("dsire-http-"));
        this.watchdog = new Deadline.Watchdog("dsire-http-watchdog");
        this.acceptor = daemons("dsire-http-accept-").newThread(this::accept);
    }

    private static ThreadFactory daemons(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Listens on address (port 0: any free port); uploads are spooled under spool. */
    public static DsireHttpServer start(InetSocketAddress address, ServeLimits limits, Analyst analyst, Path spool) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.setOption(StandardSocketOptions.SO_REUSEADDR, true); // a restart binds at once, past the last run's TIME_WAIT
        listener.bind(address, 256);
        DsireHttpServer s = new DsireHttpServer(listener, limits, analyst, Files.createDirectories(spool));
        s.acceptor.start();
        return s;
    }

    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) listener.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Requests admitted and not yet answered. */
    public int inFlight() {
        return limits.workers() + limits.queue() - admitted.availablePermits();
    }

    /** Connections open now. */
    int openConnections() {
        return open.size();
    }

    private void accept() {
        while (!closing) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (IOException e) {
                if (closing) {
                    return;
                }
                continue; // one connection failed to open (reset before it was accepted, out of descriptors): go on
            }
            try {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true); // an answer is one write: send it now
            } catch (IOException ignored) {
                // gone already: its thread finds out
            }
            if (!connectionSlots.tryAcquire()) {
                Thread.ofVirtual().start(() -> turnAway(ch)); // out of the acceptor's way; it only writes a line and closes
                continue;
            }
            open.add(ch);
            try {
                connections.execute(() -> serve(ch));
            } catch (RejectedExecutionException stopping) {
                open.remove(ch);
                connectionSlots.release();
                closeQuietly(ch);
            }
        }
    }

    /** A connection past the bound: 503 at once, without reading its request (a little of it is drained so that the answer is not reset). */
    private void turnAway(SocketChannel ch) {
        Deadline deadline = new Deadline(watchdog, ch);
        try (ch) {
            deadline.writing(Duration.ofSeconds(1));
            write(ch, answer(503, error("busy: " + maxConnections + " connections open; retry later"), Map.of("Retry-After", "1"), false));
            deadline.reading(System.nanoTime() + Duration.ofSeconds(1).toNanos());
            ch.shutdownOutput();
            new HttpInput(ch, deadline::expired).drain(64 << 10);
        } catch (IOException | RuntimeException gone) {
            // the client went away: nothing to tell it
        } finally {
            deadline.release();
        }
    }

    /** One connection: its requests in turn, until it closes, an answer closes it, or it stays idle past its time. */
    private void serve(SocketChannel ch) {
        Deadline deadline = new Deadline(watchdog, ch);
        HttpInput in = new HttpInput(ch, deadline::expired);
        try (ch) {
            boolean more = true;
            while (more && !closing) {
                deadline.reading(System.nanoTime() + atMostTimeout(HEAD_TIME).toNanos());
                RequestHead head;
                try {
                    head = in.readHead();
                } catch (HttpFailure f) { // a malformed or oversized head: answered, then closed (its length is unknown)
                    finish(ch, in, deadline, answer(f.status(), error(f.getMessage()), Map.of(), false), false);
                    return;
                }
                deadline.cancel();
                if (head == null) {
                    return;
                }
                more = exchange(ch, in, deadline, head);
            }
        } catch (IOException | UncheckedIOException gone) {
            // the client went away before its answer: nothing to tell it
        } finally {
            deadline.release();
            open.remove(ch);
            connectionSlots.release();
        }
    }

    /** What one request is answered, and whether its body has been read to its end. */
    private static final class Exchange {
        final RequestHead head;
        final Map<String, String> headers = new LinkedHashMap<>();
        boolean bodyRead;

        Exchange(RequestHead head) {
            this.head = head;
            this.bodyRead = !head.hasBody();
        }
    }

    /** Answers one request; whether the connection may carry the next. */
    private boolean exchange(SocketChannel ch, HttpInput in, Deadline deadline, RequestHead head) throws IOException {
        Exchange ex = new Exchange(head);
        int status;
        String json;
        try {
            Reply r = route(ch, in, deadline, ex);
            status = r.status();
            json = r.json();
        } catch (HttpFailure f) {
            status = f.status();
            json = error(f.getMessage());
        } catch (RuntimeException | Error e) {
            System.err.println("dsire serve: internal error on " + head.path() + ": " + e);
            status = 500;
            json = error("internal error: " + Upload.oneLine(String.valueOf(e)));
        }
        // an error closes the connection (an unread upload may still be on the wire), as does a body left unread
        boolean keep = status < 400 && ex.bodyRead && head.keepAlive() && !closing;
        byte[] a = answer(status, json, ex.headers, keep && head.minorVersion() == 0);
        if (head.method().equals("HEAD")) { // (405) the same head, no body: a client reading a HEAD answer reads none
            a = Arrays.copyOf(a, indexOfBody(a));
        }
        return finish(ch, in, deadline, a, keep);
    }

    /**
     * Writes the answer; without keep, then reads what is left of the request (up to {@link #DRAIN_BYTES}, for at most
     * {@link #DRAIN_TIME}) before closing: closing on a client still sending resets the connection, and a reset that
     * arrives before the client has read the answer loses it ("connection reset" instead of the one-line reason).
     */
    private boolean finish(SocketChannel ch, HttpInput in, Deadline deadline, byte[] answer, boolean keep) throws IOException {
        deadline.writing(atMostTimeout(WRITE_TIME));
        write(ch, answer);
        deadline.cancel();
        if (!keep) {
            deadline.reading(System.nanoTime() + atMostTimeout(DRAIN_TIME).toNanos());
            ch.shutdownOutput(); // the answer is complete: the client reads its end and stops
            try {
                in.drain(DRAIN_BYTES);
            } catch (IOException | HttpFailure ignored) {
                // reset, or past its time: closed all the same
            }
            deadline.cancel();
        }
        return keep;
    }

    private Duration atMostTimeout(Duration d) {
        return d.compareTo(limits.timeout()) < 0 ? d : limits.timeout();
    }

    /** An answer's status and JSON. */
    private record Reply(int status, String json) {}

    private Reply route(SocketChannel ch, HttpInput in, Deadline deadline, Exchange ex) throws IOException {
        String path = ex.head.path();
        String method = ex.head.method();
        return switch (path) {
            case "/healthz" -> {
                only(ex, "GET");
                yield new Reply(200, "{\"status\":\"ok\"}");
            }
            case "/v1/models" -> {
                only(ex, "GET");
                yield new Reply(200, analyst.models());
            }
            case "/v1/predict", "/v1/inspect" -> {
                only(ex, "POST");
                yield analyse(ch, in, deadline, ex, path.equals("/v1/predict"));
            }
            default -> throw new HttpFailure(404, "no such endpoint: " + method + " " + path
                    + " (GET /healthz, GET /v1/models, POST /v1/predict, POST /v1/inspect)");
        };
    }

    private static void only(Exchange ex, String method) {
        if (!ex.head.method().equals(method)) {
            ex.headers.put("Allow", method);
            throw new HttpFailure(405, ex.head.path() + " takes " + method);
        }
    }

    private Reply analyse(SocketChannel ch, HttpInput in, Deadline deadline, Exchange ex, boolean predict) throws IOException {
        long deadlineNanos = System.nanoTime() + limits.timeout().toNanos();
        RequestHead head = ex.head;
        long length = head.chunked() ? -1 : Math.max(0, head.contentLength());
        if (length > limits.maxBytes()) { // a chunked body is refused as soon as it passes the limit
            throw new HttpFailure(413, "request body of " + length + " bytes is larger than --max-bytes (" + limits.maxBytes() + ")");
        }
        if (!admitted.tryAcquire()) {
            ex.headers.put("Retry-After", "1");
            throw new HttpFailure(503, "busy: " + (limits.workers() + limits.queue()) + " requests in flight (--workers + --queue); retry later");
        }
        int id = requestIds.incrementAndGet();
        Upload.Folder folder = new Upload.Folder(spool, "r" + id + "-");
        BodyBuffers.Lease[] lease = {null};
        AtomicBoolean leaseClaimed = new AtomicBoolean(); // by the computation once it starts; else given back here
        try {
            Map<String, String> query = query(head.rawQuery());
            if (head.expectContinue() && length != 0) {
                write(ch, CONTINUE); // admitted: the client may send its body now
            }
            deadline.reading(deadlineNanos);
            Upload upload;
            try {
                upload = Upload.receive(in, length, head.header("Content-Type"), query.get("name"),
                        folder, spool.resolve("m" + id), memory, lease, limits.maxBytes());
            } finally {
                deadline.cancel();
            }
            ex.bodyRead = true;
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
                a = f.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
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
            return new Reply(a.ok() ? 200 : 422, a.json());
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

    /** Most of an unread upload that may still be read before closing, without holding the connection's thread long. */
    private static final long DRAIN_BYTES = 64L << 20;

    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    /** A whole answer: status line, headers, and the JSON and a newline as its body. */
    static byte[] answer(int status, String json, Map<String, String> headers, boolean keepAliveHttp10) {
        byte[] body = (json + "\n").getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(160).append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n")
                .append("Content-Type: application/json; charset=utf-8\r\nContent-Length: ").append(body.length).append("\r\n");
        headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        if (status >= 400) {
            h.append("Connection: close\r\n");
        } else if (keepAliveHttp10) {
            h.append("Connection: keep-alive\r\n");
        }
        byte[] head = h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** Where an answer's body starts: after its blank line. */
    private static int indexOfBody(byte[] answer) {
        for (int i = 3; i < answer.length; i++) {
            if (answer[i] == '\n' && answer[i - 1] == '\r' && answer[i - 2] == '\n' && answer[i - 3] == '\r') {
                return i + 1;
            }
        }
        return answer.length;
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 417 -> "Expectation Failed";
            case 422 -> "Unprocessable Content";
            case 431 -> "Request Header Fields Too Large";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Internal Server Error";
        };
    }

    private static void write(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void closeQuietly(java.io.Closeable ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closed either way
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

    /** Stops accepting, lets running requests finish for up to a second, closes the connections, removes the spool folder. */
    @Override
    public void close() {
        closing = true;
        closeQuietly(listener);
        try {
            for (int i = 0; i < 50 && inFlight() > 0; i++) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SocketChannel ch : open) {
            closeQuietly(ch);
        }
        connections.shutdownNow();
        compute.shutdownNow();
        watchdog.close();
        memory.close();
        deleteTree(spool);
    }
}
