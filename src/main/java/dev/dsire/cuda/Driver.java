package dev.dsire.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA driver API (libcuda.so.1), the calls dsire needs. Entry points are the _v2 ones where
 * the header maps the plain name to them (the plain names are the legacy 32-bit variants).
 * Contexts are device primary contexts, which work the same on CUDA 12 and 13.
 */
final class Driver {
    static final int OUT_OF_MEMORY = 2;
    static final int INVALID_IMAGE = 200;
    static final int NO_BINARY_FOR_GPU = 209;
    static final int UNSUPPORTED_PTX_VERSION = 222;
    private static final FunctionDescriptor I_I = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor I_P = FunctionDescriptor.of(JAVA_INT, ADDRESS);

    final NativeLibrary lib;
    private final MethodHandle getErrorName, init, driverGetVersion, deviceGetCount, deviceGet, deviceGetName, deviceTotalMem,
            deviceGetAttribute, primaryCtxRetain, primaryCtxRelease, ctxSetCurrent, memAlloc, memFree, memHostAlloc, memFreeHost,
            memcpyHtoDAsync, memcpyDtoHAsync, memsetD32Async, streamCreate, streamSynchronize, streamDestroy, moduleLoadData,
            moduleGetFunction, launchKernel;

    Driver(NativeLibrary lib) {
        this.lib = lib;
        getErrorName = lib.fn("cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        init = lib.fn("cuInit", I_I);
        driverGetVersion = lib.fn("cuDriverGetVersion", I_P);
        deviceGetCount = lib.fn("cuDeviceGetCount", I_P);
        deviceGet = lib.fn("cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        deviceGetName = lib.fn("cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        deviceTotalMem = lib.fn("cuDeviceTotalMem_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        deviceGetAttribute = lib.fn("cuDeviceGetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        primaryCtxRetain = lib.fn("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        primaryCtxRelease = lib.fn("cuDevicePrimaryCtxRelease_v2", I_I);
        ctxSetCurrent = lib.fn("cuCtxSetCurrent", I_P);
        memAlloc = lib.fn("cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        memFree = lib.fn("cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        memHostAlloc = lib.fn("cuMemHostAlloc", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        memFreeHost = lib.fn("cuMemFreeHost", I_P);
        memcpyHtoDAsync = lib.fn("cuMemcpyHtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
        memcpyDtoHAsync = lib.fn("cuMemcpyDtoHAsync_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
        memsetD32Async = lib.fn("cuMemsetD32Async", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS));
        streamCreate = lib.fn("cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        streamSynchronize = lib.fn("cuStreamSynchronize", I_P);
        streamDestroy = lib.fn("cuStreamDestroy_v2", I_P);
        moduleLoadData = lib.fn("cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        moduleGetFunction = lib.fn("cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        launchKernel = lib.fn("cuLaunchKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    }

    static Driver load() {
        NativeLibrary.Search s = NativeLibrary.search("libcuda.so.1");
        return new Driver(s.library().orElseThrow(() -> new CudaException(() -> "no CUDA driver (libcuda.so.1): " + s.error())));
    }

    /** Throws unless status is CUDA_SUCCESS, naming the call and the error. */
    void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(call + " failed: " + errorName(status) + " (" + status + ")", status == OUT_OF_MEMORY);
        }
    }

    String errorName(int status) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            int rc = (int) getErrorName.invokeExact(status, p);
            return rc == 0 ? p.get(ADDRESS, 0).reinterpret(256).getString(0) : "CUresult " + status;
        } catch (Throwable t) {
            return "CUresult " + status;
        }
    }

    int call(MethodHandle h, String name, Object... args) {
        try {
            int rc = (int) h.invokeWithArguments(args);
            check(rc, name);
            return rc;
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new CudaException(name + " could not be called: " + t);
        }
    }

    void init() {
        call(init, "cuInit", 0);
    }

    int version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            call(driverGetVersion, "cuDriverGetVersion", v);
            return v.get(JAVA_INT, 0);
        }
    }

    int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            call(deviceGetCount, "cuDeviceGetCount", v);
            return v.get(JAVA_INT, 0);
        }
    }

    int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            call(deviceGet, "cuDeviceGet", v, ordinal);
            return v.get(JAVA_INT, 0);
        }
    }

    String deviceName(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(256);
            call(deviceGetName, "cuDeviceGetName", s, 256, dev);
            return s.getString(0);
        }
    }

