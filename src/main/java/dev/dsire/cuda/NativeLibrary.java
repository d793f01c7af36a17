package dev.dsire.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A shared library found by soname: first through the dynamic loader's own search (LD_LIBRARY_PATH,
 * ldconfig cache), then in CUDA_HOME and the usual install folders. Loaded for the life of the JVM.
 * When none loads, the loader's own reason (dlerror) is found on demand, so `doctor` can say why: asking
 * it binds dlopen and dlerror through FFM (some 40 ms of a cold start, more than the search itself), which
 * the usual caller, the CPU-only machine's device probe, never needs.
 */
final class NativeLibrary {
    /** The linker, made on first use: a search that loads nothing needs none. */
    private static final class Linking {
        static final Linker LINKER = Linker.nativeLinker();
    }

    private static final int RTLD_LAZY = 1;

    final String name;
    private final SymbolLookup lookup;

    private NativeLibrary(String name, SymbolLookup lookup) {
        this.name = name;
        this.lookup = lookup;
    }

    /** The first of the sonames that loads, or the names that did not, whose reasons {@link #error} asks the loader. */
    static final class Search {
        private final Optional<NativeLibrary> library;
        private final List<String> missing, unloadable;
        private String error;

        private Search(Optional<NativeLibrary> library, List<String> missing, List<String> unloadable) {
            this.library = library;
            this.missing = missing;
            this.unloadable = unloadable;
        }

        /** No library, for this reason. */
        static Search none(String reason) {
            Search s = new Search(Optional.empty(), List.of(), List.of());
            s.error = reason;
            return s;
        }

        Optional<NativeLibrary> library() {
            return library;
        }

        /** The loader's reasons why none loaded (null when one did). */
        synchronized String error() {
            if (library.isPresent()) {
                return null;
            }
            if (error == null) {
                // a file that exists but does not load says more than "no such file" for every soname
                Set<String> why = new LinkedHashSet<>();
                for (String n : unloadable.isEmpty() ? missing : unloadable) {
                    why.add(dlerror(n));
                }
                error = why.isEmpty() ? "not found" : String.join("; ", why);
            }
            return error;
        }
    }

    static Optional<NativeLibrary> find(String... sonames) {
        return search(sonames).library();
    }

    static Search search(String... sonames) {
        List<String> unloadable = new ArrayList<>(), missing = new ArrayList<>();
        for (String soname : sonames) {
            try {
                return new Search(Optional.of(new NativeLibrary(soname, SymbolLookup.libraryLookup(soname, Arena.global()))), List.of(), List.of());
            } catch (IllegalArgumentException notOnLoaderPath) {
                missing.add(soname);
                for (Path dir : folders()) {
                    Path p = dir.resolve(soname);
                    if (Files.exists(p)) {
                        try {
                            return new Search(Optional.of(new NativeLibrary(p.toString(), SymbolLookup.libraryLookup(p, Arena.global()))), List.of(), List.of());
                        } catch (IllegalArgumentException e) {
                            unloadable.add(p.toString()); // wrong architecture or a missing dependency: the useful reason
                        }
                    }
                }
            }
        }
        return new Search(Optional.empty(), missing, unloadable);
    }

    /** What dlopen says about this name: the JDK's loader keeps only "cannot open library". */
    static String dlerror(String name) {
        try {
            MethodHandle open = libc("dlopen", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
            MethodHandle error = libc("dlerror", FunctionDescriptor.of(ADDRESS));
            MethodHandle close = libc("dlclose", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment h = (MemorySegment) open.invokeExact(a.allocateFrom(name), RTLD_LAZY);
                if (!h.equals(MemorySegment.NULL)) {
                    int ignored = (int) close.invokeExact(h);
                    return name + ": dlopen succeeds but the JVM could not load it";
                }
                MemorySegment e = (MemorySegment) error.invokeExact();
                return e.equals(MemorySegment.NULL) ? name + ": cannot be loaded" : e.reinterpret(4096).getString(0);
            }
        } catch (Throwable t) {
            return name + ": cannot be loaded";
        }
    }

    private static MethodHandle libc(String symbol, FunctionDescriptor fd) {
        return Linking.LINKER.downcallHandle(Linking.LINKER.defaultLookup().find(symbol).orElseThrow(), fd);
    }

    private static List<Path> folders() {
        List<Path> out = new ArrayList<>();
        for (String env : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = System.getenv(env);
            if (v != null && !v.isBlank()) {
                out.add(Path.of(v, "lib64"));
                out.add(Path.of(v, "lib"));
                out.add(Path.of(v, "targets", "x86_64-linux", "lib"));
            }
        }
        for (String d : List.of("/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu",
                "/usr/lib64", "/usr/local/nvidia/lib64", "/usr/lib/wsl/lib")) {
            out.add(Path.of(d));
        }
        return out;
    }

    /** A downcall to a symbol the library must have. */
    MethodHandle fn(String symbol, FunctionDescriptor fd) {
        return lookup.find(symbol).map(s -> Linking.LINKER.downcallHandle(s, fd))
                .orElseThrow(() -> new CudaException(name + " has no symbol " + symbol));
    }

    /** A downcall to a symbol the library may lack. */
    Optional<MethodHandle> optional(String symbol, FunctionDescriptor fd) {
        return lookup.find(symbol).map(s -> Linking.LINKER.downcallHandle(s, fd));
    }
}
