package dev.dsire.scan;

import dev.dsire.model.ModelSet;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.SpectrumBackend;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The scan pipeline: a walker, N readers (open, spectra, predict) and one database writer, joined
 * by bounded queues, so the slowest stage sets the pace and memory does not grow with the dump.
 * Files whose (path, size, mtime) and model are already in the database are skipped.
 */
public final class Scanner {
    /** Rows per transaction: large enough to amortise commits, small enough to lose little on a kill. */
    static final int BATCH = 64;
    private static final ScanRecord POISON = ScanRecord.failed("", 0, 0, ScanStatus.ERROR, "");

    public record Summary(long scanned, long skipped, long errors) {}

    private final ScanDb db;
    private final Path dbPath;
    private final ModelSet model;
    private final String modelId;
    private final int threads;
    private final SpectrumBackend shared;

    /**
     * @param shared a backend all readers share (a GPU), or null: each reader then computes on its
     *               own single-threaded CPU backend, so the readers are the parallelism
     */
    public Scanner(ScanDb db, Path dbPath, ModelSet model, String modelId, int threads, SpectrumBackend shared) {
        this.db = db;
        this.dbPath = dbPath;
        this.model = model;
        this.modelId = modelId;
        this.threads = Math.max(1, threads);
        this.shared = shared;
    }

    public Summary run(List<Path> roots, PrintWriter err, boolean terminal, Consumer<ScanRecord> onWritten) throws InterruptedException {
        Progress progress = new Progress(err, terminal);
        BlockingQueue<Found> found = new ArrayBlockingQueue<>(4 * threads + 16);
        BlockingQueue<ScanRecord> results = new ArrayBlockingQueue<>(2 * BATCH);
        Thread walker = Thread.ofPlatform().name("dsire-walk").start(() -> walk(roots, found, progress));
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            readers.add(Thread.ofPlatform().name("dsire-read-" + i).start(() -> read(found, results, progress)));
        }
        Thread closer = Thread.ofPlatform().name("dsire-close").start(() -> {
            try {
                for (Thread t : readers) {
                    t.join();
                }
                results.put(POISON);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            write(results, progress, onWritten);
        } finally {
            walker.interrupt();
            readers.forEach(Thread::interrupt);
            closer.interrupt();
        }
        walker.join();
        progress.finish();
        return new Summary(progress.done.get(), progress.skipped.get(), progress.errors.get());
    }

    private void walk(List<Path> roots, BlockingQueue<Found> out, Progress progress) {
        // the walker reads the database through its own connection (WAL: no waiting on the writer)
        try (ScanDb lookup = ScanDb.open(dbPath)) {
            FileWalker.walk(roots, f -> {
                progress.found.incrementAndGet();
                try {
                    if (f.problem() == null && lookup.unchanged(f.path().toString(), f.size(), f.mtime(), modelId)) {
                        progress.skipped.incrementAndGet();
                        return;
                    }
                } catch (SQLException e) {
                    // unknown: scan it again
                }
                out.put(f);
            });
        } catch (InterruptedException e) {
            return;
        } finally {
            progress.walkFinished = true;
            for (int i = 0; i < threads; i++) {
                try {
                    out.put(Found.END);
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
    }

    private void read(BlockingQueue<Found> in, BlockingQueue<ScanRecord> out, Progress progress) {
        SpectrumBackend own = shared == null ? new CpuSpectrumBackend(1) : null;
        try {
            FileScanner scanner = new FileScanner(shared != null ? shared : own, model);
            for (Found f = in.take(); f != Found.END; f = in.take()) {
                ScanRecord r = scanner.scan(f);
                if (r.status() == ScanStatus.OK) {
                    progress.bytes.addAndGet(Math.max(0, f.size()));
                }
                out.put(r);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (own != null) {
                own.close();
            }
        }
    }

    private void write(BlockingQueue<ScanRecord> in, Progress progress, Consumer<ScanRecord> onWritten) throws InterruptedException {
        List<ScanRecord> batch = new ArrayList<>(BATCH);
        long lastCommit = System.nanoTime();
        while (true) {
            ScanRecord r = in.poll(200, TimeUnit.MILLISECONDS);
            boolean end = r == POISON;
            if (r != null && !end) {
                batch.add(r);
            }
            if (!batch.isEmpty() && (end || batch.size() >= BATCH || System.nanoTime() - lastCommit > 1_000_000_000L)) {
                try {
                    db.write(batch, modelId);
                } catch (SQLException e) {
                    throw new ScanDbException(dbPath, e);
                }
                for (ScanRecord w : batch) {
                    progress.done.incrementAndGet();
                    if (w.status() == ScanStatus.ERROR) {
                        progress.errors.incrementAndGet();
                    }
                    onWritten.accept(w);
                }
                batch.clear();
                lastCommit = System.nanoTime();
            }
            progress.tick();
            if (end) {
                return;
            }
        }
    }
}
