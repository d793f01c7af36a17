package dev.dsire.cuda;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.dsire.model.DsireModel;
import dev.dsire.model.NearestNeighbour;
import dev.dsire.model.NeighbourSearch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Consumer;

/**
 * 1-NN on the GPU with the nn_argmin kernel of kernels/dsire.cu: the model's reference spectra
 * are uploaded once and stay resident; each batch of queries is one launch over (voter, query).
 * The kernel sums in the CPU's order, so results are identical to {@link NeighbourSearch#CPU},
 * ties and all-NaN queries (-1) included. When the GPU fails, the batch is answered by the CPU
 * search with one line saying so, and after a failure other than out-of-memory it stays there.
 */
public final class CudaNeighbourSearch implements NeighbourSearch {
    private static final int THREADS = 256;
    private static final int MAX_GRID_Y = 65535;

    private final CudaContext cuda;
    private final Consumer<String> notices;
    private DsireModel resident;
    private long refs, refOffsets, dims;
    private boolean cpuOnly;

    public CudaNeighbourSearch(CudaContext cuda) {
        this(cuda, System.err::println);
    }

    public CudaNeighbourSearch(CudaContext cuda, Consumer<String> notices) {
        this.cuda = cuda;
        this.notices = notices;
    }

    @Override
    public synchronized int[][] nearest(DsireModel model, List<List<double[]>> queries) {
        if (cpuOnly) {
            return NeighbourSearch.CPU.nearest(model, queries);
        }
        try {
            return onGpu(model, queries);
        } catch (CudaException e) {
            release();
            if (!e.outOfMemory()) {
                cpuOnly = true;
            }
            notices.accept("dsire: CUDA: " + e.getMessage() + "; " + (cpuOnly ? "this and all later 1-NN searches run" : "this 1-NN search runs")
                    + " on the CPU");
            return NeighbourSearch.CPU.nearest(model, queries);
        }
    }

    private int[][] onGpu(DsireModel model, List<List<double[]>> queries) {
        cuda.makeCurrent();
        Driver drv = cuda.driver;
        if (resident != model) {
            upload(model);
        }
        int voters = model.index().size(), n = model.labels().length;
        long[] qOffset = new long[voters];
        long stride = 0;
        for (int v = 0; v < voters; v++) {
            qOffset[v] = stride;
            stride += model.index().get(v).dim();
        }
        int[][] out = new int[queries.size()][voters];
        MemorySegment stream = MemorySegment.NULL; // the legacy default stream: ordered after the uploads
        for (int from = 0; from < queries.size(); from += MAX_GRID_Y) {
            int q = Math.min(MAX_GRID_Y, queries.size() - from);
            long dq = 0, dOff = 0, dOut = 0;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocate(JAVA_DOUBLE, q * stride);
                for (int i = 0; i < q; i++) {
                    List<double[]> f = queries.get(from + i);
                    for (int v = 0; v < voters; v++) {
                        MemorySegment.copy(f.get(v), 0, host, JAVA_DOUBLE, 8 * (i * stride + qOffset[v]), f.get(v).length);
                    }
                }
                dq = drv.malloc(8 * q * stride);
                dOff = drv.malloc(8L * voters);
                dOut = drv.malloc(4L * q * voters);
                drv.copyToDevice(dq, host, 8 * q * stride, stream);
                drv.copyToDevice(dOff, a.allocateFrom(JAVA_LONG, qOffset), 8L * voters, stream);
                drv.launchGrid(cuda.nnArgmin, "nn_argmin", voters, q, THREADS, stream,
                        Driver.params(a, refs, refOffsets, dims, n, dq, dOff, stride, voters, dOut));
                MemorySegment result = a.allocate(JAVA_INT, (long) q * voters);
                drv.copyToHost(result, dOut, 4L * q * voters, stream);
                drv.synchronize(stream);
                for (int i = 0; i < q; i++) {
                    MemorySegment.copy(result, JAVA_INT, 4L * i * voters, out[from + i], 0, voters);
                }
            } finally {
                freeAfterSync(stream, dq, dOff, dOut);
            }
        }
        return out;
    }

    /** Frees device buffers once the stream is done with them (it may not be, after a failure). */
    private void freeAfterSync(MemorySegment stream, long... buffers) {
        Driver drv = cuda.driver;
        try {
            drv.synchronize(stream);
        } catch (CudaException e) {
            // a failed stream: free anyway
        }
        for (long p : buffers) {
            try {
                drv.free(p);
            } catch (CudaException e) {
                // releasing after a failure: the first error is the one reported
            }
        }
    }

    private void upload(DsireModel model) {
        Driver drv = cuda.driver;
        release();
        List<NearestNeighbour> index = model.index();
        long total = 0;
        long[] offsets = new long[index.size()];
        int[] d = new int[index.size()];
        for (int v = 0; v < index.size(); v++) {
            offsets[v] = total;
            d[v] = index.get(v).dim();
            total += index.get(v).refs().length;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(JAVA_DOUBLE, total);
            for (int v = 0; v < index.size(); v++) {
                MemorySegment.copy(index.get(v).refs(), 0, host, JAVA_DOUBLE, 8 * offsets[v], index.get(v).refs().length);
            }
            refs = drv.malloc(8 * total);
            refOffsets = drv.malloc(8L * offsets.length);
            dims = drv.malloc(4L * d.length);
            drv.copyToDevice(refs, host, 8 * total, MemorySegment.NULL);
            drv.copyToDevice(refOffsets, a.allocateFrom(JAVA_LONG, offsets), 8L * offsets.length, MemorySegment.NULL);
            drv.copyToDevice(dims, a.allocateFrom(JAVA_INT, d), 4L * d.length, MemorySegment.NULL);
            drv.synchronize(MemorySegment.NULL);
        }
        resident = model;
    }

    /** Frees the resident model, whatever was allocated of it; never throws. */
    private void release() {
        long r = refs, o = refOffsets, d = dims;
        refs = refOffsets = dims = 0;
        resident = null;
        try {
            cuda.makeCurrent();
        } catch (CudaException e) {
            // freeing below will fail the same way; nothing else to do
        }
        freeAfterSync(MemorySegment.NULL, r, o, d);
    }

    @Override
    public synchronized void close() {
        release();
    }
}
