package dev.dsire.model;

import dev.dsire.lora.KohyaMetadata;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A labelled set of adapters: each file with the micro-dataset ("group") it was trained on and
 * that dataset's size. Read from CSV ({@code path,group,size}, paths relative to the CSV) or from
 * kohya training metadata.
 */
public record Manifest(List<Entry> entries) {

    public record Entry(Path path, String group, int size) {}

    public Manifest {
        entries = List.copyOf(entries);
    }

    public static Manifest readCsv(Path csv) {
        List<String> lines;
        try {
            lines = Files.readAllLines(csv);
        } catch (IOException e) {
            throw new ManifestException(csv, "cannot read: " + e.getMessage());
        }
        if (lines.isEmpty() || !split(lines.getFirst()).equals(List.of("path", "group", "size"))) {
            throw new ManifestException(csv, "first line must be the header path,group,size");
        }
        Path base = csv.toAbsolutePath().getParent();
        List<Entry> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            List<String> f = split(line);
            if (f.size() != 3) {
                throw new ManifestException(csv, "line " + (i + 1) + " has " + f.size() + " fields, expected 3");
            }
            int size;
            try {
                size = Integer.parseInt(f.get(2).trim());
            } catch (NumberFormatException e) {
                throw new ManifestException(csv, "line " + (i + 1) + ": size '" + f.get(2) + "' is not a whole number");
            }
            if (size <= 0) {
                throw new ManifestException(csv, "line " + (i + 1) + ": size must be positive");
            }
            out.add(new Entry(base.resolve(f.get(0)).normalize(), f.get(1), size));
        }
        if (out.isEmpty()) {
            throw new ManifestException(csv, "no entries");
        }
        return new Manifest(out);
    }

    /**
     * Labels from kohya metadata: size = unique training images, group = the training folders'
     * names without kohya's "N_" repeat prefix. Files without a count are reported and left out.
     */
    public static Manifest fromKohyaMetadata(List<Path> files, Consumer<String> skipped) {
        List<Entry> out = new ArrayList<>();
        for (Path p : files) {
            try (LoraAdapter a = LoraReader.open(p)) {
                KohyaMetadata k = a.kohya();
                if (k.trainImages().isEmpty()) {
                    skipped.accept(p + ": no kohya training-image count in metadata");
                    continue;
                }
                out.add(new Entry(p, k.trainGroup(), k.trainImages().getAsInt()));
            } catch (dev.dsire.InputException e) {
                skipped.accept(e.getMessage());
            }
        }
        return new Manifest(out);
    }

    /** One CSV line split on commas outside double quotes ("" inside quotes is a quote). */
    static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
