package dev.dsire.cli;

import dev.dsire.eval.Sample;
import dev.dsire.model.Manifest;
import dev.dsire.spectra.SpectraExtractor;
import dev.dsire.spectra.SpectrumBackend;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Extracts the spectra of a manifest's files once; failures are reported and left out. */
record LabelledSamples(List<Sample> samples, int failed) {

    static LabelledSamples extract(Manifest manifest, SpectrumBackend backend, PrintWriter err, Progress progress) {
        List<Path> paths = manifest.entries().stream().map(Manifest.Entry::path).toList();
        progress.phase("reading spectra", paths.size(), "files");
        var extracted = new SpectraExtractor(backend).extract(paths, e -> {
            if (!e.ok()) {
                progress.say(e.error().getMessage());
            }
            progress.step();
        });
        progress.clear();
        List<Sample> out = new ArrayList<>();
        int failed = 0;
        for (int i = 0; i < extracted.size(); i++) {
            var e = extracted.get(i);
            Manifest.Entry m = manifest.entries().get(i);
            if (e.ok()) {
                out.add(new Sample(m.path(), m.group(), m.size(), e.spectra()));
            } else {
                failed++;
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no readable adapters among the " + paths.size() + " labelled files");
        }
        return new LabelledSamples(out, failed);
    }
}
