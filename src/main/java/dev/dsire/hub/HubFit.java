package dev.dsire.hub;

import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.model.ModelFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The hub labels itself: from a finished scan, every layout with enough files that state their
 * size gets a model fitted on them (group = training run) and a cross-validation by run that says
 * how far to trust it. One layout's labelled spectra are in memory at a time.
 */
public final class HubFit {
    /**
     * @param minRuns the fewest training runs with a declared size a layout needs
     * @param folds   at most this many folds of whole runs in the cross-validation
     */
    public record Options(List<Method> methods, int minRuns, int folds, long seed) {}

    /** One fittable layout's labelled adapters and the cross-validation of each method on them. */
    public record LayoutResult(LayoutLabels labels, List<Labelled> data, List<RunCrossValidation.Result> cv) {}

    private final ScanSource source;
    private final Options options;
    private final PrintWriter err;

    public HubFit(ScanSource source, Options options, PrintWriter err) {
        this.source = source;
        this.options = options;
        this.err = err;
    }

    /** The declared files grouped by layout. */
    public List<LayoutLabels> layouts() {
        return LayoutLabels.group(source.declared(), source.layouts(), fp -> LayoutName.of(source.layout(fp)));
    }

    /**
     * Cross-validates every method on each fittable layout, handing each layout's result to
     * {@code each} before the next layout's spectra are read.
     */
    public void forEachLayout(List<LayoutLabels> layouts, java.util.function.Consumer<LayoutResult> each) {
        for (LayoutLabels l : layouts) {
            if (l.tooFew(options.minRuns()) != null) {
                continue;
            }
            List<Labelled> data = load(l);
            List<RunCrossValidation.Result> cv = new ArrayList<>();
            for (Method m : options.methods()) {
                cv.add(RunCrossValidation.run(m, data, options.folds(), options.seed()));
            }
            each.accept(new LayoutResult(l, data, cv));
        }
    }

    /**
     * Fits the first method on each fittable layout of {@code layouts}, writes DIR/&lt;layout&gt;.json
     * and DIR/index.json, and returns the index; {@code each} sees every layout's result as it is done.
     */
    public HubIndex fit(Path dir, List<LayoutLabels> layouts, java.util.function.Consumer<LayoutResult> each) throws IOException {
        Files.createDirectories(dir);
        Method method = options.methods().getFirst();
        List<HubIndex.Fitted> fitted = new ArrayList<>();
        List<IOException> failed = new ArrayList<>();
        forEachLayout(layouts, r -> {
            LayoutLabels l = r.labels();
            String file = l.name() + ".json";
            try {
                ModelFile.save(DsireModel.fit(method, r.data()), dir.resolve(file));
            } catch (IOException e) {
                failed.add(e);
                return;
            }
            fitted.add(new HubIndex.Fitted(l.name(), file, l.family(), r.data().size(), l.runs(), l.sizes(), l.sources(), r.cv().getFirst()));
            each.accept(r);
        });
        if (!failed.isEmpty()) {
            throw failed.getFirst();
        }
        List<HubIndex.Skipped> skipped = layouts.stream().filter(l -> l.tooFew(options.minRuns()) != null)
                .map(l -> new HubIndex.Skipped(l.name(), l.family(), l.files().size(), l.runs(), l.tooFew(options.minRuns()))).toList();
        HubIndex index = new HubIndex(method.key(), options.minRuns(), fitted, skipped);
        index.write(dir);
        return index;
    }

    /** One layout's labelled adapters with their stored spectra; group = training run. */
    private List<Labelled> load(LayoutLabels l) {
        Map<String, ScanSource.Declared> byPath = new HashMap<>();
        Map<String, Long> wanted = new HashMap<>();
        l.files().forEach(d -> {
            byPath.put(d.path(), d);
            wanted.put(d.path(), d.mtime());
        });
        List<Labelled> data = new ArrayList<>(byPath.size());
        source.spectra(l.fingerprint(), wanted, (path, spectra) -> {
            ScanSource.Declared d = byPath.get(path);
            data.add(new Labelled(Path.of(path), spectra, d.images(), d.run()));
        }, err::println);
        data.sort(java.util.Comparator.comparing(t -> t.path().toString())); // rows arrive in storage order; the fit's tie-breaks need one order
        return data;
    }
}
