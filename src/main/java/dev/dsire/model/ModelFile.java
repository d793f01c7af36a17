package dev.dsire.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dsire.json.JsonTree;
import dev.dsire.lora.LayerShape;
import dev.dsire.lora.Layout;
import dev.dsire.safetensors.FileKind;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.LayerSpectrum;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Saved models as JSON: format name and version, the method's name and composition, the layout
 * with its fingerprint, labels, each voter's reference vectors (standardised ones with their
 * standardiser) and the leave-one-group-out calibration. Writing is deterministic (same model,
 * same bytes); loading checks everything it reads. Since version 3 a voter's vectors are base64
 * strings of little-endian IEEE-754 doubles: the same values, a third of the bytes, and decoded
 * in milliseconds where parsing them as JSON numbers took about a second of every cold `predict`
 * (a 24-adapter SD 1.5 model). Version 2 files (numbers) still load, and so do version 1 files
 * (no composition, no calibration): their calibration is refitted leave-one-out from the stored
 * references. Since version 4 a model whose method answers from its pooled score (pooled,
 * pooled-recipe) stores no references: it never searches them, and they were nearly all of its bytes
 * (a 200-adapter SD 1.5 model: 27.7 MB, of which 26.2 MB references). Earlier files that hold them
 * still load, the references read and checked as before.
 *
 * <p>A file is refused unless it is a regular file under {@link #MAX_BYTES}, and unless every field
 * has its type, finiteness, sign and shape, each against the others: labels positive whole
 * numbers, vectors finite, standard deviations and temperatures positive, each voter's dimension
 * the one its method gives on the stored layout, and as many references as labels. The message
 * names the field: a damaged model must not answer with {@code status: ok}.
 */
public final class ModelFile {
    public static final String FORMAT = "dsire-model";
    public static final int VERSION = 4;
    /** jackson-core alone for writing, and {@link JsonTree} for reading: no ObjectMapper (see JsonTree). */
    private static final JsonFactory JSON = new JsonFactory();

    private ModelFile() {}

    public static void save(DsireModel m, Path path) throws IOException {
        try (OutputStream os = Files.newOutputStream(path); JsonGenerator g = JSON.createGenerator(os)) {
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeNumberField("version", VERSION);
            g.writeStringField("method", m.method().key());
            g.writeObjectFieldStart("composition");
            g.writeStringField("transform", m.method().transform().key());
            g.writeStringField("voters", m.method().voterSet().key());
            g.writeStringField("rule", m.method().rule().key());
            g.writeStringField("combiner", m.method().combiner().key());
            g.writeEndObject();
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
            g.writeObjectFieldStart("calibration");
            numbers(g, "tau", m.calibration().tau());
            numbers(g, "weights", m.calibration().weights());
            g.writeNumberField("ood_threshold", Double.isFinite(m.calibration().oodThreshold()) ? m.calibration().oodThreshold() : -1);
            g.writeNumberField("interval_mass", m.calibration().intervalMass());
            g.writeEndObject();
            g.writeRaw('\n');
            if (m.pooled() != null) {
                g.writeFieldName("pooled");
                writePooled(g, m.pooled());
                g.writeRaw('\n');
            }
            if (m.recipe() != null) {
                writeRecipe(g, m.recipe());
                g.writeRaw('\n');
            }
            if (!m.fixed().isEmpty()) {
                g.writeObjectFieldStart("fixed_recipe");
                for (int j = 0; j < m.fixed().fields().size(); j++) {
                    g.writeNumberField(m.fixed().fields().get(j), m.fixed().values()[j]);
                }
                g.writeEndObject();
                g.writeRaw('\n');
            }
            g.writeArrayFieldStart("voters");
            for (int v = 0; v < m.voters().size(); v++) {
                g.writeStartObject();
                g.writeStringField("name", m.voters().get(v));
                g.writeNumberField("dim", m.index().get(v).dim());
                if (!m.scalers().isEmpty()) {
                    binary(g, "mean", m.scalers().get(v).mean());
                    binary(g, "std", m.scalers().get(v).std());
                }
                if (m.method().searchesReferences()) {
                    binary(g, "refs", m.index().get(v).refs());
                }
                g.writeEndObject();
                g.writeRaw('\n');
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    /** The pooled method's score: ridge weights, per-size held-out means, bounds and the shift detector. */
    private static void writePooled(JsonGenerator g, PooledScore s) throws IOException {
        g.writeStartObject();
        binary(g, "weights", s.weights());
        g.writeNumberField("intercept", s.intercept());
        g.writeNumberField("lambda", s.lambda());
        g.writeStringField("target", s.target().label());
        g.writeArrayFieldStart("sizes");
        for (int size : s.sizes()) {
            g.writeNumber(size);
        }
        g.writeEndArray();
        numbers(g, "means", s.means());
        g.writeNumberField("variance", s.variance());
        g.writeNumberField("interval_mass", s.intervalMass());
        finiteOrNull(g, "low", s.low());
        finiteOrNull(g, "high", s.high());
        g.writeObjectFieldStart("shift");
        binary(g, "components", s.shift().components());
        numbers(g, "variances", s.shift().variances());
        g.writeNumberField("residual", s.shift().residual());
        finiteOrNull(g, "threshold", s.shift().threshold());
        g.writeEndObject();
        g.writeEndObject();
    }

    /** pooled-recipe's conditioned score: the recipe fields, their log standardisation, the column weight, a pooled score. */
    private static void writeRecipe(JsonGenerator g, RecipeScore r) throws IOException {
        g.writeObjectFieldStart("recipe");
        g.writeArrayFieldStart("fields");
        for (String f : r.fields()) {
            g.writeString(f);
        }
        g.writeEndArray();
        numbers(g, "mean", r.mean());
        numbers(g, "std", r.std());
        g.writeNumberField("weight", r.weight());
        g.writeFieldName("pooled");
        writePooled(g, r.score());
        g.writeEndObject();
    }

    /** Reads and checks pooled-recipe's conditioned score; null where the file stores none (one recipe in training). */
    private static RecipeScore readRecipe(Path path, JsonNode node, int[] labels, int dim) {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isObject() || !node.path("fields").isArray()) {
            throw new ModelFileException(path, "recipe must be an object with its fields");
        }
        List<String> fields = new ArrayList<>();
        for (JsonNode f : node.path("fields")) {
            if (!f.isTextual() || !dev.dsire.lora.Recipe.FIELDS.contains(f.asText()) || fields.contains(f.asText())) {
                throw new ModelFileException(path, "recipe fields must be distinct names among " + dev.dsire.lora.Recipe.FIELDS);
            }
            fields.add(f.asText());
        }
        if (fields.isEmpty()) {
            throw new ModelFileException(path, "recipe fields is empty");
        }
        double[] mean = numbers(path, node.path("mean"), "recipe mean");
        double[] std = numbers(path, node.path("std"), "recipe std");
        if (mean.length != fields.size() || std.length != fields.size()) {
            throw new ModelFileException(path, "recipe mean and std need one value per field (" + fields.size() + ")");
        }
        for (int j = 0; j < mean.length; j++) {
            // fit keeps only fields whose log spread is above 1e-9: a smaller one would blow a column up
            if (!Double.isFinite(mean[j]) || !(std[j] > 1e-9 && Double.isFinite(std[j]))) {
                throw new ModelFileException(path, "recipe mean must be finite and std above 1e-9");
            }
        }
        double weight = finite(path, node.path("weight"), "recipe weight");
        if (!(weight > 0 && weight <= 1000)) { // fit tries 1, 3 and 10
            throw new ModelFileException(path, "recipe weight must lie in (0, 1000]");
        }
        return new RecipeScore(List.copyOf(fields), mean, std, weight, readPooled(path, node.path("pooled"), labels, dim + fields.size()));
    }

    /** The recipe fields every training adapter stated with one value; none where the file has no such block (older models too). */
    private static FixedRecipe readFixedRecipe(Path path, JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return FixedRecipe.NONE;
        }
        if (!node.isObject()) {
            throw new ModelFileException(path, "fixed_recipe must be an object of recipe fields and their values");
        }
        List<String> fields = new ArrayList<>();
        double[] values = new double[node.size()];
        var it = node.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().isNumber()) {
                throw new ModelFileException(path, "fixed_recipe " + e.getKey() + " must be a number");
            }
            values[fields.size()] = e.getValue().asDouble();
            fields.add(e.getKey());
        }
        try {
            return new FixedRecipe(fields, values);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(path, e.getMessage());
        }
    }

    private static void finiteOrNull(JsonGenerator g, String name, double x) throws IOException {
        if (Double.isFinite(x)) {
            g.writeNumberField(name, x);
        } else {
            g.writeNullField(name);
        }
    }

    /** Reads and checks the pooled score against the model's labels and feature dimension. */
    private static PooledScore readPooled(Path path, JsonNode node, int[] labels, int dim) {
        if (!node.isObject()) {
            throw new ModelFileException(path, "pooled is missing (the pooled method's fitted score)");
        }
        double[] weights = vector(path, node.path("weights"), "pooled weights");
        if (weights.length != dim) {
            throw new ModelFileException(path, "pooled weights has " + weights.length + " values, expected " + dim);
        }
        double intercept = finite(path, node.path("intercept"), "pooled intercept");
        double lambda = finite(path, node.path("lambda"), "pooled lambda");
        if (!(lambda > 0)) {
            throw new ModelFileException(path, "pooled lambda must be positive");
        }
        double[] sizesD = numbers(path, node.path("sizes"), "pooled sizes");
        int[] sizes = new int[sizesD.length];
        int[] expected = java.util.stream.IntStream.of(labels).sorted().distinct().toArray();
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = (int) sizesD[i];
            if (sizes[i] != sizesD[i]) {
                throw new ModelFileException(path, "pooled sizes must be whole numbers");
            }
        }
        if (!java.util.Arrays.equals(sizes, expected)) {
            throw new ModelFileException(path, "pooled sizes " + java.util.Arrays.toString(sizes) + " are not the labels' sizes "
                    + java.util.Arrays.toString(expected));
        }
        double[] means = numbers(path, node.path("means"), "pooled means");
        if (means.length != sizes.length) {
            throw new ModelFileException(path, "pooled means has " + means.length + " values, expected one per size (" + sizes.length + ")");
        }
        for (double m : means) {
            if (!Double.isFinite(m)) {
                throw new ModelFileException(path, "pooled means holds a non-finite value");
            }
        }
        double variance = finite(path, node.path("variance"), "pooled variance");
        double mass = finite(path, node.path("interval_mass"), "pooled interval_mass");
        if (!(variance > 0)) {
            throw new ModelFileException(path, "pooled variance must be positive");
        }
        if (!(mass > 0 && mass < 1)) {
            throw new ModelFileException(path, "pooled interval_mass must lie between 0 and 1");
        }
        double low = orInfinite(path, node.path("low"), "pooled low", Double.NEGATIVE_INFINITY);
        double high = orInfinite(path, node.path("high"), "pooled high", Double.POSITIVE_INFINITY);
        JsonNode sh = node.path("shift");
        double[] comps = vector(path, sh.path("components"), "pooled shift components");
        double[] vars = numbers(path, sh.path("variances"), "pooled shift variances");
        if (vars.length * (long) dim != comps.length) {
            throw new ModelFileException(path, "pooled shift components has " + comps.length + " values, expected " + vars.length + "×" + dim);
        }
        for (double v : vars) {
            if (!(v > 0 && Double.isFinite(v))) {
                throw new ModelFileException(path, "pooled shift variances must be positive and finite");
            }
        }
        double residual = finite(path, sh.path("residual"), "pooled shift residual");
        if (!(residual > 0)) {
            throw new ModelFileException(path, "pooled shift residual must be positive");
        }
        double threshold = orInfinite(path, sh.path("threshold"), "pooled shift threshold", Double.POSITIVE_INFINITY);
        if (!(threshold > 0)) {
            throw new ModelFileException(path, "pooled shift threshold must be positive");
        }
        // models saved before the target was chosen regressed on log n
        JsonNode t = node.path("target");
        ScoreTarget target = t.isMissingNode() ? ScoreTarget.LOG_SIZE : ScoreTarget.of(t.asText());
        if (target == null || !(t.isMissingNode() || t.isTextual())) {
            throw new ModelFileException(path, "pooled target must be \"log-size\" or \"rank\"");
        }
        return new PooledScore(weights, intercept, lambda, target, sizes, means, variance, mass, low, high,
                new ShiftDetector(comps, vars, residual, threshold));
    }

    private static double finite(Path path, JsonNode n, String what) {
        if (!n.isNumber() || !Double.isFinite(n.asDouble())) {
            throw new ModelFileException(path, what + " must be a finite number");
        }
        return n.asDouble();
    }

    private static double orInfinite(Path path, JsonNode n, String what, double infinite) {
        return n.isNull() ? infinite : finite(path, n, what);
    }

    private static void numbers(JsonGenerator g, String name, double[] xs) throws IOException {
        g.writeArrayFieldStart(name);
        for (double d : xs) {
            g.writeNumber(d);
        }
        g.writeEndArray();
    }

    private static void binary(JsonGenerator g, String name, double[] xs) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 * xs.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(xs);
        g.writeStringField(name, Base64.getEncoder().encodeToString(b.array()));
    }

    /** The keys whose values {@link #binary} writes: read as bytes where their text is canonical base64. */
    private static final Set<String> VECTOR_KEYS = Set.of("refs", "mean", "std", "weights", "components");

    /**
     * A voter's vector: base64 little-endian doubles (version 3; already decoded where canonical, see
     * {@link JsonTree#read(byte[], Set)}) or an array of numbers (1 and 2).
     */
    private static double[] vector(Path path, JsonNode node, String what) {
        if (!node.isTextual() && !node.isBinary()) {
            return numbers(path, node, what);
        }
        byte[] bytes;
        try {
            bytes = node.isBinary() ? node.binaryValue() : Base64.getDecoder().decode(node.asText());
        } catch (IllegalArgumentException | IOException e) {
            throw new ModelFileException(path, what + " is not base64");
        }
        if (bytes.length % 8 != 0) {
            throw new ModelFileException(path, what + " is " + bytes.length + " bytes, not whole doubles");
        }
        double[] r = new double[bytes.length / 8];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(r);
        for (double d : r) {
            if (!Double.isFinite(d)) {
                throw new ModelFileException(path, what + " holds a non-finite value");
            }
        }
        return r;
    }

    private static double[] numbers(Path path, JsonNode node, String what) {
        if (!node.isArray()) {
            throw new ModelFileException(path, what + (node.isMissingNode() ? " is missing" : " is not an array of numbers"));
        }
        double[] r = new double[node.size()];
        for (int i = 0; i < r.length; i++) {
            if (!node.get(i).isNumber()) {
                throw new ModelFileException(path, what + " holds a non-number");
            }
            r[i] = node.get(i).asDouble();
            if (!Double.isFinite(r[i])) {
                throw new ModelFileException(path, what + " holds a non-finite value (" + node.get(i).asText() + ")");
            }
        }
        return r;
    }

    /** A model file larger than this is not one (a model of thousands of adapters is a few hundred MB). */
    static final long MAX_BYTES = 1L << 30;

    public static DsireModel load(Path path) {
        String kind = FileKind.notRegular(path);
        if (kind != null) {
            throw new ModelFileException(path, kind);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            bytes = in.readNBytes((int) MAX_BYTES + 1);
        } catch (IOException e) {
            throw new ModelFileException(path, "not a readable JSON model: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
        if (bytes.length > MAX_BYTES) {
            throw new ModelFileException(path, "larger than " + (MAX_BYTES >> 20) + " MiB: not a dsire model");
        }
        return parse(path, bytes);
    }

    /** A field that must be a whole number in [min, max]. */
    private static int whole(Path path, JsonNode n, String what, long min, long max) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw new ModelFileException(path, what + " is " + (n.isMissingNode() ? "missing" : abbreviated(n))
                    + ", not a whole number" + (max == Integer.MAX_VALUE ? " of at least " + min : " from " + min + " to " + max));
        }
        return (int) n.asLong();
    }

    private static String abbreviated(JsonNode n) {
        String t = n.toString();
        return t.length() > 40 ? t.substring(0, 40) + "…" : t;
    }

    /** A model from its file's bytes (as broadcast to cluster executors); path only names it in errors. */
    public static DsireModel parse(Path path, byte[] json) {
        JsonNode root;
        try {
            root = JsonTree.read(json, VECTOR_KEYS);
        } catch (IOException e) {
            throw new ModelFileException(path, "not a readable JSON model: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new ModelFileException(path, "not a dsire model (no \"format\": \"" + FORMAT + "\")");
        }
        JsonNode v = root.path("version");
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1 || v.asInt() > VERSION) {
            throw new ModelFileException(path, "model format version " + v.asText() + " is not one this dsire reads (1 to " + VERSION + ")");
        }
        int version = v.asInt();
        Method method;
        try {
            method = version == 1 ? Method.byKey(root.path("method").asText()) : method(root);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(path, e.getMessage());
        }
        JsonNode layersNode = root.path("layout").path("layers");
        if (!layersNode.isArray() || layersNode.isEmpty()) {
            throw new ModelFileException(path, "layout.layers is " + (layersNode.isMissingNode() ? "missing" : "not a non-empty array"));
        }
        List<LayerShape> layers = new ArrayList<>();
        long rankSum = 0;
        for (int i = 0; i < layersNode.size(); i++) {
            JsonNode l = layersNode.get(i);
            String what = "layout.layers[" + i + "]";
            if (!l.isArray() || l.size() != 4 || !l.get(0).isTextual()) {
                throw new ModelFileException(path, what + " is not [name, rank, out, in]");
            }
            LayerShape shape = new LayerShape(l.get(0).asText(), whole(path, l.get(1), what + " rank", 1, MAX_RANK),
                    whole(path, l.get(2), what + " out", 1, Integer.MAX_VALUE), whole(path, l.get(3), what + " in", 1, Integer.MAX_VALUE));
            rankSum += shape.rank();
            layers.add(shape);
        }
        if (rankSum > MAX_RANK) {
            throw new ModelFileException(path, "layout's ranks add up to " + rankSum + ", more than any adapter's (" + MAX_RANK + ")");
        }
        Layout layout = new Layout(layers);
        if (!layout.fingerprint().equals(root.path("layout").path("fingerprint").asText())) {
            throw new ModelFileException(path, "layout does not match its fingerprint (file edited or damaged)");
        }
        JsonNode labelsNode = root.path("labels");
        if (!labelsNode.isArray()) {
            throw new ModelFileException(path, "labels is " + (labelsNode.isMissingNode() ? "missing" : "not an array"));
        }
        int[] labels = new int[labelsNode.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = whole(path, labelsNode.get(i), "labels[" + i + "] (a training size in images)", 1, Integer.MAX_VALUE);
        }
        if (labels.length == 0) {
            throw new ModelFileException(path, "model has no training labels");
        }
        List<String> expected = method.voters(layout);
        int[] dims = dims(method, layout);
        JsonNode votersNode = root.path("voters");
        if (!votersNode.isArray()) {
            throw new ModelFileException(path, "voters is " + (votersNode.isMissingNode() ? "missing" : "not an array"));
        }
        List<String> voters = new ArrayList<>();
        List<NearestNeighbour> index = new ArrayList<>();
        List<Standardiser> scalers = new ArrayList<>();
        for (JsonNode vn : votersNode) {
            int at = voters.size();
            if (!vn.isObject() || !vn.path("name").isTextual()) {
                throw new ModelFileException(path, "voters[" + at + "] is not an object with a name");
            }
            String name = vn.path("name").asText();
            if (at >= expected.size() || !name.equals(expected.get(at))) {
                throw new ModelFileException(path, "voters do not match method " + method.key() + " on this layout (voters[" + at + "] is " + name + ")");
            }
            int dim = whole(path, vn.path("dim"), "voter " + name + " dim", 1, Integer.MAX_VALUE);
            if (dim != dims[at]) {
                throw new ModelFileException(path, "voter " + name + " dim is " + dim + ", but method " + method.key() + " gives " + dims[at] + " values on this layout");
            }
            double[] r;
            if (version >= 4 && !method.searchesReferences() && vn.path("refs").isMissingNode()) {
                r = new double[0]; // version 4 stores none where they are never searched
            } else {
                r = vector(path, vn.path("refs"), "voter " + name + " refs");
                if (r.length != (long) labels.length * dim) {
                    throw new ModelFileException(path, "voter " + name + " has " + r.length + " values, expected " + labels.length + "×" + dim);
                }
            }
            if (method.transform().standardised()) {
                double[] mean = vector(path, vn.path("mean"), "voter " + name + " mean"), std = vector(path, vn.path("std"), "voter " + name + " std");
                if (mean.length != dim || std.length != dim) {
                    throw new ModelFileException(path, "voter " + name + " standardiser does not have " + dim + " values");
                }
                for (double sd : std) {
                    if (!(sd > 0)) {
                        throw new ModelFileException(path, "voter " + name + " std holds " + sd + ", not a positive scale");
                    }
                }
                scalers.add(new Standardiser(mean, std));
            }
            voters.add(name);
            index.add(new NearestNeighbour(dim, r));
        }
        if (!voters.equals(expected)) {
            throw new ModelFileException(path, "voters do not match method " + method.key() + " on this layout (" + voters.size() + " of " + expected.size() + ")");
        }
        Calibration calibration;
        if (version == 1) {
            int[] classOf = new int[labels.length], own = new int[labels.length];
            List<Integer> sizes = java.util.stream.IntStream.of(labels).sorted().distinct().boxed().toList();
            for (int i = 0; i < labels.length; i++) {
                classOf[i] = sizes.indexOf(labels[i]);
                own[i] = i;
            }
            calibration = LeaveOneGroupOut.fit(method.combiner(), method.rule().neighbours(), index, classOf, sizes, own);
        } else {
            JsonNode c = root.path("calibration");
            double[] tau = numbers(path, c.path("tau"), "calibration tau"), weights = numbers(path, c.path("weights"), "calibration weights");
            boolean weighted = method.combiner().weighted();
            if (tau.length != voters.size() || weights.length != (weighted ? voters.size() : 0) || !c.path("ood_threshold").isNumber()) {
                throw new ModelFileException(path, "calibration does not match the " + voters.size() + " voters");
            }
            for (double x : tau) {
                if (!(x > 0)) {
                    throw new ModelFileException(path, "calibration tau holds " + x + ", not a positive distance scale");
                }
            }
            for (double x : weights) {
                if (!(x >= 0)) {
                    throw new ModelFileException(path, "calibration weights holds " + x + ", not a weight of at least 0");
                }
            }
            // files written before the interval was calibrated have no mass: theirs was 80%
            if (c.has("interval_mass") && !c.path("interval_mass").isNumber()) {
                throw new ModelFileException(path, "calibration interval_mass is not a number");
            }
            double mass = c.has("interval_mass") ? c.path("interval_mass").asDouble() : Calibration.DEFAULT_INTERVAL_MASS;
            if (!(mass > 0 && mass < 1)) {
                throw new ModelFileException(path, "calibration interval_mass must lie between 0 and 1");
            }
            double t = c.path("ood_threshold").asDouble();
            if (!Double.isFinite(t) || (t < 0 && t != -1)) {
                throw new ModelFileException(path, "calibration ood_threshold is " + c.path("ood_threshold").asText() + ", not a distance ratio of at least 0 (or -1: none)");
            }
            calibration = new Calibration(tau, weights, t < 0 ? Double.POSITIVE_INFINITY : t, mass);
        }
        PooledScore pooled = method.rule().pooled() ? readPooled(path, root.path("pooled"), labels, index.getFirst().dim()) : null;
        RecipeScore recipe = method.rule() == VoterRule.POOLED_RIDGE_RECIPE ? readRecipe(path, root.path("recipe"), labels, index.getFirst().dim()) : null;
        FixedRecipe fixed = readFixedRecipe(path, root.path("fixed_recipe"));
        try {
            return DsireModel.of(method, layout, labels, voters, index, scalers, calibration, pooled, recipe, fixed);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(path, e.getMessage());
        }
    }

    /** No adapter has layers whose ranks add up to more (an SDXL LoRA of rank 128 is about 100,000). */
    static final int MAX_RANK = 1 << 22;

    /**
     * Each voter's dimension as the method computes it on an adapter of this layout: features of
     * an all-zero spectrum (r values per matrix of a rank-r layer), so every method, present or
     * future, is checked the same way. Bounded: ranks were checked to add up to at most MAX_RANK.
     */
    private static int[] dims(Method method, Layout layout) {
        List<LayerSpectrum> zeros = new ArrayList<>();
        for (LayerShape l : layout.layers()) {
            zeros.add(LayerSpectrum.of(l.name(), new double[l.rank()], new double[l.rank()], new double[l.rank()]));
        }
        return method.features(new AdapterSpectra(layout, zeros)).stream().mapToInt(f -> f.length).toArray();
    }

    /** The named method, checked against the stored composition; an unnamed composition is built from its parts. */
    private static Method method(JsonNode root) {
        JsonNode c = root.path("composition");
        Method stored = new Method(root.path("method").asText(), FeatureTransform.byKey(c.path("transform").asText()),
                VoterSet.byKey(c.path("voters").asText()), VoterRule.byKey(c.path("rule").asText()), Combiner.byKey(c.path("combiner").asText()));
        if (Method.keys().contains(stored.key()) && !Method.byKey(stored.key()).equals(stored)) {
            throw new IllegalArgumentException("method " + stored.key() + " is stored as " + stored.composition() + ", but this dsire's "
                    + stored.key() + " is " + Method.byKey(stored.key()).composition());
        }
        // a rule gives votes or likelihoods, and only some combiners take each: pairs no method of this dsire uses are refused
        if (Method.all().stream().noneMatch(m -> m.rule() == stored.rule() && m.combiner() == stored.combiner())) {
            throw new IllegalArgumentException("composition: voter rule " + stored.rule().key() + " cannot be combined by " + stored.combiner().key()
                    + " (no method of this dsire pairs them)");
        }
        return stored;
    }
}
