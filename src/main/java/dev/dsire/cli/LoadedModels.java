package dev.dsire.cli;

import dev.dsire.model.DsireModel;
import dev.dsire.model.ModelFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Model files as predict loads them. In the resident process (system property dsire.resident) the last
 * few stay loaded while their files are unchanged (same size, modification time and inode): parsing a
 * model is most of what a warm one-file predict would otherwise spend.
 */
final class LoadedModels {
    private static final int KEEP = 4;
    private static final Map<Object, DsireModel> KEPT = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Object, DsireModel> eldest) {
            return size() > KEEP;
        }
    };

    private LoadedModels() {}

    /** What identifies one version of a model file. */
    private record Key(Path path, long size, long modified, Object inode) {}

    static DsireModel load(Path file) {
        if (!Boolean.getBoolean("dsire.resident")) {
            return ModelFile.load(file);
        }
        Key key;
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            key = new Key(file.toAbsolutePath().normalize(), a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
        } catch (IOException | RuntimeException e) {
            return ModelFile.load(file); // its own error, worded as the command line words it
        }
        synchronized (KEPT) {
            DsireModel m = KEPT.get(key);
            if (m != null) {
                return m;
            }
        }
        DsireModel m = ModelFile.load(file);
        synchronized (KEPT) {
            KEPT.put(key, m);
        }
        return m;
    }
}
