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
    }

    /** The GPU (or pinned host memory) ran out: a later, smaller attempt may work. */
    public boolean outOfMemory() {
        return outOfMemory;
    }
}
