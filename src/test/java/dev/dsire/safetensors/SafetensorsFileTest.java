package dev.dsire.safetensors;

import static dev.dsire.safetensors.SafetensorsException.Kind.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    private Path file(byte[] bytes) throws IOException {
        Path p = dir.resolve("t.safetensors");
        Files.write(p, bytes);
        return p;
    }

    /** A file with the given header text and data length. */
    private Path raw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return file(b.array());
    }

    private SafetensorsException.Kind kindOf(Path p) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        return e.kind();
    }

    @Test
    void readsValuesOfEveryDecodableTypeWithoutCopying() throws IOException {
        Path p = file(new SafetensorsWriter()
                .put("h", DType.F16, new long[] {2, 2}, new double[] {1, -2, 0.5, 65504})
                .put("b", DType.BF16, new long[] {3}, new double[] {1, -3, 0.25})
                .put("f", DType.F32, new long[] {1}, new double[] {3.25})
                .put("d", DType.F64, new long[] {2}, new double[] {Math.PI, -1e300})
                .metadata("format", "pt").toBytes());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(65504, f.view("h").get(3));
            assertEquals(-2, f.view("h").get(1));
            assertEquals(-3, f.view("b").get(1));
            assertEquals(3.25, f.view("f").get(0));
            assertEquals(Math.PI, f.view("d").get(0));
            assertEquals("pt", f.metadata().get("format"));
            assertEquals(java.util.List.of("h", "b", "f", "d"), java.util.List.copyOf(f.tensors().keySet()));
            double[] out = new double[4];
            assertTrue(f.view("h").decode(0, 4, out, 0));
            assertArrayEquals(new double[] {1, -2, 0.5, 65504}, out);
        }
    }

    @Test
    void flagsNonFiniteValuesWhileDecoding() throws IOException {
        Path p = file(new SafetensorsWriter().put("x", DType.F32, new long[] {3}, new double[] {1, Double.NaN, 2}).toBytes());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertFalse(f.view("x").allFinite());
        }
    }

    @Test
    void acceptsEmptyHeaderAndZeroSizedTensors() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(raw("{}", 0))) {
            assertTrue(f.tensors().isEmpty());
        }
        try (SafetensorsFile f = SafetensorsFile.open(raw("  {\"z\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]}}", 0))) {
            assertEquals(0, f.view("z").elementCount());
        }
    }

    @Test
    void tooSmall() throws IOException {
        assertEquals(HEADER_TOO_SMALL, kindOf(file(new byte[5])));
        assertEquals(HEADER_TOO_SMALL, kindOf(file(new byte[0])));
    }

    @Test
    void headerLengthTooLarge() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200_000_000L);
        assertEquals(HEADER_TOO_LARGE, kindOf(file(b.array())));
        ByteBuffer neg = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L);
        assertEquals(HEADER_TOO_LARGE, kindOf(file(neg.array())));
    }

    @Test
    void headerPastEndOfFile() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100);
        assertEquals(INVALID_HEADER_LENGTH, kindOf(file(b.array())));
    }

    @Test
    void invalidUtf8() throws IOException {
        byte[] h = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
        ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h);
        assertEquals(INVALID_HEADER_UTF8, kindOf(file(b.array())));
    }

    @Test
    void theReplacementCharacterItselfIsValidButASurrogateOrATruncatedSequenceIsNot() throws IOException {
        // a header holding U+FFFD goes through the strict decoder: the character itself is text, a malformed sequence is not
        String json = "{\"__metadata__\":{\"note\":\"\uFFFD\u00e9\"}}";
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h);
        try (SafetensorsFile f = SafetensorsFile.open(file(b.array()))) {
            assertEquals("\uFFFD\u00e9", f.metadata().get("note"));
        }
        for (byte[] bad : new byte[][] {{(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xe2, (byte) 0x82}, {(byte) 0xc0, (byte) 0xaf}}) {
            byte[] t = new byte[h.length + bad.length];
            System.arraycopy(h, 0, t, 0, 25);
            System.arraycopy(bad, 0, t, 25, bad.length);
            System.arraycopy(h, 25, t, 25 + bad.length, h.length - 25);
            ByteBuffer c = ByteBuffer.allocate(8 + t.length).order(ByteOrder.LITTLE_ENDIAN).putLong(t.length).put(t);
            assertEquals(INVALID_HEADER_UTF8, kindOf(file(c.array())));
        }
    }

    @Test
    void invalidJson() throws IOException {
        assertEquals(INVALID_HEADER_JSON, kindOf(raw("{\"a\":", 0)));
        assertEquals(INVALID_HEADER_JSON, kindOf(raw("[1,2]", 0)));
        assertEquals(INVALID_HEADER_JSON, kindOf(raw("{} {}", 0)));
    }

    @Test
    void duplicateKeysAreRejected() throws IOException {
        String t = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertEquals(INVALID_HEADER_JSON, kindOf(raw("{\"x\":" + t + ",\"x\":" + t + "}", 4)));
        assertEquals(INVALID_HEADER_JSON, kindOf(raw("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", 0)));
    }

    @Test
    void deepNestingIsBoundedNotAStackOverflow() throws IOException {
        String deep = "[".repeat(100_000);
        assertEquals(INVALID_HEADER_JSON, kindOf(raw("{\"x\":{\"foo\":" + deep + "}}", 0)));
    }

    @Test
    void missingOrMistypedFields() throws IOException {
        assertEquals(INVALID_TENSOR_INFO, kindOf(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4)));
        assertEquals(INVALID_TENSOR_INFO, kindOf(raw("{\"x\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4)));
        assertEquals(INVALID_TENSOR_INFO, kindOf(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)));
        assertEquals(INVALID_TENSOR_INFO, kindOf(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4)));
        assertEquals(INVALID_TENSOR_INFO, kindOf(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4)));
        assertEquals(INVALID_TENSOR_INFO, kindOf(raw("{\"x\":7}", 0)));
    }

    @Test
    void metadataMustMapStringsToStrings() throws IOException {
        assertEquals(INVALID_METADATA, kindOf(raw("{\"__metadata__\":{\"a\":1}}", 0)));
        assertEquals(INVALID_METADATA, kindOf(raw("{\"__metadata__\":[\"a\"]}", 0)));
    }

    @Test
    void overflowingShape() throws IOException {
        assertEquals(VALIDATION_OVERFLOW, kindOf(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4)));
    }

    @Test
    void fractionalBytes() throws IOException {
        assertEquals(MISALIGNED_SLICE, kindOf(raw("{\"x\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2)));
    }

    @Test
    void spanMustMatchShape() throws IOException {
        assertEquals(TENSOR_SIZE_MISMATCH, kindOf(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4)));
    }

    @Test
    void offsetsMustBeContiguousFromZero() throws IOException {
        String a = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertEquals(INVALID_OFFSET, kindOf(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)));
        assertEquals(INVALID_OFFSET, kindOf(raw("{\"x\":" + a + ",\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12)));
        assertEquals(INVALID_OFFSET, kindOf(raw("{\"x\":" + a + ",\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8)));
        assertEquals(INVALID_OFFSET, kindOf(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4)));
    }

    @Test
    void truncatedData() throws IOException {
        assertEquals(INCOMPLETE_BUFFER, kindOf(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8)));
    }

    @Test
    void trailingBytesAreRejected() throws IOException {
        assertEquals(TRAILING_BYTES, kindOf(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12)));
    }

    @Test
    void missingFileIsAnIoError() {
        assertEquals(IO_ERROR, kindOf(dir.resolve("absent.safetensors")));
    }

    @Test
    void filesOver2GbAreMappedWhole() throws IOException {
        // a sparse file: 2^31 + 8 bytes of F32 zeros; only the header page is ever touched
        long n = (1L << 29) + 2;
        String h = "{\"big\":{\"dtype\":\"F32\",\"shape\":[" + n + "],\"data_offsets\":[0," + 4 * n + "]}}";
        byte[] hb = h.getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve("big.safetensors");
        try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, hb.length));
            ch.write(ByteBuffer.wrap(hb));
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 7.5f), 8 + hb.length + 4 * (n - 1));
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(7.5, f.view("big").get(n - 1));
            assertEquals(0, f.view("big").get(1L << 28));
        }
    }

    @Test
    void nonRegularFilesAreRefusedBeforeOpeningSayingWhatTheyAre() throws Exception {
        Path fifo = dir.resolve("pipe.safetensors");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        Path folder = Files.createDirectory(dir.resolve("folder.safetensors"));
        Path zero = Files.createSymbolicLink(dir.resolve("zero.safetensors"), Path.of("/dev/zero"));
        Path dangling = Files.createSymbolicLink(dir.resolve("gone.safetensors"), dir.resolve("nowhere"));
        // a FIFO without a writer would block the open forever: this must answer at once
        String f = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> reasonOf(fifo, NOT_A_FILE));
        assertTrue(f.contains("FIFO"), f);
        assertTrue(reasonOf(folder, NOT_A_FILE).contains("a directory"));
        String z = reasonOf(zero, NOT_A_FILE);
        assertTrue(z.contains("character device") && z.contains("/dev/zero"), z);
        assertTrue(reasonOf(dangling, NOT_A_FILE).contains("broken symbolic link"));
    }

    private String reasonOf(Path p, SafetensorsException.Kind kind) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p).close());
        assertEquals(kind, e.kind(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        return e.reason();
    }

    @Test
    void loneSurrogatesAreRefusedAsTheReferenceReaderDoes() throws IOException {
        String t = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertTrue(reasonOf(raw("{\"a\\ud800b\":" + t + "}", 4), INVALID_HEADER_JSON).contains("lone surrogate \\ud800"));
        assertEquals(INVALID_HEADER_JSON, kindOf(raw("{\"x\\udc00\":" + t + "}", 4)));
        assertEquals(INVALID_HEADER_JSON, kindOf(raw("{\"__metadata__\":{\"k\":\"v\\ud83d\"}}", 0)));
        assertEquals(INVALID_HEADER_JSON, kindOf(raw("{\"__metadata__\":{\"k\\udfff\":\"v\"}}", 0)));
        // a proper pair is text (U+1F600) and is kept
        try (SafetensorsFile f = SafetensorsFile.open(raw("{\"smile\\ud83d\\ude00\":" + t + "}", 4))) {
            assertEquals("smile\ud83d\ude00", f.tensors().keySet().iterator().next());
        }
    }

    @Test
    void nullMetadataIsAcceptedAsTheReferenceReaderDoes() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(raw("{\"__metadata__\":null,\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4))) {
            assertTrue(f.metadata().isEmpty());
            assertEquals(1, f.tensors().size());
        }
    }

    @Test
    void offsetsNearTheTopOfTheRangeAreReportedWithoutWrappingNegative() throws IOException {
        // sixteen contiguous tensors of 2^59 bytes (the last a little less): the end offset is near 2^63
        StringBuilder h = new StringBuilder("{");
        long begin = 0, each = 1L << 59;
        for (int i = 0; i < 16; i++) {
            long n = i < 15 ? each : each - 64;
            h.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"U8\",\"shape\":[").append(n)
                    .append("],\"data_offsets\":[").append(begin).append(',').append(begin + n).append("]}");
            begin += n;
        }
        String reason = reasonOf(raw(h.append('}').toString(), 16), INCOMPLETE_BUFFER);
        assertFalse(reason.matches(".*-\\d.*"), reason);
        assertTrue(reason.contains("need " + begin + " data bytes"), reason);
    }

    @Test
    void controlCharactersInNamesDoNotBreakTheOneLineReason() throws IOException {
        String reason = reasonOf(raw("{\"a\\nb\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), INVALID_TENSOR_INFO);
        assertTrue(reason.startsWith("tensor a\\nb: "), reason);
    }
}
