package dev.dsire.serve;

/** A request refused with an HTTP status and a one-line reason (sent as {"error": reason}). */
public final class HttpFailure extends RuntimeException {
    private final int status;

    public HttpFailure(int status, String reason) {
        super(reason, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
