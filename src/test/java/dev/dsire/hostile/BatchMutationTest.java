package dev.dsire.hostile;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.cli.Main;
import dev.dsire.safetensors.FuzzChecks;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch mutation test: a hostile corpus through {@code inspect --json}, {@code features --jsonl},
 * {@code predict --json} and {@code scan} + {@code export --format jsonl}, each as one batch in its
 * own JVM (as a user runs it), asserting: no hang, exit 0 or 1, no stack trace, every path answered
 * exactly once (one JSON line or one "PATH: reason" line), every output line valid JSON in UTF-8,
 * and one scan row per file seen.
 *
 * <p>CI runs a few hundred files; {@code bench/hostile/run.sh} runs the same test at full size
 * ({@code -Dhostile.files=20000 -Dhostile.heavy=true}) and writes a summary ({@code -Dhostile.report=FILE}).
 */
class BatchMutationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FILES = Integer.getInteger("hostile.files", 300);
    private static final boolean HEAVY = Boolean.getBoolean("hostile.heavy");
    private static final long SEED = Long.getLong("hostile.seed", 12);
    private static final long TIMEOUT_S = Long.getLong("hostile.timeout", 300);
    private static final String REPORT = System.getProperty("hostile.report");

    @TempDir
    Path tmp;

    record Run(String command, int code, List<String> out, List<String> err, double seconds) {}

    @Test
    void aHostileCorpusThroughEveryBatchCommand() throws Exception {
        Path work = System.getProperty("hostile.dir") != null ? Files.createDirectories(Path.of(System.getProperty("hostile.dir"))) : tmp;
        long t0 = System.nanoTime();
        HostileCorpus.Corpus corpus = new HostileCorpus(SEED, HEAVY, Files.createDirectories(work.resolve("seeds"))).write(work.resolve("corpus"), FILES);
        double made = (System.nanoTime() - t0) / 1e9;
        List<Path> files = corpus.files();
        Path args = work.resolve("files.txt");
        Files.write(args, files.stream().map(p -> quote(p.toString())).toList());
        Path model = work.resolve("model.json");
        assertEquals(0, Main.run(new String[] {"fit", "--manifest", HostileCorpus.trainingSet(work.resolve("train")).toString(),
                "--out", model.toString()}, new PrintWriter(System.out), new PrintWriter(System.err)));

        List<String> report = new ArrayList<>();
        report.add(String.format(Locale.ROOT, "corpus: %d files (%d mutated + %d special), seed %d, heavy %s, made in %.1f s",
                files.size(), FILES, files.size() - FILES, SEED, HEAVY, made));
        List<String> problems = new ArrayList<>();

        Run inspect = dsire(work, "inspect", "--json", "@" + args);
        check(inspect, files, inspect.out(), true, problems);
        report.add(summary(inspect, inspect.out(), corpus));

        Path featuresOut = work.resolve("features.jsonl");
        Run features = dsire(work, "features", "--threads", "2", "--jsonl", featuresOut.toString(), "@" + args);
        List<String> featureLines = lines(featuresOut, problems);
        check(features, files, featureLines, false, problems);
        report.add(summary(features, featureLines, corpus));

        Run predict = dsire(work, "predict", "--threads", "2", "--json", "--model", model.toString(), "@" + args);
        check(predict, files, predict.out(), true, problems);
        report.add(summary(predict, predict.out(), corpus));

        Path db = work.resolve("scan.sqlite");
        Files.deleteIfExists(db);
        Run scan = dsire(work, "scan", "--threads", "2", "--db", db.toString(), "--model", model.toString(), corpus.root().toString());
        Run export = dsire(work, "export", "--db", db.toString(), "--format", "jsonl");
        checkScan(scan, export, corpus, problems);
        report.add(summary(scan, List.of(), corpus));
        report.add(summary(export, export.out(), corpus));
        report.add(problems.isEmpty() ? "result: every check passed" : "result: " + problems.size() + " problems");

        if (REPORT != null) {
            List<String> all = new ArrayList<>(report);
            all.add("outcomes of inspect by mutation (ok / error):");
            all.addAll(byMutation(inspect.out(), corpus));
            all.add("most common reasons (inspect):");
            all.addAll(reasons(inspect.err()));
            all.addAll(problems.stream().limit(50).map(p -> "PROBLEM " + p).toList());
            Files.write(Path.of(REPORT), all);
        }
        report.forEach(System.out::println);
        assertTrue(problems.isEmpty(), String.join("\n", problems.subList(0, Math.min(20, problems.size()))));
    }

    /** Paths in an @argfile are quoted (picocli's rule), so any name survives. */
    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private Run dsire(Path work, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = work.resolve(args[0] + ".out"), err = work.resolve(args[0] + ".err");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail("dsire " + args[0] + " hung: no exit within " + TIMEOUT_S + " s");
        }
        double s = (System.nanoTime() - t0) / 1e9;
        List<String> problems = new ArrayList<>();
        Run r = new Run(args[0], p.exitValue(), lines(out, problems),
                lines(err, problems).stream().filter(l -> !l.startsWith("WARNING: Using incubator modules") && !l.startsWith("dsire: device auto -> ")
                        && !l.startsWith("dsire: note: ")).toList(), s); // notes (e.g. a PEFT file's assumed scale) answer nothing
        assertTrue(problems.isEmpty(), problems.toString());
        return r;
    }

    /** The file's lines, which must be UTF-8. */
    private static List<String> lines(Path f, List<String> problems) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(f))).toString().lines().toList();
        } catch (CharacterCodingException e) {
            problems.add(f + " is not valid UTF-8");
            return List.of();
        }
    }

    private static void commonChecks(Run r, List<String> problems) {
        if (r.code() != 0 && r.code() != 1) {
            problems.add(r.command() + " exited " + r.code() + ": " + String.join(" | ", r.err().subList(Math.max(0, r.err().size() - 3), r.err().size())));
        }
        for (String l : r.err()) {
            if (l.startsWith("\tat ") || l.contains("Exception in thread") || l.startsWith("Caused by:") || l.contains("internal error:")) {
                problems.add(r.command() + " printed a stack trace or internal error: " + l);
                break;
            }
        }
    }

    /** Each file exactly once: in a JSON line (always when jsonForFailures) or as one 'PATH: reason' line. */
    private static void check(Run r, List<Path> files, List<String> jsonLines, boolean jsonForFailures, List<String> problems) {
        commonChecks(r, problems);
        Map<String, Integer> answered = new HashMap<>();
        for (String line : jsonLines) {
            JsonNode n = parse(r.command(), line, problems);
            if (n != null) {
                answered.merge(n.path("path").asText(), 1, Integer::sum);
            }
        }
        Map<String, Integer> errLines = new HashMap<>();
        for (String l : r.err()) {
            if (l.startsWith("dsire: note: ")) {
                continue; // a remark on a file that was read, not an answer
            }
            String path = pathOf(l, files);
            if (path == null) {
                problems.add(r.command() + ": stderr line that names no input: " + l);
            } else {
                errLines.merge(path, 1, Integer::sum);
            }
        }
        for (Path f : files) {
            String p = f.toString();
            int json = answered.getOrDefault(p, 0), err = errLines.getOrDefault(p, 0);
            boolean ok = jsonForFailures ? json == 1 && err <= 1 : json + err == 1;
            if (!ok) {
                problems.add(r.command() + ": " + p + " answered " + json + " times on stdout and " + err + " on stderr");
            }
        }
        if (answered.size() > files.size()) {
            problems.add(r.command() + ": answers for paths not asked");
        }
    }

    private static final Map<String, String> BY_PREFIX = new HashMap<>();

    private static String pathOf(String errLine, List<Path> files) {
        if (BY_PREFIX.isEmpty()) {
            files.forEach(f -> BY_PREFIX.put(f.toString(), f.toString()));
        }
        int at = errLine.indexOf(": ");
        while (at > 0) {
            String candidate = errLine.substring(0, at);
            if (BY_PREFIX.containsKey(candidate)) {
                return candidate;
            }
            at = errLine.indexOf(": ", at + 1);
        }
        return null;
    }

    private static JsonNode parse(String command, String line, List<String> problems) {
        try {
            JsonNode n = JSON.readTree(line);
            wellFormed(n, command, problems);
            return n;
        } catch (IOException | AssertionError e) {
            problems.add(command + ": output line is not valid JSON: " + line.substring(0, Math.min(200, line.length())));
            return null;
        }
    }

    private static void wellFormed(JsonNode n, String command, List<String> problems) {
        if (n.isTextual()) {
            FuzzChecks.wellFormedText(n.asText());
        }
        n.fieldNames().forEachRemaining(FuzzChecks::wellFormedText);
        n.forEach(c -> wellFormed(c, command, problems));
    }

    private static void checkScan(Run scan, Run export, HostileCorpus.Corpus corpus, List<String> problems) throws IOException {
        commonChecks(scan, problems);
        if (scan.code() != 0) {
            problems.add("scan exited " + scan.code());
        }
        commonChecks(export, problems);
        // files the walker sees: every candidate name that is not a directory
        List<String> seen = new ArrayList<>();
        try (var s = Files.walk(corpus.root())) {
            s.filter(p -> !Files.isDirectory(p)).filter(p -> p.toString().endsWith(".safetensors") || p.toString().endsWith(".ckpt"))
                    .forEach(p -> seen.add(p.toString()));
        }
        Map<String, Integer> rows = new HashMap<>();
        for (String line : export.out()) {
            JsonNode n = parse("export", line, problems);
            if (n != null) {
                rows.merge(n.path("path").asText(), 1, Integer::sum);
            }
        }
        if (rows.size() != seen.size() || export.out().size() != seen.size()) {
            problems.add("scan: " + export.out().size() + " rows (" + rows.size() + " paths) for " + seen.size() + " files seen");
        }
        for (String p : seen) {
            if (rows.getOrDefault(p, 0) != 1) {
                problems.add("scan: " + p + " has " + rows.getOrDefault(p, 0) + " rows");
            }
        }
    }

    private static String summary(Run r, List<String> jsonLines, HostileCorpus.Corpus corpus) {
        long ok = jsonLines.stream().filter(l -> l.contains("\"error\":null") || !l.contains("\"error\"")).count();
        return String.format(Locale.ROOT, "%-9s exit %d in %6.1f s: %d lines on stdout (%d without error), %d lines on stderr",
                r.command(), r.code(), r.seconds(), jsonLines.size(), ok, r.err().size());
    }

    private static List<String> byMutation(List<String> inspect, HostileCorpus.Corpus corpus) throws IOException {
        Map<String, int[]> by = new TreeMap<>();
        for (String line : inspect) {
            JsonNode n = JSON.readTree(line);
            String how = corpus.mutation().getOrDefault(Path.of(n.get("path").asText()), "?");
            String key = how.substring(how.indexOf(' ') + 1);
            by.computeIfAbsent(key, k -> new int[2])[n.get("error").isNull() ? 0 : 1]++;
        }
        List<String> out = new ArrayList<>();
        by.forEach((k, v) -> out.add(String.format(Locale.ROOT, "  %-32s %6d / %6d", k, v[0], v[1])));
        return out;
    }

    private static List<String> reasons(List<String> err) {
        Map<String, Integer> count = new LinkedHashMap<>();
        for (String l : err) {
            String reason = l.replaceFirst("^.*?\\.safetensors: |^.*?\\.ckpt: ", "").replaceAll("[0-9]+", "N").replaceAll("tensor \\S+", "tensor T")
                    .replaceAll("layer \\S+", "layer L");
            count.merge(reason.length() > 110 ? reason.substring(0, 110) : reason, 1, Integer::sum);
        }
        return count.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(25)
                .map(e -> String.format(Locale.ROOT, "  %6d  %s", e.getValue(), e.getKey())).toList();
    }
}
