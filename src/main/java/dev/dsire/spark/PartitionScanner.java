package dev.dsire.spark;

import dev.dsire.lora.LoraReader;
import dev.dsire.model.ModelSet;
import dev.dsire.scan.FileScanner;
import dev.dsire.scan.Found;
import dev.dsire.scan.ScanRecord;
import dev.dsire.scan.ScanStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

/**
 * The executor side: listing rows in, scan rows out, one file at a time (memory stays flat), through
 * the same {@link FileScanner} as the local scan. Local files are memory-mapped where they lie; others
 * are copied through Hadoop's FileSystem into a local scratch file of the same name and mtime first.
 * A bad file is an error row, never a failed task.
 */
final class PartitionScanner implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<ModelShipment> models;
    private final String modelId;
    private final String device;
    /** Test hook: fail this partition after its first row (simulates an executor lost mid-chunk). */
    private final boolean failMidway;

    PartitionScanner(Broadcast<ModelShipment> models, String modelId, String device, boolean failMidway) {
        this.models = models;
        this.modelId = modelId;
        this.device = device;
        this.failMidway = failMidway;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> in) {
        ModelSet set = ExecutorState.models(models);
        FileScanner scanner = new FileScanner(ExecutorState.backend(device), set);
        Configuration conf = new Configuration();
        return new Iterator<>() {
            int n;
            final java.util.ArrayDeque<Row> pending = new java.util.ArrayDeque<>(); // a file answered by several models gives several rows

            @Override
            public boolean hasNext() {
                return !pending.isEmpty() || in.hasNext();
            }

            @Override
            public Row next() {
                if (pending.isEmpty()) {
                    if (failMidway && n++ == 1) {
                        throw new IllegalStateException("injected failure (test)");
                    }
                    Row l = in.next();
                    pending.addAll(ScanRows.of(scan(scanner, conf, l.getString(0), l.getLong(1), l.getLong(2), l.getString(3)), modelId));
                }
                return pending.poll();
            }
        };
    }

    static ScanRecord scan(FileScanner scanner, Configuration conf, String name, long size, long mtime, String problem) {
        Path p = new Path(name);
        String scheme = p.toUri().getScheme();
        try {
            if (problem != null || scheme == null || scheme.equals("file")) {
                return scanner.scanContained(new Found(java.nio.file.Path.of(p.toUri().getPath()), size, mtime, problem), name);
            }
            return staged(scanner, conf, p, name, size, mtime);
        } catch (RuntimeException e) {
            // a bug must cost its file, not the task and the chunk with it
            return ScanRecord.failed(name, size, mtime, ScanStatus.ERROR, "internal error: " + e);
        }
    }

    private static ScanRecord staged(FileScanner scanner, Configuration conf, Path p, String name, long size, long mtime) {
        java.nio.file.Path dir = null;
        java.nio.file.Path local = null;
        try {
            dir = Files.createTempDirectory("dsire-stage");
            local = dir.resolve(p.getName());
            if (LoraReader.isPickleName(local)) {
                Files.createFile(local); // never read: FileScanner records it by its name
            } else {
                try (InputStream is = p.getFileSystem(conf).open(p)) {
                    Files.copy(is, local);
                }
            }
            Files.setLastModifiedTime(local, FileTime.fromMillis(mtime));
            // a copy of another length means the file changed between listing and copying; FileScanner says so
            return scanner.scanContained(new Found(local, size, mtime, null), name);
        } catch (IOException e) {
            return ScanRecord.failed(name, size, mtime, ScanStatus.ERROR, "unreadable: " + e.getClass().getSimpleName().replace("Exception", ""));
        } finally {
            try {
                if (local != null) {
                    Files.deleteIfExists(local);
                }
                if (dir != null) {
                    Files.deleteIfExists(dir);
                }
            } catch (IOException e) {
                // scratch left behind in the temp folder: the row is what matters
            }
        }
    }
}
