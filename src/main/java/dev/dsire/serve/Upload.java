package dev.dsire.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
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
 * One request's adapter. A body whose Content-Length finds room in the memory budget ({@link BodyBuffers})
 * is read into an off-heap buffer and the adapter is parsed from there; a zip is unpacked to the request's
 * folder, and a multipart form's adapter stays a slice of the buffer (only a PEFT folder's small
 * adapter_config.json is written, beside the name the adapter is read under). Any other body (chunked,
 * or with no room in the budget) is spooled to a file in the request's folder, bounded by --max-bytes and
 * the time limit, and read from there by the normal mmap reader, like any file on disk.
 *
 * @param file the .safetensors file's path: where it is on disk, or for an upload held in memory the
 *             name it is read under (a PEFT adapter has its adapter_config.json beside it; otherwise the
 *             folder does not exist)
 * @param name what the answer's "path" shows: the uploaded file's name
 * @param image the file's bytes when held in memory, else null (read file)
 */
public record Upload(Path file, String name, MemorySegment image) {
    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(?:\"([^\"]{1,70})\"|([^;\\s]{1,70}))");
    private static final Pattern FILENAME = Pattern.compile("(?i)filename=\"([^\"]*)\"");
    private static final String PEFT_FILE = "adapter_model.safetensors", PEFT_CONFIG = "adapter_config.json";
    private static final int MAX_PARTS = 4, MAX_PART_HEADER = 8 << 10, MAX_ZIP_ENTRIES = 4096;

    /** An upload read from disk. */
    Upload(Path file, String name) {
        this(file, name, null);
    }

    /** Opens the adapter as the command line opens a file, from memory or from disk; the caller closes it. */
    public LoraAdapter open() {
        return image != null ? LoraReader.open(file, image) : LoraReader.open(file);
    }

    /** Where one request's files go: its folder is made on first use. */
    static final class Folder {
        private final Path spool;
        private final String prefix;
        private Path dir;

        Folder(Path spool, String prefix) {
            this.spool = spool;
            this.prefix = prefix;
        }

        Path dir() throws IOException {
            if (dir == null) {
                dir = Files.createTempDirectory(spool, prefix);
            }
            return dir;
        }

        /** The folder, if it was made. */
        Path made() {
            return dir;
        }
    }

