package dev.dsire.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * NVRTC (libnvrtc.so.13 or .12): compiles CUDA C++ source to PTX at run time. Its PTX can be no
 * newer than the driver reads, so the NVRTC picked is the driver's CUDA major, else an older one.
 */
final class Nvrtc {
    final NativeLibrary lib;
    private final MethodHandle version, createProgram, compileProgram, getPtxSize, getPtx, getLogSize, getLog, destroyProgram;

    Nvrtc(NativeLibrary lib) {
        this.lib = lib;
        version = lib.fn("nvrtcVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        createProgram = lib.fn("nvrtcCreateProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        compileProgram = lib.fn("nvrtcCompileProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        getPtxSize = lib.fn("nvrtcGetPTXSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getPtx = lib.fn("nvrtcGetPTX", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getLogSize = lib.fn("nvrtcGetProgramLogSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getLog = lib.fn("nvrtcGetProgramLog", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        destroyProgram = lib.fn("nvrtcDestroyProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** The NVRTC sonames to try for a driver of this version (cuDriverGetVersion: 12080 = 12.8), newest first. */
    static List<String> sonames(int driverVersion) {
        List<String> out = new java.util.ArrayList<>();
        for (int major = Math.min(driverVersion / 1000, 13); major >= 12; major--) {
            out.add("libnvrtc.so." + major);
        }
        return out;
    }

    /** An NVRTC whose PTX this driver can load, or why there is none. */
    static NativeLibrary.Search find(int driverVersion) {
        List<String> names = sonames(driverVersion);
        if (names.isEmpty()) {
            return NativeLibrary.Search.none("no NVRTC for a CUDA " + driverVersion / 1000 + " driver");
        }
        return NativeLibrary.search(names.toArray(String[]::new));
    }

    private static int invoke(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new CudaException("NVRTC call failed: " + t);
        }
    }

    private static void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(call + " failed: nvrtcResult " + status);
        }
    }

    String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(JAVA_INT), minor = a.allocate(JAVA_INT);
            check(invoke(version, major, minor), "nvrtcVersion");
            return major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0);
        }
    }

    /** PTX (NUL-terminated) for the source, compiled for compute capability major.minor. */
    byte[] compile(String source, String name, int major, int minor) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment progPtr = a.allocate(ADDRESS);
            check(invoke(createProgram, progPtr, a.allocateFrom(source), a.allocateFrom(name), 0, MemorySegment.NULL, MemorySegment.NULL),
                    "nvrtcCreateProgram");
            MemorySegment prog = progPtr.get(ADDRESS, 0);
            try {
                List<String> opts = List.of("--gpu-architecture=compute_" + major + minor);
                MemorySegment optv = a.allocate(ADDRESS, opts.size());
                for (int i = 0; i < opts.size(); i++) {
                    optv.setAtIndex(ADDRESS, i, a.allocateFrom(opts.get(i)));
                }
                int rc = invoke(compileProgram, prog, opts.size(), optv);
                if (rc != 0) {
                    throw new CudaException("nvrtcCompileProgram failed (" + rc + "): " + log(a, prog).lines().findFirst().orElse(""));
                }
                MemorySegment size = a.allocate(JAVA_LONG);
                check(invoke(getPtxSize, prog, size), "nvrtcGetPTXSize");
                MemorySegment ptx = a.allocate(size.get(JAVA_LONG, 0));
                check(invoke(getPtx, prog, ptx), "nvrtcGetPTX");
                return ptx.toArray(JAVA_BYTE);
            } finally {
                invoke(destroyProgram, progPtr);
            }
        }
    }

    private String log(Arena a, MemorySegment prog) {
        MemorySegment size = a.allocate(JAVA_LONG);
        if (invoke(getLogSize, prog, size) != 0) {
            return "";
        }
        MemorySegment log = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
        return invoke(getLog, prog, log) == 0 ? log.getString(0) : "";
    }
}
