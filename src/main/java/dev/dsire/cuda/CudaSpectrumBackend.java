package dev.dsire.cuda;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.dsire.InputException;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraException;
import dev.dsire.lora.LoraLayer;
import dev.dsire.safetensors.DType;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.SpectrumBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Spectra on an NVIDIA GPU, in double precision, the same math as the CPU backend:
 * layers are grouped by shape; per group the raw weights go through a pinned buffer to the GPU
 * (two slots, so the host fills one while the GPU works on the other), a kernel decodes
 * F16/BF16/F32/F64 to double, cuBLAS forms the Gram matrices A·Aᵀ and Bᵀ·B, a kernel takes their
 * Cholesky factors, cuBLAS the cores L_Bᵀ·L_A, and one cuSOLVER gesvdjBatched call returns σ of
 * L_A, L_B and the cores. Layers the Gram route cannot take exactly (σ_min/σ_max below the CPU's
 * limit, a zero factor, rank > 32, or no convergence) are computed by the CPU backend, so results
 * always agree within {@link SpectrumBackend#TOLERANCE}.
 *
 * <p>Each slot has its own stream, cuBLAS handle, cuSOLVER handle and workspace, so the two slots
 * never race. When the GPU fails mid-batch (out of memory, say), every slot is drained and freed,
 * the batch is computed again on the CPU — results equal a pure CPU run — and one line says so;
 * after an out-of-memory the next batch tries the GPU again (three in a row, and it stops trying),
 * after any other CUDA error the rest of the run stays on the CPU.
 */
public final class CudaSpectrumBackend implements SpectrumBackend {
    /** Decoded doubles per chunk: bounds device memory per slot (~2 GB with all buffers). */
    static final long CHUNK_DOUBLES = 64L << 20;
    private static final int MAX_OOM_IN_A_ROW = 3;

    private final CudaContext cuda;
    private final CpuSpectrumBackend cpu;
    private final Consumer<String> notices;
    private Slot[] slots; // made on first use, dropped after a failure
    private int next;
    private int oomInARow;
    private boolean cpuOnly;

    public CudaSpectrumBackend(CudaContext cuda, int cpuThreads) {
        this(cuda, cpuThreads, System.err::println);
    }

    /** notices: the one line said when a batch falls back to the CPU. */
    public CudaSpectrumBackend(CudaContext cuda, int cpuThreads, Consumer<String> notices) {
        this.cuda = cuda;
        this.cpu = new CpuSpectrumBackend(cpuThreads);
        this.notices = notices;
    }

    @Override
    public String describe() {
        return cuda.describe();
    }

    private record LayerRef(int adapter, int layer, LoraLayer l) {}

    private record Shape(int r, int k, int d, DType a, DType b) {}

    /** Work in flight on one slot: which layers, and where their results go. */
    private record Chunk(Shape shape, List<LayerRef> layers) {}

    @Override
    public synchronized List<Computed> compute(List<LoraAdapter> adapters) {
        if (cpuOnly) {
            return cpu.compute(adapters);
        }
        try {
            List<Computed> out = onGpu(adapters);
            oomInARow = 0;
            return out;
        } catch (RuntimeException e) {
            abandonSlots(); // nothing of this batch may reach the next one
            boolean oom = e instanceof CudaException ce && ce.outOfMemory();
            String what = e instanceof CudaException ? "CUDA: " + e.getMessage() : "CUDA batch failed: " + e;
            if (oom && ++oomInARow < MAX_OOM_IN_A_ROW) {
                notices.accept("dsire: " + what + "; this batch of " + adapters.size() + " adapters finishes on the CPU");
            } else {
                cpuOnly = true;
                notices.accept("dsire: " + what + "; this and all later batches run on the CPU");
            }
            return cpu.compute(adapters);
        }
    }

    /** Drains and frees both slots, whatever state they are in; never throws. */
    private void abandonSlots() {
        if (slots == null) {
            return;
        }
        try {
            cuda.makeCurrent();
        } catch (CudaException e) {
            // the slots' own calls will fail too; they are released as far as the driver lets us
        }
        for (Slot s : slots) {
            if (s != null) {
                s.close();
            }
        }
        slots = null;
    }

    private Slot[] slots() {
        if (slots == null) {
            slots = new Slot[2];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = new Slot(cuda); // if the second fails, abandonSlots() closes the first
            }
        }
        return slots;
    }

    private List<Computed> onGpu(List<LoraAdapter> adapters) {
        cuda.makeCurrent();
        Slot[] slots = slots();
        LayerSpectrum[][] out = new LayerSpectrum[adapters.size()][];
        InputException[] errors = new InputException[adapters.size()];
        Map<Shape, List<LayerRef>> groups = new LinkedHashMap<>();
        List<LayerRef> onCpu = new ArrayList<>();
        for (int i = 0; i < adapters.size(); i++) {
            List<LoraLayer> layers = adapters.get(i).layers();
            out[i] = new LayerSpectrum[layers.size()];
            for (int j = 0; j < layers.size(); j++) {
                LoraLayer l = layers.get(j);
                LayerRef ref = new LayerRef(i, j, l);
                if (l.rank() > Solver.MAX_BATCHED || l.structure() != null) {
                    onCpu.add(ref); // gesvdjBatched stops at 32×32; larger cores, and LyCORIS products, take the CPU's exact path
                } else {
                    groups.computeIfAbsent(new Shape(l.rank(), l.inDim(), l.outDim(), l.down().dtype(), l.up().dtype()),
                            s -> new ArrayList<>()).add(ref);
                }
            }
        }
        List<Chunk> chunks = new ArrayList<>();
        groups.forEach((shape, refs) -> {
            long perLayer = (long) shape.r() * (shape.k() + shape.d());
            int max = (int) Math.max(1, Math.min(Integer.MAX_VALUE / 4, CHUNK_DOUBLES / perLayer));
            for (int from = 0; from < refs.size(); from += max) {
                chunks.add(new Chunk(shape, refs.subList(from, Math.min(refs.size(), from + max))));
            }
        });
        for (Chunk c : chunks) {
            Slot slot = slots[next++ % slots.length];
            slot.harvest(adapters, out, errors, onCpu); // waits for the slot's previous chunk only
            slot.submit(c);
        }
        for (Slot s : slots) {
            s.harvest(adapters, out, errors, onCpu);
        }
        computeOnCpu(adapters, onCpu, out, errors);
        List<Computed> result = new ArrayList<>(adapters.size());
        for (int i = 0; i < adapters.size(); i++) {
            LoraAdapter a = adapters.get(i);
            result.add(errors[i] != null ? new Computed(a, null, errors[i]) : new Computed(a, new AdapterSpectra(a.layout(), Arrays.asList(out[i]), a.recipe()), null));
        }
        return result;
    }

    /** Layers the GPU route leaves to the CPU: each as a one-layer view of its adapter. */
    private void computeOnCpu(List<LoraAdapter> adapters, List<LayerRef> refs, LayerSpectrum[][] out, InputException[] errors) {
        List<LoraAdapter> single = new ArrayList<>();
        List<LayerRef> todo = new ArrayList<>();
        for (LayerRef r : refs) {
            if (errors[r.adapter()] == null) {
                LoraAdapter a = adapters.get(r.adapter());
                single.add(new LoraAdapter(a.path(), a.format(), List.of(r.l()), a.file()));
                todo.add(r);
            }
        }
        List<Computed> c = cpu.compute(single);
        for (int i = 0; i < c.size(); i++) {
            LayerRef r = todo.get(i);
            if (c.get(i).ok()) {
                out[r.adapter()][r.layer()] = c.get(i).spectra().layers().getFirst();
            } else {
                errors[r.adapter()] = c.get(i).error();
            }
        }
    }

    @Override
    public synchronized void close() {
        try {
            abandonSlots();
        } finally {
            cpu.close();
        }
    }

    /**
     * One of the two staging slots: its own stream, cuBLAS and cuSOLVER handles (a handle's
     * workspace must not be shared by two streams), a pinned buffer and device buffers that only grow.
     */
    private static final class Slot implements AutoCloseable {
        private final CudaContext cuda;
        private final Driver drv;
        private final MemorySegment stream;
        private final Blas.Handle blas;
        private final Solver.Handle solver;
        private MemorySegment pinnedIn = MemorySegment.NULL, pinnedOut = MemorySegment.NULL;
        private final long[] dev = new long[11];
        private final long[] devBytes = new long[11];
        private Chunk pending;

        // device buffer indices
        private static final int RAW = 0, A = 1, B = 2, BAD = 3, GRAM = 4, FACT = 5, S = 6, U = 7, V = 8, INFO = 9, WORK = 10;

        Slot(CudaContext cuda) {
            this.cuda = cuda;
            this.drv = cuda.driver;
            this.stream = drv.createStream();
            Blas.Handle b = null;
            try {
                b = cuda.blas.open(stream);
                this.solver = cuda.solver.open(stream);
            } catch (RuntimeException e) {
                if (b != null) {
                    quietly(b::close);
                }
                quietly(() -> drv.destroyStream(stream));
                throw e;
            }
            this.blas = b;
        }

        /** Device buffer `which`, of at least `bytes`; the old one is forgotten before it is freed, so a failed malloc leaves nothing dangling. */
        private long buffer(int which, long bytes) {
            if (devBytes[which] < bytes) {
                long old = dev[which];
                dev[which] = 0;
                devBytes[which] = 0;
                drv.free(old);
                dev[which] = drv.malloc(bytes);
                devBytes[which] = bytes;
            }
            return dev[which];
        }

        /** The pinned input (0) or output (1) buffer, of at least `bytes`, reallocated only when it must grow. */
        private MemorySegment pinned(int which, long bytes) {
            MemorySegment current = which == 0 ? pinnedIn : pinnedOut;
            if (current.byteSize() >= bytes) {
                return current;
            }
            if (which == 0) {
                pinnedIn = MemorySegment.NULL;
            } else {
                pinnedOut = MemorySegment.NULL;
            }
            if (current.byteSize() > 0) {
                drv.freeHost(current);
            }
            MemorySegment p = drv.hostAlloc(bytes);
            if (which == 0) {
                pinnedIn = p;
            } else {
                pinnedOut = p;
            }
            return p;
        }

        /** Stages the chunk's weights and enqueues all of its GPU work; returns without waiting. */
        void submit(Chunk c) {
            Shape sh = c.shape();
            int g = c.layers().size(), r = sh.r(), k = sh.k(), d = sh.d();
            int wa = sh.a().bits() / 8, wb = sh.b().bits() / 8;
            long aElems = (long) r * k, bElems = (long) d * r;
            long aBytes = g * aElems * wa, bBytes = g * bElems * wb;
            long bOff = (aBytes + 15) / 16 * 16; // B's raw data aligned for any element width
            MemorySegment in = pinned(0, bOff + bBytes);
            for (int i = 0; i < g; i++) { // host copies from the mapped files: this overlaps the other slot's GPU work
                LoraLayer l = c.layers().get(i).l();
                MemorySegment.copy(l.down().bytes(), 0, in, i * aElems * wa, aElems * wa);
                MemorySegment.copy(l.up().bytes(), 0, in, bOff + i * bElems * wb, bElems * wb);
            }
            long raw = buffer(RAW, bOff + bBytes);
            long dA = buffer(A, 8 * g * aElems), dB = buffer(B, 8 * g * bElems);
            long bad = buffer(BAD, 4L * 2 * g);
            long gram = buffer(GRAM, 8L * 2 * g * r * r);
            long fact = buffer(FACT, 8L * 3 * g * r * r);
            long s = buffer(S, 8L * 3 * g * r);
            long u = buffer(U, 8L * 3 * g * r * r), v = buffer(V, 8L * 3 * g * r * r);
            long info = buffer(INFO, 4L * (2 * g + 3 * g));
            drv.copyToDevice(raw, in, bOff + bBytes, stream);
            drv.memsetInts(bad, 0, 2L * g, stream);
            try (Arena ar = Arena.ofConfined()) {
                decode(ar, raw, sh.a(), g * aElems, aElems, dA, bad);
                decode(ar, raw + bOff, sh.b(), g * bElems, bElems, dB, bad + 4L * g);
                long rr = (long) r * r;
                // A row-major r×k is column-major k×r (X): G_A = Xᵀ·X.  B row-major d×r is column-major r×d (Y): G_B = Y·Yᵀ.
                blas.gemmStridedBatched(Blas.OP_T, Blas.OP_N, r, r, k, dA, k, aElems, dA, k, aElems, gram, r, rr, g);
                blas.gemmStridedBatched(Blas.OP_N, Blas.OP_T, r, r, d, dB, r, bElems, dB, r, bElems, gram + 8 * g * rr, r, rr, g);
                drv.launch(cuda.cholesky, "cholesky_lower", 2 * g, 1, 32, 0, stream, Driver.params(ar, gram, fact, r, info));
                // cores L_Bᵀ·L_A after the factors: fact = [L_A × g, L_B × g, core × g]
                blas.gemmStridedBatched(Blas.OP_T, Blas.OP_N, r, r, r, fact + 8 * g * rr, r, rr, fact, r, rr, fact + 16 * g * rr, r, rr, g);
                int need = solver.workspace(r, fact, s, u, v, 3 * g);
                long work = buffer(WORK, 8L * Math.max(1, need));
                solver.singularValues(r, fact, s, u, v, work, need, info + 4L * 2 * g, 3 * g);
            }
            long outBytes = 8L * 3 * g * r + 4L * (2 * g + 3 * g) + 4L * 2 * g;
            MemorySegment out = pinned(1, outBytes);
            drv.copyToHost(out, s, 8L * 3 * g * r, stream);
            drv.copyToHost(out.asSlice(8L * 3 * g * r), info, 4L * 5 * g, stream);
            drv.copyToHost(out.asSlice(8L * 3 * g * r + 4L * 5 * g), bad, 4L * 2 * g, stream);
            pending = c;
        }

        private void decode(Arena ar, long in, DType t, long n, long perLayer, long out, long bad) {
            int code = switch (t) {
                case F16 -> 0;
                case BF16 -> 1;
                case F32 -> 2;
                case F64 -> 3;
                default -> throw new IllegalStateException("undecodable " + t);
            };
            int blocks = (int) Math.max(1, Math.min(8192, (n + 255) / 256));
            drv.launch(cuda.toDouble, "to_double", blocks, 1, 256, 0, stream, Driver.params(ar, in, code, n, perLayer, out, bad));
        }

        /** Waits for the pending chunk and files its results; layers it could not settle go to toCpu. */
        void harvest(List<LoraAdapter> adapters, LayerSpectrum[][] results, InputException[] errors, List<LayerRef> toCpu) {
            if (pending == null) {
                return;
            }
            drv.synchronize(stream);
            Chunk c = pending;
            pending = null;
            int g = c.layers().size(), r = c.shape().r();
            long sBytes = 8L * 3 * g * r;
            for (int i = 0; i < g; i++) {
                LayerRef ref = c.layers().get(i);
                int badA = pinnedOut.get(JAVA_INT, sBytes + 4L * 5 * g + 4L * i);
                int badB = pinnedOut.get(JAVA_INT, sBytes + 4L * 5 * g + 4L * (g + i));
                if (badA != 0 || badB != 0) {
                    errors[ref.adapter()] = new LoraException(adapters.get(ref.adapter()).path(), LoraException.Kind.NON_FINITE,
                            "layer " + ref.l().name() + " holds NaN or infinite weights");
                    continue;
                }
                double[] sa = values(0, i, g, r), sb = values(1, i, g, r), core = values(2, i, g, r);
                boolean settled = pinnedOut.get(JAVA_INT, sBytes + 4L * i) == 0 && pinnedOut.get(JAVA_INT, sBytes + 4L * (g + i)) == 0
                        && pinnedOut.get(JAVA_INT, sBytes + 4L * (2 * g + i)) == 0 && pinnedOut.get(JAVA_INT, sBytes + 4L * (3 * g + i)) == 0
                        && pinnedOut.get(JAVA_INT, sBytes + 4L * (4 * g + i)) == 0
                        && sa[0] > 0 && sb[0] > 0 && sa[r - 1] >= SpectrumBackend.GRAM_CONDITION_LIMIT * sa[0] && sb[r - 1] >= SpectrumBackend.GRAM_CONDITION_LIMIT * sb[0];
                if (!settled) {
                    toCpu.add(ref);
                    continue;
                }
                double scale = Math.abs(ref.l().scale());
                for (int j = 0; j < r; j++) {
                    core[j] *= scale;
                }
                results[ref.adapter()][ref.layer()] = LayerSpectrum.of(ref.l().name(), sa, sb, core);
            }
        }

        /** σ of matrix `which` (0 = L_A, 1 = L_B, 2 = core) of layer i: descending, as gesvdj sorts them. */
        private double[] values(int which, int i, int g, int r) {
            double[] v = new double[r];
            MemorySegment.copy(pinnedOut, JAVA_DOUBLE, 8L * ((long) which * g + i) * r, v, 0, r);
            return v;
        }

        /** Waits for queued work, then frees everything; each step is tried even if another failed. */
        @Override
        public void close() {
            pending = null;
            quietly(() -> drv.synchronize(stream)); // nothing may be freed under queued work
            for (int i = 0; i < dev.length; i++) {
                long p = dev[i];
                dev[i] = 0;
                devBytes[i] = 0;
                quietly(() -> drv.free(p));
            }
            MemorySegment in = pinnedIn, out = pinnedOut;
            pinnedIn = pinnedOut = MemorySegment.NULL;
            for (MemorySegment p : new MemorySegment[] {in, out}) {
                if (p.byteSize() > 0) {
                    quietly(() -> drv.freeHost(p));
                }
            }
            quietly(blas::close);
            quietly(solver::close);
            quietly(() -> drv.destroyStream(stream));
        }

        private static void quietly(Runnable r) {
            try {
                r.run();
            } catch (CudaException e) {
                // releasing after a failure: the first error is the one reported
            }
        }
    }
}