    /**
     * Receives the body: raw safetensors bytes, a zip (a PEFT folder), or multipart/form-data (one file, or a PEFT folder's two).
     *
     * @param body the connection, its head read: the body follows
     * @param length the Content-Length (0 when there is none), or -1 (chunked)
     * @param memory where a body with a length is held when it finds room
     * @param lease where the buffer taken from memory is put (or null, none): the caller gives it back once the adapter is closed
     * @param virtualDir a folder that is never made: in-memory uploads are named under it
     */
    static Upload receive(HttpInput body, long length, String contentType, String nameHint, Folder folder, Path virtualDir,
                          BodyBuffers memory, BodyBuffers.Lease[] lease, long maxBytes) throws IOException {
        String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        String hint = nameHint == null || nameHint.isBlank() ? "upload.safetensors" : nameHint;
        if (length == 0) {
            throw new HttpFailure(400, "empty request body: send the adapter's bytes");
        }
        lease[0] = length > 0 && length <= maxBytes ? memory.take(length) : null;
        if (lease[0] != null) {
            MemorySegment in = lease[0].segment();
            body.readBody(in); // straight into the buffer; the connection's deadline ends a stalled upload (408)
            byte[] boundary = boundary(type, contentType);
            if (boundary != null) {
                return multipart(in, boundary, folder, virtualDir, true);
            }
            if (type.startsWith("application/zip") || type.startsWith("application/x-zip") || startsWithZipMagic(in)) {
                Path spooled = folder.dir().resolve("body");
                try (FileChannel w = FileChannel.open(spooled, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    writeFully(w, in);
                }
                return unzip(spooled, folder.dir(), maxBytes);
            }
            return new Upload(virtualDir.resolve(storedName(hint)), hint, in);
        }
        Path spool = folder.dir().resolve("body");
        long n = spool(body.body(length), spool, maxBytes); // the connection's deadline ends a stalled upload (408)
        if (n == 0) {
            throw new HttpFailure(400, "empty request body: send the adapter's bytes");
        }
        byte[] boundary = boundary(type, contentType);
        if (boundary != null) {
            try (FileChannel ch = FileChannel.open(spool, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
                return multipart(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena), boundary, folder, virtualDir, false);
            }
        }
        try (FileChannel ch = FileChannel.open(spool, StandardOpenOption.READ)) {
            ByteBuffer magic = ByteBuffer.allocate(4);
            while (magic.hasRemaining() && ch.read(magic) > 0) {
                // the first 4 bytes
            }
            if (type.startsWith("application/zip") || type.startsWith("application/x-zip") || startsWithZipMagic(MemorySegment.ofBuffer(magic.flip()))) {
                return unzip(spool, folder.dir(), maxBytes);
            }
        }
        Path file = folder.dir().resolve("in").resolve(storedName(hint));
        Files.createDirectories(file.getParent());
        Files.move(spool, file);
        return new Upload(file, hint);
    }

    /** A multipart form's boundary; null for any other type. */
    private static byte[] boundary(String type, String contentType) {
        if (!type.startsWith("multipart/form-data")) {
            return null;
        }
        Matcher m = BOUNDARY.matcher(contentType);
        if (!m.find()) {
            throw new HttpFailure(400, "multipart/form-data without a boundary");
        }
        return (m.group(1) != null ? m.group(1) : m.group(2)).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void writeFully(FileChannel w, MemorySegment s) throws IOException {
        ByteBuffer b = s.asByteBuffer();
        while (b.hasRemaining()) {
            w.write(b);
        }
    }

    private static long spool(InputStream body, Path to, long maxBytes) throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        try (OutputStream out = Files.newOutputStream(to)) {
            for (int r; (r = body.read(buf)) >= 0; ) {
                total += r;
                if (total > maxBytes) {
                    throw new HttpFailure(413, "request body larger than --max-bytes (" + maxBytes + " bytes)");
                }
                out.write(buf, 0, r);
            }
        }
        return total;
    }

    private static boolean startsWithZipMagic(MemorySegment s) {
        return s.byteSize() >= 4 && s.get(ValueLayout.JAVA_BYTE, 0) == 'P' && s.get(ValueLayout.JAVA_BYTE, 1) == 'K'
                && s.get(ValueLayout.JAVA_BYTE, 2) == 3 && s.get(ValueLayout.JAVA_BYTE, 3) == 4;
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

    /**
     * multipart/form-data: one file part, or a PEFT folder's adapter_model.safetensors and adapter_config.json.
     * With inMemory, the adapter stays a slice of body (which the caller keeps alive) and only a config is
     * written, to the request's folder, beside the name the adapter is read under; otherwise every file part is written there.
     */
    private static Upload multipart(MemorySegment body, byte[] boundary, Folder folder, Path virtualDir, boolean inMemory) throws IOException {
        byte[] delim = concat("--".getBytes(StandardCharsets.ISO_8859_1), boundary);
        byte[] next = concat("\r\n".getBytes(StandardCharsets.ISO_8859_1), delim);
        List<String> names = new ArrayList<>();
        MemorySegment tensors = null, config = null;
        String tensorsName = null, tensorsStored = null;
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
                MemorySegment part = body.asSlice(start, end - start);
                if (!inMemory) {
                    try (FileChannel w = FileChannel.open(Files.createDirectories(folder.dir().resolve("in")).resolve(stored),
                            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                        writeFully(w, part);
                    }
                }
                if (stored.equals(PEFT_CONFIG)) {
                    config = part;
                } else {
                    if (tensors != null) {
                        throw new HttpFailure(422, "two adapter files in one request: send one adapter per request");
                    }
                    tensors = part;
                    tensorsName = name;
                    tensorsStored = stored;
                }
            }
            at = end + next.length;
        }
        if (tensors == null) {
            throw new HttpFailure(422, "no adapter file in the form: send it as a file part");
        }
        if (!inMemory) {
            return new Upload(folder.dir().resolve("in").resolve(tensorsStored), tensorsName);
        }
        if (config == null) {
            return new Upload(virtualDir.resolve(tensorsStored), tensorsName, tensors);
        }
        Path in = Files.createDirectories(folder.dir().resolve("in"));
        try (FileChannel w = FileChannel.open(in.resolve(PEFT_CONFIG), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeFully(w, config);
        }
        return new Upload(in.resolve(tensorsStored), tensorsName, tensors);
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
