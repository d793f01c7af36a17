import com.sun.net.httpserver.HttpServer;
import java.io.*;
import java.lang.foreign.*;
import java.lang.management.*;
import java.net.*;
import java.nio.*;
import java.nio.channels.*;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.*;

/**
 * CPU of receiving 12.8 MB bodies (an SD 1.5 r32 upload) over loopback, one body at a time, into an off-heap buffer:
 * - "jdk": read as the JDK's com.sun.net.httpserver reads (at most 8 KB per read into a heap buffer, copied into the
 *   caller's array, then into the off-heap buffer), on a bare socket;
 * - "direct": straight into the off-heap buffer in whole blocking reads, on a platform thread, on a bare socket
 *   (what dsire serve's own reader does);
 * - "vdirect": the same reads on a virtual thread (each read that would block parks it on the JDK's poller);
 * - "jdkhttp": the JDK server itself on virtual threads, its body stream copied into the buffer in 64 KB reads, one
 *   POST with a Content-Length after another on a keep-alive connection; ReceiveCostJetty.java does the same for Jetty 12.
 * CPU is the whole process's less the sender thread's, so that a server's own threads (selector, poller, carriers)
 * count. The first quarter of the bodies is warm-up. Usage: java bench/serve/ReceiveCost.java MODE [BODIES=120]
 */
public class ReceiveCost {
    static final int SIZE = 12_800_000;
    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    static final com.sun.management.OperatingSystemMXBean OS = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    public static void main(String[] a) throws Exception {
        String mode = a[0];
        int n = a.length > 1 ? Integer.parseInt(a[1]) : 120;
        MemorySegment seg = Arena.global().allocate(SIZE);
        switch (mode) {
            case "jdk", "direct", "vdirect" -> bare(mode, n, seg);
            case "jdkhttp" -> {
                HttpServer h = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
                h.createContext("/", ex -> {
                    try (ex; InputStream in = ex.getRequestBody()) {
                        byte[] buf = new byte[65536];
                        long at = 0;
                        for (int r; (r = in.read(buf)) >= 0; at += r) {
                            MemorySegment.copy(buf, 0, seg, ValueLayout.JAVA_BYTE, at, r);
                        }
                        byte[] ok = (at + "\n").getBytes(StandardCharsets.US_ASCII);
                        ex.sendResponseHeaders(200, ok.length);
                        ex.getResponseBody().write(ok);
                    }
                });
                h.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
                h.start();
                post(mode, n, h.getAddress().getPort());
                h.stop(0);
            }
            default -> throw new IllegalArgumentException("jdk, direct, vdirect or jdkhttp (jetty: ReceiveCostJetty.java)");
        }
    }

    /** Bodies without HTTP on one connection, received by a platform thread (a virtual one for vdirect). */
    static void bare(String mode, int n, MemorySegment seg) throws Exception {
        ServerSocketChannel ss = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        int port = ((InetSocketAddress) ss.getLocalAddress()).getPort();
        Thread sender = new Thread(() -> {
            try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                ByteBuffer b = ByteBuffer.allocateDirect(SIZE);
                for (int i = 0; i < n; i++) {
                    b.clear();
                    while (b.hasRemaining()) {
                        c.write(b);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        sender.start();
        Runnable receive = () -> {
            try (SocketChannel c = ss.accept()) {
                ByteBuffer chan = ByteBuffer.allocate(8192);
                byte[] buf = new byte[65536];
                int warm = n / 4;
                long t0 = 0, s0 = 0, w0 = 0;
                for (int i = 0; i < n; i++) {
                    if (i == warm) {
                        t0 = OS.getProcessCpuTime();
                        s0 = THREADS.getThreadCpuTime(sender.threadId());
                        w0 = System.nanoTime();
                    }
                    if (mode.equals("jdk")) {
                        for (long got = 0; got < SIZE; ) { // ReadStream: <= 8 KB into a heap ByteBuffer, then the caller's array, then ours
                            int want = (int) Math.min(buf.length, SIZE - got);
                            chan.clear();
                            if (want < 8192) {
                                chan.limit(want);
                            }
                            int r = c.read(chan);
                            chan.flip();
                            chan.get(buf, 0, r);
                            MemorySegment.copy(buf, 0, seg, ValueLayout.JAVA_BYTE, got, r);
                            got += r;
                        }
                    } else {
                        ByteBuffer d = seg.asByteBuffer();
                        while (d.hasRemaining()) {
                            c.read(d);
                        }
                    }
                }
                report(mode, OS.getProcessCpuTime() - t0 - (THREADS.getThreadCpuTime(sender.threadId()) - s0), System.nanoTime() - w0, n - warm);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        Thread receiver = mode.equals("vdirect") ? Thread.ofVirtual().start(receive) : Thread.ofPlatform().start(receive);
        receiver.join();
        sender.join();
    }

    /** Posts n bodies with a Content-Length, one after another on one keep-alive connection, each answered 200. */
    static void post(String mode, int n, int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream());
            byte[] head = ("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: " + SIZE + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] body = new byte[SIZE];
            int warm = n / 4;
            long t0 = 0, s0 = 0, w0 = 0;
            for (int i = 0; i < n; i++) {
                if (i == warm) {
                    t0 = OS.getProcessCpuTime();
                    s0 = THREADS.getCurrentThreadCpuTime();
                    w0 = System.nanoTime();
                }
                out.write(head);
                out.write(body);
                out.flush();
                readAnswer(in);
            }
            report(mode, OS.getProcessCpuTime() - t0 - (THREADS.getCurrentThreadCpuTime() - s0), System.nanoTime() - w0, n - warm);
        }
    }

    /** Reads one answer (its headers, then Content-Length bytes); it must be a 200. */
    static void readAnswer(InputStream in) throws IOException {
        StringBuilder h = new StringBuilder();
        while (h.length() < 4 || !h.substring(h.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("server closed: " + h);
            }
            h.append((char) b);
        }
        if (!h.toString().startsWith("HTTP/1.1 200")) {
            throw new IOException("not a 200: " + h);
        }
        int len = 0;
        for (String line : h.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                len = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.readNBytes(len);
    }

    static void report(String mode, long cpuNanos, long wallNanos, int bodies) {
        System.out.printf("%s: %.2f ms CPU per 12.8 MB body (process less sender), %.2f ms wall%n", mode, cpuNanos / 1e6 / bodies, wallNanos / 1e6 / bodies);
    }
}
