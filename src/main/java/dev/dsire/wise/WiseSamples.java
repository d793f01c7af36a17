package dev.dsire.wise;

import dev.dsire.eval.Sample;
import dev.dsire.lora.LayerShape;
import dev.dsire.lora.Layout;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.SpectrumBackend;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The evaluation source for LoRA-WiSE: rows stream out of the Parquet files, a batch at a time
 * goes through the spectrum backend, and only the spectra stay. A file is read in slices of whole
 * layers (one query each: Parquet reads only the columns asked for), so memory holds one slice of
 * one row group and one batch of adapters, however large the rows, the files or the dataset.
 * Nothing is written to disk.
 */
public final class WiseSamples {
    /** Values read per query per row group, roughly: bounds what the driver materialises at once. */
    static final long SLICE_BYTES = 64L << 20;
    /** Rows per backend batch, and the weight bytes past which a batch is computed early. */
    static final int BATCH_ROWS = 64;
    static final long BATCH_BYTES = 128L << 20;

    /** The labelled samples, and how many files or rows failed (each reported on err). */
    public record Result(List<Sample> samples, int failed) {}

    private WiseSamples() {}

    public static Result read(WiseInputs inputs, SpectrumBackend backend, PrintWriter err, boolean terminal) {
        return read(inputs, backend, err, terminal, SLICE_BYTES);
    }

    static Result read(WiseInputs inputs, SpectrumBackend backend, PrintWriter err, boolean terminal, long sliceBytes) {
        Majority<Sample> samples = new Majority<>();
        int failed = 0;
        try (WiseReader reader = new WiseReader()) {
            long total = 0;
            for (WiseInputs.Input in : inputs.files()) {
                try {
                    WiseInputs.check(in);
                    total += reader.rowCount(in.file());
                } catch (WiseException e) {
                    // reported when the file is read
                }
            }
            RowProgress progress = new RowProgress(err, terminal, "wise", total);
            for (WiseInputs.Input in : inputs.files()) {
                FileRows rows = new FileRows(backend, progress, err);
                try {
                    WiseInputs.check(in);
                    int rank = WiseSubset.rankOf(in.file(), in.rank());
                    WiseReader.Plan plan = reader.plan(in.file(), sliceBytes);
                    progress.plan(reader.rowCount(in.file()) * plan.slices().size());
                    for (int s = 0; s < plan.slices().size(); s++) {
                        boolean last = s == plan.slices().size() - 1;
                        reader.read(in.file(), rank, plan.slices().get(s), new WiseReader.Sink() {
                            @Override
                            public void row(WiseRow row) {
                                rows.add(row, last);
                            }

                            @Override
                            public void error(WiseException e) {
                                rows.fail(e.row(), e.getMessage());
                            }
                        });
                        rows.flush();
                    }
                } catch (WiseException e) {
                    rows.flush();
                    rows.abandon(); // the file's line answers for every row of it
                    progress.clearLine();
                    err.println(e.getMessage());
                    progress.error();
                    failed++;
                }
                failed += rows.failed;
                rows.finish(samples);
            }
            for (Map.Entry<Sample, String> bad : samples.disagreeing().entrySet()) {
                progress.clearLine();
                err.println(bad.getKey().path() + ": " + bad.getValue());
                progress.error();
                failed++;
            }
            progress.finish();
        }
        List<Sample> ok = samples.agreeing();
        if (ok.isEmpty()) {
            throw new IllegalArgumentException("no usable LoRA-WiSE rows in " + inputs.files().size() + " file(s)");
        }
        return new Result(ok, failed);
    }

    /** One row's labels and the spectra of its slices so far. */
    private static final class Partial {
        final WiseRow labels;
        final List<LayerShape> shapes = new ArrayList<>();
        final List<LayerSpectrum> spectra = new ArrayList<>();
        final StringBuilder signature = new StringBuilder();
        boolean failed;

        Partial(WiseRow labels) {
            this.labels = labels;
        }
    }

    /** The rows of one file while its slices are read; adapters wait here for the backend. */
    private static final class FileRows {
        private final SpectrumBackend backend;
        private final RowProgress progress;
        private final PrintWriter err;
        private final Map<Long, Partial> rows = new TreeMap<>();
        private final List<LoraAdapter> adapters = new ArrayList<>();
        private final List<Partial> owners = new ArrayList<>();
        private long bytes;
        int failed;

        FileRows(SpectrumBackend backend, RowProgress progress, PrintWriter err) {
            this.backend = backend;
            this.progress = progress;
            this.err = err;
        }

        void add(WiseRow row, boolean lastSlice) {
            Partial p = rows.computeIfAbsent(row.index(), i -> new Partial(new WiseRow(row.file(), row.index(), row.size(), row.group(), List.of())));
            if (p.failed) {
                return;
            }
            progress.bytes(row.bytes());
            try {
                adapters.add(row.adapter());
            } catch (dev.dsire.InputException e) {
                fail(p, e.getMessage());
                return;
            }
            owners.add(p);
            p.signature.append(row.signature());
            bytes += row.bytes();
            if (lastSlice) {
                progress.row();
            }
            if (adapters.size() >= BATCH_ROWS || bytes >= BATCH_BYTES) {
                flush();
            }
        }

        void fail(long row, String message) {
            Partial p = rows.computeIfAbsent(row, i -> new Partial(null));
            fail(p, message);
        }

        private void fail(Partial p, String message) {
            if (p.failed) {
                return; // one line per row, however many slices show the fault
            }
            p.failed = true;
            failed++;
            progress.clearLine();
            err.println(message);
            progress.error();
        }

        void flush() {
            if (adapters.isEmpty()) {
                return;
            }
            try {
                List<Computed> computed = backend.compute(adapters);
                for (int i = 0; i < computed.size(); i++) {
                    Computed c = computed.get(i);
                    Partial p = owners.get(i);
                    String overflow = c.ok() ? overflow(c.spectra()) : null;
                    if (overflow != null) {
                        fail(p, p.labels.where() + ": " + overflow);
                    } else if (c.ok()) {
                        p.shapes.addAll(c.spectra().layout().layers());
                        p.spectra.addAll(c.spectra().layers());
                    } else {
                        fail(p, c.error().getMessage());
                    }
                }
            } finally {
                adapters.forEach(LoraAdapter::close);
                adapters.clear();
                owners.clear();
                bytes = 0;
            }
        }

        /**
         * Why a row's spectra cannot be compared, if they cannot: weights near 1e283 are finite, but
         * the singular values of B·A (their products) are not, and no distance to them would be.
         */
        private static String overflow(AdapterSpectra s) {
            for (LayerSpectrum l : s.layers()) {
                for (double[] v : new double[][] {l.a(), l.b(), l.ba()}) {
                    for (double x : v) {
                        if (!Double.isFinite(x)) {
                            return "layer " + l.layer() + ": singular values overflow float64 (the weights are too large to compare with any adapter)";
                        }
                    }
                }
            }
            return null;
        }

        /** A file error came: none of its rows become samples, not even those read before it. */
        void abandon() {
            rows.clear();
        }

        /** Complete rows become samples; slices come in canonical layer order, so the layers do too. */
        void finish(Majority<Sample> samples) {
            for (Partial p : rows.values()) {
                if (!p.failed && p.labels != null) {
                    WiseRow r = p.labels;
                    samples.add(new Sample(r.where(), r.group(), r.size(), new AdapterSpectra(new Layout(p.shapes), p.spectra)), p.signature.toString());
                }
            }
        }
    }
}
