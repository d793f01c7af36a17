package dev.dsire.safetensors;

import static dev.dsire.safetensors.SafetensorsException.Kind.*;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file, validated as strictly as the reference implementation: every
 * check below is one early exit with its own {@link SafetensorsException.Kind}. Tensor views are
 * slices of the mapping (no copies); the mapping lives until {@link #close()}.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference reader's bound on the header length. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final int MAX_DIMS = 8;
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(8) // the format needs 3
                    .maxNumberLength(24)
                    .maxStringLength((int) MAX_HEADER_BYTES)
                    .build())
            .build();

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment file, long dataStart,
                            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Maps and validates the file. Anything but a regular file (a FIFO would block the open, a
     * device or directory has no meaningful size) is refused before it is opened.
     */
    public static SafetensorsFile open(Path path) {
        String notRegular = FileKind.notRegular(path);
        if (notRegular != null) {
            throw new SafetensorsException(path, NOT_A_FILE, notRegular);
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            Header h = readHeader(path, seg);
            return new SafetensorsFile(path, arena, seg, h.dataStart, h.tensors, h.metadata);
        } catch (IOException e) {
            arena.close();
            throw new SafetensorsException(path, IO_ERROR, "cannot read: " + describe(e));
        } catch (InternalError e) {
            // a page of the mapping could not be read: the file shrank between size() and the read
            arena.close();
            throw new SafetensorsException(path, IO_ERROR, MAPPED_FAULT);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The reason given when a mapped page faults: the file was truncated (or its disk failed) while being read. */
    public static final String MAPPED_FAULT = "file changed while being read (truncated under its memory mapping)";

    /**
     * Validates an in-memory image of a file (e.g. an adapter assembled from a Parquet row); label
     * names it in messages. The views read the array itself: keep it unchanged while open.
     */
    public static SafetensorsFile of(Path label, byte[] image) {
        return of(label, MemorySegment.ofArray(image));
    }

    /**
     * As {@link #of(Path, byte[])}, for an image already in a segment (on or off the heap, or a
     * slice of a larger buffer such as an HTTP body); the views read the segment: keep it alive and
     * unchanged while open. Closing the file does not free the segment.
     */
    public static SafetensorsFile of(Path label, MemorySegment image) {
        Header h = readHeader(label, image);
        return new SafetensorsFile(label, Arena.ofShared(), image, h.dataStart, h.tensors, h.metadata);
    }

    private static String describe(IOException e) {
        return dev.dsire.IoReason.of(e);
    }

    record Header(long dataStart, Map<String, TensorInfo> tensors, Map<String, String> metadata) {}

    /** The straight line of checks of the reference reader, on an in-memory image of the file. */
    static Header readHeader(Path path, MemorySegment seg) {
        long size = seg.byteSize();
        if (size < 8) {
            throw new SafetensorsException(path, HEADER_TOO_SMALL, "not safetensors: file is " + size + " bytes, shorter than the 8-byte header length");
        }
        long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafetensorsException(path, HEADER_TOO_LARGE, "not safetensors: header length " + Long.toUnsignedString(n) + " exceeds the 100 MB limit");
        }
        if (8 + n > size) {
            throw new SafetensorsException(path, INVALID_HEADER_LENGTH, "not safetensors: header length " + n + " runs past the end of the " + size + "-byte file");
        }
        String json = utf8(path, seg.asSlice(8, n));
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        parseJson(path, json, byName, metadata);

        List<TensorInfo> sorted = new ArrayList<>(byName.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expect = 0;
        for (TensorInfo t : sorted) {
            long bits = 1;
            try {
                for (long d : t.shape()) {
                    bits = Math.multiplyExact(bits, d);
                }
                bits = Math.multiplyExact(bits, t.dtype().bits());
            } catch (ArithmeticException e) {
                throw new SafetensorsException(path, VALIDATION_OVERFLOW, "tensor " + t.name() + ": size of " + t.dtype()
                        + Arrays.toString(t.shape()) + " overflows 64 bits");
            }
            if (bits % 8 != 0) {
                throw new SafetensorsException(path, MISALIGNED_SLICE, "tensor " + t.name() + ": " + bits + " bits is not a whole number of bytes");
            }
            if (t.begin() != expect) {
                throw new SafetensorsException(path, INVALID_OFFSET, "tensor " + t.name() + ": data starts at " + t.begin()
                        + " but the previous tensor ends at " + expect + " (offsets must be contiguous from 0)");
            }
            if (t.end() - t.begin() != bits / 8) {
                throw new SafetensorsException(path, TENSOR_SIZE_MISMATCH, "tensor " + t.name() + ": byte span " + (t.end() - t.begin())
                        + " does not match " + t.dtype() + Arrays.toString(t.shape()) + " = " + bits / 8 + " bytes");
            }
            expect = t.end();
        }
        long dataStart = 8 + n;
        if (expect > size - dataStart) { // compared without adding: offsets near 2^63 must not wrap to negative
            throw new SafetensorsException(path, INCOMPLETE_BUFFER, "truncated: tensors need " + expect + " data bytes, file has " + (size - dataStart));
        }
        if (expect < size - dataStart) {
            throw new SafetensorsException(path, TRAILING_BYTES, (size - dataStart - expect) + " bytes after the last tensor (the data must end the file)");
        }
        Map<String, TensorInfo> inOrder = new LinkedHashMap<>();
        for (TensorInfo t : sorted) {
            inOrder.put(t.name(), t);
        }
        return new Header(dataStart, Collections.unmodifiableMap(inOrder), Collections.unmodifiableMap(metadata));
    }

    private static String utf8(Path path, MemorySegment bytes) {
        // String's own decoder is the fast one (4x in a fresh JVM); it replaces what is malformed with U+FFFD,
        // so only a header holding U+FFFD (malformed, or the character itself) goes through the strict decoder
        String fast = new String(bytes.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        if (fast.indexOf('\uFFFD') < 0) {
            return fast;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes.asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path, INVALID_HEADER_UTF8, "header is not valid UTF-8");
        }
    }

    private static void parseJson(Path path, String json, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new SafetensorsException(path, INVALID_HEADER_JSON, "header is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = text(path, p.currentName());
                p.nextToken();
                if (name.equals("__metadata__")) {
                    readMetadata(path, p, metadata);
                } else {
                    tensors.put(name, readTensor(path, p, name));
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new SafetensorsException(path, INVALID_HEADER_JSON, "header has content after its JSON object");
            }
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(path, INVALID_HEADER_JSON, "header is not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new SafetensorsException(path, INVALID_HEADER_JSON, "header is not valid JSON: " + e.getMessage());
        }
    }

    private static void readMetadata(Path path, JsonParser p, Map<String, String> metadata) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return; // the reference reader takes null as "no metadata"
        }
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new SafetensorsException(path, INVALID_METADATA, "__metadata__ is not an object of strings");
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = text(path, p.currentName());
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new SafetensorsException(path, INVALID_METADATA, "__metadata__ value of \"" + key + "\" is not a string");
            }
            metadata.put(key, text(path, p.getText()));
        }
    }

    /**
     * A JSON string as text, refused when it holds an unpaired surrogate escape ({@code "\\ud800"}):
     * that is not Unicode text, the reference reader rejects it, and it cannot be written back as UTF-8.
     */
    private static String text(Path path, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new SafetensorsException(path, INVALID_HEADER_JSON, String.format(
                        "header is not valid JSON: lone surrogate \\u%04x in a string (not Unicode text)", (int) c));
            }
        }
        return s;
    }

    private static TensorInfo readTensor(Path path, JsonParser p, String name) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw bad(path, name, "entry is not an object");
        }
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "dtype" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        throw bad(path, name, "dtype is not a string");
                    }
                    String d = text(path, p.getText());
                    dtype = DType.byName(d).orElseThrow(() -> bad(path, name, "unknown dtype \"" + d + "\""));
                }
                case "shape" -> shape = readLongs(path, p, name, "shape", MAX_DIMS);
                case "data_offsets" -> offsets = readLongs(path, p, name, "data_offsets", 2);
                default -> p.skipChildren(); // the reference ignores unknown fields
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            throw bad(path, name, "entry needs dtype, shape and data_offsets");
        }
        if (offsets.length != 2 || offsets[0] > offsets[1]) {
            throw new SafetensorsException(path, INVALID_OFFSET, "tensor " + name + ": data_offsets must be [begin, end] with begin <= end");
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] readLongs(Path path, JsonParser p, String name, String field, int max) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw bad(path, name, field + " is not an array");
        }
        long[] out = new long[max];
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw bad(path, name, field + " holds something other than integers below 2^63");
            }
            long v = p.getLongValue();
            if (v < 0) {
                throw bad(path, name, field + " holds a negative number");
            }
            if (n == max) {
                throw bad(path, name, field + " has more than " + max + " entries");
            }
            out[n++] = v;
        }
        return Arrays.copyOf(out, n);
    }

    private static SafetensorsException bad(Path path, String name, String what) {
        return new SafetensorsException(path, INVALID_TENSOR_INFO, "tensor " + name + ": " + what);
    }

    public Path path() {
        return path;
    }

    public long byteSize() {
        return file.byteSize();
    }

    /** Tensors in data order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** SHA-256 (hex) of the length prefix and header: identifies a file's layout and metadata cheaply. */
    public String headerSha256() {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(file.asSlice(0, dataStart).asByteBuffer());
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is part of every JDK", e);
        }
    }

    /** A zero-copy view of the named tensor. */
    public TensorView view(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name + " in " + path);
        }
        return new TensorView(t, file.asSlice(dataStart + t.begin(), t.byteSize()));
    }

    @Override
    public void close() {
        arena.close();
    }
}
