package dev.dsire.model;

import dev.dsire.lora.KohyaMetadata;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.safetensors.FileKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /** A manifest larger than this is not one: 256 MiB is millions of lines. */
    static final int MAX_BYTES = 256 << 20;

    /**
     * Reads CSV (RFC 4180: quoted fields may hold commas, quotes and line breaks) in UTF-8, with or
     * without a byte order mark. Every entry names a different adapter: the same file (after links
     * and {@code ..} are resolved) on two lines is an error naming both, since one adapter in two
     * groups leaks between training and test, and one file with two labels is no label.
     */
    public static Manifest readCsv(Path csv) {
        String kind = FileKind.notRegular(csv);
        if (kind != null) {
            throw new ManifestException(csv, kind);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(csv)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new ManifestException(csv, "cannot read: " + e.getMessage());
        }
        if (bytes.length > MAX_BYTES) {
            throw new ManifestException(csv, "larger than " + (MAX_BYTES >> 20) + " MiB: not a manifest");
        }
        List<Record> records = records(csv, text(csv, bytes));
        if (records.isEmpty() || !records.getFirst().fields().equals(List.of("path", "group", "size"))) {
            throw new ManifestException(csv, "first line must be the header path,group,size");
        }
        Path base = csv.toAbsolutePath().getParent();
        List<Entry> out = new ArrayList<>();
        Map<Path, Integer> seen = new HashMap<>(); // real path -> index into out
        List<Integer> lineOf = new ArrayList<>();
        for (Record r : records.subList(1, records.size())) {
            List<String> f = r.fields();
            if (f.size() == 1 && f.getFirst().isBlank()) {
                continue;
            }
            if (f.size() != 3) {
                throw new ManifestException(csv, "line " + r.line() + " has " + f.size() + " fields, expected 3");
            }
            int size;
            try {
                size = Integer.parseInt(f.get(2).trim());
            } catch (NumberFormatException e) {
                throw new ManifestException(csv, "line " + r.line() + ": size '" + f.get(2) + "' is not a whole number");
            }
            if (size <= 0) {
                throw new ManifestException(csv, "line " + r.line() + ": size must be positive");
            }
            Path path;
            try {
                path = base.resolve(f.get(0)).normalize();
            } catch (java.nio.file.InvalidPathException e) {
                throw new ManifestException(csv, "line " + r.line() + ": path is not a valid path (" + e.getReason() + ")");
            }
            Entry e = new Entry(path, f.get(1), size);
            Integer before = seen.putIfAbsent(real(path), out.size());
            if (before != null) {
                Entry o = out.get(before);
                String what = !o.group().equals(e.group()) ? "in groups '" + o.group() + "' and '" + e.group() + "' (an adapter in two groups leaks between training and test)"
                        : o.size() != e.size() ? "with sizes " + o.size() + " and " + e.size()
                        : "twice";
                throw new ManifestException(csv, "lines " + lineOf.get(before) + " and " + r.line() + " list the same adapter " + real(path) + " " + what);
            }
            out.add(e);
            lineOf.add(r.line());
        }
        if (out.isEmpty()) {
            throw new ManifestException(csv, "no entries");
        }
        return new Manifest(out);
    }

    /** The file a path means: links and .. resolved where it exists; as given (normalised) where it does not. */
    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException | SecurityException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /** The bytes as text: UTF-8, a leading byte order mark dropped; anything else named, with what to do. */
    private static String text(Path csv, byte[] b) {
        int from = 0;
        if (b.length >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF) {
            from = 3; // what Excel writes as "CSV UTF-8"
        } else if (b.length >= 2 && ((b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xFE || (b[0] & 0xff) == 0xFE && (b[1] & 0xff) == 0xFF)) {
            throw new ManifestException(csv, "is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8");
        }
        for (int i = from; i < Math.min(b.length, from + 4096); i++) {
            if (b[i] == 0) {
                throw new ManifestException(csv, "holds NUL bytes (UTF-16 without a byte order mark, or not text); save it as UTF-8 text");
            }
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, from, b.length - from);
        try {
            return utf8.decode(in).toString();
        } catch (CharacterCodingException e) {
            int at = in.position(), line = 1;
            for (int i = from; i < at && i < b.length; i++) {
                line += b[i] == '\n' ? 1 : 0;
            }
            throw new ManifestException(csv, String.format(java.util.Locale.ROOT,
                    "line %d is not UTF-8 (byte 0x%02X; Latin-1 or Windows-1252?); save it as UTF-8", line, at < b.length ? b[at] & 0xff : 0));
        }
    }

    /** One CSV record: its fields and the line it starts on. */
    private record Record(int line, List<String> fields) {}

    /** RFC 4180 records: commas separate fields, CR LF or LF ends a record outside quotes, "" inside quotes is a quote. */
    private static List<Record> records(Path csv, String text) {
        List<Record> out = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        int line = 1, start = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
            }
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
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
                fields.add(cur.toString());
                cur.setLength(0);
            } else if (c == '\n' || c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                if (c == '\r') {
                    i++;
                    line++;
                }
                fields.add(cur.toString());
                cur.setLength(0);
                out.add(new Record(start, List.copyOf(fields)));
                fields.clear();
                start = line;
            } else {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new ManifestException(csv, "line " + start + ": a quoted field is never closed");
        }
        if (!cur.isEmpty() || !fields.isEmpty()) {
            fields.add(cur.toString());
            out.add(new Record(start, List.copyOf(fields)));
        }
        return out;
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
}
