package dev.dsire.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** cuBLAS (libcublas.so.13 or .12): a handle bound to a stream and strided batched DGEMM. */
final class Blas implements AutoCloseable {
    static final int OP_N = 0;
    static final int OP_T = 1;

    final NativeLibrary lib;
    private final MethodHandle create, destroy, setStream, getVersion, dgemmStridedBatched;
    private final MemorySegment handle;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment one = arena.allocateFrom(JAVA_DOUBLE, 1.0);
    private final MemorySegment zero = arena.allocateFrom(JAVA_DOUBLE, 0.0);

    Blas(NativeLibrary lib) {
        this.lib = lib;
        create = lib.fn("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = lib.fn("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setStream = lib.fn("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getVersion = lib.fn("cublasGetVersion_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        dgemmStridedBatched = lib.fn("cublasDgemmStridedBatched", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS,
                JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
        MemorySegment h = arena.allocate(ADDRESS);
        check(invoke(create, h), "cublasCreate_v2");
        handle = h.get(ADDRESS, 0);
    }

    static NativeLibrary find() {
        return NativeLibrary.find("libcublas.so.13", "libcublas.so.12", "libcublas.so")
                .orElseThrow(() -> new CudaException("cuBLAS not found (libcublas.so.13 or .12)"));
    }

    private static int invoke(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new CudaException("cuBLAS call failed: " + t);
        }
    }

    private static void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(call + " failed: cublasStatus_t " + status);
        }
    }

    int version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(invoke(getVersion, handle, v), "cublasGetVersion_v2");
            return v.get(JAVA_INT, 0);
        }
    }

    void stream(MemorySegment stream) {
        check(invoke(setStream, handle, stream), "cublasSetStream_v2");
    }

    /** C_i = op(A_i)·op(B_i) for i < batch; column-major, device pointers, α = 1, β = 0. */
    void gemmStridedBatched(int transA, int transB, int m, int n, int k, long a, int lda, long strideA, long b, int ldb,
                            long strideB, long c, int ldc, long strideC, int batch) {
        check(invoke(dgemmStridedBatched, handle, transA, transB, m, n, k, one, a, lda, strideA, b, ldb, strideB, zero, c, ldc,
                strideC, batch), "cublasDgemmStridedBatched");
    }

    @Override
    public void close() {
        invoke(destroy, handle);
        arena.close();
    }
}
