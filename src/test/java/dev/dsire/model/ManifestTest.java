package dev.dsire.model;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.testutil.Cli.Run;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Manifests as spreadsheets and attackers write them: BOMs, other encodings, FIFOs, one adapter twice. */
class ManifestTest {
    @TempDir
    Path dir;

    private String refused(Path csv) {
        ManifestException e = assertThrows(ManifestException.class, () -> Manifest.readCsv(csv));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().startsWith(csv + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aUtf8ByteOrderMarkIsAcceptedAndOtherEncodingsAreNamed() throws Exception {
        Path csv = dir.resolve("m.csv");
        Files.write(csv, ("\uFEFFpath,group,size\r\na.safetensors,g,1\r\n").getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(new Manifest.Entry(dir.resolve("a.safetensors"), "g", 1)), Manifest.readCsv(csv).entries());

        Files.write(csv, "path,group,size\na.safetensors,g,1\ncafé.safetensors,g,2\n".getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(refused(csv).contains("line 3 is not UTF-8 (byte 0xE9; Latin-1 or Windows-1252?)"), refused(csv));
        Files.write(csv, "path,group,size\na.safetensors,g,1\n".getBytes(StandardCharsets.UTF_16));
        assertTrue(refused(csv).contains("is UTF-16"), refused(csv));
        Files.write(csv, "path,group,size\na.safetensors,g,1\n".getBytes(StandardCharsets.UTF_16LE));
        assertTrue(refused(csv).contains("NUL bytes"), refused(csv));
    }

    @Test
    void quotedFieldsMayHoldCommasQuotesAndLineBreaks() throws Exception {
        Path csv = dir.resolve("m.csv");
        Files.writeString(csv, "path,group,size\n\"a,b.safetensors\",\"two\nlines\",3\n\"q\"\"uote.safetensors\",g,7\nplain.safetensors,h,2\n");
        assertEquals(List.of(new Manifest.Entry(dir.resolve("a,b.safetensors"), "two\nlines", 3), new Manifest.Entry(dir.resolve("q\"uote.safetensors"), "g", 7),
                new Manifest.Entry(dir.resolve("plain.safetensors"), "h", 2)), Manifest.readCsv(csv).entries());
        Files.writeString(csv, "path,group,size\na.safetensors,g,1\nb.safetensors,\"h,1\n");
        assertTrue(refused(csv).contains("line 3: a quoted field is never closed"), refused(csv));
        Files.writeString(csv, "path,group,size\na.safetensors,g,1\n\"x\ny\",g,z\n");
        assertTrue(refused(csv).contains("line 3: size 'z'"), refused(csv)); // a record's line is where it starts
    }

    /** One adapter in two groups leaked from training into test (MAE 0.917 → 0.726 from nothing). */
    @Test
    void oneAdapterOnTwoLinesIsAnErrorNamingBoth() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Files.writeString(sub.resolve("a.safetensors"), "x");
        Files.createSymbolicLink(dir.resolve("link.safetensors"), sub.resolve("a.safetensors"));
        Path csv = dir.resolve("m.csv");
        Files.writeString(csv, "path,group,size\nsub/a.safetensors,g1,1\nb.safetensors,g1,1\nsub/../link.safetensors,g2,1\n");
        String m = refused(csv);
        assertTrue(m.contains("lines 2 and 4 list the same adapter " + sub.resolve("a.safetensors").toRealPath() + " in groups 'g1' and 'g2'"), m);
        Files.writeString(csv, "path,group,size\nsub/a.safetensors,g1,1\nsub/./a.safetensors,g1,6\n");
        assertTrue(refused(csv).contains("lines 2 and 3 list the same adapter " + sub.resolve("a.safetensors").toRealPath() + " with sizes 1 and 6"), refused(csv));
        Files.writeString(csv, "path,group,size\nmissing.safetensors,g1,1\nx/../missing.safetensors,g1,1\n");
        assertTrue(refused(csv).contains("lines 2 and 3 list the same adapter " + dir.resolve("missing.safetensors") + " twice"), refused(csv));

        Files.writeString(csv, "path,group,size\nsub/a.safetensors,g1,1\nlink.safetensors,g2,6\n");
        Run eval = dsire("eval", "--manifest", csv, "--device", "cpu");
        assertEquals(1, eval.code(), eval.err());
        assertTrue(eval.err().contains("lines 2 and 3 list the same adapter"), eval.err());
    }

    /** A FIFO once hung fit and eval; /dev/zero ran out of memory with a stack trace. */
    @Test
    void nonRegularManifestsAreRefusedAtOnce() throws Exception {
        Path fifo = dir.resolve("m.csv");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertTrue(assertTimeoutPreemptively(Duration.ofSeconds(30), () -> refused(fifo)).contains("not a regular file: a FIFO"));
        assertTrue(assertTimeoutPreemptively(Duration.ofSeconds(30), () -> refused(Path.of("/dev/zero"))).contains("not a regular file: a character device"));
        Files.createSymbolicLink(dir.resolve("zero.csv"), Path.of("/dev/zero"));
        Run fit = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> dsire("fit", "--manifest", dir.resolve("zero.csv"), "--out", dir.resolve("m.json")));
        assertEquals(1, fit.code(), fit.err());
        assertTrue(fit.err().contains(dir.resolve("zero.csv") + ": not a regular file: a character device (symbolic link to /dev/zero)"), fit.err());
    }
}
