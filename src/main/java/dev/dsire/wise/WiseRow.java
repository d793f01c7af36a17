package dev.dsire.wise;

import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsFile;
import dev.dsire.safetensors.SafetensorsWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * One LoRA-WiSE row: an adapter with its label (the number of fine-tuning images) and its
 * micro-dataset. Tensors keep the column names (diffusers naming) and the float64 values as stored.
 */
public record WiseRow(Path file, long index, int size, String group, List<Tensor> tensors) {

    /** One factor: down is rank × (n / rank), up is (n / rank) × rank. */
    public record Tensor(String name, long[] shape, double[] values) {}

    public WiseRow {
        tensors = List.copyOf(tensors);
    }

    /** "FILE#ROW": names the row in messages, manifests of samples and errors. */
    public Path where() {
        return where(file, index);
    }

    static Path where(Path file, long index) {
        return Path.of(file + "#" + index);
    }

    /** Tensor names and shapes, in column order: rows with equal signatures have equal layouts. */
    public String signature() {
        StringBuilder s = new StringBuilder();
        for (Tensor t : tensors) {
            s.append(t.name()).append(Arrays.toString(t.shape())).append('\n');
        }
        return s.toString();
    }

    /** The row as a safetensors file in diffusers naming, F64 so every value is kept exactly. */
    public byte[] safetensors() {
        SafetensorsWriter w = new SafetensorsWriter();
        for (Tensor t : tensors) {
            w.put(t.name(), DType.F64, t.shape(), t.values());
        }
        metadata(size, group).forEach(w::metadata);
        return w.toBytes();
    }

    /** What every exported file says about its row. */
    static java.util.Map<String, String> metadata(int size, String group) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("format", "pt");
        m.put("lora_wise_label", Integer.toString(size));
        m.put("lora_wise_name", group);
        return m;
    }

    /** The row as an adapter, read by the same reader as files (no file is written); close it after use. */
    public LoraAdapter adapter() {
        return LoraReader.read(SafetensorsFile.of(where(), safetensors()));
    }

    /** Bytes of the values, for progress and batching. */
    public long bytes() {
        return tensors.stream().mapToLong(t -> 8L * t.values().length).sum();
    }
}
