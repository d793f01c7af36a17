import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ThreadPool;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

/**
 * ReceiveCost.java's HTTP measurement for Jetty 12's core API (no servlets): each Content.Source chunk of a 12.8 MB
 * POST is copied straight into an off-heap buffer; the connection's input buffer is INPUT bytes, from a pool that
 * keeps buffers that large. Modes: "virtual" (a handler that blocks for more, on Jetty's virtual thread pool),
 * "pool" (the same on its QueuedThreadPool), "async" (a non-blocking handler that asks for more with demand()).
 * Usage, with Jetty's jars (fetched once: ./mvnw dependency:get -Dartifact=org.eclipse.jetty:jetty-server:12.1.13):
 *   R=~/.m2/repository; J=$R/org/eclipse/jetty; V=12.1.13
 *   java -cp $J/jetty-server/$V/jetty-server-$V.jar:$J/jetty-http/$V/jetty-http-$V.jar:$J/jetty-io/$V/jetty-io-$V.jar:$J/jetty-util/$V/jetty-util-$V.jar:$R/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar \
 *        bench/serve/ReceiveCostJetty.java virtual|pool|async [BODIES=120] [INPUT=1048576]
 */
public class ReceiveCostJetty {
    public static void main(String[] a) throws Exception {
        String mode = a[0];
        int n = a.length > 1 ? Integer.parseInt(a[1]) : 120, input = a.length > 2 ? Integer.parseInt(a[2]) : 1 << 20;
        MemorySegment seg = Arena.global().allocate(ReceiveCost.SIZE);
        ThreadPool threads = mode.equals("virtual") ? new VirtualThreadPool() : new QueuedThreadPool();
        Server server = new Server(threads, null, new ArrayByteBufferPool(0, 4096, Math.max(65536, input), 64, 0, 0));
        HttpConnectionFactory http = new HttpConnectionFactory(new HttpConfiguration());
        http.setInputBufferSize(input);
        ServerConnector connector = new ServerConnector(server, 1, 1, http);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(mode.equals("async") ? new Async(seg) : new Blocking(seg));
        server.start();
        ReceiveCost.post("jetty " + mode + " (input buffer " + input + ")", n, connector.getLocalPort());
        server.stop();
    }

    static void answer(long got, Response response, Callback callback) {
        byte[] ok = (got + "\n").getBytes(StandardCharsets.US_ASCII);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, ok.length);
        response.write(true, ByteBuffer.wrap(ok), callback);
    }

    /** Reads chunk after chunk, blocking its thread while none is ready. */
    static final class Blocking extends Handler.Abstract {
        private final MemorySegment seg;

        Blocking(MemorySegment seg) {
            this.seg = seg;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            long at = 0;
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    try (Blocker.Runnable more = Blocker.runnable()) {
                        request.demand(more);
                        more.block();
                    }
                    continue;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    throw new IOException(chunk.getFailure());
                }
                at = take(chunk, seg, at);
                if (chunk.isLast()) {
                    break;
                }
            }
            answer(at, response, callback);
            return true;
        }
    }

    /** Copies a chunk's bytes into seg at at and releases it; returns where the next chunk goes. */
    static long take(Content.Chunk chunk, MemorySegment seg, long at) {
        ByteBuffer b = chunk.getByteBuffer();
        int r = b.remaining();
        MemorySegment.copy(MemorySegment.ofBuffer(b), 0, seg, at, r);
        chunk.release();
        return at + r;
    }

    /** Copies what is ready, then asks to be called back when there is more (on the selector's thread). */
    static final class Async extends Handler.Abstract.NonBlocking {
        private final MemorySegment seg;

        Async(MemorySegment seg) {
            this.seg = seg;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            new Runnable() {
                long at;

                @Override
                public void run() {
                    while (true) {
                        Content.Chunk chunk = request.read();
                        if (chunk == null) {
                            request.demand(this);
                            return;
                        }
                        if (Content.Chunk.isFailure(chunk)) {
                            callback.failed(chunk.getFailure());
                            return;
                        }
                        at = take(chunk, seg, at);
                        if (chunk.isLast()) {
                            answer(at, response, callback);
                            return;
                        }
                    }
                }
            }.run();
            return true;
        }
    }
}
