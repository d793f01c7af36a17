package dev.dsire.spectra;

import dev.dsire.InputException;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraException;
import dev.dsire.lora.LoraLayer;
import dev.dsire.lora.Structure;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Spectra on the CPU in double precision: every (adapter, layer) pair is one task on a pool of
 * the requested size, so one large file and many small ones both use every core.
 */
public final class CpuSpectrumBackend implements SpectrumBackend {
    private final int threads;
    private final ForkJoinPool pool;
    private final ThreadLocal<Worker> workers = ThreadLocal.withInitial(Worker::new);

    /** Per-thread scratch: the kernels' blocks and r×r matrices are reused; allocating them per layer cost 30 % at 2 threads. */
    private static final class Worker {
        final LayerCore core = new LayerCore();
        final LayerCore.Job[] jobs = new LayerCore.Job[LayerCore.GROUP];
        final LayerSpectrum[] results = new LayerSpectrum[LayerCore.GROUP];
    }

    public CpuSpectrumBackend(int threads) {
        this.threads = Math.max(1, threads);
        this.pool = this.threads == 1 ? null : new ForkJoinPool(this.threads);
    }

    /**
     * Whether this process has moved its lockstep kernels to the vector twins (see KernelWarmup):
     * a process starts on their scalar lanes, which warm up faster and give the same bits.
     */
    public static boolean steadyState() {
        return KernelWarmup.switched();
    }

    /**
     * Compiles the kernels' vector twins on a thread of its own and moves to them once compiled (same bits):
     * for the resident process, whose next calls should not wait for the compiler half-way through a file.
     */
    public static void primeVectorKernels() {
        KernelWarmup.prime();
    }

    @Override
    public String describe() {
        return "cpu (" + threads + (threads == 1 ? " thread)" : " threads)");
    }

    @Override
    public List<Computed> compute(List<LoraAdapter> adapters) {
        int[] start = new int[adapters.size() + 1];
        for (int i = 0; i < adapters.size(); i++) {
            start[i + 1] = start[i] + adapters.get(i).layers().size();
        }
        // tasks: runs of up to GROUP consecutive layers of one adapter, whose eigenproblems share SIMD lanes
        int tasks = 0;
        for (int i = 0; i < adapters.size(); i++) {
            tasks += (start[i + 1] - start[i] + LayerCore.GROUP - 1) / LayerCore.GROUP;
        }
        int[] owner = new int[tasks], first = new int[tasks];
        for (int i = 0, t = 0; i < adapters.size(); i++) {
            for (int l = start[i]; l < start[i + 1]; l += LayerCore.GROUP, t++) {
                owner[t] = i;
                first[t] = l;
            }
        }
        LayerSpectrum[] out = new LayerSpectrum[start[adapters.size()]];
        InputException[] errors = new InputException[adapters.size()];
        run(tasks, t -> {
            int a = owner[t];
            if (errors[a] == null) {
                try {
                    group(adapters.get(a), first[t] - start[a], Math.min(start[a + 1], first[t] + LayerCore.GROUP) - first[t], out, first[t]);
                } catch (InputException e) {
                    errors[a] = e;
                }
            }
        });
        List<Computed> result = new ArrayList<>(adapters.size());
        for (int i = 0; i < adapters.size(); i++) {
            LoraAdapter a = adapters.get(i);
            result.add(errors[i] != null ? new Computed(a, null, errors[i])
                    : new Computed(a, new AdapterSpectra(a.layout(), Arrays.asList(out).subList(start[i], start[i + 1]), a.recipe()), null));
        }
        return result;
    }

    /** Layers [from, from+count) of adapter into out[at..]. */
    private void group(LoraAdapter adapter, int from, int count, LayerSpectrum[] out, int at) {
        Worker w = workers.get();
        List<LoraLayer> layers = adapter.layers();
        int[] slot = new int[count];
        int jobs = 0;
        try {
            for (int i = 0; i < count; i++) {
                LoraLayer l = layers.get(from + i);
                int r = l.rank();
                if (l.structure() instanceof Structure.Kronecker k) {
                    out[at + i] = Structured.kronecker(w.core, l.name(), k, l.scale());
                    continue;
                }
                slot[jobs] = i;
                // X_A = Aᵀ (A is r×k in the file), X_B = B (d×r): read straight from the mapped tensors
                w.jobs[jobs++] = l.structure() instanceof Structure.KhatriRao h ? Structured.khatriRao(l.name(), h, l.scale())
                        : new LayerCore.Job(l.name(), Panel.transposeOf(l.down(), r, l.inDim()), Panel.of(l.up(), l.outDim(), r), l.scale());
            }
            w.core.spectra(w.jobs, jobs, w.results);
        } catch (LayerCore.NonFiniteException e) {
            throw new LoraException(adapter.path(), LoraException.Kind.NON_FINITE, "layer " + e.layer + " holds NaN or infinite weights");
        } finally {
            Arrays.fill(w.jobs, null);
        }
        for (int j = 0; j < jobs; j++) {
            out[at + slot[j]] = w.results[j];
        }
        Arrays.fill(w.results, null);
    }

    /** On the pool: a batch's files open in parallel (opening and pairing is 5 % of the work, serial otherwise). */
    @Override
    public void forEach(int count, IntConsumer task) {
        run(count, task);
    }

    /**
     * task(0..count) on the pool's threads, each taking the next index as it finishes one, so the
     * threads end within one task of each other. A parallel stream split the range into 4 leaves per
     * thread up front: with 16 tasks per leaf at the end of a batch, one thread idled for half a leaf
     * and 2 threads gave 1.4–1.7× one in `dsire bench`. The first exception a task throws is rethrown
     * once every thread has stopped (the others stop taking tasks), as is an interrupt of the caller.
     */
    private void run(int count, IntConsumer task) {
        if (pool == null || count < 2) {
            SpectrumBackend.super.forEach(count, task); // in order, on the caller's thread
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Runnable worker = () -> {
            for (int i; failed.get() == null && (i = next.getAndIncrement()) < count; ) {
                try {
                    task.accept(i);
                } catch (RuntimeException | Error e) {
                    failed.compareAndSet(null, e);
                }
            }
        };
        List<ForkJoinTask<?>> running = new ArrayList<>(threads);
        for (int w = 0; w < Math.min(threads, count); w++) {
            running.add(pool.submit(worker));
        }
        boolean interrupted = false;
        for (ForkJoinTask<?> r : running) {
            while (true) {
                try {
                    r.get();
                    break;
                } catch (InterruptedException e) {
                    // the threads stop taking tasks; wait for the running ones, which hold the caller's files
                    interrupted = true;
                    failed.compareAndSet(null, e);
                } catch (ExecutionException e) {
                    failed.compareAndSet(null, e.getCause());
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
        Throwable e = failed.get();
        if (e instanceof RuntimeException re) {
            throw re;
        }
        if (e instanceof Error err) {
            throw err;
        }
        if (e != null) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
