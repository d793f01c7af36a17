package dev.dsire.spectra;

import dev.dsire.InputException;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraException;
import dev.dsire.lora.LoraLayer;
import dev.dsire.safetensors.TensorView;
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

    /** Per-thread scratch: the decoded factors are hundreds of KB per layer; reusing them keeps the GC quiet. */
    private static final class Worker {
        final LayerCore core = new LayerCore();
        double[] a = new double[0];
        double[] bt = new double[0];
        double[] row = new double[0];

        double[] a(int n) {
            return a.length >= n ? a : (a = new double[n]);
        }

        double[] bt(int n) {
            return bt.length >= n ? bt : (bt = new double[n]);
        }

        double[] row(int n) {
            return row.length >= n ? row : (row = new double[n]);
        }
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
        int r = l.rank(), k = l.inDim(), d = l.outDim();
        Worker w = workers.get();
        double[] a = w.a(r * k);
        double[] bt = w.bt(r * d);
        if (!l.down().decode(0, r * k, a, 0) | !decodeTransposed(l.up(), d, r, bt, w.row(r))) {
            throw new LoraException(adapter.path(), LoraException.Kind.NON_FINITE, "layer " + l.name() + " holds NaN or infinite weights");
        }
        return w.core.spectrum(l.name(), a, bt, r, k, d, l.scale());
    }

    /** B (d×r, row-major in the file) into Bᵀ (r rows of length d). */
    private static boolean decodeTransposed(TensorView up, int d, int r, double[] bt, double[] row) {
        boolean finite = true;
        for (int i = 0; i < d; i++) {
            finite &= up.decode((long) i * r, r, row, 0);
            for (int j = 0; j < r; j++) {
                bt[j * d + i] = row[j];
            }
        }
        return finite;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
