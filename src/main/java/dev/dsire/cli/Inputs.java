package dev.dsire.cli;

import dev.dsire.IoReason;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where a command's input paths come from: its arguments, and --files-from (one path a line, "-" for
 * standard input, as find -print and xargs use). A PEFT adapter folder (adapter_model.safetensors
 * beside adapter_config.json, as Hugging Face ships adapters) stands for its weights file.
 */
final class Inputs {
    /** The file PEFT saves an adapter's weights to, inside the adapter's folder. */
    static final String PEFT_WEIGHTS = "adapter_model.safetensors";

    @Option(names = "--files-from", paramLabel = "<list>",
            description = "Also read input paths from this file, one a line ('-' reads them from standard input).")
    Path filesFrom;

    /** The paths to read: the arguments, then those listed; adapter folders stand for their weights file. */
    List<Path> files(List<Path> args) {
        List<Path> out = new ArrayList<>();
        for (Path p : all(args)) {
            out.add(adapterFile(p));
        }
        return out;
    }

    /** The arguments and the listed paths as given (a scan walks folders itself). */
    List<Path> all(List<Path> args) {
        List<Path> out = new ArrayList<>(args == null ? List.of() : args);
        if (filesFrom != null) {
            out.addAll(listed(filesFrom));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no input: give paths as arguments or with --files-from");
        }
        for (Path p : out) {
            if (p.toString().equals("-")) {
                throw new IllegalArgumentException("'-' is not a path here: adapters are read from files; '--files-from -' reads their paths from standard input");
            }
        }
        return out;
    }

    /** A PEFT adapter folder's weights file; any other path as it is (the reader says what is wrong with it). */
    static Path adapterFile(Path p) {
        if (Files.isDirectory(p) && Files.isRegularFile(p.resolve(PEFT_WEIGHTS))) {
            return p.resolve(PEFT_WEIGHTS);
        }
        return p;
    }

    /** The path itself, if something is there; else a one-line error naming what is missing. */
    static Path existing(Path p, String what) {
        if (!Files.exists(p)) {
            throw new MissingInput(p, "no such " + what);
        }
        return p;
    }

    /** An output path whose folder exists, checked before any work so a long run does not end in that error. */
    static Path writable(Path p) {
        Path parent = p.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new MissingInput(p, "its folder " + parent + " does not exist");
        }
        return p;
    }

    /** A named input (a model, a manifest) that is not there: "PATH: no such model file". */
    static final class MissingInput extends dev.dsire.InputException {
        MissingInput(Path file, String reason) {
            super(file, reason);
        }
    }

    private static List<Path> listed(Path list) {
        List<Path> out = new ArrayList<>();
        boolean stdin = list.toString().equals("-");
        try (BufferedReader r = stdin ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(list, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                String s = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                if (!s.isBlank()) {
                    out.add(Path.of(s));
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("--files-from " + list + ": " + (e instanceof IOException io ? IoReason.of(io) : e.getMessage()));
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException("--files-from " + list + ": not a path: " + e.getInput());
        }
        return out;
    }
}
