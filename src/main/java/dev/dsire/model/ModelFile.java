package dev.dsire.model;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.lora.LayerShape;
import dev.dsire.lora.Layout;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Saved models as JSON: format name and version, the method's name and composition, the layout
 * with its fingerprint, labels, each voter's reference vectors (standardised ones with their
 * standardiser) and the leave-one-group-out calibration. Writing is deterministic (same model,
 * same bytes); loading checks everything it reads. Since version 3 a voter's vectors are base64
 * strings of little-endian IEEE-754 doubles: the same values, a third of the bytes, and decoded
 * in milliseconds where parsing them as JSON numbers took about a second of every cold `predict`
 * (a 24-adapter SD 1.5 model). Version 2 files (numbers) still load, and so do version 1 files
 * (no composition, no calibration): their calibration is refitted leave-one-out from the stored
 * references.
 */
public final class ModelFile {
    public static final String FORMAT = "dsire-model";
    public static final int VERSION = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

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
                writePooled(g, m.pooled());
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
                binary(g, "refs", m.index().get(v).refs());
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
        g.writeObjectFieldStart("pooled");
        binary(g, "weights", s.weights());
        g.writeNumberField("intercept", s.intercept());
        g.writeNumberField("lambda", s.lambda());
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
        return new PooledScore(weights, intercept, lambda, sizes, means, variance, mass, low, high,
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

    /** A voter's vector: base64 little-endian doubles (version 3) or an array of numbers (1 and 2). */
    private static double[] vector(Path path, JsonNode node, String what) {
        if (!node.isTextual()) {
            return numbers(path, node, what);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(node.asText());
        } catch (IllegalArgumentException e) {
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
            throw new ModelFileException(path, what + " is missing");
        }
        double[] r = new double[node.size()];
        for (int i = 0; i < r.length; i++) {
            if (!node.get(i).isNumber()) {
                throw new ModelFileException(path, what + " holds a non-number");
            }
            r[i] = node.get(i).asDouble();
        }
        return r;
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
        int version = root.path("version").asInt();
        if (version < 1 || version > VERSION) {
            throw new ModelFileException(path, "model format version " + root.path("version").asText() + " is not one this dsire reads (1 to " + VERSION + ")");
        }
        Method method;
        try {
            method = version == 1 ? Method.byKey(root.path("method").asText()) : method(root);
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
        List<Standardiser> scalers = new ArrayList<>();
        for (JsonNode v : root.path("voters")) {
            int dim = v.path("dim").asInt();
            String name = v.path("name").asText();
            double[] r = vector(path, v.path("refs"), "voter " + name + " refs");
            if (dim <= 0 || r.length != labels.length * dim) {
                throw new ModelFileException(path, "voter " + name + " has " + r.length + " values, expected " + labels.length + "×" + dim);
            }
            if (method.transform().standardised()) {
                double[] mean = vector(path, v.path("mean"), "voter " + name + " mean"), std = vector(path, v.path("std"), "voter " + name + " std");
                if (mean.length != dim || std.length != dim) {
                    throw new ModelFileException(path, "voter " + name + " standardiser does not have " + dim + " values");
                }
                scalers.add(new Standardiser(mean, std));
            }
            voters.add(name);
            index.add(new NearestNeighbour(dim, r));
        }
        if (!voters.equals(expected)) {
            throw new ModelFileException(path, "voters do not match method " + method.key() + " on this layout");
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
            // files written before the interval was calibrated have no mass: theirs was 80%
            double mass = c.has("interval_mass") ? c.path("interval_mass").asDouble() : Calibration.DEFAULT_INTERVAL_MASS;
            if (!(mass > 0 && mass < 1)) {
                throw new ModelFileException(path, "calibration interval_mass must lie between 0 and 1");
            }
            double t = c.path("ood_threshold").asDouble();
            calibration = new Calibration(tau, weights, t < 0 ? Double.POSITIVE_INFINITY : t, mass);
        }
        PooledScore pooled = method.rule() == VoterRule.POOLED_RIDGE ? readPooled(path, root.path("pooled"), labels, index.getFirst().dim()) : null;
        try {
            return DsireModel.of(method, layout, labels, voters, index, scalers, calibration, pooled);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(path, e.getMessage());
        }
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
        return stored;
    }
}
