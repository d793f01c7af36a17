package dev.dsire.lora;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.LayerSpectrum;
import java.io.IOException;
import java.nio.file.Files;
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
 * Adapters written by PEFT 0.21 itself (src/test/resources/peft/make_fixtures.py: tiny Llama,
 * Mixtral, GPT-2, OPT, BERT, Whisper and ResNet models, one variant each) against PEFT's own delta
 * weights: every adapted module is read, with PEFT's rank, alpha and scale, and σ(ΔW), σ(A), σ(B)
 * within 1e-9·σ_max of the truth; refused variants are refused by name.
 */
class PeftFixturesTest {
    private static final Path FIXTURES = Path.of("src/test/resources/peft");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOLERANCE = 1e-9;

    static Stream<String> cases() throws IOException {
        try (Stream<Path> s = Files.list(FIXTURES)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("truth.json"))).map(p -> p.getFileName().toString()).sorted().toList().stream();
        }
    }

    @Test
    void everyVariantHasAFixture() throws IOException {
        List<String> names = cases().toList();
        for (String required : List.of("llama_plain", "llama_embedding_only", "llama_kasa", "mixtral_target_parameters",
                "whisper_conv1d", "llama_no_config", "llama_no_alpha", "llama_rslora_patterns", "llama_bdlora", "llama_adalora",
                "llama_lora_bias", "llama_dora", "llama_alora", "llama_velora", "llama_qalora_flag", "llama_mica", "gpt2_conv1d",
                "opt", "bert", "resnet_conv2d", "llama_base_model", "llama_causal_lm")) {
            assertTrue(names.contains(required), required);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void readsAsPeftComputesIt(String name) throws IOException {
        Path dir = FIXTURES.resolve(name);
        JsonNode truth = JSON.readTree(dir.resolve("truth.json").toFile());
        Path file = dir.resolve("adapter_model.safetensors");
        if (truth.path("expect").asText().equals("refused")) {
            LoraException e = assertThrows(LoraException.class, () -> LoraReader.open(file).close());
            assertTrue(e.getMessage().contains(truth.get("refuse").asText()), e.getMessage());
            return;
        }
        boolean noConfig = truth.path("expect").asText().equals("exact-no-config");
        try (LoraAdapter a = LoraReader.open(file); CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            Computed c = cpu.compute(List.of(a)).getFirst();
            assertTrue(c.ok(), () -> c.error().getMessage());
            Map<String, LoraLayer> layers = new TreeMap<>();
            a.layers().forEach(l -> layers.put(l.name(), l));
            Map<String, LayerSpectrum> spectra = new TreeMap<>();
            c.spectra().layers().forEach(s -> spectra.put(s.layer(), s));
            TreeSet<String> expected = new TreeSet<>();
            truth.get("layers").fieldNames().forEachRemaining(expected::add);
            assertEquals(expected, layers.keySet(), "every module PEFT adapted, under its canonical name, and nothing else");
            assertEquals(noConfig ? "assumed" : "config", a.facts().scaleSource());
            for (String layer : expected) {
                JsonNode t = truth.get("layers").get(layer);
                LoraLayer l = layers.get(layer);
                // a module AdaLoRA pruned to rank 0 (ΔW = 0) reads as zero factors of rank 1
                assertEquals(Math.max(1, t.get("rank").asInt()), l.rank(), layer);
                double scale = t.get("scale").asDouble();
                if (noConfig) {
                    assertEquals(1.0, l.scale(), layer);
                    assertTrue(Double.isNaN(l.alpha()), layer);
                } else {
                    assertEquals(scale, l.scale(), 1e-12 * scale, layer);
                    assertEquals(t.get("alpha").asDouble(), l.alpha(), layer);
                }
                LayerSpectrum s = spectra.get(layer);
                double ratio = noConfig ? 1 / scale : 1; // dsire's assumed scale 1 against PEFT's
                close(layer + " σ(ΔW)", t.get("ba"), s.ba(), ratio);
                close(layer + " σ(A)", t.get("a"), s.a(), 1);
                close(layer + " σ(B)", t.get("b"), s.b(), 1);
            }
        }
    }

    /** dsire's r values against the truth's min(d, k) (beyond r the truth must be ≈ 0), within 1e-9·σ_max. */
    private static void close(String what, JsonNode truth, double[] got, double ratio) {
        List<Double> want = new ArrayList<>();
        truth.forEach(v -> want.add(v.asDouble() * ratio));
        double max = want.isEmpty() ? 0 : want.getFirst();
        double tol = TOLERANCE * Math.max(max, Double.MIN_NORMAL);
        for (int i = 0; i < Math.max(want.size(), got.length); i++) {
            double w = i < want.size() ? want.get(i) : 0;
            double g = i < got.length ? got[i] : 0;
            assertEquals(w, g, tol, what + " [" + i + "]");
        }
    }

    @Test
    void llamaModelAndLlamaForCausalLmShareLayerNames() {
        try (LoraAdapter base = LoraReader.open(FIXTURES.resolve("llama_base_model/adapter_model.safetensors"));
             LoraAdapter causal = LoraReader.open(FIXTURES.resolve("llama_causal_lm/adapter_model.safetensors"))) {
            assertEquals(base.layout(), causal.layout());
            assertTrue(base.layers().getFirst().name().startsWith("model.layers_0_"), base.layers().getFirst().name());
        }
    }

    @Test
    void familiesAreNamed() {
        Map<String, BaseFamily> expected = Map.of("llama_plain", BaseFamily.LLAMA, "mixtral_target_parameters", BaseFamily.MIXTRAL,
                "gpt2_conv1d", BaseFamily.GPT2, "opt", BaseFamily.OPT, "bert", BaseFamily.BERT, "whisper_conv1d", BaseFamily.WHISPER,
                "resnet_conv2d", BaseFamily.RESNET, "llama_base_model", BaseFamily.LLAMA);
        expected.forEach((name, family) -> {
            try (LoraAdapter a = LoraReader.open(FIXTURES.resolve(name).resolve("adapter_model.safetensors"))) {
                assertEquals(family, a.family(), name);
                assertEquals(family, a.layout().family(), name + ", from layer names alone");
                assertTrue(a.layers().stream().noneMatch(l -> l.name().startsWith("unet.")), name);
            }
        });
    }

    @Test
    void variantsAreNamed() {
        Map<String, String> expected = Map.of("llama_kasa", "kasa", "llama_adalora", "adalora", "llama_bdlora", "bd-lora",
                "mixtral_target_parameters", "target_parameters", "llama_lora_bias", "lora_bias", "llama_embedding_only", "embedding",
                "whisper_conv1d", "conv", "llama_rslora_patterns", "rslora");
        expected.forEach((name, variant) -> {
            try (LoraAdapter a = LoraReader.open(FIXTURES.resolve(name).resolve("adapter_model.safetensors"))) {
                assertTrue(a.facts().variants().contains(variant), name + " " + a.facts().variants());
            }
        });
        try (LoraAdapter a = LoraReader.open(FIXTURES.resolve("llama_alora/adapter_model.safetensors"))) {
            assertEquals(List.of(), a.facts().variants(), "aLoRA is plain LoRA on disk");
        }
    }
}
