package dev.dsire.serve;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * The reading side of one HTTP/1.x connection (RFC 9112), strict: each malformed or oversized request is one
 * {@link HttpFailure} with its status and a one-line reason. Heads and chunked bodies go through a 16 KB buffer;
 * a body with a Content-Length is read straight from the channel into the caller's (off-heap) memory, in whole
 * reads, after the bytes the buffer already holds: one copy, made by the kernel.
 *
 * <p>A read that ends because the connection's deadline passed (the watchdog shuts the input) is a 408; any
 * other early end is an {@link IOException} (the client went away: there is no one to answer).
 */
final class HttpInput {
    static final int BUFFER = 16 << 10;
    static final int MAX_REQUEST_LINE = 8 << 10, MAX_FIELD_LINE = 8 << 10, MAX_HEAD = 64 << 10, MAX_FIELDS = 100;
    static final int MAX_CHUNK_LINE = 1 << 10, MAX_TRAILER = 8 << 10;
    private static final int MAX_BLANK_LINES = 8; // RFC 9112 2.2: empty lines before a request line are ignored

    private final ReadableByteChannel channel;
    private final BooleanSupplier expired;
    /** Unread bytes are [position, limit). */
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER).flip();
    private final byte[] bytes = buffer.array();

    /** @param expired whether the connection's deadline has passed (its input then ends early: a 408) */
    HttpInput(ReadableByteChannel channel, BooleanSupplier expired) {
        this.channel = channel;
        this.expired = expired;
    }

    /** Reads more into the buffer (compacting it first); false at the end of the input. */
    private boolean fill() throws IOException {
        buffer.compact();
        try {
            return channel.read(buffer) >= 0;
        } finally {
            buffer.flip();
        }
    }

    /** The end of the input where more was due: a 408 past the deadline, else the client went away. */
    private IOException ended(String where) {
        if (expired.getAsBoolean()) {
            throw new HttpFailure(408, where + " not received within the request time limit");
        }
        return new EOFException("connection closed " + where);
    }

    /**
     * One line without its CRLF, decoded as ISO-8859-1; null at the end of the input before any byte of it when
     * atStart (a connection closed between requests).
     */
    private String line(int max, int tooLongStatus, String what, boolean atStart) throws IOException {
        int scanned = 0;
        while (true) {
            int from = buffer.position(), to = buffer.limit();
            for (int i = from + scanned; i < to; i++) {
                if (bytes[i] == '\n') {
                    if (i == from || bytes[i - 1] != '\r') {
                        throw new HttpFailure(400, what + " ended by a bare LF (lines end with CRLF)");
                    }
                    int end = i - 1;
                    if (end - from > max) {
                        throw new HttpFailure(tooLongStatus, what + " longer than " + max + " bytes");
                    }
                    for (int k = from; k < end; k++) {
                        int b = bytes[k] & 0xFF;
                        if ((b < 0x20 && b != '\t') || b == 0x7F) {
                            throw new HttpFailure(400, "control character 0x" + Integer.toHexString(b) + " in " + what);
                        }
                    }
                    buffer.position(i + 1);
                    return new String(bytes, from, end - from, StandardCharsets.ISO_8859_1);
                }
            }
            scanned = to - from;
            if (scanned > max + 1) {
                throw new HttpFailure(tooLongStatus, what + " longer than " + max + " bytes");
            }
            if (!fill()) {
                if (atStart && scanned == 0) {
                    return null;
                }
                throw ended("inside " + what);
            }
        }
    }

    /** The next request's head; null when the connection closes (or its idle time ends) before one starts. */
    RequestHead readHead() throws IOException {
        String requestLine;
        int blank = 0, total = 0;
        do {
            requestLine = line(MAX_REQUEST_LINE, 414, "the request line", true); // null: closed, or idle past its time, before a request
            if (requestLine == null) {
                return null;
            }
            total += requestLine.length() + 2;
        } while (requestLine.isEmpty() && ++blank <= MAX_BLANK_LINES);
        if (requestLine.isEmpty()) {
            throw new HttpFailure(400, "no request line after " + MAX_BLANK_LINES + " empty lines");
        }
        String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3) {
            throw new HttpFailure(400, "malformed request line (METHOD TARGET HTTP/1.1, single spaces)");
        }
        String method = parts[0], target = parts[1], version = parts[2];
        if (method.isEmpty() || method.length() > 32 || !isToken(method)) {
            throw new HttpFailure(400, "malformed request method");
        }
        int minor = switch (version) {
            case "HTTP/1.1" -> 1;
            case "HTTP/1.0" -> 0;
            default -> throw version.matches("HTTP/[0-9]\\.[0-9]")
                    ? new HttpFailure(505, version + " is not supported (HTTP/1.0 and HTTP/1.1 are)")
                    : new HttpFailure(400, "malformed HTTP version");
        };
        String pathAndQuery = originForm(target);
        int q = pathAndQuery.indexOf('?');
        String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        String rawQuery = q < 0 ? null : pathAndQuery.substring(q + 1);

        List<RequestHead.Field> fields = new ArrayList<>();
        while (true) {
            String f = line(MAX_FIELD_LINE, 431, "a header line", false);
            total += f.length() + 2;
            if (total > MAX_HEAD) {
                throw new HttpFailure(431, "request head longer than " + MAX_HEAD + " bytes");
            }
            if (f.isEmpty()) {
                break;
            }
            if (fields.size() == MAX_FIELDS) {
                throw new HttpFailure(431, "more than " + MAX_FIELDS + " header fields");
            }
            fields.add(field(f, "header"));
        }
        return head(method, path, rawQuery, minor, fields);
    }

    private static RequestHead.Field field(String line, String what) {
        if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
            throw new HttpFailure(400, "obsolete line folding in the " + what + "s");
        }
        int colon = line.indexOf(':');
        if (colon <= 0 || !isToken(line.substring(0, colon))) {
            throw new HttpFailure(400, "malformed " + what + " field name (a token, then ':' with no space before it)");
        }
        return new RequestHead.Field(line.substring(0, colon).toLowerCase(Locale.ROOT), trimOws(line.substring(colon + 1)));
    }

    /** The request target's path and query: origin form as sent, absolute form reduced to it, "*" kept. */
    private static String originForm(String target) {
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c >= 0x7F || c == '#') {
                throw new HttpFailure(400, "malformed request target");
            }
        }
        if (target.startsWith("/") || target.equals("*")) {
            return target;
        }
        String lower = target.toLowerCase(Locale.ROOT);
        int scheme = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
        if (scheme < 0 || scheme == target.length()) {
            throw new HttpFailure(400, "malformed request target (a path starting with '/')");
        }
        int slash = target.indexOf('/', scheme), query = target.indexOf('?', scheme);
        int start = slash < 0 ? query : query < 0 ? slash : Math.min(slash, query);
        return start < 0 ? "/" : target.charAt(start) == '?' ? "/" + target.substring(start) : target.substring(start);
    }

    private static RequestHead head(String method, String path, String rawQuery, int minor, List<RequestHead.Field> fields) {
        String length = null, coding = null, expect = null, host = null, type = null;
        boolean close = false, keepAlive = false;
        for (RequestHead.Field f : fields) {
            switch (f.name()) {
                case "content-length" -> length = once(length, f, "Content-Length");
                case "transfer-encoding" -> coding = once(coding, f, "Transfer-Encoding");
                case "expect" -> expect = once(expect, f, "Expect");
                case "host" -> host = once(host, f, "Host");
                case "content-type" -> type = once(type, f, "Content-Type");
                case "connection" -> {
                    for (String t : f.value().split(",")) {
                        String token = trimOws(t).toLowerCase(Locale.ROOT);
                        close |= token.equals("close");
                        keepAlive |= token.equals("keep-alive");
                    }
                }
                default -> { }
            }
        }
        if (minor == 1 && host == null) {
            throw new HttpFailure(400, "HTTP/1.1 request without a Host header");
        }
        long contentLength = -1;
        if (length != null) {
            if (length.isEmpty() || length.length() > 18 || !length.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new HttpFailure(400, "bad Content-Length: " + Upload.oneLine(length.length() > 40 ? length.substring(0, 40) + "..." : length));
            }
            contentLength = Long.parseLong(length);
        }
        boolean chunked = false;
        if (coding != null) {
            if (minor == 0) {
                throw new HttpFailure(400, "Transfer-Encoding in an HTTP/1.0 request");
            }
            if (length != null) {
                throw new HttpFailure(400, "both Content-Length and Transfer-Encoding");
            }
            if (!coding.equalsIgnoreCase("chunked")) {
                throw new HttpFailure(501, "transfer coding '" + Upload.oneLine(coding.length() > 40 ? coding.substring(0, 40) + "..." : coding)
                        + "' is not supported (chunked is)");
            }
            chunked = true;
        }
        boolean expectContinue = false;
        if (expect != null) {
            if (!expect.equalsIgnoreCase("100-continue")) {
                throw new HttpFailure(417, "Expect: only 100-continue is supported");
            }
            expectContinue = minor == 1; // an HTTP/1.0 client does not wait for it
        }
        return new RequestHead(method, path, rawQuery, minor, fields, contentLength, chunked, expectContinue,
                !close && (minor == 1 || keepAlive));
    }

    private static String once(String seen, RequestHead.Field f, String name) {
        if (seen != null) {
            throw new HttpFailure(400, "more than one " + name + " header");
        }
        return f.value();
    }

    /** RFC 9110 5.6.2 token characters. */
    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    private static String trimOws(String s) {
        int a = 0, b = s.length();
        while (a < b && (s.charAt(a) == ' ' || s.charAt(a) == '\t')) {
            a++;
        }
        while (b > a && (s.charAt(b - 1) == ' ' || s.charAt(b - 1) == '\t')) {
            b--;
        }
        return s.substring(a, b);
    }

    /**
     * Reads exactly to.byteSize() body bytes into to: those already buffered, then straight from the channel.
     * The caller has checked that the body holds that many (its Content-Length).
     */
    void readBody(MemorySegment to) throws IOException {
        long size = to.byteSize(), at = Math.min(size, buffer.remaining());
        MemorySegment.copy(MemorySegment.ofArray(bytes), buffer.position(), to, 0, at);
        buffer.position(buffer.position() + (int) at);
        while (at < size) {
            // a ByteBuffer spans at most 2 GiB - 1: a larger body is read a slice at a time
            ByteBuffer b = to.asSlice(at, Math.min(size - at, 1L << 30)).asByteBuffer();
            while (b.hasRemaining()) {
                int r = channel.read(b);
                if (r < 0) {
                    throw ended("inside the request body (shorter than its Content-Length)");
                }
            }
            at += b.capacity();
        }
    }

    /** The body as a stream: length bytes, or chunked when length is -1; it ends where the body ends. */
    InputStream body(long length) {
        return length >= 0 ? new Fixed(length) : new Chunked();
    }

    /** Reads and drops up to max bytes, until the input ends; the bytes dropped. For a refused upload still on the wire. */
    long drain(long max) throws IOException {
        long dropped = 0;
        while (dropped < max) {
            if (!buffer.hasRemaining() && !fill()) {
                break;
            }
            int n = (int) Math.min(buffer.remaining(), max - dropped);
            buffer.position(buffer.position() + n);
            dropped += n;
        }
        return dropped;
    }

    /** Reads into b from the buffer, else from the channel; -1 at the end of the input. */
    private int read(byte[] b, int off, int len) throws IOException {
        if (!buffer.hasRemaining()) {
            if (len >= BUFFER) { // a large read skips the buffer
                return channel.read(ByteBuffer.wrap(b, off, len));
            }
            if (!fill()) {
                return -1;
            }
        }
        int n = Math.min(len, buffer.remaining());
        buffer.get(b, off, n);
        return n;
    }

    /** At least n bytes buffered (n at most BUFFER), or the end of the input. */
    private boolean need(int n) throws IOException {
        while (buffer.remaining() < n) {
            if (!fill()) {
                return false;
            }
        }
        return true;
    }

    /** A request body's bytes; the one-byte read goes through the bulk one, which keeps the body's rules. */
    private abstract static class BodyStream extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }
    }

    private final class Fixed extends BodyStream {
        private long left;

        Fixed(long length) {
            left = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int r = HttpInput.this.read(b, off, (int) Math.min(len, left));
            if (r < 0) {
                throw ended("inside the request body (shorter than its Content-Length)");
            }
            left -= r;
            return r;
        }
    }

    /** RFC 9112 7.1: chunk-size [; extensions] CRLF data CRLF ... 0 CRLF [trailer fields] CRLF. */
    private final class Chunked extends BodyStream {
        private long left; // of the current chunk
        private boolean done;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return done ? -1 : 0;
            }
            while (left == 0) {
                if (done) {
                    return -1;
                }
                nextChunk();
            }
            int r = HttpInput.this.read(b, off, (int) Math.min(len, left));
            if (r < 0) {
                throw ended("inside a chunk of the request body");
            }
            left -= r;
            if (left == 0) {
                if (!need(2)) {
                    throw ended("inside the chunked request body");
                }
                if (bytes[buffer.position()] != '\r' || bytes[buffer.position() + 1] != '\n') {
                    throw new HttpFailure(400, "malformed chunked body: chunk data not followed by CRLF");
                }
                buffer.position(buffer.position() + 2);
            }
            return r;
        }

        private void nextChunk() throws IOException {
            String line = line(MAX_CHUNK_LINE, 400, "a chunk size line", false);
            int digits = 0;
            while (digits < line.length() && Character.digit(line.charAt(digits), 16) >= 0) {
                digits++;
            }
            if (digits == 0 || digits > 15 || (digits < line.length() && line.charAt(digits) != ';')) {
                throw new HttpFailure(400, "malformed chunked body: bad chunk size");
            }
            long size = Long.parseLong(line.substring(0, digits), 16);
            if (size > 0) {
                left = size;
                return;
            }
            done = true; // the last chunk: trailer fields (read and ignored), then an empty line
            int total = 0, count = 0;
            while (true) {
                String t = line(MAX_TRAILER, 400, "a trailer line", false);
                total += t.length() + 2;
                if (t.isEmpty()) {
                    return;
                }
                if (total > MAX_TRAILER || ++count > MAX_FIELDS) {
                    throw new HttpFailure(400, "malformed chunked body: trailer fields over " + MAX_TRAILER + " bytes or " + MAX_FIELDS + " fields");
                }
                field(t, "trailer");
            }
        }
    }
}
