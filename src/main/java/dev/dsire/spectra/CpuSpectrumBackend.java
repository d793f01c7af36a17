package dev.dsire.spectra;

import dev.dsire.InputException;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraException;
import dev.dsire.lora.LoraLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

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
    }

    public CpuSpectrumBackend(int threads) {
        this.threads = Math.max(1, threads);
        this.pool = this.threads == 1 ? null : new ForkJoinPool(this.threads);
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
        int[] owner = new int[start[adapters.size()]];
        for (int i = 0; i < adapters.size(); i++) {
            Arrays.fill(owner, start[i], start[i + 1], i);
        }
        LayerSpectrum[] out = new LayerSpectrum[owner.length];
        InputException[] errors = new InputException[adapters.size()];
        IntStream tasks = IntStream.range(0, owner.length);
        Runnable run = () -> (pool == null ? tasks : tasks.parallel()).forEach(t -> {
            int a = owner[t];
            if (errors[a] == null) {
                try {
                    out[t] = layer(adapters.get(a), adapters.get(a).layers().get(t - start[a]));
                } catch (InputException e) {
                    errors[a] = e;
                }
            }
        });
        if (pool == null) {
            run.run();
        } else {
            try {
                pool.submit(run).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            }
        }
        List<Computed> result = new ArrayList<>(adapters.size());
        for (int i = 0; i < adapters.size(); i++) {
            LoraAdapter a = adapters.get(i);
            result.add(errors[i] != null ? new Computed(a, null, errors[i])
                    : new Computed(a, new AdapterSpectra(a.layout(), Arrays.asList(out).subList(start[i], start[i + 1])), null));
        }
        return result;
    }

    private LayerSpectrum layer(LoraAdapter adapter, LoraLayer l) {
        int r = l.rank();
        try {
            // X_A = Aᵀ (A is r×k in the file), X_B = B (d×r): read straight from the mapped tensors
            return workers.get().core.spectrum(l.name(), Panel.transposeOf(l.down(), r, l.inDim()), Panel.of(l.up(), l.outDim(), r), l.scale());
        } catch (LayerCore.NonFiniteException e) {
            throw new LoraException(adapter.path(), LoraException.Kind.NON_FINITE, "layer " + l.name() + " holds NaN or infinite weights");
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
