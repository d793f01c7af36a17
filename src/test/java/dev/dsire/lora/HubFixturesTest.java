package dev.dsire.lora;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.LayerSpectrum;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every scheme of src/test/resources/hub (make_hub_fixtures.py: the writers' own key names on real
 * base shapes): read with its family and variant, format, scale and where the scale came from, every
 * canonical layer's σ(ΔW) (and a LyCORIS layer's σ(A), σ(B)) within 1e-9·σ_max of the script's
 * float64 truth; or refused with one line naming what the file is.
 */
class HubFixturesTest {
    private static final Path HUB = Path.of("src/test/resources/hub");
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<String> files() throws IOException {
        List<String> names = new ArrayList<>();
        truth().get("files").forEach(f -> names.add(f.get("file").asText()));
        return names.stream();
    }

    private static JsonNode truth() throws IOException {
        return JSON.readTree(HUB.resolve("truth.json").toFile());
    }

    private static JsonNode entry(String file) throws IOException {
        for (JsonNode f : truth().get("files")) {
            if (f.get("file").asText().equals(file)) {
                return f;
            }
        }
        throw new AssertionError(file);
    }

    @Test
    void theHubCoversEveryScheme() throws IOException {
        List<String> names = files().toList();
        assertTrue(names.size() >= 45, "fixtures: " + names.size());
        TreeSet<String> families = new TreeSet<>();
        for (JsonNode f : truth().get("files")) {
            if (f.has("family")) {
                families.add(f.get("family").asText());
            }
        }
        for (String f : List.of("SDXL", "SD1.x", "Kolors", "Stable Cascade 3.6B", "Stable Cascade 1B", "SD3/SD3.5 medium", "SD3.5 medium", "SD3.5 large", "Flux",
                "Flux.1 dev", "Flux.1 Kontext", "Flux.2 dev", "Chroma", "HunyuanVideo", "FramePack", "Wan 2.1 1.3B", "Wan 2.1 14B I2V", "Wan 2.2 5B",
                "Qwen-Image", "Z-Image", "Lumina 2", "LTX-Video 2B", "HiDream", "Sana 1.6B", "AuraFlow", "CogVideoX 5B", "Mochi", "PixArt")) {
            assertTrue(families.contains(f), f);
        }
    }

    @ParameterizedTest
    @MethodSource("files")
    void readsAsItsWriterMeantIt(String name) throws IOException {
        JsonNode t = entry(name);
        Path file = HUB.resolve(name);
        if (t.has("refuse")) {
            LoraException e = assertThrows(LoraException.class, () -> LoraReader.open(file).close());
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(t.get("refuse").asText()), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            return;
        }
        try (LoraAdapter a = LoraReader.open(file); CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            assertEquals(t.get("family").asText(), a.base().label(), "family");
            assertEquals(t.get("format").asText(), a.format().label(), "format");
            assertEquals(t.get("scale_source").asText(), a.facts().scaleSource(), "scale source");
            Computed c = cpu.compute(List.of(a)).getFirst();
            assertTrue(c.ok(), () -> c.error().getMessage());
            Map<String, LoraLayer> layers = new TreeMap<>();
            a.layers().forEach(l -> layers.put(l.name(), l));
            Map<String, LayerSpectrum> spectra = new TreeMap<>();
            c.spectra().layers().forEach(s -> spectra.put(s.layer(), s));
            TreeSet<String> expected = new TreeSet<>();
            t.get("layers").fieldNames().forEachRemaining(expected::add);
            assertEquals(expected, layers.keySet(), "canonical layers");
            for (String layer : expected) {
                JsonNode l = t.get("layers").get(layer);
                LoraLayer got = layers.get(layer);
                assertEquals(l.get("rank").asInt(), got.rank(), layer + " rank");
                assertEquals(l.get("out").asInt(), got.outDim(), layer + " out");
                assertEquals(l.get("in").asInt(), got.inDim(), layer + " in");
                assertEquals(l.get("scale").asDouble(), got.scale(), 1e-12, layer + " scale");
                LayerSpectrum s = spectra.get(layer);
                close(l, "ba", s.ba(), layer);
                if (l.has("a")) {
                    close(l, "a", s.a(), layer);
                    close(l, "b", s.b(), layer);
                }
            }
        }
    }

    private static void close(JsonNode layer, String kind, double[] got, String name) {
        JsonNode want = layer.get(kind);
        assertEquals(want.size(), got.length, name + " " + kind + " length");
        double max = Math.max(want.get(0).asDouble(), got[0]);
        for (int i = 0; i < got.length; i++) {
            assertEquals(want.get(i).asDouble(), got[i], 1e-9 * max, name + " σ" + i + "(" + kind + ")");
        }
        if (layer.has(kind + "_rest")) { // the dense SVD's values past the rank: rounding noise, so the rank dsire reads is the matrix's
            assertTrue(layer.get(kind + "_rest").asDouble() <= 1e-9 * max, name + " " + kind + " has rank above " + got.length);
        }
    }

    /** One Flux LoRA as kohya, ComfyUI, diffusers/ai-toolkit, OneTrainer and XLabs name it: one layout, the same spectra. */
    @Test
    void oneFluxLoraReadsAlikeFromEveryTrainer() {
        List<String> namings = List.of("same_flux_kohya", "same_flux_comfyui", "same_flux_diffusers", "same_flux_onetrainer", "same_flux_xlabs");
        Layout layout = null;
        List<LayerSpectrum> first = null;
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            for (String n : namings) {
                try (LoraAdapter a = LoraReader.open(HUB.resolve(n + ".safetensors"))) {
                    List<LayerSpectrum> s = cpu.compute(List.of(a)).getFirst().spectra().layers();
                    if (layout == null) {
                        layout = a.layout();
                        first = s;
                        continue;
                    }
                    assertEquals(layout, a.layout(), n);
                    for (int i = 0; i < s.size(); i++) {
                        assertArrayEquals(first.get(i).a(), s.get(i).a(), 1e-12, n);
                        assertArrayEquals(first.get(i).b(), s.get(i).b(), 1e-12, n);
                        assertArrayEquals(first.get(i).ba(), s.get(i).ba(), 1e-12, n);
                    }
                }
            }
        }
    }
}
