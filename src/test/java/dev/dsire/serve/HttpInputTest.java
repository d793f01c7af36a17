package dev.dsire.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The request reader's rules, on bytes: what it accepts, and the one status and reason for each thing it refuses. */
class HttpInputTest {
    private static HttpInput input(String s) {
        return input(s.getBytes(StandardCharsets.ISO_8859_1), 1 << 20, false);
    }

    /** A connection that delivers at most step bytes per read. */
    private static HttpInput input(byte[] b, int step, boolean expired) {
        ReadableByteChannel inner = Channels.newChannel(new ByteArrayInputStream(b));
        ReadableByteChannel ch = new ReadableByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (dst.remaining() <= step) {
                    return inner.read(dst);
                }
                ByteBuffer d = dst.slice().limit(step);
                int r = inner.read(d);
                if (r > 0) {
                    dst.position(dst.position() + r);
                }
                return r;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        return new HttpInput(ch, () -> expired);
    }

    private static void refused(int status, String reasonPart, String request) {
        HttpFailure f = assertThrows(HttpFailure.class, () -> input(request).readHead(), request);
        assertEquals(status, f.status(), f.getMessage());
        assertTrue(f.getMessage().contains(reasonPart), f.getMessage());
        assertEquals(1, f.getMessage().lines().count());
    }

    @Test
    void aRequestHeadAndItsFields() throws IOException {
        HttpInput in = input("\r\nPOST /v1/predict?name=a%20b&model=m HTTP/1.1\r\nHost: x\r\nContent-Type:  application/zip \r\nContent-Length: 12\r\nX-Other:\r\n\r\n");
        RequestHead h = in.readHead();
        assertEquals("POST", h.method());
        assertEquals("/v1/predict", h.path());
        assertEquals("name=a%20b&model=m", h.rawQuery());
        assertEquals("application/zip", h.header("content-type"));
        assertEquals("", h.header("X-Other"));
        assertEquals(12, h.contentLength());
        assertFalse(h.chunked());
        assertTrue(h.keepAlive());
        assertNull(in.readHead(), "the connection ends between requests");

        RequestHead absolute = input("GET http://example.org:80?x=1 HTTP/1.0\r\n\r\n").readHead();
        assertEquals("/", absolute.path());
        assertEquals("x=1", absolute.rawQuery());
        assertFalse(absolute.keepAlive(), "HTTP/1.0 closes unless asked");
        assertTrue(input("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").readHead().keepAlive());
        assertFalse(input("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").readHead().keepAlive());
        RequestHead expect = input("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nTransfer-Encoding: Chunked\r\n\r\n").readHead();
        assertTrue(expect.expectContinue() && expect.chunked() && expect.contentLength() == -1);
    }

