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
 * cuSOLVER dense (libcusolver.so.12 or .11): batched Jacobi SVD (gesvdjBatched) of up to 32×32
 * matrices, singular values only, sorted descending. Work goes through a {@link Handle}, one per
 * stream, as a cuSOLVER handle and its gesvdjInfo are not safe to share between streams.
 */
final class Solver {
    /** gesvdjBatched's hard limit on m and n. */
    static final int MAX_BATCHED = 32;
    static final String[] SONAMES = {"libcusolver.so.12", "libcusolver.so.11"};
    private static final int EIG_MODE_NOVECTOR = 0;

    final NativeLibrary lib;
    private final MethodHandle create, destroy, setStream, createInfo, destroyInfo, setTolerance, setMaxSweeps, bufferSize,
            gesvdjBatched, getVersion;

    Solver(NativeLibrary lib) {
        this.lib = lib;
        create = lib.fn("cusolverDnCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        getVersion = lib.fn("cusolverGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = lib.fn("cusolverDnDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setStream = lib.fn("cusolverDnSetStream", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        createInfo = lib.fn("cusolverDnCreateGesvdjInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroyInfo = lib.fn("cusolverDnDestroyGesvdjInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setTolerance = lib.fn("cusolverDnXgesvdjSetTolerance", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_DOUBLE));
        setMaxSweeps = lib.fn("cusolverDnXgesvdjSetMaxSweeps", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        FunctionDescriptor common = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT,
                JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        bufferSize = lib.fn("cusolverDnDgesvdjBatched_bufferSize", common);
        gesvdjBatched = lib.fn("cusolverDnDgesvdjBatched", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT));
    }

    static Solver load() {
        NativeLibrary.Search s = NativeLibrary.search(SONAMES);
        return new Solver(s.library().orElseThrow(() -> new CudaException("cuSOLVER not found (libcusolver.so.12 or .11): " + s.error())));
    }

    private static int invoke(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new CudaException("cuSOLVER call failed: " + t);
        }
    }

    private static void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(call + " failed: cusolverStatus_t " + status + (status == 2 ? " (CUSOLVER_STATUS_ALLOC_FAILED)" : ""), status == 2);
        }
    }

    int version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(invoke(getVersion, v), "cusolverGetVersion");
            return v.get(JAVA_INT, 0);
        }
    }

    /** A new handle and gesvdjInfo whose work all goes to `stream`. */
    Handle open(MemorySegment stream) {
        return new Handle(stream);
    }

    final class Handle implements AutoCloseable {
        private final MemorySegment handle;
        private MemorySegment info = MemorySegment.NULL;

        private Handle(MemorySegment stream) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment h = a.allocate(ADDRESS);
                check(invoke(create, h), "cusolverDnCreate");
                handle = h.get(ADDRESS, 0);
                try {
                    MemorySegment p = a.allocate(ADDRESS);
                    check(invoke(createInfo, p), "cusolverDnCreateGesvdjInfo");
                    info = p.get(ADDRESS, 0);
                    check(invoke(setTolerance, info, 1e-15), "cusolverDnXgesvdjSetTolerance"); // double-precision convergence
                    check(invoke(setMaxSweeps, info, 100), "cusolverDnXgesvdjSetMaxSweeps");
                    check(invoke(setStream, handle, stream), "cusolverDnSetStream");
                } catch (CudaException e) {
                    close();
                    throw e;
                }
            }
        }

        /** Workspace (in doubles) for a batch of n×n matrices. */
        int workspace(int n, long a, long s, long u, long v, int batch) {
            try (Arena ar = Arena.ofConfined()) {
                MemorySegment lwork = ar.allocate(JAVA_INT);
                check(invoke(bufferSize, handle, EIG_MODE_NOVECTOR, n, n, a, n, s, u, n, v, n, lwork, info, batch),
                        "cusolverDnDgesvdjBatched_bufferSize");
                return lwork.get(JAVA_INT, 0);
            }
        }

        /** Singular values of batch packed column-major n×n matrices at a (overwritten) into s (n per matrix). */
        void singularValues(int n, long a, long s, long u, long v, long work, int lwork, long devInfo, int batch) {
            check(invoke(gesvdjBatched, handle, EIG_MODE_NOVECTOR, n, n, a, n, s, u, n, v, n, work, lwork, devInfo, info, batch),
                    "cusolverDnDgesvdjBatched");
        }

        @Override
        public void close() {
            try {
                if (!info.equals(MemorySegment.NULL)) {
                    invoke(destroyInfo, info);
                }
            } finally {
                invoke(destroy, handle);
            }
        }
    }
}
