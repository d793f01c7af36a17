package dev.dsire.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.testutil.Zoo;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress as a user sees it: a bar redrawn in place when stderr is a terminal (a real pseudo-terminal,
 * from util-linux's script), plain text when it is a file, nothing with --quiet.
 */
class ProgressTerminalTest {
    @TempDir
    Path dir;

    private List<String> dsire(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Ddsire.progress.bar-ms=0", // every step redraws: the test needs no slow input
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String shellQuoted(List<String> words) {
        StringBuilder b = new StringBuilder();
        for (String w : words) {
            b.append(b.isEmpty() ? "" : " ").append("'").append(w.replace("'", "'\\''")).append("'");
        }
        return b.toString();
    }

    private static String run(List<String> cmd, Path stdout, Path stderr) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().remove("DSIRE_STDERR_TERMINAL");
        pb.environment().remove("DSIRE_STDOUT_TERMINAL");
        Process p = pb.start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "finished");
        assertEquals(0, p.exitValue(), Files.readString(stderr));
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    @Test
    void aTerminalGetsABarRedrawnInPlaceAndALogGetsPlainText() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script (a pseudo-terminal) is needed");
        Path manifest = Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 3, List.of(1, 2, 3, 4));
        List<String> fit = dsire("fit", "--manifest", manifest.toString(), "--method", "dsire", "--out", dir.resolve("m.json").toString());

        // under a pseudo-terminal: stdout and stderr both reach the typescript
        String tty = run(List.of("/usr/bin/script", "-qec", shellQuoted(fit), "/dev/null"), dir.resolve("tty.out"), dir.resolve("tty.err"));
        assertTrue(tty.contains("\rdsire: reading spectra: [#"), "a bar on the terminal: " + tty);
        assertTrue(tty.contains("12/12 files") && tty.contains("\u001b[K"), "redrawn in place up to the end: " + tty);
        assertTrue(tty.contains("\r\u001b[Kfitted dsire"), "the bar is cleared before the result: " + tty);

        // redirected: no bar, no escape codes, no carriage returns (a short run prints no progress at all)
        Path err = dir.resolve("log.err");
        String out = run(fit, dir.resolve("log.out"), err);
        String log = Files.readString(err);
        assertTrue(out.startsWith("fitted dsire"), out);
        assertFalse(log.contains("\u001b") || log.contains("\r") || out.contains("\u001b"), log);

        // --quiet under a terminal: the result, no bar
        List<String> quiet = new ArrayList<>(fit);
        quiet.add("--quiet");
        String q = run(List.of("/usr/bin/script", "-qec", shellQuoted(quiet), "/dev/null"), dir.resolve("q.out"), dir.resolve("q.err"));
        assertFalse(q.contains("reading spectra"), q);
        assertTrue(q.contains("fitted dsire"), q);
    }

    @Test
    void aLogGetsAPlainLineEveryTenSeconds() {
        StringWriter sink = new StringWriter();
        Progress lines = new Progress(new PrintWriter(sink), Progress.Mode.LINES).phase("reading spectra", 3, "files");
        lines.step(); // within the first 10 s: nothing
        assertEquals("", sink.toString());
        lines.close();
        StringWriter off = new StringWriter();
        Progress none = new Progress(new PrintWriter(off), Progress.Mode.OFF).phase("x", 1, "files");
        none.step();
        none.say("an error still shows");
        assertEquals("an error still shows" + System.lineSeparator(), off.toString());
        none.close();
    }

    @Test
    void aLongStepStillShowsTimeMoving() throws Exception {
        // a log's interval shortened to 1 ms in a JVM of its own: one long step (fitting) gets periodic lines
        Path manifest = Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 17, List.of(1, 2, 3));
        List<String> cmd = new ArrayList<>(dsire("fit", "--manifest", manifest.toString(), "--method", "posterior", "--out", dir.resolve("m.json").toString()));
        cmd.add(1, "-Ddsire.progress.line-ms=1"); // fitting 51 adapters takes tens of milliseconds on a quiet machine
        Path err = dir.resolve("fit.err");
        run(cmd, dir.resolve("fit.out"), err);
        List<String> lines = Files.readAllLines(err);
        assertTrue(lines.stream().anyMatch(l -> l.matches("dsire: fitting posterior on 51 adapters\\.\\.\\., \\d+ s")), lines.toString());
        assertTrue(lines.stream().noneMatch(l -> l.contains("\u001b") || l.contains("\r")), lines.toString());
    }
}
