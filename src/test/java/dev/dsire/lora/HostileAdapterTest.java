package dev.dsire.lora;

import static dev.dsire.lora.LoraException.Kind.*;
import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.cli.Main;
import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsWriter;
import dev.dsire.testutil.Cli.Run;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapters and configs built to hurt: each is that file's error (or read exactly), never a crash, hang or batch stop. */
class HostileAdapterTest {
    @TempDir
    Path dir;

    private static final String MODULE = "model.layers.0.self_attn.q_proj";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A PEFT adapter (one 4×4 layer of rank 2) in its own folder, with the given adapter_config.json text (null: none). */
    private Path peft(String name, String config) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        Path f = d.resolve("adapter_model.safetensors");
        new SafetensorsWriter()
                .put("base_model.model." + MODULE + ".lora_A.weight", DType.F32, new long[] {2, 4}, new double[] {1, 0, 0, 0, 0, 1, 0, 0})
                .put("base_model.model." + MODULE + ".lora_B.weight", DType.F32, new long[] {4, 2}, new double[] {1, 0, 0, 2, 0, 0, 0, 0})
                .write(f);
        if (config != null) {
            Files.writeString(d.resolve("adapter_config.json"), config);
        }
        return f;
    }

    private static LoraException refused(Path p) {
        LoraException e = assertThrows(LoraException.class, () -> LoraReader.open(p).close());
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        return e;
    }

    @Test
    void invalidOrBacktrackingPatternsAreTheFilesError() throws IOException {
        for (String key : List.of("[", "(?P=n)q_proj", "q(?=_proj)", "(?<=self_attn\\.)q_proj", "(?>q)_proj", "q_proj\\1",
                "((a{1000}){1000}){1000}", "(a{999}){2}", "a{1001}", "(x{999}y{999}){10}", "(".repeat(150) + "q" + ")".repeat(150),
                "(q|k)".repeat(300))) {
            Path p = peft("bad" + Math.abs(key.hashCode()), "{\"r\": 2, \"lora_alpha\": 4, \"rank_pattern\": " + JSON.writeValueAsString(java.util.Map.of(key, 2)) + "}");
            LoraException e = refused(p);
            assertEquals(BAD_CONFIG, e.kind());
            assertTrue(e.getMessage().contains("rank_pattern key"), e.getMessage());
        }
    }

    @Test
    void pythonPatternSyntaxIsTranslated() throws IOException {
        Path p = peft("py", "{\"r\": 2, \"lora_alpha\": 4, \"alpha_pattern\": {\"layers\\\\.(?P<i>0)\\\\.self_attn\\\\.q_proj\\\\Z\": 1,"
                + " \"k_proj\": 7}, \"rank_pattern\": {\"(?#comment)(?a)q_pro{,1}j\": 2}}");
        try (LoraAdapter a = LoraReader.open(p)) {
            assertEquals(1.0 / 2, a.layers().getFirst().scale());
            assertEquals("config", a.facts().scaleSource());
        }
    }

    @Test
    void exponentialPatternsAnswerAtOnce() throws IOException {
        // java.util.regex backtracks (.*.){30}! for ages against a long name; RE2 is linear
        String longName = "model.layers.0.self_attn." + "a".repeat(40) + "_proj";
        Path d = Files.createDirectories(dir.resolve("redos"));
        Path f = d.resolve("adapter_model.safetensors");
        new SafetensorsWriter()
                .put("base_model.model." + longName + ".lora_A.weight", DType.F32, new long[] {1, 2}, new double[] {1, 0})
                .put("base_model.model." + longName + ".lora_B.weight", DType.F32, new long[] {2, 1}, new double[] {1, 0})
                .write(f);
        Files.writeString(d.resolve("adapter_config.json"), "{\"r\": 1, \"lora_alpha\": 1, \"rank_pattern\": {\"(.*.){30}!\": 4, \"(.*a){25}\": 1}}");
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (LoraAdapter a = LoraReader.open(f)) {
                assertEquals(1, a.layers().getFirst().rank());
            }
        });
    }

    @Test
    void patternsTooCostlyForTheFileAreRefused() throws IOException {
        Path d = Files.createDirectories(dir.resolve("costly"));
        Path f = d.resolve("adapter_model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < 12; i++) {
            String m = "base_model.model.model.layers." + i + ".self_attn." + "x".repeat(70) + "_proj";
            w.put(m + ".lora_A.weight", DType.F32, new long[] {1, 2}, new double[] {1, 0}).put(m + ".lora_B.weight", DType.F32, new long[] {2, 1}, new double[] {1, 0});
        }
        w.write(f);
        String key = "a{999}".repeat(19); // 19,000 states: within the per-key limit
        StringBuilder cfg = new StringBuilder("{\"r\": 1, \"lora_alpha\": 1, \"alpha_pattern\": {");
        for (int i = 0; i < 5; i++) {
            cfg.append(i == 0 ? "" : ", ").append('"').append(key).append("b".repeat(i)).append("\": 2");
        }
        Files.writeString(d.resolve("adapter_config.json"), cfg.append("}}").toString());
        LoraException e = refused(f);
        assertTrue(e.getMessage().contains("too costly"), e.getMessage());
    }

    @Test
    void aBadConfigNeverStopsTheBatch() throws IOException {
        Path bad = peft("batch-bad", "{\"r\": 2, \"lora_alpha\": 4, \"rank_pattern\": {\"(?P<name>q)_proj[\": 2}}");
        Path good = peft("batch-good", "{\"r\": 2, \"lora_alpha\": 4}");
        Run r = dsire("inspect", "--json", bad, good);
        assertEquals(Main.INPUT_ERROR, r.code(), r.err());
        List<String> lines = r.lines();
        assertEquals(2, lines.size());
        assertTrue(JSON.readTree(lines.get(0)).get("error").asText().contains("rank_pattern"));
        assertEquals("config", JSON.readTree(lines.get(1)).get("scale_source").asText());
        assertTrue(JSON.readTree(lines.get(1)).get("error").isNull());
    }

    @Test
    void numbersAreParsedDefensively() throws IOException {
        String[] configs = {
                "{\"r\": 1, \"lora_alpha\": 1e308}", // scale 1e308 / 2
                "{\"r\": 2, \"lora_alpha\": 1e999}",
                "{\"r\": 2, \"lora_alpha\": Infinity}",
                "{\"r\": 2, \"lora_alpha\": 4, \"alpha_pattern\": {\"q_proj\": \"abc\"}}",
                "{\"r\": 2, \"lora_alpha\": -4}",
                "{\"r\": 2, \"lora_alpha\": 0}",
                "{\"r\": 2, \"lora_alpha\": 4, \"rank_pattern\": {\"q_proj\": 1e12}}",
                "{\"r\": 99999999999, \"lora_alpha\": 4}",
                "{\"r\": \"2\", \"lora_alpha\": 4}"};
        for (int i = 0; i < configs.length; i++) {
            LoraException e = refused(peft("n" + i, configs[i]));
            assertTrue(e.kind() == BAD_CONFIG, configs[i] + " -> " + e.getMessage());
        }
        // a non-positive or absurd scale names the layer
        assertTrue(refused(peft("n-neg", "{\"r\": 2, \"lora_alpha\": -4}")).getMessage().contains("layer model."));
    }

    @Test
    void kohyaAlphasAreCheckedToo() throws IOException {
        Path p = dir.resolve("alpha.safetensors");
        for (double alpha : new double[] {1e308, -1}) {
            new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F32, new long[] {1, 2}, new double[] {1, 0})
                    .put("lora_unet_x.lora_up.weight", DType.F32, new long[] {2, 1}, new double[] {1, 0})
                    .put("lora_unet_x.alpha", DType.F64, new long[] {}, new double[] {alpha}).write(p);
            LoraException e = refused(p);
            assertTrue(e.getMessage().contains("layer unet.x"), e.getMessage());
        }
        // kohya's own rule: alpha 0 means alpha = rank
        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F32, new long[] {1, 2}, new double[] {1, 0})
                .put("lora_unet_x.lora_up.weight", DType.F32, new long[] {2, 1}, new double[] {1, 0})
                .put("lora_unet_x.alpha", DType.F32, new long[] {}, new double[] {0}).write(p);
        try (LoraAdapter a = LoraReader.open(p)) {
            assertEquals(1.0, a.layers().getFirst().scale());
            assertEquals("kohya alpha", a.facts().scaleSource());
        }
    }

    @Test
    void hugeSgmBlockIndicesAreJustNames() throws IOException {
        assertEquals("input_blocks_4294967296_1_transformer_blocks_0_attn1_to_q",
                SgmNames.toDiffusers("input_blocks_4294967296_1_transformer_blocks_0_attn1_to_q"));
        assertEquals("output_blocks_99999999999999999999_0_in_layers_2",
                SgmNames.toDiffusers("output_blocks_99999999999999999999_0_in_layers_2"));
        Path p = dir.resolve("sgm.safetensors");
        new SafetensorsWriter().put("lora_unet_input_blocks_4294967296_1_proj_in.lora_down.weight", DType.F32, new long[] {1, 2}, new double[2])
                .put("lora_unet_input_blocks_4294967296_1_proj_in.lora_up.weight", DType.F32, new long[] {2, 1}, new double[2]).write(p);
        try (LoraAdapter a = LoraReader.open(p)) {
            assertEquals("unet.input_blocks_4294967296_1_proj_in", a.layers().getFirst().name());
        }
    }

    @Test
    void swappedUpAndDownAreNamed() throws IOException {
        Path p = dir.resolve("swap.safetensors");
        // square layer 8x8 of rank 2 with the two tensors' shapes swapped: reads as rank 8 on a 2x2 layer
        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F32, new long[] {8, 2}, new double[16])
                .put("lora_unet_x.lora_up.weight", DType.F32, new long[] {2, 8}, new double[16])
                .put("lora_unet_y.lora_down.weight", DType.F32, new long[] {2, 8}, new double[16])
                .put("lora_unet_y.lora_up.weight", DType.F32, new long[] {8, 2}, new double[16]).write(p);
        LoraException swapped = refused(p);
        assertTrue(swapped.getMessage().contains("layer unet.x") && swapped.getMessage().contains("swapped"), swapped.getMessage());
        // a LoRA of rank 8 on 4x4 layers (r > d) is legal: nothing says it is swapped
        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F32, new long[] {8, 4}, new double[32])
                .put("lora_unet_x.lora_up.weight", DType.F32, new long[] {4, 8}, new double[32]).write(p);
        try (LoraAdapter a = LoraReader.open(p)) {
            assertEquals(8, a.layers().getFirst().rank());
        }
        // non-square: the ranks disagree, and the reason says why
        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F32, new long[] {6, 2}, new double[12])
                .put("lora_unet_x.lora_up.weight", DType.F32, new long[] {2, 8}, new double[16]).write(p);
        LoraException e = refused(p);
        assertEquals(RANK_MISMATCH, e.kind());
        assertTrue(e.getMessage().contains("swapped"), e.getMessage());
    }

    @Test
    void configsPeftCannotLoadAreTheFilesError() throws IOException {
        Path bom = peft("bom", null);
        byte[] json = "{\"r\": 2, \"lora_alpha\": 4}".getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[json.length + 3];
        withBom[0] = (byte) 0xef;
        withBom[1] = (byte) 0xbb;
        withBom[2] = (byte) 0xbf;
        System.arraycopy(json, 0, withBom, 3, json.length);
        Files.write(bom.resolveSibling("adapter_config.json"), withBom);
        assertTrue(refused(bom).getMessage().contains("byte-order mark"));
        assertEquals(BAD_CONFIG, refused(peft("trailing", "{\"r\": 2, \"lora_alpha\": 4} {\"r\": 8}")).kind());
        try (LoraAdapter a = LoraReader.open(peft("dup", "{\"r\": 8, \"lora_alpha\": 4, \"r\": 2}"))) {
            assertEquals(2.0, a.layers().getFirst().scale(), "duplicate keys: the last wins, as PEFT (Python's json) reads them");
        }
        assertEquals(BAD_CONFIG, refused(peft("array", "[1, 2]")).kind());
        Path dirConfig = peft("dirconfig", null);
        Files.createDirectory(dirConfig.resolveSibling("adapter_config.json"));
        assertEquals(BAD_CONFIG, refused(dirConfig).kind());
    }

    @Test
    void rankBombsAreRefusedBeforeAnyWork() throws IOException {
        Path p = dir.resolve("bomb.safetensors");
        // 16 KB: r = 4096 on a 1x1 layer
        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F16, new long[] {4096, 1}, new double[4096])
                .put("lora_unet_x.lora_up.weight", DType.F16, new long[] {1, 4096}, new double[4096]).write(p);
        LoraException e = refused(p);
        assertTrue(e.getMessage().contains("--max-rank"), e.getMessage());

        Path r8 = dir.resolve("r8.safetensors");
        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F32, new long[] {8, 16}, new double[128])
                .put("lora_unet_x.lora_up.weight", DType.F32, new long[] {16, 8}, new double[128]).write(r8);
        Run capped = dsire("features", "--device", "cpu", "--max-rank", "4", r8);
        assertEquals(Main.INPUT_ERROR, capped.code());
        assertTrue(capped.err().contains("rank 8 is above the --max-rank limit 4"), capped.err());
        assertEquals(0, dsire("features", "--device", "cpu", r8).code(), "the default cap (1024) reads it");
        assertEquals(Main.USAGE, dsire("features", "--device", "cpu", "--max-rank", "0", r8).code());
    }

    @Test
    void aMissingConfigIsSaidOnceAndShownInInspect() throws IOException {
        Path p = peft("noconfig", null);
        Run r = dsire("inspect", "--json", p, p);
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("dsire: note: " + p) && l.contains("scale assumed 1")).count(), r.err());
        JsonNode n = JSON.readTree(r.lines().getFirst());
        assertEquals("assumed", n.get("scale_source").asText());
        assertTrue(n.get("alpha").isNull());
    }
}