    long totalMem(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            call(deviceTotalMem, "cuDeviceTotalMem_v2", v, dev);
            return v.get(JAVA_LONG, 0);
        }
    }

    int attribute(int attr, int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            call(deviceGetAttribute, "cuDeviceGetAttribute", v, attr, dev);
            return v.get(JAVA_INT, 0);
        }
    }

    /** Retains the device's primary context and makes it current on this thread. */
    MemorySegment usePrimaryContext(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            call(primaryCtxRetain, "cuDevicePrimaryCtxRetain", v, dev);
            MemorySegment ctx = v.get(ADDRESS, 0);
            try {
                call(ctxSetCurrent, "cuCtxSetCurrent", ctx);
            } catch (CudaException e) {
                releasePrimaryContext(dev);
                throw e;
            }
            return ctx;
        }
    }

    void setCurrent(MemorySegment ctx) {
        call(ctxSetCurrent, "cuCtxSetCurrent", ctx);
    }

    void releasePrimaryContext(int dev) {
        call(primaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", dev);
    }

    long malloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            call(memAlloc, "cuMemAlloc_v2", v, Math.max(bytes, 8));
            return v.get(JAVA_LONG, 0);
        }
    }

    void free(long dptr) {
        if (dptr != 0) {
            call(memFree, "cuMemFree_v2", dptr);
        }
    }

    /** Page-locked host memory, so that copies can be asynchronous. */
    MemorySegment hostAlloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            call(memHostAlloc, "cuMemHostAlloc", v, Math.max(bytes, 8), 0);
            return v.get(ADDRESS, 0).reinterpret(Math.max(bytes, 8));
        }
    }

    void freeHost(MemorySegment p) {
        call(memFreeHost, "cuMemFreeHost", p);
    }

    void copyToDevice(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        call(memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", dst, src, bytes, stream);
    }

    void copyToHost(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        call(memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", dst, src, bytes, stream);
    }

    void memsetInts(long dst, int value, long count, MemorySegment stream) {
        call(memsetD32Async, "cuMemsetD32Async", dst, value, count, stream);
    }

    MemorySegment createStream() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            call(streamCreate, "cuStreamCreate", v, 1); // CU_STREAM_NON_BLOCKING
            return v.get(ADDRESS, 0);
        }
    }

    void synchronize(MemorySegment stream) {
        call(streamSynchronize, "cuStreamSynchronize", stream);
    }

    void destroyStream(MemorySegment stream) {
        call(streamDestroy, "cuStreamDestroy_v2", stream);
    }

    /** Loads PTX or a cubin; returns the CUresult so callers can fall back on UNSUPPORTED_PTX_VERSION. */
    int tryLoadModule(MemorySegment image, MemorySegment[] module) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            int rc = (int) moduleLoadData.invokeExact(v, image);
            if (rc == 0) {
                module[0] = v.get(ADDRESS, 0);
            }
            return rc;
        } catch (Throwable t) {
            throw new CudaException("cuModuleLoadData could not be called: " + t);
        }
    }

    MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            call(moduleGetFunction, "cuModuleGetFunction(" + name + ")", v, module, a.allocateFrom(name));
            return v.get(ADDRESS, 0);
        }
    }

    /** cuLaunchKernel's kernelParams: an array of pointers, each to one argument's value (Integer → int, Long → 64-bit). */
    static MemorySegment params(Arena a, Object... values) {
        MemorySegment array = a.allocate(ADDRESS, values.length);
        for (int i = 0; i < values.length; i++) {
            MemorySegment slot = switch (values[i]) {
                case Integer v -> a.allocateFrom(JAVA_INT, v);
                case Long v -> a.allocateFrom(JAVA_LONG, v);
                default -> throw new IllegalArgumentException("kernel argument of type " + values[i].getClass());
            };
            array.setAtIndex(ADDRESS, i, slot);
        }
        return array;
    }

    /** kernelParams is an array of pointers, each to one argument's value. */
    void launch(MemorySegment fn, String name, int gx, int gy, int bx, int sharedBytes, MemorySegment stream, MemorySegment params) {
        call(launchKernel, "cuLaunchKernel(" + name + ")", fn, gx, gy, 1, bx, 1, 1, sharedBytes, stream, params, MemorySegment.NULL);
    }

    void launchGrid(MemorySegment fn, String name, int gx, int gy, int bx, MemorySegment stream, MemorySegment params) {
        launch(fn, name, gx, gy, bx, 0, stream, params);
    }
}
