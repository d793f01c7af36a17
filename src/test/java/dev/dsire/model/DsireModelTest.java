package dev.dsire.model;

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
        for (Method method : Method.values()) {
            DsireModel m = DsireModel.fit(method, s.stream().map(Sample::labelled).toList());
            Path f1 = dir.resolve(method.key() + "1.json"), f2 = dir.resolve(method.key() + "2.json");
            ModelFile.save(m, f1);
            DsireModel back = ModelFile.load(f1);
            ModelFile.save(back, f2);
            assertArrayEquals(Files.readAllBytes(f1), Files.readAllBytes(f2), "same model, same bytes");
            for (Sample x : s) {
                assertEquals(m.predict(x.path(), x.spectra()), back.predict(x.path(), x.spectra()));
            }
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
        Files.writeString(p, "not json");
        assertThrows(ModelFileException.class, () -> ModelFile.load(p));
        List<Sample> s = samples(Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 2, List.of(1, 2)));
        ModelFile.save(DsireModel.fit(Method.DSIRE, s.stream().map(Sample::labelled).toList()), p);
        Files.writeString(p, Files.readString(p).replace("blocks_0_attn1_to_q", "blocks_9_attn1_to_q"));
        e = assertThrows(ModelFileException.class, () -> ModelFile.load(p));
        assertTrue(e.getMessage().contains("fingerprint"));
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
