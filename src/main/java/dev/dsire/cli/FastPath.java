package dev.dsire.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The everyday command lines of inspect, features and predict, read without picocli: a fresh JVM spent
 * ~0.2 s building picocli's model of a command before reading a file (inspect on one file took twice
 * as long as its work).
 *
 * <p>Read here: the subcommand first, then adapter paths and these options, each at most once and
 * written as two words: {@code --json} (all three), {@code --threads N} (features and predict, N from 1
 * to 9999), {@code --model FILE} (predict, required). Anything else (help, other options,
 * {@code --opt=value}, {@code @argfiles}, {@code --}, repeats, a missing value, no path) is left to
 * picocli, which also gives every usage error. The command objects are those picocli would build, options
 * set the same way ({@code FastPathTest} compares them field by field, and the output byte for byte).
 */
final class FastPath {
    private FastPath() {}

    /** The command to run, its options set; null where picocli must read the line. */
    static Object parse(String[] args) {
        if (args.length < 2) {
            return null;
        }
        String command = args[0];
        boolean predict = command.equals("predict");
        if (!predict && !command.equals("inspect") && !command.equals("features")) {
            return null;
        }
        boolean json = false;
        Integer threads = null;
        Path model = null;
        List<Path> files = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--json") && !json) {
                json = true;
            } else if (a.equals("--threads") && threads == null && !command.equals("inspect") && i + 1 < args.length) {
                threads = count(args[++i]);
                if (threads == null) {
                    return null;
                }
            } else if (a.equals("--model") && model == null && predict && i + 1 < args.length && plain(args[i + 1])) {
                model = path(args[++i]);
                if (model == null) {
                    return null;
                }
            } else if (plain(a)) {
                Path p = path(a);
                if (p == null) {
                    return null;
                }
                files.add(p);
            } else {
                return null;
            }
        }
        if (files.isEmpty() || (predict && model == null)) {
            return null;
        }
        return switch (command) {
            case "inspect" -> {
                InspectCommand c = new InspectCommand();
                c.files = files;
                c.inputs = new Inputs();
                c.json = json;
                c.output = new OutputOptions();
                yield c;
            }
            case "features" -> {
                FeaturesCommand c = new FeaturesCommand();
                c.files = files;
                c.inputs = new Inputs();
                c.json = json;
                c.compute = compute(threads);
                yield c;
            }
            default -> {
                PredictCommand c = new PredictCommand();
                c.modelPath = model;
                c.files = files;
                c.inputs = new Inputs();
                c.json = json;
                c.compute = compute(threads);
                yield c;
            }
        };
    }

    /** Runs a command {@link #parse} returned. */
    static int run(Object command, PrintWriter out, PrintWriter err) throws IOException {
        return switch (command) {
            case InspectCommand c -> c.run(out, err);
            case FeaturesCommand c -> c.run(out, err);
            case PredictCommand c -> c.run(out, err);
            default -> throw new IllegalArgumentException("not a fast-path command: " + command);
        };
    }

    private static ComputeOptions compute(Integer threads) {
        ComputeOptions c = new ComputeOptions();
        c.output = new OutputOptions();
        if (threads != null) {
            c.threads = threads;
        }
        return c;
    }

    /** A word that is neither an option, picocli's @argfile, nor empty. */
    private static boolean plain(String a) {
        return !a.isEmpty() && !a.startsWith("-") && !a.startsWith("@");
    }

    private static Path path(String a) {
        try {
            return Path.of(a);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** 1 to 9999 in plain digits; null for anything picocli might read otherwise. */
    private static Integer count(String a) {
        if (a.isEmpty() || a.length() > 4 || a.charAt(0) == '0') {
            return null;
        }
        for (int i = 0; i < a.length(); i++) {
            if (a.charAt(i) < '0' || a.charAt(i) > '9') {
                return null;
            }
        }
        return Integer.parseInt(a);
    }
}
