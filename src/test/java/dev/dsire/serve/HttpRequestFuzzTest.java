package dev.dsire.serve;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the HTTP request reader (Jazzer). In CI this replays the committed inputs under
 * {@code src/test/resources/dev/dsire/serve/HttpRequestFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes for real.
 *
 * <p>The contract: any bytes on a connection are read as a sequence of requests (heads and their bodies, as
 * the server reads them) that ends in the connection's end or in one {@link HttpFailure} with a status the
 * server sends and a one-line reason; an accepted head is well formed.
 */
class HttpRequestFuzzTest {
    private static final Set<Integer> STATUSES = Set.of(400, 408, 413, 414, 417, 431, 501, 505);
    private static final long MAX_BODY = 1 << 20;

    @FuzzTest(maxDuration = "15m")
    void requestsAreReadOrRefusedCleanly(byte[] bytes) throws IOException {
        HttpInput in = new HttpInput(Channels.newChannel(new ByteArrayInputStream(bytes)), () -> false);
        try {
            for (int i = 0; i < 16; i++) {
                RequestHead h = in.readHead();
                if (h == null) {
                    return;
                }
                wellFormed(h);
                if (h.chunked()) {
                    InputStream body = in.body(-1);
                    byte[] buf = new byte[4096];
                    long total = 0;
                    for (int r; (r = body.read(buf)) >= 0; total += r) {
                        if (total > bytes.length) {
                            throw new AssertionError("a chunked body longer than its connection's bytes");
                        }
                    }
                } else if (h.contentLength() > 0 && h.contentLength() <= MAX_BODY) {
                    try (Arena a = Arena.ofConfined()) {
                        in.readBody(a.allocate(h.contentLength()));
                    }
                } else if (h.contentLength() > MAX_BODY) {
                    return; // the server refuses it (413) before reading
                }
            }
        } catch (HttpFailure f) {
            if (!STATUSES.contains(f.status())) {
                throw new AssertionError("status " + f.status() + " for: " + f.getMessage());
            }
            if (f.getMessage().isBlank() || f.getMessage().lines().count() != 1) {
                throw new AssertionError("not a one-line reason: " + f.getMessage());
            }
        } catch (EOFException cut) {
            // the bytes ended inside a request: the client went away
        }
    }

    private static void wellFormed(RequestHead h) {
        if (h.method().isEmpty() || !(h.path().startsWith("/") || h.path().equals("*"))) {
            throw new AssertionError("head accepted with method '" + h.method() + "' and path '" + h.path() + "'");
        }
        if (h.chunked() && h.contentLength() != -1 || h.contentLength() < -1 || h.minorVersion() < 0 || h.minorVersion() > 1) {
            throw new AssertionError("inconsistent head: " + h);
        }
        for (RequestHead.Field f : h.fields()) {
            for (char c : (f.name() + f.value()).toCharArray()) {
                if ((c < 0x20 && c != '\t') || c == 0x7F) {
                    throw new AssertionError("control character in an accepted field: " + f);
                }
            }
        }
    }
}
