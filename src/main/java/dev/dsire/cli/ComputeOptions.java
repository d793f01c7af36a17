package dev.dsire.cli;

import dev.dsire.cuda.CudaContext;
import dev.dsire.cuda.CudaException;
import dev.dsire.cuda.CudaNeighbourSearch;
import dev.dsire.cuda.CudaSpectrumBackend;
import dev.dsire.model.NeighbourSearch;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.SpectrumBackend;
import java.io.PrintWriter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options every computing command shares: where to compute and with how many threads. */
final class ComputeOptions {
    enum Device { auto, cpu, cuda }

    @Option(names = "--threads", paramLabel = "<n>", description = "Number of CPU worker threads (default: all cores; here ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--device", paramLabel = "<device>", defaultValue = "auto",
            description = "Where spectra are computed: auto (default; CUDA when a usable GPU and its libraries are found, else the CPU), cpu or cuda.")
    Device device = Device.auto;

    @Option(names = "--max-rank", paramLabel = "<rank>",
            description = "Refuse files with a layer of rank above this (default ${DEFAULT-VALUE}); it bounds each file's work.")
    int maxRank = dev.dsire.lora.LoraReader.DEFAULT_MAX_RANK;

    @Mixin
    OutputOptions output;

    /** The spectra backend and 1-NN search of the chosen device; close it when done. */
    record Engine(SpectrumBackend spectra, NeighbourSearch search, CudaContext cuda) implements AutoCloseable {
        @Override
        public void close() {
            spectra.close();
            search.close();
            if (cuda != null) {
                cuda.close();
            }
        }
    }

    Engine open(PrintWriter err) {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1");
        }
        dev.dsire.lora.LoraReader.maxRank(maxRank);
        if (device == Device.cpu) {
            return cpu();
        }
        CudaContext cuda;
        try {
            if (device == Device.auto) {
                CudaContext.requireDeviceNode();
            }
            cuda = CudaContext.open();
        } catch (CudaException | UnsatisfiedLinkError e) {
            if (device == Device.cuda) {
                throw e instanceof CudaException ce ? ce : new CudaException(e.getMessage());
            }
            Engine cpu = cpu();
            if (output.verbose) { // the CPU is the expected answer on most machines: say why only when asked
                err.println("dsire: device auto -> " + cpu.spectra().describe() + " (" + e.getMessage() + ")");
            }
            return cpu;
        }
        java.util.function.Consumer<String> notice = line -> { // a GPU batch that finished on the CPU says so in one line
            err.println(line);
            err.flush();
        };
        Engine gpu = new Engine(new CudaSpectrumBackend(cuda, threads, notice), new CudaNeighbourSearch(cuda, notice), cuda);
        if (!output.quiet) { // a GPU in use is worth one line: it changes speed, and the user may not expect it
            err.println("dsire: device " + device + " -> " + gpu.spectra().describe());
        }
        return gpu;
    }

    private Engine cpu() {
        return new Engine(new CpuSpectrumBackend(threads), NeighbourSearch.CPU, null);
    }
}
