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
        Pipeline pipe = new Pipeline(new ArrayBlockingQueue<>(4 * threads + 16), new ArrayBlockingQueue<>(2 * BATCH), progress);
        Thread walker = Thread.ofPlatform().name("dsire-walk").start(() -> pipe.stage("walker", () -> walk(roots, pipe)));
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            readers.add(Thread.ofPlatform().name("dsire-read-" + i).start(() -> pipe.stage("reader", () -> read(pipe))));
        }
        Thread closer = Thread.ofPlatform().name("dsire-close").start(() -> {
            try {
                for (Thread t : readers) {
                    t.join();
                }
                pipe.readersDone = true;
                pipe.results.offer(ScanRecord.END); // wakes the writer now; were the queue full, its poll times out
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            pipe.stage("writer", () -> write(pipe, onWritten));
        } finally {
            pipe.stopped = true; // whatever ended the writer, nobody waits on a queue any more
            walker.interrupt();
            readers.forEach(Thread::interrupt);
            closer.interrupt();
        }
        walker.join();
        for (Thread t : readers) {
            t.join();
        }
        progress.finish();
        String dead = pipe.failed.get();
        if (dead != null) {
            throw new ScanFailedException(dead, progress.done.get(), progress.found.get() - progress.skipped.get());
        }
        long seen = progress.found.get() - progress.skipped.get();
        if (progress.done.get() != seen) {
            throw new ScanFailedException("rows written (" + progress.done.get() + ") differ from files seen (" + seen + ")",
                    progress.done.get(), seen);
        }
        return new Summary(progress.done.get(), progress.skipped.get(), progress.errors.get());
    }

    /**
     * The queues between the stages and what every stage checks while it waits on one: when any
     * stage dies, the others stop instead of blocking forever on a queue nobody drains or fills.
     */
    private static final class Pipeline {
        final BlockingQueue<Found> found;
        final BlockingQueue<ScanRecord> results;
        final Progress progress;
        final java.util.concurrent.atomic.AtomicReference<String> failed = new java.util.concurrent.atomic.AtomicReference<>();
        volatile boolean walkDone;
        volatile boolean readersDone;
        volatile boolean stopped;

        Pipeline(BlockingQueue<Found> found, BlockingQueue<ScanRecord> results, Progress progress) {
            this.found = found;
            this.results = results;
            this.progress = progress;
        }

        /** Runs a stage; if it dies, records why (first death wins) and stops the pipeline. */
        void stage(String name, Stage body) {
            try {
                body.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | Error e) {
                failed.compareAndSet(null, "the " + name + " stage died: " + (e instanceof dev.dsire.InputException ie ? ie.getMessage()
                        : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse(""))));
                stopped = true;
            }
        }

        boolean running() {
            return !stopped && failed.get() == null;
        }

        /** put, giving up when the pipeline stops: false then. */
        <T> boolean put(BlockingQueue<T> q, T item) throws InterruptedException {
            while (running()) {
                if (q.offer(item, 100, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
            return false;
        }
    }

    @FunctionalInterface
    private interface Stage {
        void run() throws InterruptedException;
    }

    private void walk(List<Path> roots, Pipeline pipe) throws InterruptedException {
        // the walker reads the database through its own connection (WAL: no waiting on the writer)
        try (ScanDb lookup = ScanDb.open(dbPath)) {
            FileWalker.walk(roots, f -> {
                if (!pipe.running()) {
                    throw new InterruptedException("pipeline stopped");
                }
                boolean skip = false;
                try {
                    skip = f.problem() == null && lookup.unchanged(f.path().toString(), f.size(), f.mtime(), modelId);
                } catch (SQLException | RuntimeException e) {
                    // unknown: scan it again
                }
                pipe.progress.found.incrementAndGet();
                if (skip) {
                    pipe.progress.skipped.incrementAndGet();
                } else if (!pipe.put(pipe.found, f)) {
                    throw new InterruptedException("pipeline stopped");
                }
            });
        } finally {
            pipe.progress.walkFinished = true;
            pipe.walkDone = true;
            // one end mark per reader wakes it at once; a reader that finds none (a full queue) sees
            // walkDone when its poll times out
            for (int i = 0; i < threads; i++) {
                if (!pipe.found.offer(Found.END)) {
                    break;
                }
            }
        }
    }

    private void read(Pipeline pipe) throws InterruptedException {
        SpectrumBackend own = shared == null ? new CpuSpectrumBackend(1) : null;
        try {
            FileScanner scanner = new FileScanner(shared != null ? shared : own, model);
            while (pipe.running()) {
                Found f = pipe.found.poll(100, TimeUnit.MILLISECONDS);
                if (f == Found.END) {
                    return;
                }
                if (f == null) {
                    if (pipe.walkDone && pipe.found.isEmpty()) {
                        return;
                    }
                    continue;
                }
                ScanRecord r;
                try {
                    r = scanner.scanContained(f);
                } catch (Error e) {
                    // not containable (the JVM itself is in trouble): still answer the file, then stop the scan
                    pipe.put(pipe.results, ScanRecord.failed(f.path().toString(), f.size(), f.mtime(), ScanStatus.ERROR,
                            "internal error: " + e.getClass().getSimpleName()));
                    throw e;
                }
                if (r.status() == ScanStatus.OK) {
                    pipe.progress.bytes.addAndGet(Math.max(0, f.size()));
                }
                if (!pipe.put(pipe.results, r)) {
                    return;
                }
            }
        } finally {
            if (own != null) {
                own.close();
            }
        }
    }

    private void write(Pipeline pipe, Consumer<ScanRecord> onWritten) throws InterruptedException {
        Progress progress = pipe.progress;
        List<ScanRecord> batch = new ArrayList<>(BATCH);
        long lastCommit = System.nanoTime();
        while (true) {
            // read the flag before polling: once every reader is done, an empty poll means nothing more comes
            boolean last = pipe.readersDone;
            ScanRecord r = pipe.results.poll(100, TimeUnit.MILLISECONDS);
            boolean marked = r == ScanRecord.END; // put after every reader ended: nothing comes after it
            if (r != null && !marked) {
                batch.add(r);
            }
            boolean end = marked || r == null && last || pipe.failed.get() != null;
            if (pipe.failed.get() != null) {
                pipe.results.drainTo(batch); // a stage died: save the rows already made before stopping
                batch.removeIf(x -> x == ScanRecord.END);
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
