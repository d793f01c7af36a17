package dev.dsire.spark;

import dev.dsire.cuda.CudaContext;
import dev.dsire.cuda.CudaException;
import dev.dsire.cuda.CudaSpectrumBackend;
import dev.dsire.model.ModelSet;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.SpectrumBackend;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.broadcast.Broadcast;

/**
 * What one executor JVM keeps across its tasks: the parsed models (per broadcast) and one spectrum
 * backend. The CPU backend computes on the calling task thread with per-thread scratch, so the
 * executor's task slots share it; a GPU backend is shared the same way, as the local scan shares it.
 */
final class ExecutorState {
    private static final Map<Long, ModelSet> MODELS = new ConcurrentHashMap<>();
    private static SpectrumBackend backend;

    private ExecutorState() {}

    static ModelSet models(Broadcast<ModelShipment> b) {
        return MODELS.computeIfAbsent(b.id(), id -> b.value().open());
    }

    static synchronized SpectrumBackend backend(String device) {
        if (backend == null) {
            backend = open(device);
            Runtime.getRuntime().addShutdownHook(new Thread(backend::close));
        }
        return backend;
    }

    private static SpectrumBackend open(String device) {
        if (device.equals("cpu")) {
            return new CpuSpectrumBackend(1);
        }
        try {
            return new CudaSpectrumBackend(CudaContext.open(), Runtime.getRuntime().availableProcessors());
        } catch (CudaException | UnsatisfiedLinkError e) {
            if (device.equals("cuda")) {
                throw e; // asked for a GPU this executor does not have: a configuration error, not a file's
            }
            return new CpuSpectrumBackend(1);
        }
    }
}
