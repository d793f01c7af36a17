package dev.dsire.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * One request's adapter, received into its own folder: the body is spooled to a file (bounded by
 * --max-bytes and the time limit), then, for a zip or a multipart form, unpacked beside it. The adapter is
 * read from there by the normal mmap reader, like any file on disk.
 *
 * @param file the .safetensors file to read (a PEFT adapter has its adapter_config.json beside it)
 * @param name what the answer's "path" shows: the uploaded file's name
 */
public record Upload(Path file, String name) {
    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(?:\"([^\"]{1,70})\"|([^;\\s]{1,70}))");
    private static final Pattern FILENAME = Pattern.compile("(?i)filename=\"([^\"]*)\"");
    private static final String PEFT_FILE = "adapter_model.safetensors", PEFT_CONFIG = "adapter_config.json";
    private static final int MAX_PARTS = 4, MAX_PART_HEADER = 8 << 10, MAX_ZIP_ENTRIES = 4096;

    /** Receives the body: raw safetensors bytes, a zip (a PEFT folder), or multipart/form-data (one file, or a PEFT folder's two). */
    static Upload receive(InputStream body, String contentType, String nameHint, Path dir, long maxBytes, long deadlineNanos) throws IOException {
        Path spool = dir.resolve("body");
        long n = spool(body, spool, maxBytes, deadlineNanos);
        if (n == 0) {
            throw new HttpFailure(400, "empty request body: send the adapter's bytes");
        }
        String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        String hint = nameHint == null || nameHint.isBlank() ? "upload.safetensors" : nameHint;
        if (type.startsWith("multipart/form-data")) {
            Matcher m = BOUNDARY.matcher(contentType);
            if (!m.find()) {
                throw new HttpFailure(400, "multipart/form-data without a boundary");
            }
            return multipart(spool, (m.group(1) != null ? m.group(1) : m.group(2)).getBytes(StandardCharsets.ISO_8859_1), dir, maxBytes);
        }
        if (type.startsWith("application/zip") || type.startsWith("application/x-zip") || startsWithZipMagic(spool)) {
            return unzip(spool, dir, maxBytes);
        }
        Path file = dir.resolve("in").resolve(storedName(hint));
        Files.createDirectories(file.getParent());
        Files.move(spool, file);
        return new Upload(file, hint);
    }

