package dev.dsire.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files the way the reference writer does (header padded with spaces to a
 * multiple of 8, tensors in insertion order, contiguous). Used to make test and benchmark data.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tensor to write: values are encoded to dtype (F16, BF16, F32 or F64). */
    public record Tensor(DType dtype, long[] shape, double[] values) {}

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter put(String name, DType dtype, long[] shape, double[] values) {
        tensors.put(name, new Tensor(dtype, shape.clone(), values));
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** The whole file as bytes. */
    public byte[] toBytes() {
        ObjectNode header = JSON.createObjectNode();
        List<byte[]> blobs = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            byte[] b = encode(e.getValue());
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype().name());
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + b.length);
            offset += b.length;
            blobs.add(b);
        }
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate((int) (8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        blobs.forEach(out::put);
        return out.array();
    }

    public void write(Path path) throws IOException {
        try (OutputStream os = Files.newOutputStream(path)) {
            os.write(toBytes());
        }
    }

    private static byte[] encode(Tensor t) {
        int width = t.dtype().bits() / 8;
        ByteBuffer b = ByteBuffer.allocate(t.values().length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : t.values()) {
            switch (t.dtype()) {
                case F16 -> b.putShort(Float.floatToFloat16((float) v));
                case BF16 -> b.putShort((short) (Float.floatToRawIntBits((float) v) + 0x8000 >>> 16)); // round half up
                case F32 -> b.putFloat((float) v);
                case F64 -> b.putDouble(v);
                default -> throw new IllegalArgumentException("cannot encode " + t.dtype());
            }
        }
        return b.array();
    }
}
