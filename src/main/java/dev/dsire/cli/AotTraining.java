package dev.dsire.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The training run for the JDK's AOT cache (JEP 483/514/515): the launcher runs this once after a
 * build with -XX:AOTCacheOutput, and every later start loads the classes, linkage and method
 * profiles it recorded instead of discovering them again. It drives the commands people start
 * most (inspect, features, fit, predict, scan, export) on the bundled zoo, in one process, output
 * discarded. Usage: AotTraining EXAMPLES_DIR.
 */
public final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        Path zoo = Path.of(args.length > 0 ? args[0] : "examples").resolve("zoo-low");
        List<String> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(zoo)) {
            s.filter(p -> p.toString().endsWith(".safetensors")).sorted().limit(24).forEach(p -> files.add(p.toString()));
        }
        Path tmp = Files.createTempDirectory("dsire-aot");
        try {
            String model = tmp.resolve("model.json").toString();
            List<List<String>> runs = List.of(
                    with(List.of("inspect", "--json"), files),
                    with(List.of("features", "--threads", "2"), files),
                    with(List.of("features", "--threads", "1", "--jsonl", tmp.resolve("f.jsonl").toString()), files),
                    List.of("fit", "--manifest", zoo.resolve("manifest.csv").toString(), "--out", model),
                    with(List.of("predict", "--model", model, "--json"), files),
                    with(List.of("predict", "--model", model), files),
                    List.of("scan", "--db", tmp.resolve("scan.db").toString(), "--model", model, zoo.toString()),
                    List.of("export", "--db", tmp.resolve("scan.db").toString(), "--format", "jsonl"));
            PrintWriter sink = new PrintWriter(Writer.nullWriter());
            for (List<String> run : runs) {
                int code = Main.run(run.toArray(String[]::new), sink, sink);
                if (code != 0) {
                    System.err.println("dsire: AOT training run `" + String.join(" ", run.subList(0, 1)) + "` exited " + code);
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static List<String> with(List<String> head, List<String> files) {
        List<String> out = new ArrayList<>(head);
        out.addAll(files);
        return out;
    }
}
