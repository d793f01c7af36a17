package dev.dsire.spectra;

import dev.dsire.FileFailure;
import dev.dsire.InputException;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Files in, spectra out: opens adapters a batch at a time, has the backend compute them, and
 * closes the files. A file that fails yields its error and never stops the others.
 */
public final class SpectraExtractor {
    /** Files open at once; bounds mapped memory and open descriptors, not speed. */
    public static final int BATCH = 64;

    /** One file's outcome. */
    public record Extracted(Path path, AdapterSpectra spectra, InputException error) {
        public boolean ok() {
            return error == null;
        }
    }

    private final SpectrumBackend backend;

    public SpectraExtractor(SpectrumBackend backend) {
        this.backend = backend;
    }

    /** Spectra of every file, in order; each result is also passed to onEach as it completes. */
    public List<Extracted> extract(List<Path> files, Consumer<Extracted> onEach) {
        return extract(files, LoraReader::open, onEach);
    }

    /** As {@link #extract(List, Consumer)}, each file opened by open (an upload held in memory, say). */
    public List<Extracted> extract(List<Path> files, Function<Path, LoraAdapter> open, Consumer<Extracted> onEach) {
        List<Extracted> out = new ArrayList<>(files.size());
        forEachBatch(files, open, batch -> {
            out.addAll(batch);
            batch.forEach(onEach);
        });
        return out;
    }

    /** Hands the results over a batch at a time and keeps none: memory stays flat however many files. */
    public void forEachBatch(List<Path> files, Consumer<List<Extracted>> onBatch) {
        forEachBatch(files, LoraReader::open, onBatch);
    }

    private void forEachBatch(List<Path> files, Function<Path, LoraAdapter> opener, Consumer<List<Extracted>> onBatch) {
        for (int from = 0; from < files.size(); from += BATCH) {
            List<Path> batch = files.subList(from, Math.min(files.size(), from + BATCH));
            List<LoraAdapter> open = new ArrayList<>();
            Extracted[] slot = new Extracted[batch.size()];
            int[] openAt = new int[batch.size()];
            LoraAdapter[] opened = new LoraAdapter[batch.size()];
            try {
                backend.forEach(batch.size(), i -> { // on the backend's threads: opening and pairing is work too
                    try {
                        opened[i] = opener.apply(batch.get(i));
                    } catch (RuntimeException | Error e) {
                        slot[i] = new Extracted(batch.get(i), null, FileFailure.of(batch.get(i), e));
                    }
                });
                for (int i = 0; i < batch.size(); i++) {
                    if (opened[i] != null) {
                        openAt[open.size()] = i;
                        open.add(opened[i]);
                    }
                }
                List<Computed> computed = computeContained(open);
                for (int j = 0; j < computed.size(); j++) {
                    Computed c = computed.get(j);
                    slot[openAt[j]] = new Extracted(c.adapter().path(), c.spectra(), c.error());
                }
            } finally {
                for (LoraAdapter a : opened) { // every file opened, even when a task threw
                    if (a != null) {
                        a.close();
                    }
                }
            }
            onBatch.accept(List.of(slot));
        }
    }

    /**
     * The backend's results, or, when the batch as a whole throws (a bug, a fault on a page of a
     * file truncated under us, one file exhausting the heap), each adapter again on its own, so
     * the failure stays with the file that caused it.
     */
    private List<Computed> computeContained(List<LoraAdapter> open) {
        try {
            return backend.compute(open);
        } catch (RuntimeException | Error e) {
            FileFailure.of(null, e); // rethrows what cannot be contained
            if (open.size() == 1) {
                return List.of(new Computed(open.getFirst(), null, FileFailure.of(open.getFirst().path(), e)));
            }
        }
        List<Computed> out = new ArrayList<>(open.size());
        for (LoraAdapter a : open) {
            try {
                out.add(backend.compute(List.of(a)).getFirst());
            } catch (RuntimeException | Error e) {
                out.add(new Computed(a, null, FileFailure.of(a.path(), e)));
            }
        }
        return out;
    }
}