    @Test
    void eachMalformedHeadIsOneStatusAndReason() {
        refused(400, "bare LF", "GET / HTTP/1.1\nHost: x\r\n\r\n");
        refused(400, "malformed request line", "GET  / HTTP/1.1\r\n\r\n");
        refused(400, "malformed request line", "GET /\r\n\r\n");
        refused(400, "malformed request method", "G(T / HTTP/1.1\r\n\r\n");
        refused(400, "malformed request target", "GET /a#b HTTP/1.1\r\n\r\n");
        refused(400, "malformed request target", "GET ftp://x/ HTTP/1.1\r\n\r\n");
        refused(400, "malformed HTTP version", "GET / HTTX/1.1\r\n\r\n");
        refused(505, "HTTP/2.0 is not supported", "GET / HTTP/2.0\r\n\r\n");
        refused(400, "control character 0x0", "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n");
        refused(400, "control character 0xd", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n");
        refused(400, "obsolete line folding", "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n");
        refused(400, "malformed header field name", "GET / HTTP/1.1\r\nHost : x\r\n\r\n");
        refused(400, "malformed header field name", "GET / HTTP/1.1\r\n: x\r\n\r\n");
        refused(400, "without a Host", "GET / HTTP/1.1\r\n\r\n");
        refused(400, "more than one Host", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n");
        refused(400, "more than one Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n");
        refused(400, "bad Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n");
        refused(400, "bad Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1,1\r\n\r\n");
        refused(400, "bad Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999999999999999\r\n\r\n");
        refused(400, "both Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
        refused(501, "'gzip, chunked' is not supported", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        refused(400, "Transfer-Encoding in an HTTP/1.0 request", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
        refused(417, "100-continue", "POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n");
        refused(400, "no request line", "\r\n".repeat(20));
        refused(414, "request line longer than 8192", "GET /" + "a".repeat(9000) + " HTTP/1.1\r\n\r\n");
        refused(431, "header line longer than 8192", "GET / HTTP/1.1\r\nX: " + "a".repeat(9000) + "\r\n\r\n");
        refused(431, "more than 100 header fields", "GET / HTTP/1.1\r\n" + "X: y\r\n".repeat(101) + "\r\n");
        refused(431, "request head longer than 65536", "GET / HTTP/1.1\r\n" + ("X: " + "a".repeat(7000) + "\r\n").repeat(10) + "\r\n");
    }

    @Test
    void aHeadCutShortIsTheClientGoneOrPastItsTimeA408() {
        byte[] cut = "POST / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThrows(EOFException.class, () -> input(cut, 5, false).readHead());
        assertEquals(408, assertThrows(HttpFailure.class, () -> input(cut, 5, true).readHead()).status());
    }

    @Test
    void aBodyWithALengthArrivesWhole() throws IOException {
        byte[] body = new byte[100_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31);
        }
        String head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n";
        byte[] twice = concat(head.getBytes(StandardCharsets.ISO_8859_1), body, head.getBytes(StandardCharsets.ISO_8859_1), body);
        for (int step : new int[] {1 << 20, 7, 4096}) { // the body partly in the head's buffer, or not
            HttpInput in = input(twice, step, false);
            for (int k = 0; k < 2; k++) { // two requests on one connection
                RequestHead h = in.readHead();
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment to = a.allocate(h.contentLength());
                    in.readBody(to);
                    assertArrayEquals(body, to.toArray(ValueLayout.JAVA_BYTE));
                }
            }
            assertNull(in.readHead());
        }
        HttpInput shorter = input(concat(head.getBytes(StandardCharsets.ISO_8859_1), new byte[10]), 1 << 20, false);
        long length = shorter.readHead().contentLength();
        try (Arena a = Arena.ofConfined()) {
            assertThrows(EOFException.class, () -> shorter.readBody(a.allocate(length)));
        }
        HttpInput late = input(concat(head.getBytes(StandardCharsets.ISO_8859_1), new byte[10]), 1 << 20, true);
        long lateLength = late.readHead().contentLength();
        try (Arena a = Arena.ofConfined()) {
            assertEquals(408, assertThrows(HttpFailure.class, () -> late.readBody(a.allocate(lateLength))).status());
        }
    }

    @Test
    void aChunkedBodyIsDecodedAndTheNextRequestFollowsIt() throws IOException {
        String two = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n"
                + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        for (int step : new int[] {1 << 20, 1, 3}) {
            HttpInput in = input(two.getBytes(StandardCharsets.ISO_8859_1), step, false);
            RequestHead h = in.readHead();
            assertTrue(h.chunked());
            assertEquals("hello 0123456789", new String(in.body(-1).readAllBytes(), StandardCharsets.ISO_8859_1));
            assertEquals("/healthz", in.readHead().path());
        }
        chunkRefused("malformed chunked body: bad chunk size", "x\r\nhello\r\n0\r\n\r\n");
        chunkRefused("malformed chunked body: bad chunk size", "5 \r\nhello\r\n0\r\n\r\n");
        chunkRefused("malformed chunked body: bad chunk size", "1000000000000000\r\n");
        chunkRefused("chunk data not followed by CRLF", "5\r\nhelloX\r\n0\r\n\r\n");
        chunkRefused("chunk size line longer than 1024", "5;" + "x".repeat(2000) + "\r\nhello\r\n0\r\n\r\n");
        chunkRefused("malformed trailer field name", "0\r\nno colon\r\n\r\n");
        chunkRefused("trailer fields over 8192", "0\r\n" + ("T: " + "x".repeat(1000) + "\r\n").repeat(10) + "\r\n");
        HttpInput cut = input(("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel").getBytes(StandardCharsets.ISO_8859_1), 1 << 20, false);
        cut.readHead();
        assertThrows(EOFException.class, () -> cut.body(-1).readAllBytes());
    }

    private static void chunkRefused(String reasonPart, String chunks) throws IOException {
        HttpInput in = input("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks);
        in.readHead();
        InputStream body = in.body(-1);
        HttpFailure f = assertThrows(HttpFailure.class, body::readAllBytes);
        assertEquals(400, f.status());
        assertTrue(f.getMessage().contains(reasonPart), f.getMessage());
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] p : List.of(parts)) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
