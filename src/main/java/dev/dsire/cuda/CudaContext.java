package dev.dsire.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * One GPU ready for dsire: driver initialised, the device's primary context, the cuBLAS and
 * cuSOLVER libraries bound, and the kernels of kernels/dsire.cu loaded. Handles, streams and
 * workspaces belong to the users of the context (one per pipeline slot), not to it.
 *
 * <p>The kernels come, in this order, from the committed fatbin (SASS for sm_80 and sm_90 plus
 * compute_90 PTX, built by nvcc 13), the committed compute_75 PTX, and last NVRTC compiling the
 * bundled source for this GPU with the NVRTC of the driver's CUDA major, cached under ~/.cache/dsire.
 * A CUDA 12 driver reads neither CUDA 13 image, so it takes the NVRTC route.
 *
 * <p>CUDA contexts are current per thread: every public entry point calls {@link #makeCurrent()}.
 * If opening fails halfway, what was acquired is released before the exception leaves.
 */
public final class CudaContext implements AutoCloseable {
    static final int CC_MAJOR = 75;
    static final int CC_MINOR = 76;

    final Driver driver;
    final int device;
    final Blas blas;
    final Solver solver;
    final MemorySegment toDouble;
    final MemorySegment cholesky;
    final MemorySegment nnArgmin;
    private final MemorySegment context;
    private final String description;
    private final String kernelSource;

    private CudaContext(Driver driver, int device) {
        this.driver = driver;
        this.device = device;
        this.context = driver.usePrimaryContext(device);
        try {
            int major = driver.attribute(CC_MAJOR, device), minor = driver.attribute(CC_MINOR, device);
            this.blas = Blas.load();
            this.solver = Solver.load();
            String[] how = new String[1];
            MemorySegment module = loadKernels(major, minor, how);
            this.kernelSource = how[0];
            this.toDouble = driver.function(module, "to_double");
            this.cholesky = driver.function(module, "cholesky_lower");
            this.nnArgmin = driver.function(module, "nn_argmin");
            this.description = String.format("cuda (%s, sm_%d%d, %.0f GiB; kernels from %s)", driver.deviceName(device), major, minor,
                    driver.totalMem(device) / (double) (1L << 30), kernelSource);
        } catch (RuntimeException e) {
            try {
                driver.releasePrimaryContext(device); // the modules go with it
            } catch (CudaException ignored) {
                // the first failure is the one worth reporting
            }
            throw e;
        }
    }

    /** The device nodes through which the CUDA driver reaches a GPU: NVIDIA's on Linux, /dev/dxg under WSL 2. */
    static final List<String> DEVICE_NODES = List.of("/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg");

    /**
     * Throws where no GPU can be reached because none of {@link #DEVICE_NODES} exists: `--device auto` asks this
     * first, as binding the driver through FFM to learn the same costs a fresh process ~25 ms of CPU.
     */
    public static void requireDeviceNode() {
        for (String node : DEVICE_NODES) {
            if (Files.exists(Path.of(node))) {
                return;
            }
        }
        throw new CudaException("no GPU device node (" + String.join(", ", DEVICE_NODES) + ")");
    }

    /** The first GPU (or DSIRE_CUDA_DEVICE), or a CudaException saying why there is none. */
    public static CudaContext open() {
        Driver d = Driver.load();
        d.init();
        int n = d.deviceCount();
        if (n == 0) {
            throw new CudaException("the CUDA driver sees no GPU");
        }
        int ordinal = Integer.parseInt(System.getenv().getOrDefault("DSIRE_CUDA_DEVICE", "0"));
        if (ordinal < 0 || ordinal >= n) {
            throw new CudaException("DSIRE_CUDA_DEVICE=" + ordinal + " but there are " + n + " GPUs");
        }
        return new CudaContext(d, d.device(ordinal));
    }

    public String describe() {
        return description;
    }

    void makeCurrent() {
        driver.setCurrent(context);
    }

    /** Whether the driver will not read this image, so that the next route is worth trying. */
    private static boolean unreadable(int rc) {
        return rc == Driver.UNSUPPORTED_PTX_VERSION || rc == Driver.NO_BINARY_FOR_GPU || rc == Driver.INVALID_IMAGE || rc == 218 /* INVALID_PTX */;
    }

    private MemorySegment loadKernels(int major, int minor, String[] how) {
        MemorySegment[] module = new MemorySegment[1];
        try (Arena a = Arena.ofConfined()) {
            byte[] fatbin = resource("dsire.fatbin");
            int rc = driver.tryLoadModule(a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, fatbin), module);
            if (rc == 0) {
                how[0] = "fatbin";
                return module[0];
            }
            if (!unreadable(rc)) {
                driver.check(rc, "cuModuleLoadData(dsire.fatbin)");
            }
            rc = driver.tryLoadModule(a.allocateFrom(new String(resource("dsire.ptx"), StandardCharsets.US_ASCII)), module);
            if (rc == 0) {
                how[0] = "nvcc PTX";
                return module[0];
            }
            if (!unreadable(rc)) {
                driver.check(rc, "cuModuleLoadData(dsire.ptx)");
            }
            int driverVersion = driver.version();
            NativeLibrary.Search found = Nvrtc.find(driverVersion);
            Nvrtc nvrtc = new Nvrtc(found.library().orElseThrow(() -> new CudaException("the CUDA " + driverVersion / 1000 + "."
                    + driverVersion % 1000 / 10 + " driver cannot load dsire's CUDA 13 kernels and no NVRTC to compile them: " + found.error())));
            String version = nvrtc.version();
            byte[] compiled = compiled(nvrtc, version, major, minor);
            driver.check(driver.tryLoadModule(a.allocateFrom(new String(compiled, StandardCharsets.US_ASCII).trim()), module),
                    "cuModuleLoadData(NVRTC " + version + " PTX)");
            how[0] = "NVRTC " + version;
            return module[0];
        }
    }

    /** The cache file of NVRTC's PTX: the source, the NVRTC version and the GPU decide what it holds. */
    static Path cacheFile(Path home, byte[] source, String nvrtcVersion, int major, int minor) {
        return home.resolve(".cache").resolve("dsire")
                .resolve("dsire-" + sha256(source).substring(0, 16) + "-nvrtc" + nvrtcVersion + "-sm" + major + minor + ".ptx");
    }

    /** NVRTC's PTX for this GPU, from the cache when the same source was compiled before by the same NVRTC. */
    private static byte[] compiled(Nvrtc nvrtc, String version, int major, int minor) {
        byte[] source = resource("dsire.cu");
        Path cache = cacheFile(Path.of(System.getProperty("user.home")), source, version, major, minor);
        try {
            if (Files.isRegularFile(cache)) {
                return Files.readAllBytes(cache);
            }
        } catch (IOException e) {
            // unreadable cache: compile again
        }
        byte[] ptx = nvrtc.compile(new String(source, StandardCharsets.UTF_8), "dsire.cu", major, minor);
        try {
            Files.createDirectories(cache.getParent());
            Path tmp = Files.createTempFile(cache.getParent(), "dsire", ".tmp");
            Files.write(tmp, ptx);
            Files.move(tmp, cache, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // no cache this time
        }
        return ptx;
    }

    static byte[] resource(String name) {
        try (InputStream in = CudaContext.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new CudaException("kernel resource " + name + " missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CudaException("cannot read kernel resource " + name + ": " + e.getMessage());
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Releases the primary context (and with it the modules), even when the context can no longer be made current. */
    @Override
    public void close() {
        try {
            makeCurrent();
        } catch (CudaException e) {
            // a broken context is still released below
        }
        driver.releasePrimaryContext(device);
    }
}
