package dev.dsire.cli;

import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.SpectrumBackend;
import picocli.CommandLine.Option;

/** Options every computing command shares. */
final class ComputeOptions {
    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores, ${DEFAULT-VALUE})")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-v", "--verbose"}, description = "stack traces for internal errors")
    boolean verbose;

    SpectrumBackend backend() {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1");
        }
        return new CpuSpectrumBackend(threads);
    }
}
