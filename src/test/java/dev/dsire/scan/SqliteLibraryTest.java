package dev.dsire.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteLibraryTest {
    @TempDir
    Path dir;

    @Test
    void theDriverLoadsTheCachedCopyOfItsLibrary() throws SQLException {
        Path home = Path.of(System.getProperty("user.home"));
        assumeTrue(System.getenv("XDG_CACHE_HOME") != null || Files.isWritable(home), "no writable cache home");
        try (ScanDb db = ScanDb.open(dir.resolve("s.db"))) {
            assertEquals(0, db.count());
        }
        String where = System.getProperty("org.sqlite.lib.path"), name = System.getProperty("org.sqlite.lib.name");
        assertTrue(where != null && name != null, "the driver was pointed at a cached copy");
        Path lib = Path.of(where, name);
        assertTrue(Files.isRegularFile(lib), lib.toString());
        assertTrue(lib.getParent().getFileName().toString().startsWith("sqlite-jdbc-"), lib.toString());
    }
}
