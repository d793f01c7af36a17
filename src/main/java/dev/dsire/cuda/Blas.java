package dev.dsire.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * cuBLAS (libcublas.so.13 or .12): the library's entry points. Work goes through a {@link Handle},
 * one per stream: a cuBLAS handle owns a workspace, so two streams sharing one would race on it.
 */
final class Blas {
    static final int OP_N = 0;
    static final int OP_T = 1;
    static final String[] SONAMES = {"libcublas.so.13", "libcublas.so.12"};

    final NativeLibrary lib;
    private final MethodHandle create, destroy, setStream, getProperty, dgemmStridedBatched;

    Blas(NativeLibrary lib) {
        this.lib = lib;
        create = lib.fn("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = lib.fn("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setStream = lib.fn("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getProperty = lib.fn("cublasGetProperty", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        dgemmStridedBatched = lib.fn("cublasDgemmStridedBatched", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS,
                JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    }

    static Blas load() {
        NativeLibrary.Search s = NativeLibrary.search(SONAMES);
        return new Blas(s.library().orElseThrow(() -> new CudaException("cuBLAS not found (libcublas.so.13 or .12): " + s.error())));
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
            throw new CudaException(call + " failed: cublasStatus_t " + status + (status == 3 ? " (CUBLAS_STATUS_ALLOC_FAILED)" : ""), status == 3);
        }
    }

    /** major.minor.patch, read without a handle (so without a context). */
    String version() {
        try (Arena a = Arena.ofConfined()) {
            int[] v = new int[3];
            for (int i = 0; i < 3; i++) {
                MemorySegment p = a.allocate(JAVA_INT);
                check(invoke(getProperty, i, p), "cublasGetProperty");
                v[i] = p.get(JAVA_INT, 0);
            }
            return v[0] + "." + v[1] + "." + v[2];
        }
    }

    /** A new handle whose work all goes to `stream`. */
    Handle open(MemorySegment stream) {
        return new Handle(stream);
    }

    final class Handle implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment one = arena.allocateFrom(JAVA_DOUBLE, 1.0);
        private final MemorySegment zero = arena.allocateFrom(JAVA_DOUBLE, 0.0);
        private final MemorySegment handle;

        private Handle(MemorySegment stream) {
            MemorySegment h = arena.allocate(ADDRESS);
            try {
                check(invoke(create, h), "cublasCreate_v2");
            } catch (CudaException e) {
                arena.close();
                throw e;
            }
            handle = h.get(ADDRESS, 0);
            try {
                check(invoke(setStream, handle, stream), "cublasSetStream_v2");
            } catch (CudaException e) {
                close();
                throw e;
            }
        }

        /** C_i = op(A_i)·op(B_i) for i < batch; column-major, device pointers, α = 1, β = 0. */
        void gemmStridedBatched(int transA, int transB, int m, int n, int k, long a, int lda, long strideA, long b, int ldb,
                                long strideB, long c, int ldc, long strideC, int batch) {
            check(invoke(dgemmStridedBatched, handle, transA, transB, m, n, k, one, a, lda, strideA, b, ldb, strideB, zero, c, ldc,
                    strideC, batch), "cublasDgemmStridedBatched");
        }

        @Override
        public void close() {
            try {
                invoke(destroy, handle);
            } finally {
                arena.close();
            }
        }
    }
}
