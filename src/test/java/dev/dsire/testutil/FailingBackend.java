package dev.dsire.testutil;

import dev.dsire.lora.LoraAdapter;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.SpectrumBackend;
import java.util.List;
import java.util.function.Function;

/** A CPU backend that does something else (throws, errs, stalls) for adapters whose file name starts with "boom". */
public final class FailingBackend {
    private FailingBackend() {}

    public static SpectrumBackend on(int threads, Function<LoraAdapter, List<Computed>> boom) {
        CpuSpectrumBackend cpu = new CpuSpectrumBackend(threads);
        return new SpectrumBackend() {
            @Override
            public String describe() {
                return "test";
            }

            @Override
            public List<Computed> compute(List<LoraAdapter> adapters) {
                for (LoraAdapter a : adapters) {
                    if (a.path().getFileName().toString().startsWith("boom")) {
                        return boom.apply(a);
                    }
                }
                return cpu.compute(adapters);
            }
        };
    }
}
