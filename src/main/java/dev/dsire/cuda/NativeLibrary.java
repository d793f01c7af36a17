package dev.dsire.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A shared library found by soname: first through the dynamic loader's own search (LD_LIBRARY_PATH,
 * ldconfig cache), then in CUDA_HOME and the usual install folders. Loaded for the life of the JVM.
 */
final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();

    final String name;
    private final SymbolLookup lookup;

    private NativeLibrary(String name, SymbolLookup lookup) {
        this.name = name;
        this.lookup = lookup;
    }

    static Optional<NativeLibrary> find(String... sonames) {
        for (String soname : sonames) {
            try {
                return Optional.of(new NativeLibrary(soname, SymbolLookup.libraryLookup(soname, Arena.global())));
            } catch (IllegalArgumentException notOnLoaderPath) {
                for (Path dir : folders()) {
                    Path p = dir.resolve(soname);
                    if (Files.exists(p)) {
                        try {
                            return Optional.of(new NativeLibrary(p.toString(), SymbolLookup.libraryLookup(p, Arena.global())));
                        } catch (IllegalArgumentException unloadable) {
                            // wrong architecture or missing dependency: keep looking
                        }
                    }
                }
            }
        }
        return Optional.empty();
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
        return lookup.find(symbol).map(s -> LINKER.downcallHandle(s, fd))
                .orElseThrow(() -> new CudaException(name + " has no symbol " + symbol));
    }
}
