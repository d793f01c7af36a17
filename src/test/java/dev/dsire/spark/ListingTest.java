package dev.dsire.spark;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.testutil.Cli.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver's file list: each file once however often it is reached, and links to nowhere as error rows. */
class ListingTest {
    @TempDir
    Path dir;

    /** path → problem ("" for none), failing on a path listed twice. */
    private static Map<String, String> listed(List<String> inputs) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (Row r : Listing.list(inputs, new Configuration())) {
            assertNull(out.put(r.getString(0), r.isNullAt(3) ? "" : r.getString(3)), r.getString(0) + " listed twice: " + inputs);
        }
        return out;
    }

    @Test
    void aFileReachedTwiceIsListedOnce() throws Exception {
        Path d = Files.createDirectories(dir.resolve("d"));
        Files.createDirectories(d.resolve("sub"));
        for (String f : List.of("a.safetensors", "b.safetensors", "sub/c.safetensors")) {
            Files.writeString(d.resolve(f), "x");
        }
        Path list = Files.write(dir.resolve("files.txt"), List.of(d.resolve("a.safetensors").toString(), d.resolve("a.safetensors").toString(),
                d.resolve("sub/../b.safetensors").toString(), dir.resolve("d/./sub/c.safetensors").toString()));
        assertEquals(3, listed(List.of(list.toString())).size());
        assertEquals(3, listed(List.of(d.toString(), d.toString())).size());
        assertEquals(3, listed(List.of(d.toString(), list.toString(), d.resolve("sub").toString())).size());
    }

    /** The local scan gives a link to itself an error row; the Spark listing once gave it none. */
    @Test
    void aLinkToItselfGetsTheErrorRowTheLocalScanGivesIt() throws Exception {
        Path d = Files.createDirectories(dir.resolve("d"));
        Files.writeString(d.resolve("a.safetensors"), "x");
        Files.createSymbolicLink(d.resolve("loop.safetensors"), Path.of("loop.safetensors"));
        Files.createSymbolicLink(d.resolve("gone.safetensors"), d.resolve("nothing.safetensors"));
        Map<String, String> spark = listed(List.of(d.toString()));
        assertEquals(3, spark.size(), spark.toString());
        Path db = dir.resolve("scan.db");
        Run scan = dsire("scan", d, "--db", db, "--device", "cpu");
        assertEquals(0, scan.code(), scan.err());
        Run export = dsire("export", "--db", db, "--format", "jsonl");
        assertEquals(0, export.code(), export.err());
        Map<String, JsonNode> local = new TreeMap<>();
        for (String line : export.lines()) {
            JsonNode n = new ObjectMapper().readTree(line);
            local.put(n.path("path").asText(), n);
        }
        for (String link : List.of("loop.safetensors", "gone.safetensors")) {
            JsonNode row = local.get(d.resolve(link).toString());
            assertNotNull(row, export.out());
            assertEquals("error", row.path("status").asText(), row.toString());
            assertEquals(row.path("error").asText(), spark.get(d.resolve(link).toString()), row + " against " + spark);
        }
    }
}
