package dev.dsire.scan;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.cli.Main;
import dev.dsire.testutil.Cli.Run;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scan databases that are damaged, read-only, or not files at all. */
class ScanDbIntegrityTest {
    static final Path ZOO = Path.of("examples/zoo-low");

    @TempDir
    Path dir;

    private Path scanned() {
        Path db = dir.resolve("scan.db");
        Run r = dsire("scan", ZOO, "--db", db, "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        return db;
    }

    /** Damaged pages once exported garbled and duplicated rows with exit 0; now both commands refuse the file in one line. */
    @Test
    void aDamagedDatabaseIsRefusedInOneLine() throws Exception {
        Path db = scanned();
        try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
            f.seek(16);
            int pageSize = f.readUnsignedShort();
            pageSize = pageSize == 1 ? 65536 : pageSize;
            for (long page = 2; page * pageSize < f.length(); page += 3) { // every third b-tree page gets a page type that is none
                f.seek((page - 1) * pageSize);
                f.write(0x7f);
            }
        }
        Run export = dsire("export", "--db", db);
        assertEquals(1, export.code(), export.err());
        assertEquals("", export.out());
        assertEquals(db + ": corrupt: rescan into a new file", export.err().strip().replaceFirst(" \\(.*", "").replaceFirst("^dsire: ", ""));
        Run scan = dsire("scan", ZOO, "--db", db, "--device", "cpu");
        assertEquals(1, scan.code(), scan.err());
        assertTrue(scan.err().contains(db + ": corrupt: rescan into a new file"), scan.err());
    }

    @Test
    void exportSaysWhatADatabasePathIsWhenItIsNotAFile() throws Exception {
        Run d = dsire("export", "--db", dir);
        assertEquals(2, d.code());
        assertTrue(d.err().contains(dir + ": not a regular file: a directory"), d.err());
        Path fifo = dir.resolve("scan.db");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Run f = dsire("export", "--db", fifo);
        assertEquals(2, f.code());
        assertTrue(f.err().contains(fifo + ": not a regular file: a FIFO"), f.err());
        Run missing = dsire("export", "--db", dir.resolve("none.db"));
        assertTrue(missing.err().contains("no such scan database"), missing.err());
    }

    /**
     * Export reads a database on a read-only filesystem (it once failed with SQLITE_CANTOPEN): as
     * root, in a private mount namespace where the folder is bind-mounted read-only; otherwise in a
     * folder without write permission.
     */
    @Test
    void exportReadsADatabaseOnAReadOnlyFilesystem() throws Exception {
        Path db = scanned();
        Run rw = dsire("export", "--db", db);
        assertEquals(0, rw.code(), rw.err());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = "mount --bind '" + dir + "' '" + dir + "' && mount -o remount,bind,ro '" + dir + "' && touch '" + dir + "/w' 2>/dev/null && exit 9; exec '" + java
                + "' --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp '" + System.getProperty("java.class.path") + "' " + Main.class.getName()
                + " export --db '" + db + "'";
        Process p = new ProcessBuilder("unshare", "-m", "sh", "-c", cmd).start();
        byte[] out = p.getInputStream().readAllBytes(), err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String errText = new String(err, StandardCharsets.UTF_8);
        if (p.exitValue() != 0 && (errText.contains("unshare") || errText.contains("mount")) || p.exitValue() == 9) {
            // no mount namespace here: a folder without write permission instead, which only binds a user other than root
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
            try {
                Assumptions.assumeFalse(Files.isWritable(dir), "neither a read-only mount nor a read-only folder can be made here");
                Run ro = dsire("export", "--db", db);
                assertEquals(0, ro.code(), ro.err());
                assertEquals(rw.out(), ro.out());
            } finally {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            return;
        }
        assertEquals(0, p.exitValue(), errText);
        assertEquals(rw.out(), new String(out, StandardCharsets.UTF_8));
        assertEquals(List.of(db), List.of(Files.list(dir).filter(f -> f.getFileName().toString().startsWith("scan.db")).toArray()),
                "nothing written beside it");
    }

    /** A database from before the later columns and the answers table: exported with them empty, and left as it was. */
    @Test
    void exportReadsAnOlderDatabaseWithoutChangingIt() throws Exception {
        Path db = scanned();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); java.sql.Statement s = c.createStatement()) {
            for (String column : List.of("answer", "probabilities", "scale_source", "label_source", "run", "layout_name")) {
                s.execute("ALTER TABLE files DROP COLUMN " + column);
            }
            s.execute("DROP TABLE answers");
        }
        byte[] before = Files.readAllBytes(db);
        Run csv = dsire("export", "--db", db);
        assertEquals(0, csv.code(), csv.err());
        assertTrue(csv.lines().size() > 100, csv.out());
        Run parquet = dsire("export", "--db", db, "--format", "parquet", "--out", dir.resolve("x.parquet"));
        assertEquals(0, parquet.code(), parquet.err());
        assertArrayEquals(before, Files.readAllBytes(db), "export wrote nothing to the database");
    }
}
