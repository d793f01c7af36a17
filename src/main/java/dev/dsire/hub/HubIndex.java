package dev.dsire.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * DIR/index.json of a hub's models: one entry per fitted layout (its model file, what it was fitted
 * on, its cross-validated scores) and one per layout left without a model, with the reason.
 */
public record HubIndex(String method, int minRuns, List<Fitted> layouts, List<Skipped> skipped) {
    public static final String FILE = "index.json";
    public static final String FORMAT = "dsire-hub-index";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public record Fitted(String layout, String model, String family, int adapters, int runs, List<Integer> sizes,
                         Map<String, Integer> labelSources, RunCrossValidation.Result cv) {}

    public record Skipped(String layout, String family, int adapters, int runs, String reason) {}

    public void write(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", 1);
        root.put("method", method);
        root.put("min_runs", minRuns);
        ArrayNode fitted = root.putArray("layouts");
        for (Fitted f : layouts) {
            ObjectNode n = fitted.addObject();
            n.put("layout", f.layout());
            n.put("model", f.model());
            n.put("family", f.family());
            n.put("adapters", f.adapters());
            n.put("runs", f.runs());
            f.sizes().forEach(n.putArray("sizes")::add);
            ObjectNode src = n.putObject("label_sources");
            f.labelSources().forEach(src::put);
            ObjectNode cv = n.putObject("cv");
            cv.put("held_out", "run");
            cv.put("folds", f.cv().folds());
            cv.put("mae", f.cv().mae());
            cv.put("mape", f.cv().mape());
            cv.put("accuracy", f.cv().accuracy());
            if (Double.isNaN(f.cv().coverage80())) {
                cv.putNull("coverage80");
            } else {
                cv.put("coverage80", f.cv().coverage80());
            }
            cv.put("constant_mae", f.cv().constantMae());
            cv.put("answered", f.cv().answered());
        }
        ArrayNode skip = root.putArray("skipped");
        for (Skipped s : skipped) {
            ObjectNode n = skip.addObject();
            n.put("layout", s.layout());
            n.put("family", s.family());
            n.put("adapters", s.adapters());
            n.put("runs", s.runs());
            n.put("reason", s.reason());
        }
        Path tmp = dir.resolve(FILE + ".tmp");
        JSON.writeValue(tmp.toFile(), root);
        Files.move(tmp, dir.resolve(FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The model files an index lists, as paths under its folder. */
    public static List<Path> models(Path dir) {
        Path index = dir.resolve(FILE);
        try {
            JsonNode root = JSON.readTree(index.toFile());
            if (!FORMAT.equals(root.path("format").asText())) {
                throw new HubException(index, "not a dsire hub index (format is not " + FORMAT + ")");
            }
            List<Path> out = new ArrayList<>();
            for (JsonNode l : root.path("layouts")) {
                String name = l.path("model").asText("");
                if (name.isEmpty() || name.contains("/") || name.contains("\\")) {
                    throw new HubException(index, "an entry names no model file in this folder: " + l);
                }
                out.add(dir.resolve(name));
            }
            return out;
        } catch (IOException e) {
            throw new HubException(index, "unreadable hub index: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
    }

    /** The cross-validated scores an index records per layout name (for the report). */
    public static Map<String, JsonNode> scores(Path index) {
        try {
            Map<String, JsonNode> out = new java.util.TreeMap<>();
            for (JsonNode l : JSON.readTree(index.toFile()).path("layouts")) {
                out.put(l.path("layout").asText(), l);
            }
            return out;
        } catch (IOException e) {
            throw new HubException(index, "unreadable hub index: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
    }
}
