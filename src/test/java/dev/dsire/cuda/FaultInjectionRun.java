package dev.dsire.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.model.NeighbourSearch;
import dev.dsire.safetensors.DType;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.SpectrumBackend;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.BaseModels;
import dev.dsire.synth.ModuleSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs in a child JVM with native/fake-cuda first on the loader path (see FaultInjectionTest).
 *
 * <p>{@code inject}: the CUDA host path — open a context, two spectra batches and a 1-NN search, each
 * on its own thread (contexts are per thread), close — once with no failure to count the allocation
 * points, then again with the Nth allocation failing, for every N, once failing only that one and
 * once failing it and every later one. Each run must end with results equal to the CPU's (GPU
 * results within the tolerance, CPU fallbacks exactly) or a one-line CudaException, with one-line
 * notices, nothing left allocated and no misuse the stand-in saw. Prints "ok runs=R" or the failures.
 *
 * <p>{@code ties}: 1-NN on near-ties that the summation order decides, and an all-NaN query
 * ({@link CudaParity#ties(NeighbourSearch, DsireModel)}); the CUDA search must equal the CPU's. Prints "ok ...".
 */
public final class FaultInjectionRun {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup FAKE = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
    private static final MethodHandle FAIL_AT = fake("fakecuda_fail_at", FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_INT));
    private static final MethodHandle ALLOCATIONS = fake("fakecuda_allocations", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle LIVE = fake("fakecuda_live", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle VIOLATIONS = fake("fakecuda_violations", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle LAST_VIOLATION = fake("fakecuda_last_violation", FunctionDescriptor.of(ADDRESS));

    private static MethodHandle fake(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(FAKE.find(name).orElseThrow(() -> new IllegalStateException("not the stand-in: no " + name)), fd);
    }

    private static long call(MethodHandle h) {
        try {
            return (long) h.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void failAt(long n, boolean sticky) {
        try {
            FAIL_AT.invokeExact(n, sticky ? 1 : 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static String lastViolation() {
        try {
            return ((MemorySegment) LAST_VIOLATION.invokeExact()).reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory(Path.of(args[1]), "fi");
        List<String> failures = switch (args[0]) {
            case "inject" -> inject(dir);
            case "ties" -> ties();
            default -> throw new IllegalArgumentException(args[0]);
        };
        if (!failures.isEmpty()) {
            failures.stream().limit(Long.getLong("show", 20)).forEach(System.out::println);
            System.out.println("FAILED " + failures.size());
            System.exit(1);
        }
    }

    // ---- inject ----

    private record Workload(List<LoraAdapter> batch1, List<LoraAdapter> batch2, List<AdapterSpectra> cpu1, List<AdapterSpectra> cpu2,
                            DsireModel model, List<List<double[]>> queries, int[][] cpuNearest) {}

    private static Workload workload(Path dir) throws java.io.IOException {
        // shapes of several sizes (buffers grow), two dtypes and a rank above 32 (the CPU route): several chunks per batch, both slots
        List<ModuleSpec> sd = BaseModels.sd15();
        List<ModuleSpec> small = sd.subList(0, 6), wide = sd.subList(sd.size() - 6, sd.size());
        List<LoraAdapter> all = new ArrayList<>();
        int seed = 1;
        for (Object[] spec : new Object[][] {{small, 4, DType.F16}, {wide, 8, DType.F32}, {small, 40, DType.BF16}, {wide, 4, DType.F16},
                {sd.subList(10, 20), 16, DType.F32}, {small, 8, DType.F64}}) {
            @SuppressWarnings("unchecked")
            List<ModuleSpec> m = (List<ModuleSpec>) spec[0];
            int rank = (int) spec[1];
            all.add(LoraReader.open(AdapterWriter.write(dir.resolve("a" + seed + ".safetensors"), AdapterWriter.Naming.KOHYA, m, rank,
                    rank / 2.0, (DType) spec[2], AdapterWriter.random(m, rank, seed++), Map.of())));
        }
        List<LoraAdapter> b1 = all.subList(0, 3), b2 = all.subList(3, 6);
        // a homogeneous set for the 1-NN: fit on half, query all
        List<LoraAdapter> zoo = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            zoo.add(LoraReader.open(AdapterWriter.write(dir.resolve("z" + i + ".safetensors"), AdapterWriter.Naming.KOHYA, small, 4, 4,
                    DType.F16, AdapterWriter.random(small, 4, 100 + i), Map.of())));
        }
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            List<AdapterSpectra> z = spectra(cpu.compute(zoo));
            List<Labelled> train = new ArrayList<>();
            for (int i = 0; i < z.size(); i += 2) {
                train.add(new Labelled(zoo.get(i).path(), z.get(i), 1 + i));
            }
            DsireModel model = DsireModel.fit(Method.DSIRE, train);
            List<List<double[]>> queries = new ArrayList<>();
            for (int i = 0; i < z.size(); i++) {
                queries.add(model.features(zoo.get(i).path(), z.get(i)));
            }
            return new Workload(b1, b2, spectra(cpu.compute(b1)), spectra(cpu.compute(b2)), model, queries,
                    NeighbourSearch.CPU.nearest(model, queries));
        }
    }

    private static List<AdapterSpectra> spectra(List<Computed> computed) {
        List<AdapterSpectra> out = new ArrayList<>();
        for (Computed c : computed) {
            if (!c.ok()) {
                throw c.error();
            }
            out.add(c.spectra());
        }
        return out;
    }

    /** Runs on a fresh thread, as a scan's workers do: the context must be made current there. */
    private static <T> T onThread(Supplier<T> work) throws InterruptedException {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<RuntimeException> thrown = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                result.set(work.get());
            } catch (RuntimeException e) {
                thrown.set(e);
            }
        });
        t.join();
        if (thrown.get() != null) {
            throw thrown.get();
        }
        return result.get();
    }

    private static String compare(String what, List<AdapterSpectra> expected, List<Computed> got) {
        for (int i = 0; i < expected.size(); i++) {
            if (!got.get(i).ok()) {
                return what + " adapter " + i + " failed: " + got.get(i).error().getMessage();
            }
            double d = CudaParity.deviation(expected.get(i), got.get(i).spectra());
            if (!(d <= SpectrumBackend.TOLERANCE)) {
                return what + " adapter " + i + " off by " + d;
            }
        }
        return null;
    }

    /** A step's result, or null after a one-line CudaException (the caller, like a scan, goes on). */
    private static <T> T step(Supplier<T> work, List<String> problems) throws InterruptedException {
        try {
            return onThread(work);
        } catch (CudaException e) {
            if (e.getMessage() == null || e.getMessage().contains("\n")) {
                problems.add("error is not one line: " + e.getMessage());
            }
            return null;
        }
    }

    /** One run of the workload; null when it ended well, else what went wrong. Notices said go into `notices`. */
    private static String once(Workload w, List<String> notices) throws InterruptedException {
        List<String> problems = new ArrayList<>();
        try (CudaContext cuda = CudaContext.open()) {
            try (CudaSpectrumBackend gpu = new CudaSpectrumBackend(cuda, 1, notices::add);
                 CudaNeighbourSearch search = new CudaNeighbourSearch(cuda, notices::add)) {
                List<Computed> r1 = step(() -> gpu.compute(w.batch1()), problems);
                List<Computed> r2 = step(() -> gpu.compute(w.batch2()), problems); // must not see anything of batch 1
                int[][] nn = step(() -> search.nearest(w.model(), w.queries()), problems);
                String p1 = r1 == null ? null : compare("batch 1", w.cpu1(), r1), p2 = r2 == null ? null : compare("batch 2", w.cpu2(), r2);
                for (String p : new String[] {p1, p2}) {
                    if (p != null) {
                        problems.add(p);
                    }
                }
                if (nn != null && !Arrays.deepEquals(nn, w.cpuNearest())) {
                    problems.add("1-NN differs from the CPU: " + Arrays.deepToString(nn));
                }
            }
        } catch (CudaException e) {
            if (e.getMessage() == null || e.getMessage().contains("\n")) {
                problems.add("error is not one line: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            problems.add("not a CudaException: " + e);
        }
        for (String n : notices) {
            if (n.contains("\n") || !n.startsWith("dsire: ")) {
                problems.add("notice is not one line: " + n);
            }
        }
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    private static List<String> inject(Path dir) throws InterruptedException, java.io.IOException {
        Workload w = workload(dir);
        List<String> failures = new ArrayList<>();
        failAt(0, false);
        List<String> notices = new ArrayList<>();
        String clean = once(w, notices);
        long points = call(ALLOCATIONS);
        if (clean != null || !notices.isEmpty() || points < 20 || call(LIVE) != 0 || call(VIOLATIONS) != 0) {
            failures.add("without failures: " + clean + ", " + points + " allocations, notices " + notices + ", live " + call(LIVE)
                    + ", violations " + call(VIOLATIONS) + " (" + lastViolation() + ")");
            return failures; // the GPU route must work before its failures mean anything
        }
        int runs = 1;
        for (boolean sticky : new boolean[] {false, true}) {
            for (long n = 1; n <= points; n++) {
                failAt(n, sticky);
                notices.clear();
                String problem = once(w, notices);
                runs++;
                long live = call(LIVE), violations = call(VIOLATIONS);
                String at = "allocation " + n + "/" + points + (sticky ? " and later" : "") + ": ";
                if (problem != null) {
                    failures.add(at + problem);
                }
                if (live != 0) {
                    failures.add(at + live + " allocations live after close");
                }
                if (violations != 0) {
                    failures.add(at + violations + " violations, last: " + lastViolation());
                }
                if (live != 0 || violations != 0) {
                    break; // the counts are cumulative: later runs would only repeat this
                }
            }
        }
        if (failures.isEmpty()) {
            System.out.println("ok runs=" + runs + " allocation points=" + points);
        }
        return failures;
    }

    // ---- ties ----

    private static List<String> ties() {
        try (CudaContext cuda = CudaContext.open()) {
            List<String> failures = new ArrayList<>();
            CudaParity.Check c;
            try (CudaNeighbourSearch gpu = new CudaNeighbourSearch(cuda, failures::add)) {
                c = CudaParity.ties(gpu, tinyModel());
            }
            if (!c.ok()) {
                failures.add(c.line());
            }
            if (failures.isEmpty()) {
                System.out.println("ok " + c.line());
            }
            return failures;
        }
    }

    /** Any fitted model: only its method and layout are borrowed. */
    private static DsireModel tinyModel() {
        try {
            Path d = Files.createTempDirectory("tiny");
            List<ModuleSpec> m = BaseModels.sd15().subList(0, 1);
            LoraAdapter a = LoraReader.open(AdapterWriter.write(d.resolve("t.safetensors"), AdapterWriter.Naming.KOHYA, m, 2, 2, DType.F32,
                    AdapterWriter.random(m, 2, 1), Map.of()));
            try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
                return DsireModel.fit(Method.DSIRE, List.of(new Labelled(a.path(), spectra(cpu.compute(List.of(a))).getFirst(), 1)));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
