package dev.dsire.serve;

import java.util.List;
import java.util.Locale;

/**
 * One HTTP/1.x request's line and headers, as {@link HttpInput#readHead} accepted them.
 *
 * @param method the request method (a token, as sent)
 * @param path the target's path (origin form; an absolute-form target is reduced to its path), undecoded; "*" for OPTIONS *
 * @param rawQuery what follows the first '?', undecoded, or null
 * @param minorVersion 0 (HTTP/1.0) or 1 (HTTP/1.1)
 * @param fields the header fields in order, names lower-cased
 * @param contentLength the Content-Length, or -1 when there is none (chunked, or no body)
 * @param chunked whether the body is sent with Transfer-Encoding: chunked
 * @param expectContinue whether the client waits for 100 Continue before sending its body
 * @param keepAlive whether the connection may carry another request after this one's answer
 */
public record RequestHead(String method, String path, String rawQuery, int minorVersion, List<Field> fields,
                          long contentLength, boolean chunked, boolean expectContinue, boolean keepAlive) {
    /** One header field: its name lower-cased, its value without surrounding white space. */
    public record Field(String name, String value) {}

    public RequestHead {
        fields = List.copyOf(fields);
    }

    /** The field's value (the first, for a repeatable field), or null. */
    public String header(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (Field f : fields) {
            if (f.name().equals(n)) {
                return f.value();
            }
        }
        return null;
    }

    /** Whether a body follows the head. */
    public boolean hasBody() {
        return chunked || contentLength > 0;
    }
}
