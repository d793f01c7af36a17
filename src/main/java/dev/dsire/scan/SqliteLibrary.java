package dev.dsire.scan;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.OSInfo;

/**
 * sqlite-jdbc extracts its native library from the jar to a temporary file, reads it back to
 * verify it, and deletes it at exit, on every start: about 0.3 s, most of a small scan's fixed
 * cost. Here the library is copied once per driver version into the user's cache
 * ($XDG_CACHE_HOME or ~/.cache, under dsire/) and the driver is pointed at that copy. Where that
 * cannot be done (no writable home, a platform the jar has no library for) the driver's own
 * extraction runs as before: this is a start-up saving, never a failure.
 */
final class SqliteLibrary {
    private static boolean prepared;

    private SqliteLibrary() {}

    /** Points the driver at the cached copy (making it first if needed); once per process. */
    static synchronized void prepare() {
        if (prepared || System.getProperty("org.sqlite.lib.path") != null) {
            return;
        }
        prepared = true;
        try {
            String folder = OSInfo.getNativeLibFolderPathForCurrentOS();
            String name = System.mapLibraryName("sqlitejdbc");
            URL url = SQLiteJDBCLoader.class.getResource("/org/sqlite/native/" + folder + "/" + name);
            if (url == null) {
                return;
            }
            long size = url.openConnection().getContentLengthLong();
            if (size <= 0) {
                return;
            }
            Path dir = cacheHome().resolve("dsire").resolve("sqlite-jdbc-" + SQLiteJDBCLoader.getVersion() + "-" + folder.replace('/', '-'));
            Path lib = dir.resolve(name);
            if (!Files.isRegularFile(lib) || Files.size(lib) != size) {
                Files.createDirectories(dir);
                // written aside and renamed: two processes starting at once never load half a library
                Path part = Files.createTempFile(dir, name, ".part");
                try {
                    try (InputStream in = url.openStream()) {
                        Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                    }
                    if (Files.size(part) != size) {
                        return;
                    }
                    Files.move(part, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(part);
                }
            }
            System.setProperty("org.sqlite.lib.path", dir.toString());
            System.setProperty("org.sqlite.lib.name", name);
        } catch (IOException | RuntimeException e) {
            // the driver extracts its own copy, as it always did
        }
    }

    private static Path cacheHome() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        return xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    }
}
