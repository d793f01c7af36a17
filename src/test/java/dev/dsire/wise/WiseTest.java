package dev.dsire.wise;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.eval.Sample;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.model.Manifest;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.MatrixKind;
import dev.dsire.testutil.Cli.Run;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.duckdb.DuckDBDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA-WiSE in: Parquet files written by bench/wise/make_wise_parquet.py from the first groups of
 * the bundled zoos (kohya, fp16, rank 8, alpha 4) in exactly the benchmark's schema.
 */
class WiseTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path LOW = Path.of("src/test/resources/wise/low_8/zoo-low.parquet");
    static final Path MEDIUM = Path.of("src/test/resources/wise/zoo-medium.parquet");
    static final Path ZOO_LOW = Path.of("examples/zoo-low");
    /** The zoo's kohya scale alpha / r; LoRA-WiSE stores no alpha, so its B·A is the file's B·A over this. */
    static final double ZOO_SCALE = 4.0 / 8;

    @TempDir
    Path dir;

    @Test
    void evalWiseEqualsEvalManifestOnTheSameAdapters() throws IOException {
        Run imported = dsire("wise", LOW, "--out", dir.resolve("low"));
        assertEquals(0, imported.code(), imported.err());
        Object[] protocol = {"--train-groups", "4", "--repeats", "5", "--methods", "all", "--json", "--device", "cpu"};
        Run wise = dsire(concat(new Object[] {"eval", "--wise", LOW}, protocol));
        Run files = dsire(concat(new Object[] {"eval", "--manifest", dir.resolve("low/manifest.csv")}, protocol));
        assertEquals(0, wise.code(), wise.err());
        assertEquals(0, files.code(), files.err());
        assertEquals(JSON.readTree(files.out()), JSON.readTree(wise.out()), "same groups, same split, same numbers");
        assertTrue(wise.err().contains("wise done: 36 rows, 0 errors"), wise.err());

        // the original kohya files, under the same group names: every method but nn-full agrees exactly.
        // nn-full concatenates A, B and B·A spectra into one vector, so LoRA-WiSE's missing alpha
        // (B·A twice the kohya file's) reweights it; the others compare one kind at a time.
        Path originals = originalsManifest(6);
        Run kohya = dsire(concat(new Object[] {"eval", "--manifest", originals}, protocol));
        assertEquals(0, kohya.code(), kohya.err());
        JsonNode a = JSON.readTree(wise.out()).get("methods"), b = JSON.readTree(kohya.out()).get("methods");
        int compared = 0;
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).get("method").asText().equals("nn-full")) {
                assertEquals(b.get(i), a.get(i));
                compared++;
            }
        }
        assertEquals(a.size() - 1, compared, "every method but nn-full compared");
        assertTrue(compared >= 6, "the paper's method and its ablations at least");
    }

    @Test
    void exportKeepsLabelsGroupsAndSpectra() throws IOException {
        Path out = dir.resolve("low");
        Run r = dsire("wise", LOW, "--out", out);
        assertEquals(0, r.code(), r.err());
        Manifest m = Manifest.readCsv(out.resolve("manifest.csv"));
        assertEquals(36, m.entries().size());
        assertEquals(new TreeSet<>(List.of("0", "1", "2", "3", "4", "5")), new TreeSet<>(m.entries().stream().map(Manifest.Entry::group).toList()));
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            for (Manifest.Entry e : m.entries()) {
                Path original = original(Integer.parseInt(e.group()), e.size());
                AdapterSpectra mine = spectra(cpu, e.path()), theirs = spectra(cpu, original);
                assertEquals(theirs.layout(), mine.layout(), "same canonical layers and shapes as " + original);
                for (int l = 0; l < mine.layers().size(); l++) {
                    LayerSpectrum x = mine.layers().get(l), y = theirs.layers().get(l);
                    assertClose(y.a(), x.a(), 1, e.path() + " A");
                    assertClose(y.b(), x.b(), 1, e.path() + " B");
                    assertClose(y.values(MatrixKind.BA), x.ba(), 1 / ZOO_SCALE, e.path() + " BA");
                }
            }
        }
    }

    @Test
    void readingInSlicesOfLayersGivesTheSameSamples() {
        WiseInputs in = WiseInputs.of(List.of(LOW), null, null);
        PrintWriter quiet = new PrintWriter(new StringWriter());
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(2)) {
            List<Sample> whole = WiseSamples.read(in, cpu, quiet, false, Long.MAX_VALUE).samples();
            List<Sample> sliced = WiseSamples.read(in, cpu, quiet, false, 1).samples(); // one layer per query
            assertEquals(36, whole.size());
            assertEquals(whole.size(), sliced.size());
            for (int i = 0; i < whole.size(); i++) {
                Sample a = whole.get(i), b = sliced.get(i);
                assertEquals(List.of(a.path(), a.group(), a.size(), a.spectra().layout()), List.of(b.path(), b.group(), b.size(), b.spectra().layout()));
                for (int l = 0; l < a.spectra().layers().size(); l++) {
                    LayerSpectrum x = a.spectra().layers().get(l), y = b.spectra().layers().get(l);
                    assertEquals(x.layer(), y.layer());
                    // the same values at another offset in memory may be summed in another order
                    // by the vector kernels: equal to the last few bits, not always bit for bit
                    double tol = 1e-13 * Math.max(1e-300, x.ba()[0]);
                    assertArrayEquals(x.ba(), y.ba(), tol);
                }
            }
        }
    }

    @Test
    void exportInSlicesWritesWhatTheWriterWritesForWholeRows() throws IOException {
        WiseInputs in = WiseInputs.of(List.of(LOW), null, null);
        PrintWriter quiet = new PrintWriter(new StringWriter());
        WiseExporter.Result r = WiseExporter.export(in, dir.resolve("x"), quiet, false, 1); // one layer per query
        assertEquals(36, r.written());
        List<WiseRow> rows = new ArrayList<>();
        try (WiseReader reader = new WiseReader()) {
            reader.read(LOW, 8, reader.plan(LOW, Long.MAX_VALUE).columns(), new WiseReader.Sink() {
                @Override
                public void row(WiseRow row) {
                    rows.add(row);
                }

                @Override
                public void error(WiseException e) {
                    fail(e.getMessage());
                }
            });
        }
        List<Manifest.Entry> entries = Manifest.readCsv(r.manifest()).entries();
        for (int i = 0; i < rows.size(); i++) {
            assertArrayEquals(rows.get(i).safetensors(), Files.readAllBytes(entries.get(i).path()), entries.get(i).path().toString());
            assertEquals(List.of(rows.get(i).group(), rows.get(i).size()), List.of(entries.get(i).group(), entries.get(i).size()));
        }
    }

    @Test
    void rankComesFromTheOptionOrTheSubsetInThePath() throws IOException {
        Run unnamed = dsire("wise", MEDIUM, "--out", dir.resolve("m1"));
        assertEquals(1, unnamed.code());
        assertTrue(unnamed.err().contains(MEDIUM + ": cannot tell the LoRA rank"), unnamed.err());
        Run given = dsire("wise", MEDIUM, "--rank", "8", "--out", dir.resolve("m2"));
        assertEquals(0, given.code(), given.err());
        assertEquals(30, Manifest.readCsv(dir.resolve("m2/manifest.csv")).entries().size());
        // a folder with --subset: only that subset's files, and its rank
        Run subset = dsire("wise", "src/test/resources/wise", "--subset", "low_8", "--out", dir.resolve("m3"));
        assertEquals(0, subset.code(), subset.err());
        assertEquals(36, Manifest.readCsv(dir.resolve("m3/manifest.csv")).entries().size());
    }

    @Test
    void subsetsAreReadFromHubAndConverterPaths() {
        assertEquals("medium_32_2", WiseSubset.inPath(Path.of("/d/LoRA-WiSE/medium/32_2/train-00003-of-00032.parquet")).orElseThrow().name());
        assertEquals("medium_32", WiseSubset.inPath(Path.of("/d/LoRA-WiSE/medium/32/train-00000-of-00016.parquet")).orElseThrow().name());
        assertEquals(16, WiseSubset.inPath(Path.of("/d/refs/low_16/partial-train/0000.parquet")).orElseThrow().rank());
        assertEquals(32, WiseSubset.inPath(Path.of("/d/high_32.parquet")).orElseThrow().rank());
        assertTrue(WiseSubset.inPath(Path.of("/d/lowlands/8/x.parquet")).isEmpty());
        assertTrue(WiseSubset.inPath(Path.of("/d/medium_8/x.parquet")).isEmpty(), "not a LoRA-WiSE subset");
        assertThrows(IllegalArgumentException.class, () -> WiseSubset.named("low_64"));
    }

    @Test
    void badRowsAreReportedOneLineEachAndTheRestGoesOn() throws Exception {
        Path bad = Files.createDirectories(dir.resolve("low_8")).resolve("bad.parquet");
        Path noLabel = dir.resolve("low_8/nolabel.parquet");
        String col = "\"unet.transformer_blocks.0.attn1.to_k.lora.down.weight\"";
        try (Connection c = new DuckDBDriver().connect("jdbc:duckdb:", new Properties()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t AS SELECT * FROM read_parquet('" + LOW.toAbsolutePath() + "', file_row_number = true)");
            s.execute("UPDATE t SET " + col + " = list_concat(['nan'::DOUBLE], " + col + "[2:]) WHERE file_row_number = 2");
            s.execute("UPDATE t SET " + col + " = " + col + "[2:] WHERE file_row_number = 4"); // 511 values: not a multiple of rank 8
            s.execute("UPDATE t SET " + col + " = list_concat(" + col + ", " + col + "[1:8]) WHERE file_row_number = 6"); // 8 x 65: disagrees
            s.execute("UPDATE t SET " + col + " = NULL WHERE file_row_number = 8");
            s.execute("COPY (SELECT * EXCLUDE (file_row_number) FROM t ORDER BY file_row_number) TO '" + bad + "' (FORMAT parquet)");
            s.execute("COPY (SELECT * EXCLUDE (label, file_row_number) FROM t) TO '" + noLabel + "' (FORMAT parquet)");
        }
        Run r = dsire("wise", bad, noLabel, dir.resolve("low_8/missing.parquet"), "--out", dir.resolve("out"));
        assertEquals(1, r.code());
        List<String> errors = r.err().lines().filter(l -> !l.startsWith("wise") && !l.startsWith("wrote")).sorted().toList();
        assertEquals(6, errors.size(), r.err());
        assertTrue(errors.get(0).startsWith(bad + "#2: " + col.replace("\"", "") + " holds NaN at 0"), errors.get(0));
        assertTrue(errors.get(1).startsWith(bad + "#4: ") && errors.get(1).contains("511 values, not a positive multiple of rank 8"), errors.get(1));
        assertTrue(errors.get(2).startsWith(bad + "#6: its layers disagree with the other rows'")
                && errors.get(2).contains("[8, 65] where the others have"), errors.get(2));
        assertTrue(errors.get(3).startsWith(bad + "#8: ") && errors.get(3).endsWith(" is null"), errors.get(3));
        assertTrue(errors.get(4).startsWith(dir.resolve("low_8/missing.parquet") + ": no such file"), errors.get(4));
        assertTrue(errors.get(5).startsWith(noLabel + ": no 'label' column"), errors.get(5));
        Manifest m = Manifest.readCsv(dir.resolve("out/manifest.csv"));
        assertEquals(32, m.entries().size());
        try (Stream<Path> files = Files.list(dir.resolve("out"))) {
            assertEquals(33, files.count(), "no file is left behind for a bad row");
        }

        Run eval = dsire("eval", "--wise", bad, "--train-groups", "4", "--repeats", "2", "--device", "cpu");
        assertEquals(1, eval.code());
        assertTrue(eval.out().startsWith("method"), eval.out());
        assertEquals(4, eval.err().lines().filter(l -> l.startsWith(bad + "#")).count(), eval.err());
    }

    private static Path original(int group, int size) throws IOException {
        String prefix = String.format("g%02d-", group), suffix = String.format("-n%02d.safetensors", size);
        try (Stream<Path> s = Files.list(ZOO_LOW)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(suffix))
                    .findFirst().orElseThrow();
        }
    }

    /** The zoo's manifest for its first groups, group gNN renamed NN as the converter numbers it. */
    private Path originalsManifest(int groups) throws IOException {
        List<String> lines = new ArrayList<>(List.of("path,group,size"));
        for (Manifest.Entry e : Manifest.readCsv(ZOO_LOW.resolve("manifest.csv")).entries()) {
            int g = Integer.parseInt(e.group().substring(1, 3));
            if (g < groups) {
                lines.add(e.path().toAbsolutePath() + "," + g + "," + e.size());
            }
        }
        return Files.write(dir.resolve("originals.csv"), lines);
    }

    private static AdapterSpectra spectra(CpuSpectrumBackend cpu, Path file) {
        try (LoraAdapter a = LoraReader.open(file)) {
            return cpu.compute(List.of(a)).getFirst().spectra();
        }
    }

    /** expected·factor against actual, within 1e-9 of the largest singular value. */
    private static void assertClose(double[] expected, double[] actual, double factor, String what) {
        assertEquals(expected.length, actual.length, what);
        double tol = 1e-9 * Math.max(expected[0] * factor, Double.MIN_NORMAL);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i] * factor, actual[i], tol, what + " σ" + i);
        }
    }

    private static Object[] concat(Object[] a, Object[] b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray();
    }
}
