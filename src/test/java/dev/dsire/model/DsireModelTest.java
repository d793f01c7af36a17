package dev.dsire.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.eval.Evaluation;
import dev.dsire.eval.MethodResult;
import dev.dsire.eval.Protocol;
import dev.dsire.eval.Sample;
import dev.dsire.lora.LayerShape;
import dev.dsire.lora.Layout;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.SpectraExtractor;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.testutil.Zoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DsireModelTest {
    @TempDir
    Path dir;

    static List<Sample> samples(Path manifestCsv) {
        Manifest m = Manifest.readCsv(manifestCsv);
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(2)) {
            var ex = new SpectraExtractor(cpu).extract(m.entries().stream().map(Manifest.Entry::path).toList(), e -> assertTrue(e.ok()));
            List<Sample> out = new ArrayList<>();
            for (int i = 0; i < ex.size(); i++) {
                out.add(new Sample(ex.get(i).path(), m.entries().get(i).group(), m.entries().get(i).size(), ex.get(i).spectra()));
            }
            return out;
        }
    }

    private static Layout layout(String... names) {
        return new Layout(java.util.Arrays.stream(names).map(n -> new LayerShape(n, 2, 4, 4)).toList());
    }

    private static AdapterSpectra spectra(Layout l, double... firstSigmaPerLayer) {
        List<LayerSpectrum> out = new ArrayList<>();
        for (int i = 0; i < l.layers().size(); i++) {
            double s = firstSigmaPerLayer[i];
            out.add(new LayerSpectrum(l.layers().get(i).name(), new double[] {s, 0}, new double[] {s, 0}, new double[] {s, 0}, s, s, s));
        }
        return new AdapterSpectra(l, out);
    }

    @Test
    void everyLayerAndKindVotesAndTheMajorityWins() {
        Layout l = layout("x", "y", "z");
        DsireModel m = DsireModel.fit(Method.DSIRE, List.of(
                new Labelled(Path.of("a"), spectra(l, 1, 1, 1), 1),
                new Labelled(Path.of("b"), spectra(l, 5, 5, 5), 5)));
        Prediction p = m.predict(Path.of("q"), spectra(l, 1.1, 4.9, 1.2));
        assertEquals(1, p.size());
        assertEquals(6, p.votes().get(1));
        assertEquals(3, p.votes().get(5));
        assertEquals(9, m.voters().size());
    }

    @Test
    void tiesGoToTheSmallestSize() {
        Layout l = layout("x", "y");
        DsireModel m = DsireModel.fit(Method.DSIRE, List.of(
                new Labelled(Path.of("a"), spectra(l, 1, 1), 3),
                new Labelled(Path.of("b"), spectra(l, 5, 5), 2)));
        assertEquals(2, m.predict(Path.of("q"), spectra(l, 1, 5)).size());
        // equal distances: the earlier training adapter wins
        assertEquals(3, m.predict(Path.of("q"), spectra(l, 3, 3)).size());
    }

    @Test
    void meanVoteSnapsToAKnownSize() {
        Layout l = layout("x", "y");
        DsireModel m = DsireModel.fit(Method.AVG_VOTE, List.of(
                new Labelled(Path.of("a"), spectra(l, 1, 1), 10),
                new Labelled(Path.of("b"), spectra(l, 5, 5), 20),
                new Labelled(Path.of("c"), spectra(l, 9, 9), 40)));
        assertEquals(20, m.predict(Path.of("q"), spectra(l, 1, 9)).size()); // mean 25 → 20 (nearer than 40)
    }

    @Test
    void frobeniusBaselineAndNnFullHaveTheirOwnVoters() {
        Layout l = layout("x", "y");
        assertEquals(6, Method.FROBENIUS.voters(l).size());
        assertEquals(1, Method.FROBENIUS.features(spectra(l, 2, 3)).getFirst().length);
        assertEquals(List.of("all"), Method.NN_FULL.voters(l));
        assertEquals("log-std+spectrum × per-layer a,b,ba × soft-3nn × posterior", Method.POSTERIOR.composition());
        assertEquals(List.of("x/a/log", "x/a/raw", "x/b/log", "x/b/raw", "x/ba/log", "x/ba/raw",
                "y/a/log", "y/a/raw", "y/b/log", "y/b/raw", "y/ba/log", "y/ba/raw"), Method.POSTERIOR.voters(l));
        List<double[]> two = Method.POSTERIOR.features(spectra(l, 2, 3));
        assertEquals(12, two.size());
        assertArrayEquals(spectra(l, 2, 3).layers().getFirst().values(dev.dsire.spectra.MatrixKind.A), two.get(1), "the raw view is σ itself");
        assertEquals(Math.log(two.get(1)[0]), two.get(0)[0], 1e-12, "the log view is log σ");
        assertEquals(Method.all().size(), Method.keys().stream().distinct().count(), "names are unique");
        assertEquals(12, Method.NN_FULL.features(spectra(l, 2, 3)).getFirst().length);
        assertEquals(2, Method.BA_ONLY.voters(l).size());
    }

    @Test
    void refusesAnotherLayoutWithAClearMessage() {
        Layout l = layout("x", "y");
        DsireModel m = DsireModel.fit(Method.DSIRE, List.of(new Labelled(Path.of("a"), spectra(l, 1, 1), 1)));
        LayoutMismatchException e = assertThrows(LayoutMismatchException.class,
                () -> m.predict(Path.of("other.safetensors"), spectra(layout("x", "y", "z"), 1, 1, 1)));
        assertEquals("other.safetensors: model expects other rank 2, 2 layers; file has other rank 2, 3 layers", e.getMessage());
        e = assertThrows(LayoutMismatchException.class, () -> m.predict(Path.of("o"), spectra(layout("x", "w"), 1, 1)));
        assertTrue(e.getMessage().contains("first difference: expected y"), e.getMessage());
    }

    @Test
    void saveLoadRoundTripIsExactAndDeterministic() throws IOException {
        List<Sample> s = samples(Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 3, List.of(1, 2, 3)));
        for (Method method : Method.all()) {
            DsireModel m = DsireModel.fit(method, s.stream().map(Sample::labelled).toList());
            Path f1 = dir.resolve(method.key() + "1.json"), f2 = dir.resolve(method.key() + "2.json");
            ModelFile.save(m, f1);
            DsireModel back = ModelFile.load(f1);
            ModelFile.save(back, f2);
            assertArrayEquals(Files.readAllBytes(f1), Files.readAllBytes(f2), "same model, same bytes");
            for (Sample x : s) {
                assertEquals(m.predict(x.path(), x.spectra()), back.predict(x.path(), x.spectra()), method.key());
            }
            assertEquals(method, back.method());
        }
    }

    @Test
    void damagedModelFilesAreRefused() throws IOException {
        Path p = dir.resolve("m.json");
        Files.writeString(p, "{\"format\": \"something\"}");
        assertThrows(ModelFileException.class, () -> ModelFile.load(p));
        Files.writeString(p, "{\"format\": \"dsire-model\", \"version\": 99}");
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.load(p));
        assertTrue(e.getMessage().contains("version 99"));
        assertEquals(1, e.getMessage().lines().count());
        Files.writeString(p, "not json");
        assertThrows(ModelFileException.class, () -> ModelFile.load(p));
        List<Sample> s = samples(Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 2, List.of(1, 2)));
        ModelFile.save(DsireModel.fit(Method.DSIRE, s.stream().map(Sample::labelled).toList()), p);
        Files.writeString(p, Files.readString(p).replace("blocks_0_attn1_to_q", "blocks_9_attn1_to_q"));
        e = assertThrows(ModelFileException.class, () -> ModelFile.load(p));
        assertTrue(e.getMessage().contains("fingerprint"));
    }

    @Test
    void aModelSavedByTheFirstFormatStillLoadsAndPredictsAsBefore() throws Exception {
        // written by dsire 6f5d9a3 (model format 1): `dsire fit --method dsire` on group g00 of examples/zoo-low
        Path v1 = Path.of(getClass().getResource("/model/dsire-v1.json").toURI());
        DsireModel m = ModelFile.load(v1);
        assertEquals(Method.DSIRE, m.method());
        assertEquals(List.of(1, 2, 3, 4, 5, 6), m.sizes());
        Path zoo = Path.of("examples/zoo-low");
        List<Sample> s = samples(zoo.resolve("manifest.csv")).subList(0, 12);
        for (Sample x : s.subList(0, 6)) {
            assertEquals(x.size(), m.predict(x.path(), x.spectra()).size(), "its own training adapters: distance 0");
        }
        Path again = dir.resolve("v4.json");
        ModelFile.save(m, again);
        assertTrue(Files.readString(again).contains("\"version\":4"));
        for (Sample x : s) {
            assertEquals(m.predict(x.path(), x.spectra()), ModelFile.load(again).predict(x.path(), x.spectra()));
        }
    }

    /** Saves m to p and reads the file back as a JSON tree, to be edited into what another format wrote. */
    private static ObjectNode savedTree(DsireModel m, Path p) throws IOException {
        ModelFile.save(m, p);
        return (ObjectNode) new ObjectMapper().readTree(p.toFile());
    }

    @Test
    void aModelWithItsVectorsAsNumbersStillLoadsAndVectorsAreChecked() throws IOException {
        List<Sample> s = samples(Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 3, List.of(1, 2, 3)));
        DsireModel m = DsireModel.fit(Method.POSTERIOR, s.stream().map(Sample::labelled).toList());
        Path v3 = dir.resolve("v3.json"), v2 = dir.resolve("v2.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = savedTree(m, v3);
        // the same model as format 2 wrote it: every vector an array of numbers
        root.put("version", 2);
        for (JsonNode v : root.path("voters")) {
            for (String field : List.of("refs", "mean", "std")) {
                byte[] b = Base64.getDecoder().decode(v.path(field).asText());
                ArrayNode numbers = ((ObjectNode) v).putArray(field);
                ByteBuffer d = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                while (d.hasRemaining()) {
                    numbers.add(d.getDouble());
                }
            }
        }
        json.writeValue(v2.toFile(), root);
        DsireModel back = ModelFile.load(v2);
        for (Sample x : s) {
            assertEquals(m.predict(x.path(), x.spectra()), back.predict(x.path(), x.spectra()));
        }
        Path resaved = dir.resolve("resaved.json");
        ModelFile.save(back, resaved);
        assertArrayEquals(Files.readAllBytes(v3), Files.readAllBytes(resaved), "numbers and base64 hold the same doubles");
        assertTrue(Files.size(v3) < Files.size(v2), "base64 is the smaller file");

        String text = Files.readString(v3);
        String first = json.readTree(text).path("voters").get(0).path("refs").asText();
        String nan = Base64.getEncoder().encodeToString(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(Double.NaN).array());
        for (String[] c : new String[][] {{"@@@", "is not base64"}, {Base64.getEncoder().encodeToString(new byte[7]), "not whole doubles"},
                {nan, "non-finite"}}) {
            Path bad = dir.resolve("bad.json");
            Files.writeString(bad, text.replace(first, c[0]));
            ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.load(bad));
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    /**
     * Format 4: a pooled score never searches the references, so its model stores none (most of its bytes). A
     * version 3 file of the same model, references included, still loads, answers alike, and has its references
     * checked; a model that searches them is refused without them.
     */
    @Test
    void aPooledModelStoresNoReferencesAndOlderFilesWithThemStillLoad() throws IOException {
        List<Sample> s = samples(Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 4, List.of(1, 2, 3)));
        DsireModel m = DsireModel.fit(Method.POOLED_RECIPE, s.stream().map(Sample::labelled).toList());
        Path v4 = dir.resolve("v4.json"), v3 = dir.resolve("v3.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = savedTree(m, v4);
        assertEquals(4, root.path("version").asInt());
        for (JsonNode v : root.path("voters")) {
            assertTrue(v.path("refs").isMissingNode(), "no references in a pooled model");
            assertTrue(v.path("mean").isTextual() && v.path("std").isTextual(), "its standardiser stays");
        }
        root.put("version", 3); // as format 3 wrote it: the references too
        for (int v = 0; v < m.voters().size(); v++) {
            ByteBuffer b = ByteBuffer.allocate(8 * m.index().get(v).refs().length).order(ByteOrder.LITTLE_ENDIAN);
            for (double x : m.index().get(v).refs()) {
                b.putDouble(x);
            }
            ((ObjectNode) root.path("voters").get(v)).put("refs", Base64.getEncoder().encodeToString(b.array()));
        }
        json.writeValue(v3.toFile(), root);
        assertTrue(Files.size(v4) < Files.size(v3), "smaller by the references");
        DsireModel fromV4 = ModelFile.load(v4), fromV3 = ModelFile.load(v3);
        for (Sample x : s) {
            Prediction p = m.predict(x.path(), x.spectra());
            assertEquals(p, fromV4.predict(x.path(), x.spectra()));
            assertEquals(p, fromV3.predict(x.path(), x.spectra()));
        }
        String nan = Base64.getEncoder().encodeToString(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(Double.NaN).array());
        Files.writeString(v3, Files.readString(v3).replace(root.path("voters").get(0).path("refs").asText(), nan));
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.load(v3));
        assertTrue(e.getMessage().contains("refs"), e.getMessage());

        Path nn = dir.resolve("dsire.json");
        ModelFile.save(DsireModel.fit(Method.DSIRE, s.stream().map(Sample::labelled).toList()), nn);
        ObjectNode d = (ObjectNode) json.readTree(nn.toFile());
        assertTrue(d.path("voters").get(0).path("refs").isTextual(), "a searching model keeps its references");
        ((ObjectNode) d.path("voters").get(0)).remove("refs");
        json.writeValue(nn.toFile(), d);
        e = assertThrows(ModelFileException.class, () -> ModelFile.load(nn));
        assertTrue(e.getMessage().contains("refs is missing"), e.getMessage());
    }

    @Test
    void aStoredCompositionThatDisagreesWithTheNamedMethodIsOneLineError() throws IOException {
        List<Sample> s = samples(Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 2, List.of(1, 2)));
        Path p = dir.resolve("m.json");
        ModelFile.save(DsireModel.fit(Method.POSTERIOR, s.stream().map(Sample::labelled).toList()), p);
        Files.writeString(p, Files.readString(p).replace("\"rule\":\"soft-3nn\"", "\"rule\":\"1nn\""));
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.load(p));
        assertTrue(e.getMessage().contains("method posterior is stored as"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void untrainedAndDegenerateAdaptersGetNoSize() {
        Layout l = layout("x", "y");
        for (Method method : Method.all()) {
            DsireModel m = DsireModel.fit(method, List.of(
                    new Labelled(Path.of("a"), spectra(l, 1, 1), 1, "g1"), new Labelled(Path.of("b"), spectra(l, 5, 5), 5, "g2"),
                    new Labelled(Path.of("c"), spectra(l, 1.2, 1.1), 1, "g3"), new Labelled(Path.of("d"), spectra(l, 4.8, 5.1), 5, "g4")));
            List<LayerSpectrum> zeroB = new ArrayList<>(), zeroUpdate = new ArrayList<>();
            for (var shape : l.layers()) {
                zeroB.add(new LayerSpectrum(shape.name(), new double[] {1, 0.5}, new double[] {0, 0}, new double[] {0, 0}, 1, 0, 0));
                zeroUpdate.add(new LayerSpectrum(shape.name(), new double[] {1, 0.5}, new double[] {2, 1}, new double[] {0, 0}, 1, 2, 0));
            }
            Prediction u = m.predict(Path.of("u"), new AdapterSpectra(l, zeroB));
            assertEquals(Status.UNTRAINED, u.status(), method.key());
            assertNull(u.size());
            Prediction d = m.predict(Path.of("d"), new AdapterSpectra(l, zeroUpdate));
            assertEquals(Status.DEGENERATE, d.status(), method.key());
            assertNull(d.size());
            assertEquals(Status.OK, m.predict(Path.of("q"), spectra(l, 4.9, 5)).status(), method.key());
        }
    }

    /** Sizes 1 and 2, one adapter of each in six groups, a little spread within a size. */
    private static List<Labelled> twoSizesInSixGroups(Layout l) {
        List<Labelled> train = new ArrayList<>();
        for (int g = 0; g < 6; g++) {
            train.add(new Labelled(Path.of("s" + g), spectra(l, 1 + 0.05 * g, 1 - 0.03 * g), 1, "g" + g));
            train.add(new Labelled(Path.of("b" + g), spectra(l, 2 + 0.04 * g, 2 + 0.02 * g), 2, "g" + g));
        }
        return train;
    }

    @Test
    void theOutOfDistributionFlagComesFromTheLeaveOneGroupOutSpread() {
        Layout l = layout("x", "y");
        List<Labelled> train = twoSizesInSixGroups(l);
        for (Method method : List.of(Method.DSIRE, Method.POSTERIOR)) {
            DsireModel m = DsireModel.fit(method, train);
            Prediction near = m.predict(Path.of("n"), spectra(l, 1.9, 2.05));
            assertEquals(Status.OK, near.status(), method.key());
            assertEquals(2, near.size());
            Prediction far = m.predict(Path.of("f"), spectra(l, 40, 45));
            assertEquals(Status.OUT_OF_DISTRIBUTION, far.status(), method.key());
            assertEquals(2, far.size(), "flagged, but still answered");
            assertTrue(far.reason().contains("typical distance"), far.reason());
        }
    }

    @Test
    void spectraSoLargeThatEveryDistanceOverflowsAreStillAnsweredAndFlagged() {
        // F64 weights near 1e300 give exact spectra near 1e300: every squared distance overflows
        Layout l = layout("x", "y");
        List<Labelled> train = twoSizesInSixGroups(l);
        for (Method method : List.of(Method.DSIRE, Method.POSTERIOR)) {
            DsireModel m = DsireModel.fit(method, train);
            AdapterSpectra huge = spectra(l, 1e300, 3e299);
            Prediction far = m.predict(Path.of("f"), huge);
            assertEquals(Status.OUT_OF_DISTRIBUTION, far.status(), method.key());
            assertTrue(far.size() == 1 || far.size() == 2, method.key());
            int[] noneFound = new int[m.voters().size()];
            java.util.Arrays.fill(noneFound, -1); // what a batched (GPU) search returns on overflow
            if (method == Method.DSIRE) {
                assertEquals(far.size(), m.answer(huge, m.features(Path.of("f"), huge), noneFound).size());
            }
        }
    }

    @Test
    void thePosteriorIsAProbabilityOverTheTrainingSizesAndInterpolatesUnseenSizes() throws IOException {
        List<Sample> s = samples(Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 8, List.of(1, 2, 4, 8, 16)));
        List<Labelled> train = s.stream().filter(x -> !x.group().equals("group7") && x.size() != 4).map(Sample::labelled).toList();
        DsireModel posterior = DsireModel.fit(Method.POSTERIOR, train), dsire = DsireModel.fit(Method.DSIRE, train);
        for (Sample x : s) {
            if (!x.group().equals("group7")) {
                continue;
            }
            Prediction p = posterior.predict(x.path(), x.spectra());
            assertEquals(List.of(1, 2, 8, 16), p.posterior().sizes());
            assertEquals(1.0, java.util.Arrays.stream(p.posterior().p()).sum(), 1e-12);
            if (x.size() == 4) {
                int snapped = dsire.predict(x.path(), x.spectra()).size();
                assertTrue(snapped == 2 || snapped == 8, "a vote can only answer a trained size");
                assertTrue(p.estimate() > 2 + 0.1 && p.estimate() < 8 - 0.1, "strictly between its neighbours: " + p.estimate());
            } else {
                assertEquals(x.size(), p.size());
                int[] iv = p.posterior().interval80();
                assertTrue(iv[0] <= x.size() && x.size() <= iv[1]);
            }
        }
    }

    @Test
    void theIntervalMassIsCalibratedLeaveOneGroupOutAndSavedWithTheModel() throws IOException {
        List<Sample> s = samples(Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 6, List.of(1, 2, 4, 8)));
        DsireModel m = DsireModel.fit(Method.POSTERIOR, s.stream().map(Sample::labelled).toList());
        double mass = m.calibration().intervalMass();
        assertTrue(mass >= 0.5 && mass <= 0.99, "mass " + mass);
        Path p = dir.resolve("m.json");
        ModelFile.save(m, p);
        assertEquals(mass, ModelFile.load(p).calibration().intervalMass());
        Sample x = s.getFirst();
        assertEquals(mass, ModelFile.load(p).predict(x.path(), x.spectra()).posterior().mass());
        // a format-2 file written before the field existed: its interval held 80%
        String json = Files.readString(p);
        Files.writeString(p, json.replaceFirst(",\"interval_mass\":[^,}]+", ""));
        assertFalse(Files.readString(p).contains("interval_mass"));
        assertEquals(Calibration.DEFAULT_INTERVAL_MASS, ModelFile.load(p).calibration().intervalMass());
        Files.writeString(p, json.replaceFirst("\"interval_mass\":[^,}]+", "\"interval_mass\":1.5"));
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.load(p));
        assertTrue(e.getMessage().contains("interval_mass"), e.getMessage());
    }

    @Test
    void tableFivesRidgeAndGdaAndTheWeightedVoteRecoverAKnownAnswer() throws IOException {
        List<Sample> s = samples(Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 18, List.of(1, 2, 4, 8)));
        List<MethodResult> r = Evaluation.run(s, List.of(Method.RIDGE, Method.GDA, Method.WEIGHTED_VOTE, Method.POSTERIOR),
                new Protocol(15, 2, 42));
        for (MethodResult x : r) {
            assertEquals(100.0, x.accuracy().mean(), 1e-9, x.method().key());
        }
        assertTrue(r.get(3).coverage80().mean() >= 0.8, "every true size inside the interval");
        assertTrue(Double.isNaN(r.get(0).coverage80().mean()), "a vote has no interval");
    }

    @Test
    void aKnownAnswerIsRecoveredUnderThePaperProtocol() throws IOException {
        List<Sample> s = samples(Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 18, List.of(1, 2, 4, 8)));
        List<MethodResult> r = Evaluation.run(s, List.of(Method.DSIRE, Method.FROBENIUS), Protocol.PAPER);
        assertEquals(100.0, r.get(0).accuracy().mean(), 1e-9);
        assertEquals(0.0, r.get(0).mae().mean(), 1e-9);
        assertEquals(0.0, r.get(0).mae().std(), 1e-9);
        assertEquals(3 * 4 * 10, java.util.Arrays.stream(r.get(0).confusion().counts()).flatMapToLong(java.util.Arrays::stream).sum());
    }

    @Test
    void aModelFittedOnPeftFilesPredictsKohyaFilesOfTheSameBase() throws IOException {
        List<Sample> peft = samples(Zoo.write(dir.resolve("peft"), Naming.PEFT, 3, List.of(1, 2, 4, 8)));
        List<Sample> kohya = samples(Zoo.write(dir.resolve("kohya"), Naming.KOHYA, 3, List.of(1, 2, 4, 8)));
        DsireModel m = DsireModel.fit(Method.DSIRE, peft.stream().map(Sample::labelled).toList());
        for (Sample k : kohya) {
            assertEquals(k.size(), m.predict(k.path(), k.spectra()).size());
        }
    }

    @Test
    void protocolSplitsAreSeededAndNeedATestSet() {
        List<String> groups = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            groups.add("g" + i);
        }
        var a = Protocol.PAPER.trainingSplits(groups);
        assertEquals(a, Protocol.PAPER.trainingSplits(groups.reversed()));
        assertEquals(10, a.size());
        assertEquals(15, a.getFirst().size());
        assertNotEquals(a.get(0), a.get(1));
        assertNotEquals(a, new Protocol(15, 10, 43).trainingSplits(groups));
        assertThrows(IllegalArgumentException.class, () -> Protocol.PAPER.trainingSplits(groups.subList(0, 15)));
    }
}
