package dev.dsire.model;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.lora.LayerShape;
import dev.dsire.lora.Layout;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Saved models as JSON: format name and version, method, the layout with its fingerprint,
 * labels and each voter's reference vectors. Writing is deterministic (same model, same bytes);
 * loading checks everything it reads.
 */
public final class ModelFile {
    public static final String FORMAT = "dsire-model";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelFile() {}

    public static void save(DsireModel m, Path path) throws IOException {
        try (OutputStream os = Files.newOutputStream(path); JsonGenerator g = JSON.createGenerator(os)) {
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeNumberField("version", VERSION);
            g.writeStringField("method", m.method().key());
            g.writeObjectFieldStart("layout");
            g.writeStringField("description", m.layout().describe());
            g.writeStringField("fingerprint", m.layout().fingerprint());
            g.writeArrayFieldStart("layers");
            for (LayerShape l : m.layout().layers()) {
                g.writeStartArray();
                g.writeString(l.name());
                g.writeNumber(l.rank());
                g.writeNumber(l.outDim());
                g.writeNumber(l.inDim());
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeArrayFieldStart("labels");
            for (int l : m.labels()) {
                g.writeNumber(l);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("voters");
            for (int v = 0; v < m.voters().size(); v++) {
                g.writeStartObject();
                g.writeStringField("name", m.voters().get(v));
                g.writeNumberField("dim", m.index().get(v).dim());
                g.writeArrayFieldStart("refs");
                for (double d : m.index().get(v).refs()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeEndObject();
                g.writeRaw('\n');
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    public static DsireModel load(Path path) {
        try {
            return parse(path, Files.readAllBytes(path));
        } catch (IOException e) {
            throw new ModelFileException(path, "not a readable JSON model: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** A model from its file's bytes (as broadcast to cluster executors); path only names it in errors. */
    public static DsireModel parse(Path path, byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new ModelFileException(path, "not a readable JSON model: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new ModelFileException(path, "not a dsire model (no \"format\": \"" + FORMAT + "\")");
        }
        if (root.path("version").asInt() != VERSION) {
            throw new ModelFileException(path, "model format version " + root.path("version").asText() + " is not " + VERSION + ", which this dsire reads");
        }
        Method method;
        try {
            method = Method.byKey(root.path("method").asText());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(path, e.getMessage());
        }
        List<LayerShape> layers = new ArrayList<>();
        for (JsonNode l : root.path("layout").path("layers")) {
            layers.add(new LayerShape(l.path(0).asText(), l.path(1).asInt(), l.path(2).asInt(), l.path(3).asInt()));
        }
        Layout layout = new Layout(layers);
        if (!layout.fingerprint().equals(root.path("layout").path("fingerprint").asText())) {
            throw new ModelFileException(path, "layout does not match its fingerprint (file edited or damaged)");
        }
        JsonNode labelsNode = root.path("labels");
        int[] labels = new int[labelsNode.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = labelsNode.get(i).asInt();
        }
        if (labels.length == 0) {
            throw new ModelFileException(path, "model has no training labels");
        }
        List<String> expected = method.voters(layout);
        List<String> voters = new ArrayList<>();
        List<NearestNeighbour> index = new ArrayList<>();
        for (JsonNode v : root.path("voters")) {
            int dim = v.path("dim").asInt();
            JsonNode refs = v.path("refs");
            if (dim <= 0 || refs.size() != labels.length * dim) {
                throw new ModelFileException(path, "voter " + v.path("name").asText() + " has " + refs.size() + " values, expected " + labels.length + "×" + dim);
            }
            double[] r = new double[refs.size()];
            for (int i = 0; i < r.length; i++) {
                r[i] = refs.get(i).asDouble();
            }
            voters.add(v.path("name").asText());
            index.add(new NearestNeighbour(dim, r));
        }
        if (!voters.equals(expected)) {
            throw new ModelFileException(path, "voters do not match method " + method.key() + " on this layout");
        }
        return new DsireModel(method, layout, labels, voters, index);
    }
}
