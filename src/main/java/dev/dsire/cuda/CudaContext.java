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

/**
 * One GPU ready for dsire: driver initialised, the device's primary context, cuBLAS and cuSOLVER
 * handles, and the kernels of kernels/dsire.cu loaded. The kernels come from the PTX that nvcc
 * built (committed); when the driver is too old for that PTX, NVRTC compiles the bundled source
 * for this GPU and the result is cached under ~/.cache/dsire.
 *
 * <p>CUDA contexts are current per thread: every public entry point calls {@link #makeCurrent()}.
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
        int major = driver.attribute(CC_MAJOR, device), minor = driver.attribute(CC_MINOR, device);
        this.blas = new Blas(Blas.find());
        this.solver = new Solver(Solver.find());
        String[] how = new String[1];
        MemorySegment module = loadKernels(major, minor, how);
        this.kernelSource = how[0];
        this.toDouble = driver.function(module, "to_double");
        this.cholesky = driver.function(module, "cholesky_lower");
        this.nnArgmin = driver.function(module, "nn_argmin");
        this.description = String.format("cuda (%s, sm_%d%d, %.0f GiB; kernels from %s)", driver.deviceName(device), major, minor,
                driver.totalMem(device) / (double) (1L << 30), kernelSource);
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

    private MemorySegment loadKernels(int major, int minor, String[] how) {
        byte[] ptx = resource("dsire.ptx");
        MemorySegment[] module = new MemorySegment[1];
        try (Arena a = Arena.ofConfined()) {
            int rc = driver.tryLoadModule(a.allocateFrom(new String(ptx, StandardCharsets.US_ASCII)), module);
            if (rc == 0) {
                how[0] = "nvcc PTX";
                return module[0];
            }
            if (rc != Driver.UNSUPPORTED_PTX_VERSION) {
                driver.check(rc, "cuModuleLoadData(dsire.ptx)");
            }
            byte[] compiled = compiled(major, minor);
            driver.check(driver.tryLoadModule(a.allocateFrom(new String(compiled, StandardCharsets.US_ASCII).trim()), module),
                    "cuModuleLoadData(NVRTC PTX)");
            how[0] = "NVRTC";
            return module[0];
        }
    }

    /** NVRTC's PTX for this GPU, from the cache when the same source was compiled before. */
    private static byte[] compiled(int major, int minor) {
        byte[] source = resource("dsire.cu");
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "dsire",
                "dsire-" + sha256(source).substring(0, 16) + "-sm" + major + minor + ".ptx");
        try {
            if (Files.isRegularFile(cache)) {
                return Files.readAllBytes(cache);
            }
        } catch (IOException e) {
            // unreadable cache: compile again
        }
        Nvrtc nvrtc = new Nvrtc(Nvrtc.find().orElseThrow(() -> new CudaException(
                "the driver cannot load dsire's CUDA 13 PTX and NVRTC (libnvrtc.so.13 or .12) is not there to compile the kernels")));
        byte[] ptx = nvrtc.compile(new String(source, StandardCharsets.UTF_8), "dsire.cu", major, minor);
        try {
            Files.createDirectories(cache.getParent());
            Files.write(cache, ptx);
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

    @Override
    public void close() {
        makeCurrent();
        solver.close();
        blas.close();
        driver.releasePrimaryContext(device);
    }
}
