package dev.dsire.cuda;

/**
 * A CUDA library is missing, or a call failed; the message names the call and its status. An
 * ordinary unchecked exception: whoever catches it can go on (the backends finish on the CPU).
 */
public final class CudaException extends RuntimeException {
    private final boolean outOfMemory;

    public CudaException(String message) {
        this(message, false);
    }

    CudaException(String message, boolean outOfMemory) {
        super(message);
        this.outOfMemory = outOfMemory;
        this.lazyMessage = null;
    }

    private transient java.util.function.Supplier<String> lazyMessage;
    private String message;

    /**
     * A message made when first read: the device probe of a CPU-only machine fails every start, and
     * the loader's reason (dlerror, through FFM) costs a cold start ~40 ms that nobody reads unless -v.
     */
    CudaException(java.util.function.Supplier<String> message) {
        super((String) null);
        this.outOfMemory = false;
        this.lazyMessage = message;
    }

    @Override
    public synchronized String getMessage() {
        if (lazyMessage != null) {
            message = lazyMessage.get();
            lazyMessage = null;
        }
        return message != null ? message : super.getMessage();
    }

    /** The GPU (or pinned host memory) ran out: a later, smaller attempt may work. */
    public boolean outOfMemory() {
        return outOfMemory;
    }
}
