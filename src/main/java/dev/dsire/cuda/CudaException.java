package dev.dsire.cuda;

/** A CUDA library is missing, or a call failed; the message names the call and its status. */
public final class CudaException extends RuntimeException {
    public CudaException(String message) {
        super(message);
    }
}
