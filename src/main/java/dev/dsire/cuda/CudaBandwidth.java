package dev.dsire.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Measured host-to-device copy bandwidth from pinned memory, the ceiling for the spectra
 * pipeline (which streams every adapter's weights to the GPU once): bench/gpu-report.sh divides
 * the CUDA backend's MB/s by it.
 */
public final class CudaBandwidth {
    private CudaBandwidth() {}

    /** Bytes per second for `rounds` copies of `bytes` each, after one warm-up copy; frees what it took. */
    public static double hostToDevice(CudaContext cuda, long bytes, int rounds) {
        cuda.makeCurrent();
        Driver drv = cuda.driver;
        MemorySegment stream = drv.createStream();
        MemorySegment host = MemorySegment.NULL;
        long dev = 0;
        try {
            host = drv.hostAlloc(bytes);
            host.fill((byte) 1);
            dev = drv.malloc(bytes);
            drv.copyToDevice(dev, host, bytes, stream);
            drv.synchronize(stream);
            long t0 = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                drv.copyToDevice(dev, host, bytes, stream);
            }
            drv.synchronize(stream);
            return bytes * (double) rounds / ((System.nanoTime() - t0) / 1e9);
        } finally {
            try {
                drv.synchronize(stream);
            } catch (CudaException e) {
                // freeing below regardless
            }
            if (dev != 0) {
                drv.free(dev);
            }
            if (host.byteSize() > 0) {
                drv.freeHost(host);
            }
            drv.destroyStream(stream);
        }
    }
}
