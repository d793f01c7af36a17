package dev.dsire.model;

import dev.dsire.spectra.AdapterSpectra;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The fitted models a scan predicts with (SD 1.5, SDXL, ... a hub's models, one per layout): each
 * file is answered by every model of its layout, each under its own name; a file no model fits
 * gets none. May be empty.
 *
 * @param models in the order given (a folder's files by name); names are unique
 */
public record ModelSet(List<Entry> models) {
    /** No model: scan without predicting. */
    public static final ModelSet NONE = new ModelSet(List.of());

    /**
     * One model with its source.
     *
     * @param id   the first 16 hex digits of the file's SHA-256: what resume compares
     * @param json the file's bytes, to ship to cluster executors
     */
    public record Entry(String id, Path source, byte[] json, DsireModel model) {
        /** What rows call the model: its file name without .json (a hub model's file is named after its layout). */
        public String name() {
            String n = source.getFileName().toString();
            return n.endsWith(".json") ? n.substring(0, n.length() - 5) : n;
        }
    }

    public ModelSet {
        models = List.copyOf(models);
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Entry e : models) {
            if (!names.add(e.name())) {
                throw new ModelFileException(e.source(), "two models are named " + e.name() + ": rows could not tell their answers apart");
            }
        }
    }

    /** Model files, or folders whose *.json files are models (taken in name order). */
    public static ModelSet load(List<Path> paths) {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    List<Path> json = s.filter(f -> f.getFileName().toString().endsWith(".json") && !f.getFileName().toString().equals("index.json")
                            && Files.isRegularFile(f)).sorted().toList();
                    if (json.isEmpty()) {
                        throw new ModelFileException(p, "folder holds no *.json model");
                    }
                    files.addAll(json);
                } catch (IOException e) {
                    throw new ModelFileException(p, "unreadable folder: " + e.getMessage());
                }
            } else {
                files.add(p);
            }
        }
        List<Path> sources = new ArrayList<>();
        List<byte[]> bytes = new ArrayList<>();
        for (Path f : files) {
            try {
                bytes.add(Files.readAllBytes(f));
            } catch (IOException e) {
                throw new ModelFileException(f, "not a readable JSON model: " + e.getMessage().lines().findFirst().orElse(""));
            }
            sources.add(f);
        }
        return parse(sources, bytes);
    }

    /** Models from their files' bytes (on an executor, from the broadcast). */
    public static ModelSet parse(List<Path> sources, List<byte[]> json) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            entries.add(new Entry(sha256(json.get(i)), sources.get(i), json.get(i), ModelFile.parse(sources.get(i), json.get(i))));
        }
        return new ModelSet(entries);
    }

    public boolean isEmpty() {
        return models.isEmpty();
    }

    /** What a row records as its model, and resume compares: null without models, a model's own id for one, else the set's. */
    public String id() {
        if (models.isEmpty()) {
            return null;
        }
        if (models.size() == 1) {
            return models.getFirst().id();
        }
        return sha256(String.join(",", models.stream().map(Entry::id).sorted().toList()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Every model of this layout, in the set's order (empty when none has it). */
    public List<Entry> matching(dev.dsire.lora.Layout layout) {
        return models.stream().filter(e -> e.model().layout().equals(layout)).toList();
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
