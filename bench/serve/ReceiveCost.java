import java.io.*;
import java.lang.management.*;
import java.net.*;
import java.nio.*;
import java.nio.channels.*;
import java.lang.foreign.*;

/**
 * CPU of receiving 12.8 MB bodies (an SD 1.5 r32 upload) over loopback on one thread: "jdk" reads as the JDK's
 * com.sun.net.httpserver does (at most 8 KB per read into a heap buffer, copied into the caller's array, which
 * dsire serve copies into its off-heap buffer); "direct" reads straight into the off-heap buffer in whole reads.
 * The first quarter of the bodies is warm-up. Usage: java bench/serve/ReceiveCost.java jdk|direct [BODIES=120]
 */
public class ReceiveCost {
    public static void main(String[] a) throws Exception {
        int size = 12_800_000, n = a.length > 1 ? Integer.parseInt(a[1]) : 120;
        String mode = a[0];
        ServerSocketChannel ss = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        int port = ((InetSocketAddress) ss.getLocalAddress()).getPort();
        Thread sender = new Thread(() -> {
            try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                ByteBuffer b = ByteBuffer.allocateDirect(size);
                for (int i = 0; i < n; i++) { b.clear(); while (b.hasRemaining()) c.write(b); }
            } catch (IOException e) { throw new UncheckedIOException(e); }
        });
        sender.start();
        SocketChannel c = ss.accept();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        MemorySegment seg = Arena.global().allocate(size);
        ByteBuffer chan = ByteBuffer.allocate(8192);
        byte[] buf = new byte[65536];
        long warm = n / 4, t0 = 0, w0 = 0;
        for (int i = 0; i < n; i++) {
            if (i == warm) { t0 = mx.getCurrentThreadCpuTime(); w0 = System.nanoTime(); }
            long got = 0;
            if (mode.equals("jdk")) {
                while (got < size) {
                    // ReadStream: <= 8 KB into a heap ByteBuffer, then into the caller's array, then ours
                    int want = (int) Math.min(buf.length, size - got);
                    chan.clear(); if (want < 8192) chan.limit(want);
                    int r = c.read(chan); chan.flip(); chan.get(buf, 0, r);
                    MemorySegment.copy(buf, 0, seg, ValueLayout.JAVA_BYTE, got, r);
                    got += r;
                }
            } else {
                ByteBuffer d = seg.asByteBuffer();
                while (d.hasRemaining()) c.read(d);
            }
        }
        long cpu = mx.getCurrentThreadCpuTime() - t0;
        System.out.printf("%s: %.2f ms CPU per 12.8 MB body (receiver thread), %.2f ms wall%n", mode, cpu / 1e6 / (n - warm), (System.nanoTime() - w0) / 1e6 / (n - warm));
        sender.join();
    }
}
