package dev.dsire.wise;

import dev.dsire.eval.Sample;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.SpectrumBackend;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The evaluation source for LoRA-WiSE: rows stream out of the Parquet files, a batch at a time
 * goes through the spectrum backend, and only the spectra stay. Nothing is written to disk; memory
 * holds one row group in DuckDB and one batch of adapters, however large the dataset.
 */
public final class WiseSamples {
    /** Rows per backend batch, and the weight bytes past which a batch is computed early. */
    static final int BATCH_ROWS = 64;
    static final long BATCH_BYTES = 256L << 20;

    /** The labelled samples, and how many files or rows failed (each reported on err). */
    public record Result(List<Sample> samples, int failed) {}

    private WiseSamples() {}

    public static Result read(WiseInputs inputs, SpectrumBackend backend, PrintWriter err, boolean terminal) {
        Majority<Sample> rows = new Majority<>();
        int[] failed = {0};
        try (WiseReader reader = new WiseReader()) {
            long total = 0;
            for (WiseInputs.Input in : inputs.files()) {
                try {
                    total += reader.rowCount(in.file());
                } catch (WiseException e) {
                    // reported when the file is read
                }
            }
            RowProgress progress = new RowProgress(err, terminal, "wise", total);
            Batch batch = new Batch(backend, rows, progress, err, failed);
            for (WiseInputs.Input in : inputs.files()) {
                try {
                    int rank = WiseSubset.rankOf(in.file(), in.rank());
                    reader.read(in.file(), rank, new WiseReader.Sink() {
                        @Override
                        public void row(WiseRow row) {
                            batch.add(row);
                        }

                        @Override
                        public void error(WiseException e) {
                            batch.fail(e.getMessage());
                        }
                    });
                } catch (WiseException e) {
                    batch.fail(e.getMessage());
                }
            }
            batch.flush();
            progress.finish();
        }
        for (Map.Entry<Sample, String> bad : rows.disagreeing().entrySet()) {
            err.println(bad.getKey().path() + ": " + bad.getValue());
            failed[0]++;
        }
        List<Sample> ok = rows.agreeing();
        if (ok.isEmpty()) {
            throw new IllegalArgumentException("no usable LoRA-WiSE rows in " + inputs.files().size() + " file(s)");
        }
        return new Result(ok, failed[0]);
    }

    /** Rows waiting for the backend, as adapters built in memory. */
    private static final class Batch {
        private final SpectrumBackend backend;
        private final Majority<Sample> rows;
        private final RowProgress progress;
        private final PrintWriter err;
        private final int[] failed;
        private final List<LoraAdapter> adapters = new ArrayList<>();
        private final List<WiseRow> meta = new ArrayList<>();
        private final List<String> signatures = new ArrayList<>();
        private long bytes;

        Batch(SpectrumBackend backend, Majority<Sample> rows, RowProgress progress, PrintWriter err, int[] failed) {
            this.backend = backend;
            this.rows = rows;
            this.progress = progress;
            this.err = err;
            this.failed = failed;
        }

        void add(WiseRow row) {
            try {
                adapters.add(row.adapter());
            } catch (dev.dsire.InputException e) {
                fail(e.getMessage());
                return;
            }
            // keep the labels, not the weights: the adapter holds its own copy
            meta.add(new WiseRow(row.file(), row.index(), row.size(), row.group(), List.of()));
            signatures.add(row.signature());
            bytes += row.bytes();
            progress.row(row.bytes());
            if (adapters.size() >= BATCH_ROWS || bytes >= BATCH_BYTES) {
                flush();
            }
        }

        void fail(String message) {
            progress.clearLine();
            err.println(message);
            failed[0]++;
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
                    WiseRow r = meta.get(i);
                    if (c.ok()) {
                        rows.add(new Sample(r.where(), r.group(), r.size(), c.spectra()), signatures.get(i));
                    } else {
                        fail(c.error().getMessage());
                    }
                }
            } finally {
                adapters.forEach(LoraAdapter::close);
                adapters.clear();
                meta.clear();
                signatures.clear();
                bytes = 0;
            }
        }
    }
}
