package dev.dsire.cli;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.testutil.Cli.Run;
import dev.dsire.testutil.Zoo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** What a user meets first: help, usage errors, a quiet stderr, inputs, --json, completion and man pages. */
class CliSurfaceTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Runs in process with the raw stderr (testutil.Cli drops the device line; here it must not be there at all). */
    static Run raw(Object... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(java.util.Arrays.stream(args).map(Object::toString).toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private static List<CommandLine> subcommands() {
        return new ArrayList<>(Main.full().getSubcommands().values());
    }

    @Test
    void everyCommandAndOptionIsDescribedInWholeSentencesWithOnePlaceholderStyleAndExamples() {
        List<String> problems = new ArrayList<>();
        for (CommandLine c : subcommands()) {
            CommandSpec spec = c.getCommandSpec();
            String name = spec.name();
            String[] header = spec.usageMessage().header();
            String summary = header.length > 0 ? header[0] : spec.usageMessage().description()[0]; // what the command list shows
            if (!summary.endsWith(".") || !Character.isUpperCase(summary.charAt(0))) {
                problems.add(name + ": summary is not a whole sentence: " + summary);
            }
            for (OptionSpec o : spec.options()) {
                if (o.hidden()) {
                    continue;
                }
                String d = String.join(" ", o.description()).strip();
                if (d.isEmpty() || !d.endsWith(".")) {
                    problems.add(name + " " + o.longestName() + ": description missing or not a sentence: '" + d + "'");
                }
                if (o.arity().max() > 0 && !o.paramLabel().matches("<[a-z][a-z-]*>")) {
                    problems.add(name + " " + o.longestName() + ": placeholder " + o.paramLabel() + " is not <lower-case>");
                }
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (p.hidden()) {
                    continue;
                }
                String d = String.join(" ", p.description()).strip();
                if (d.isEmpty() || !d.endsWith(".")) {
                    problems.add(name + " " + p.paramLabel() + ": description missing or not a sentence: '" + d + "'");
                }
                if (!p.paramLabel().matches("<[a-z][a-z-]*>") && !name.equals("help")) { // picocli's own help command says COMMAND
                    problems.add(name + " " + p.paramLabel() + ": placeholder is not <lower-case>");
                }
            }
            if (!name.equals("help")) {
                String footer = String.join("\n", spec.usageMessage().footer());
                if (!footer.contains("Examples:") || !footer.contains("  dsire " + name)) {
                    problems.add(name + ": no Examples section with a 'dsire " + name + "' line");
                }
                for (String line : spec.usageMessage().footer()) {
                    if (line.contains("dsire ") && line.length() > spec.usageMessage().width()) { // an example picocli would wrap mid-command
                        problems.add(name + ": footer line wider than the help: " + line);
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
        Run top = dsire("--help");
        assertTrue(top.out().contains("Examples:") && top.out().contains("generate-completion"), top.out());
        assertFalse(top.out().contains("\u001b["), "no escape codes when stdout is not a terminal");
    }

    @Test
    void aUsageErrorIsOneLineThatPointsToHelp() {
        Run missing = raw("predict", "x.safetensors");
        assertEquals(Main.USAGE, missing.code());
        assertEquals(List.of("dsire: Missing required option: '--model=<model>'; see 'dsire predict --help'"), missing.err().lines().toList());
        assertEquals("", missing.out());
        Run typo = raw("scna", "x");
        assertEquals(Main.USAGE, typo.code());
        assertEquals(1, typo.err().lines().count(), typo.err());
        assertTrue(typo.err().contains("did you mean scan"), typo.err());
        Run noInput = raw("inspect");
        assertEquals(Main.USAGE, noInput.code());
        assertEquals("dsire: no input: give paths as arguments or with --files-from", noInput.err().strip());
    }

    @Test
    void stderrIsQuietByDefaultNotesAreSummedUpVerboseListsThemQuietDropsThem() throws IOException {
        // PEFT files without their adapter_config.json: a note each (scale assumed 1); a note is said once
        // per file and process, so each run here reads files of its own
        List<Path> files = peftFiles("plain", 4);
        Run plain = raw(concat("features", "--out", dir.resolve("f.jsonl"), files));
        assertEquals(0, plain.code(), plain.err());
        List<String> err = plain.err().lines().toList();
        assertEquals(1, err.size(), plain.err());
        assertTrue(err.getFirst().startsWith("dsire: note: 4 notes about input files (--verbose lists them); the first: "), err.getFirst());
        assertFalse(plain.err().contains("device"), "the CPU needs no announcement");

        Run verbose = raw(concat("features", "--verbose", "--out", dir.resolve("g.jsonl"), peftFiles("verbose", 4)));
        assertEquals(4, verbose.err().lines().filter(l -> l.startsWith("dsire: note: ") && l.contains("scale assumed 1")).count(), verbose.err());
        assertTrue(verbose.err().contains("dsire: device auto -> cpu"), "--verbose says which device and why");
        if (java.util.stream.Stream.of("/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg").noneMatch(p -> Files.exists(Path.of(p)))) {
            // no device node: auto says so without binding the CUDA driver
            assertTrue(verbose.err().contains("(no GPU device node (/dev/nvidiactl, /dev/nvidia0, /dev/dxg))"), verbose.err());
        }

        Run quiet = raw(concat("features", "--quiet", "--out", dir.resolve("h.jsonl"), peftFiles("quiet", 4)));
        assertEquals("", quiet.err());
        Files.writeString(dir.resolve("bad.safetensors"), "not a safetensors file");
        Run quietBad = raw("inspect", "-q", dir.resolve("bad.safetensors"));
        assertEquals(Main.INPUT_ERROR, quietBad.code());
        assertTrue(quietBad.err().startsWith(dir.resolve("bad.safetensors") + ": "), "--quiet keeps errors");
        for (CommandLine c : subcommands()) {
            String n = c.getCommandSpec().name();
            if (!n.equals("help") && !n.equals("generate-completion")) {
                assertNotNull(c.getCommandSpec().findOption("--quiet"), n + " has --quiet");
                assertNotNull(c.getCommandSpec().findOption("--verbose"), n + " has --verbose");
            }
        }
    }

    @Test
    void errorsSayTheReasonInWords() throws IOException {
        Run missing = raw("inspect", dir.resolve("nothere.safetensors"));
        assertEquals(dir.resolve("nothere.safetensors") + ": cannot read: no such file", missing.err().strip());
        Run model = raw("predict", "--model", dir.resolve("nothere.json"), dir.resolve("x.safetensors"));
        assertEquals(Main.INPUT_ERROR, model.code());
        assertEquals(dir.resolve("nothere.json") + ": no such model file", model.err().strip());
        Run manifest = raw("fit", "--manifest", dir.resolve("nothere.csv"), "--out", dir.resolve("m.json"));
        assertEquals(dir.resolve("nothere.csv") + ": no such manifest", manifest.err().strip());
        Path zoo = Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 2, List.of(1, 2));
        Path nowhere = dir.resolve("no-such-folder/m.json");
        Run output = raw("fit", "--manifest", zoo, "--method", "dsire", "--out", nowhere);
        assertEquals(Main.INPUT_ERROR, output.code());
        assertEquals(nowhere + ": its folder " + nowhere.getParent() + " does not exist", output.err().strip());
        for (Run r : List.of(missing, model, manifest, output)) {
            assertFalse(r.err().contains("Exception") || r.err().contains("NoSuchFile"), r.err());
        }
    }

    @Test
    void aPeftFolderIsAnAdapterWhereverAFileIs() throws IOException {
        Path manifest = Zoo.write(dir.resolve("train"), Naming.PEFT, 3, List.of(1, 2, 4));
        Path model = dir.resolve("m.json");
        assertEquals(0, dsire("fit", "--manifest", manifest, "--method", "dsire", "--out", model).code());
        Path folder = dir.resolve("train/g1-n4");
        Path file = folder.resolve(Inputs.PEFT_WEIGHTS);
        assertEquals(dsire("predict", "--model", model, "--json", file).out(), dsire("predict", "--model", model, "--json", folder).out());
        assertEquals(dsire("inspect", "--json", file).out(), dsire("inspect", "--json", folder).out());
        assertEquals(dsire("features", file).out(), dsire("features", folder).out());
        Run fit = dsire("fit", "--labels-from-metadata", dir.resolve("train/g0-n1"), dir.resolve("train/g0-n2"), "--method", "dsire", "--out", dir.resolve("k.json"));
        assertEquals(0, fit.code(), fit.err());
        assertTrue(fit.out().contains("on 2 adapters"), fit.out());
    }

    @Test
    void filesFromReadsAListOrStandardInput() throws IOException {
        Path manifest = Zoo.write(dir.resolve("z"), Naming.KOHYA, 1, List.of(1, 2, 3));
        List<Path> files = adapters(manifest);
        Path list = dir.resolve("list.txt");
        Files.writeString(list, files.get(0) + "\n\n" + files.get(1) + "\r\n");
        Run fromFile = dsire("inspect", "--json", "--files-from", list, files.get(2));
        assertEquals(0, fromFile.code(), fromFile.err());
        assertEquals(List.of(files.get(2).toString(), files.get(0).toString(), files.get(1).toString()), paths(fromFile));
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream((files.get(1) + "\n" + files.get(0) + "\n").getBytes(StandardCharsets.UTF_8)));
            Run fromStdin = dsire("inspect", "--json", "--files-from", "-");
            assertEquals(List.of(files.get(1).toString(), files.get(0).toString()), paths(fromStdin));
            System.setIn(new ByteArrayInputStream((dir.resolve("z") + "\n").getBytes(StandardCharsets.UTF_8)));
            Path db = dir.resolve("s.sqlite");
            Run scan = dsire("scan", "--files-from", "-", "--db", db);
            assertEquals(0, scan.code(), scan.err());
            assertTrue(scan.out().startsWith("3 scanned"), scan.out());
        } finally {
            System.setIn(stdin);
        }
        Run dash = dsire("inspect", "-");
        assertEquals(Main.USAGE, dash.code());
        assertTrue(dash.err().contains("'--files-from -' reads their paths from standard input"), dash.err());
        Run absent = dsire("inspect", "--files-from", dir.resolve("nolist.txt"));
        assertEquals("dsire: --files-from " + dir.resolve("nolist.txt") + ": no such file", absent.err().strip());
    }

    @Test
    void scanTakesFilesAndFoldersAndItsSummaryPointsToTheSuspiciousFiles() throws Exception {
        Path manifest = Zoo.write(dir.resolve("hub"), Naming.KOHYA, 1, List.of(1, 2));
        Files.write(dir.resolve("hub/model.ckpt"), new byte[] {(byte) 0x80, 2});
        Files.writeString(dir.resolve("hub/broken.safetensors"), "junk");
        Path single = Zoo.writeOne(dir.resolve("single/one.safetensors"), 0, 3, Zoo.RANK, 1, 1);
        Path db = dir.resolve("hub.sqlite");
        Run r = dsire("scan", dir.resolve("hub"), single, "--db", db);
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("5 scanned, 0 skipped (unchanged), 1 errors -> " + db, lines.get(0));
        assertEquals("  by status: 3 no_model, 1 error, 1 pickle", lines.get(1)); // no model: read, nothing answered
        assertTrue(lines.get(2).startsWith("  by family: "), lines.get(2));
        assertEquals("  2 rows deserve a look; list them with:", lines.get(3));
        String export = lines.get(4).strip(), sql = lines.get(5).strip();
        assertEquals("dsire export --db " + db + " --status error,pickle", export);
        // the printed export line, run as printed, lists exactly the suspicious files
        List<String> args = new ArrayList<>(List.of(export.substring("dsire ".length()).split(" ")));
        Run listed = dsire(args.toArray());
        assertEquals(0, listed.code(), listed.err());
        List<String> rows = listed.out().lines().skip(1).map(l -> l.substring(0, l.indexOf(','))).sorted().toList();
        assertEquals(List.of(dir.resolve("hub/broken.safetensors").toString(), dir.resolve("hub/model.ckpt").toString()), rows);
        // and so does the SQL query
        assertTrue(sql.startsWith("sqlite3 " + db + " \"") && sql.endsWith(ScanCommand.sqlQuery() + "\""), sql);
        List<String> viaSql = new ArrayList<>();
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); var st = c.createStatement();
             var rs = st.executeQuery(ScanCommand.sqlQuery())) {
            while (rs.next()) {
                viaSql.add(rs.getString(1));
            }
        }
        assertEquals(rows, viaSql);
        Path model = dir.resolve("m.json");
        assertEquals(0, dsire("fit", "--manifest", manifest, "--method", "dsire", "--out", model).code());
        Run predicted = dsire("scan", dir.resolve("hub"), "--db", dir.resolve("p.sqlite"), "--model", model);
        assertTrue(predicted.out().lines().anyMatch(l -> l.matches("  by status: \\d+ ok.*")), predicted.out());
        assertTrue(predicted.out().lines().anyMatch(l -> l.matches("  declared sizes: \\d+ agree with the answer, \\d+ disagree .*")),
                "with a model, the sizes the files state are checked: " + predicted.out());
        Run notAnAdapter = dsire("scan", manifest, "--db", db);
        assertEquals(Main.USAGE, notAnAdapter.code());
        assertTrue(notAnAdapter.err().contains("manifest.csv: not an adapter (.safetensors) or a pickle checkpoint"), notAnAdapter.err());
        Run json = dsire("export", "--db", db, "--json");
        assertEquals(dsire("export", "--db", db, "--format", "jsonl").out(), json.out());
        assertEquals(5, json.lines().size());
        assertEquals(json.out(), dsire("export", "--db", db, "--json", "--out", "-").out(), "'-' is standard output");
    }

    @Test
    void everyCommandThatCanEmitJsonSpellsItJson() throws IOException {
        for (String n : List.of("inspect", "features", "fit", "predict", "eval", "scan", "export", "bench", "doctor")) {
            assertNotNull(Main.full().getSubcommands().get(n).getCommandSpec().findOption("--json"), n);
        }
        Run doctor = dsire("doctor", "--json");
        assertEquals(0, doctor.code(), doctor.err());
        JsonNode d = JSON.readTree(doctor.out());
        assertTrue(d.get("cpu_cores").asInt() >= 1 && d.has("auto") && d.get("cuda").isArray(), doctor.out());
        Path manifest = Zoo.write(dir.resolve("z"), Naming.KOHYA, 2, List.of(1, 2));
        Run fit = dsire("fit", "--manifest", manifest, "--method", "dsire", "--out", dir.resolve("m.json"), "--json");
        JsonNode f = JSON.readTree(fit.out());
        assertEquals("dsire", f.get("method").asText());
        assertEquals(4, f.get("adapters").asInt());
        assertEquals(List.of(1, 2), List.of(f.get("sizes").get(0).asInt(), f.get("sizes").get(1).asInt()));
    }

    @Test
    void generateCompletionPrintsAScriptThatKnowsEveryCommandAndOption() {
        Run r = dsire("generate-completion");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("complete -F"), "a bash completion script");
        for (CommandLine c : subcommands()) {
            assertTrue(r.out().contains(c.getCommandSpec().name()), c.getCommandSpec().name());
        }
        for (String option : List.of("--files-from", "--quiet", "--model", "--db", "--json", "--device")) {
            assertTrue(r.out().contains(option), option);
        }
    }

    @Test
    void theBuildWritesAManPagePerCommandWithEveryOption() throws IOException {
        Path man = Path.of("target/man"); // written by the build's process-classes phase (pom.xml, ManPages)
        assertTrue(Files.isRegularFile(man.resolve("dsire.adoc")), "run the build (mvn test) first: it generates target/man");
        for (CommandLine c : subcommands()) {
            Path page = man.resolve("dsire-" + c.getCommandSpec().name() + ".adoc");
            assertTrue(Files.isRegularFile(page), page.toString());
            String text = Files.readString(page);
            for (OptionSpec o : c.getCommandSpec().options()) {
                if (!o.hidden()) {
                    assertTrue(text.contains(o.longestName()), page + " lacks " + o.longestName());
                }
            }
        }
        Path out = dir.resolve("man");
        assertDoesNotThrow(() -> ManPages.main(new String[] {out.toString()}));
        assertEquals(Files.readString(man.resolve("dsire-scan.adoc")), Files.readString(out.resolve("dsire-scan.adoc")), "the build's pages are today's");
    }

    private List<Path> peftFiles(String name, int n) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            files.add(peftWithoutConfig(dir.resolve(name + i), i + 1));
        }
        return files;
    }

    static Path peftWithoutConfig(Path folder, double b) throws IOException {
        Path f = Files.createDirectories(folder).resolve(Inputs.PEFT_WEIGHTS);
        String module = "base_model.model.model.layers.0.self_attn.q_proj";
        new dev.dsire.safetensors.SafetensorsWriter()
                .put(module + ".lora_A.weight", dev.dsire.safetensors.DType.F32, new long[] {2, 4}, new double[] {1, 0, 0, 0, 0, 1, 0, 0})
                .put(module + ".lora_B.weight", dev.dsire.safetensors.DType.F32, new long[] {4, 2}, new double[] {b, 0, 0, 2, 0, 0, 0, 0})
                .write(f);
        return f;
    }

    private static List<Path> adapters(Path manifest) throws IOException {
        try (var s = Files.walk(manifest.getParent())) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    private static List<String> paths(Run r) throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : r.lines()) {
            out.add(JSON.readTree(l).get("path").asText());
        }
        return out;
    }

    private static Object[] concat(String command, Object... rest) {
        List<Object> out = new ArrayList<>(List.of(command));
        for (Object o : rest) {
            if (o instanceof List<?> l) {
                out.addAll(l);
            } else {
                out.add(o);
            }
        }
        return out.toArray();
    }

}