    private static long spool(InputStream body, Path to, long maxBytes, long deadlineNanos) throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        try (OutputStream out = Files.newOutputStream(to)) {
            for (int r; (r = body.read(buf)) >= 0; ) {
                total += r;
                if (total > maxBytes) {
                    throw new HttpFailure(413, "request body larger than --max-bytes (" + maxBytes + " bytes)");
                }
                if (System.nanoTime() - deadlineNanos > 0) {
                    throw new HttpFailure(408, "upload not received within the request time limit");
                }
                out.write(buf, 0, r);
            }
        }
        return total;
    }

    private static boolean startsWithZipMagic(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4;
        }
    }

    /** A name safe to store under: the last path segment, other characters replaced; the extension kept (pickle names stay refused). */
    static String storedName(String name) {
        String last = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
        String safe = last.replaceAll("[^A-Za-z0-9._-]", "_");
        if (safe.length() > 120) {
            safe = safe.substring(safe.length() - 120);
        }
        return safe.isEmpty() || safe.startsWith(".") ? "upload" + safe : safe;
    }

    /** A PEFT folder (adapter_model.safetensors with its adapter_config.json) or one .safetensors file, from a zip. */
    private static Upload unzip(Path spool, Path dir, long maxBytes) throws IOException {
        try (ZipFile zip = new ZipFile(spool.toFile())) {
            List<ZipEntry> tensors = new ArrayList<>();
            int count = 0;
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry z = e.nextElement();
                if (++count > MAX_ZIP_ENTRIES) {
                    throw new HttpFailure(400, "zip holds more than " + MAX_ZIP_ENTRIES + " entries");
                }
                if (!z.isDirectory() && z.getName().endsWith(".safetensors")) {
                    tensors.add(z);
                }
            }
            if (tensors.size() != 1) {
                throw new HttpFailure(422, tensors.isEmpty() ? "zip holds no .safetensors file"
                        : "zip holds " + tensors.size() + " .safetensors files: send one adapter per request");
            }
            ZipEntry t = tensors.getFirst();
            String folder = t.getName().substring(0, t.getName().lastIndexOf('/') + 1);
            Path out = Files.createDirectories(dir.resolve("in"));
            long[] budget = {maxBytes};
            Path file = out.resolve(storedName(t.getName()));
            extract(zip, t, file, budget);
            ZipEntry config = zip.getEntry(folder + PEFT_CONFIG);
            if (config != null && !config.isDirectory()) {
                extract(zip, config, out.resolve(PEFT_CONFIG), budget);
            }
            return new Upload(file, t.getName());
        } catch (ZipException e) {
            throw new HttpFailure(400, "not a readable zip: " + oneLine(e.getMessage()));
        }
    }

    private static void extract(ZipFile zip, ZipEntry e, Path to, long[] budget) throws IOException {
        byte[] buf = new byte[1 << 16];
        try (InputStream in = zip.getInputStream(e); OutputStream out = Files.newOutputStream(to)) {
            for (int r; (r = in.read(buf)) >= 0; ) {
                budget[0] -= r;
                if (budget[0] < 0) { // a zip bomb unpacks past the limit its upload stayed under
                    throw new HttpFailure(413, "zip unpacks to more than --max-bytes");
                }
                out.write(buf, 0, r);
            }
        } catch (ZipException z) {
            throw new HttpFailure(400, "not a readable zip: " + oneLine(z.getMessage()));
        }
    }

    /** multipart/form-data: one file part, or a PEFT folder's adapter_model.safetensors and adapter_config.json. */
    private static Upload multipart(Path spool, byte[] boundary, Path dir, long maxBytes) throws IOException {
        Path out = Files.createDirectories(dir.resolve("in"));
        byte[] delim = concat("--".getBytes(StandardCharsets.ISO_8859_1), boundary);
        byte[] next = concat("\r\n".getBytes(StandardCharsets.ISO_8859_1), delim);
        List<String> names = new ArrayList<>();
        Path tensors = null;
        String tensorsName = null;
        try (FileChannel ch = FileChannel.open(spool, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            MemorySegment body = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long at = find(body, delim, 0);
            if (at < 0) {
                throw new HttpFailure(400, "multipart body without its boundary");
            }
            at += delim.length;
            while (true) {
                if (startsWith(body, at, "--")) {
                    break; // the closing delimiter
                }
                if (!startsWith(body, at, "\r\n")) {
                    throw new HttpFailure(400, "malformed multipart body: no line break after a boundary");
                }
                at += 2;
                long headersEnd = find(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), at, Math.min(body.byteSize(), at + MAX_PART_HEADER));
                if (headersEnd < 0) {
                    throw new HttpFailure(400, "malformed multipart body: part headers missing or over " + MAX_PART_HEADER + " bytes");
                }
                String headers = new String(body.asSlice(at, headersEnd - at).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                long start = headersEnd + 4;
                long end = find(body, next, start);
                if (end < 0) {
                    throw new HttpFailure(400, "malformed multipart body: a part has no closing boundary");
                }
                Matcher fn = FILENAME.matcher(headers);
                if (fn.find()) { // form fields without a file are ignored
                    if (names.size() == MAX_PARTS) {
                        throw new HttpFailure(400, "more than " + MAX_PARTS + " files in one request");
                    }
                    String name = fn.group(1).isEmpty() ? "upload.safetensors" : fn.group(1);
                    String stored = storedName(name).equals(PEFT_CONFIG) || !name.endsWith(".json") ? storedName(name) : null;
                    if (stored == null) {
                        throw new HttpFailure(422, "a .json part must be " + PEFT_CONFIG + " (the PEFT config)");
                    }
                    if (names.contains(stored)) {
                        throw new HttpFailure(422, "two files named " + stored);
                    }
                    names.add(stored);
                    Path f = out.resolve(stored);
                    try (FileChannel w = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                        w.write(body.asSlice(start, end - start).asByteBuffer());
                    }
                    if (!stored.equals(PEFT_CONFIG)) {
                        if (tensors != null) {
                            throw new HttpFailure(422, "two adapter files in one request: send one adapter per request");
                        }
                        tensors = f;
                        tensorsName = name;
                    }
                }
                at = end + next.length;
            }
        }
        if (tensors == null) {
            throw new HttpFailure(422, "no adapter file in the form: send it as a file part");
        }
        return new Upload(tensors, tensorsName);
    }

    private static boolean startsWith(MemorySegment s, long at, String what) {
        if (at + what.length() > s.byteSize()) {
            return false;
        }
        for (int i = 0; i < what.length(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, at + i) != what.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static long find(MemorySegment s, byte[] what, long from) {
        return find(s, what, from, s.byteSize());
    }

    /** The first index ≥ from where what starts and ends before limit, or -1. */
    static long find(MemorySegment s, byte[] what, long from, long limit) {
        byte first = what[0];
        for (long i = from; i + what.length <= limit; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) == first) {
                int k = 1;
                while (k < what.length && s.get(ValueLayout.JAVA_BYTE, i + k) == what[k]) {
                    k++;
                }
                if (k == what.length) {
                    return i;
                }
            }
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
