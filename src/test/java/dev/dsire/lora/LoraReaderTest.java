package dev.dsire.lora;

import static dev.dsire.lora.LoraException.Kind.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsWriter;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.BaseModels;
import dev.dsire.synth.ModuleSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LoraReaderTest {
    @TempDir
    Path dir;

    private static final List<ModuleSpec> SMALL = List.of(
            new ModuleSpec("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", 32, 32),
            new ModuleSpec("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k", 32, 768),
            new ModuleSpec("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0", 32, 32),
            new ModuleSpec("te1", "text_model.encoder.layers.0.self_attn.q_proj", 768, 768));

    private Path write(String name, Naming naming, List<ModuleSpec> modules, int rank, double alpha) throws IOException {
        Path sub = Files.createDirectories(dir.resolve(naming.name()));
        return AdapterWriter.write(sub.resolve(name), naming, modules, rank, alpha, DType.F16,
                AdapterWriter.random(modules, rank, 7), Map.of());
    }

    private LoraException.Kind kindOf(Path p) {
        LoraException e = assertThrows(LoraException.class, () -> LoraReader.open(p).close());
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        return e.kind();
    }

    @ParameterizedTest
    @EnumSource(Naming.class)
    void everyFormatGivesTheSameCanonicalLayout(Naming naming) throws IOException {
        Path p = write("a.safetensors", naming, SMALL, 4, 2.0);
        try (LoraAdapter a = LoraReader.open(p)) {
            assertEquals(List.of(
                    "te1.text_model_encoder_layers_0_self_attn_q_proj",
                    "unet.down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0",
                    "unet.down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
                    "unet.down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k"),
                    a.layers().stream().map(LoraLayer::name).toList());
            LoraLayer k = a.layers().get(3);
            assertEquals(4, k.rank());
            assertEquals(32, k.outDim());
            assertEquals(768, k.inDim());
            LoraFormat expected = switch (naming) {
                case KOHYA -> LoraFormat.KOHYA;
                case PEFT -> LoraFormat.PEFT;
                default -> LoraFormat.DIFFUSERS;
            };
            assertEquals(expected, a.format());
            // kohya stores alpha, PEFT has it in adapter_config.json, diffusers files have none
            double scale = naming == Naming.KOHYA || naming == Naming.PEFT ? 0.5 : 1.0;
            assertEquals(scale, k.scale());
            assertEquals("F16", a.dtype());
            assertEquals(BaseFamily.SD1, a.layout().family());
        }
    }

    @Test
    void sd15AndSdxlShapedFilesAreRecognised() throws IOException {
        try (LoraAdapter a = LoraReader.open(write("sd15.safetensors", Naming.KOHYA, BaseModels.sd15(), 2, 1))) {
            assertEquals(128, a.layers().size());
            assertEquals("SD1.x rank 2, 128 layers", a.layout().describe());
        }
        try (LoraAdapter a = LoraReader.open(write("sdxl.safetensors", Naming.PEFT, BaseModels.sdxl(), 1, 1))) {
            assertEquals(560, a.layers().size());
            assertEquals(BaseFamily.SDXL, a.layout().family());
        }
    }

    @Test
    void peftRankAndAlphaPatternsAndRsLora() throws IOException {
        Path p = write("adapter_model.safetensors", Naming.PEFT, SMALL, 4, 8);
        Files.writeString(p.resolveSibling("adapter_config.json"),
                "{\"r\": 4, \"lora_alpha\": 8, \"alpha_pattern\": {\"attn2.to_k\": 2}, \"use_rslora\": true}");
        try (LoraAdapter a = LoraReader.open(p)) {
            assertEquals(2 / Math.sqrt(4), a.layers().get(3).scale(), 1e-15);
            assertEquals(8 / Math.sqrt(4), a.layers().get(2).scale(), 1e-15);
        }
        Files.writeString(p.resolveSibling("adapter_config.json"), "{\"r\": 8, \"lora_alpha\": 8}");
        assertEquals(BAD_CONFIG, kindOf(p));
        for (String notABoolean : new String[] {"\"yes\"", "\"true\"", "1"}) { // α/√r or α/r: never a guess
            Files.writeString(p.resolveSibling("adapter_config.json"), "{\"r\": 4, \"lora_alpha\": 8, \"use_rslora\": " + notABoolean + "}");
            LoraException e = assertThrows(LoraException.class, () -> LoraReader.open(p).close());
            assertTrue(e.getMessage().contains("use_rslora must be true or false"), e.getMessage());
        }
        Files.writeString(p.resolveSibling("adapter_config.json"), "{\"r\": 4, \"lora_alpha\": 8, \"use_rslora\": null}");
        try (LoraAdapter a = LoraReader.open(p)) {
            assertEquals(2.0, a.layers().get(0).scale(), "null: PEFT's default, False");
        }
        Files.writeString(p.resolveSibling("adapter_config.json"), "{\"r\": 4, \"lora_alpha\": 8, \"rank_pattern\": {\"q_proj\": 4}}");
        try (LoraAdapter a = LoraReader.open(p)) {
            assertEquals(2.0, a.layers().get(0).scale());
        }
        Files.writeString(p.resolveSibling("adapter_config.json"), "{not json");
        assertEquals(BAD_CONFIG, kindOf(p));
    }

    @Test
    void convWeightsAreFlattened() throws IOException {
        Path p = dir.resolve("conv.safetensors");
        new SafetensorsWriter()
                .put("lora_unet_conv_in.lora_down.weight", DType.F32, new long[] {2, 4, 3, 3}, new double[72])
                .put("lora_unet_conv_in.lora_up.weight", DType.F32, new long[] {5, 2, 1, 1}, new double[10])
                .write(p);
        try (LoraAdapter a = LoraReader.open(p)) {
            LoraLayer l = a.layers().getFirst();
            assertEquals(36, l.inDim());
            assertEquals(5, l.outDim());
            assertEquals(1.0, l.scale());
        }
    }

    @Test
    void kohyaTrainingImagesCountUniqueImagesNotRepeats() {
        Map<String, String> dirs = Map.of("ss_num_train_images", "200",
                "ss_dataset_dirs", "{\"10_cat\": {\"n_repeats\": 10, \"img_count\": 12}, \"5_dog\": {\"n_repeats\": 5, \"img_count\": 8}}");
        assertEquals(20, KohyaMetadata.of(dirs).trainImages().getAsInt());
        assertEquals("cat+dog", KohyaMetadata.of(dirs).trainGroup());
        Map<String, String> datasets = Map.of("ss_datasets",
                "[{\"subsets\": [{\"img_count\": 30, \"num_repeats\": 2, \"is_reg\": false}, {\"img_count\": 100, \"is_reg\": true}]},"
                        + " {\"subsets\": [{\"img_count\": 4}]}]",
                "ss_dataset_dirs", "{\"x\": {\"img_count\": 999}}");
        assertEquals(34, KohyaMetadata.of(datasets).trainImages().getAsInt());
        assertTrue(KohyaMetadata.of(Map.of("ss_num_train_images", "50")).trainImages().isEmpty());
        assertTrue(KohyaMetadata.of(Map.of("ss_dataset_dirs", "{garbled")).trainImages().isEmpty());
        assertEquals("unknown", KohyaMetadata.of(Map.of("ss_dataset_dirs", "{garbled")).trainGroup());
    }

    /** One rule for the count a file states: what fit --labels kohya and inspect read is what predict and scan declare. */
    @Test
    void kohyaTrainingImagesFallBackAsTheDeclaredLabelDoes() {
        // folders without img_count, one shared repeat count: images × repeats divided back
        KohyaMetadata repeats = KohyaMetadata.of(Map.of("ss_dataset_dirs", "{\"10_cat\": {\"n_repeats\": 10}, \"10_dog\": {\"n_repeats\": 10}}",
                "ss_num_train_images", "60"));
        assertEquals(6, repeats.trainImages().getAsInt());
        assertEquals("ss_num_train_images/n_repeats", repeats.trainImagesSource());
        assertEquals("cat+dog", repeats.trainGroup());
        // a subset whose img_count is not a number: the folders' counts instead of nothing
        KohyaMetadata damaged = KohyaMetadata.of(Map.of("ss_datasets", "[{\"subsets\": [{\"img_count\": \"many\"}]}]",
                "ss_dataset_dirs", "{\"3_a\": {\"n_repeats\": 3, \"img_count\": 9}}"));
        assertEquals(9, damaged.trainImages().getAsInt());
        assertEquals("ss_dataset_dirs", damaged.trainImagesSource());
        // different repeat counts: no way back from ss_num_train_images
        assertTrue(KohyaMetadata.of(Map.of("ss_dataset_dirs", "{\"10_cat\": {\"n_repeats\": 10}, \"5_dog\": {\"n_repeats\": 5}}",
                "ss_num_train_images", "60")).trainImages().isEmpty());
        for (KohyaMetadata k : List.of(repeats, damaged)) {
            assertEquals(k.trainImages().getAsInt(), dev.dsire.hub.DeclaredLabel.of(k).orElseThrow().images());
        }
    }

    @Test
    void notPlainLoraIsNamed() throws IOException {
        String[][] cases = {
                {"lora_unet_x.dora_scale", "DoRA"}, {"base_model.model.x.lora_magnitude_vector", "DoRA"},
                {"lora_unet_x.diff", "full weight difference"}, {"lora_unet_x.on_input", "IA3"}, {"lora_unet_x.oft_blocks", "OFT"},
                // every alternative of every pattern (AdapterType skips its regexes for keys without a marker)
                {"base_model.model.x.hada_w1_a", "PEFT LoHa"}, {"base_model.model.x.lokr_w1", "PEFT LoKr"},
                {"base_model.model.x.lora_magnitude_vector.default.weight", "DoRA"},
                {"base_model.model.x.lora_magnitude_vector.lora_A.weight", "DoRA"}, {"lora_unet_x.diff_b", "full weight difference"},
                {"lora_unet_x.oft_diag", "OFT"}, {"lora_unet_x.oft_r", "OFT"}, {"lora_unet_x.w_norm", "norm-layer"},
                {"lora_unet_x.b_norm", "norm-layer"}};
        for (String[] c : cases) {
            Path p = dir.resolve("other.safetensors");
            new SafetensorsWriter().put(c[0], DType.F32, new long[] {2}, new double[2]).write(p);
            LoraException e = assertThrows(LoraException.class, () -> LoraReader.open(p).close());
            assertEquals(UNSUPPORTED_TYPE, e.kind());
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void incompleteLycorisLayersNameWhatIsWrong() throws IOException {
        String[][] cases = {{"lora_unet_x.hada_w1_a", "hada_w1_a"}, {"lora_unet_x.hada_t2", "Tucker"}, {"lora_unet_x.lokr_w1", "lokr_w1"},
                {"lora_unet_x.lokr_w2_b", "lokr_w1_a"}, {"lora_unet_x.lora_mid.weight", "lora_mid"}};
        for (String[] c : cases) {
            Path p = dir.resolve("lyco.safetensors");
            new SafetensorsWriter().put(c[0], DType.F32, new long[] {2}, new double[2]).write(p);
            LoraException e = assertThrows(LoraException.class, () -> LoraReader.open(p).close());
            assertTrue(e.getMessage().startsWith(p + ": layer unet.x"), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void malformedAdapters() throws IOException {
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter().put("model.weight", DType.F32, new long[] {2, 2}, new double[4]).write(p);
        assertEquals(NOT_LORA, kindOf(p));

        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F32, new long[] {2, 3}, new double[6]).write(p);
        assertEquals(UNPAIRED, kindOf(p));

        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F32, new long[] {2, 3}, new double[6])
                .put("lora_unet_x.lora_up.weight", DType.F32, new long[] {3, 4}, new double[12]).write(p);
        assertEquals(RANK_MISMATCH, kindOf(p));

        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F32, new long[] {0, 3}, new double[0])
                .put("lora_unet_x.lora_up.weight", DType.F32, new long[] {3, 0}, new double[0]).write(p);
        assertEquals(ZERO_RANK, kindOf(p));

        new SafetensorsWriter().put("lora_unet_x.lora_down.weight", DType.F32, new long[] {6}, new double[6])
                .put("lora_unet_x.lora_up.weight", DType.F32, new long[] {3, 2}, new double[6]).write(p);
        assertEquals(BAD_SHAPE, kindOf(p));

        new SafetensorsWriter().put("x.lora_A.weight", DType.F32, new long[] {2, 3}, new double[6])
                .put("y.lora.up.weight", DType.F32, new long[] {3, 2}, new double[6])
                .put("y.lora.down.weight", DType.F32, new long[] {2, 3}, new double[6])
                .put("x.lora_B.weight", DType.F32, new long[] {3, 2}, new double[6]).write(p);
        assertEquals(NOT_LORA, kindOf(p));
    }

    @Test
    void integerWeightsAreRefused() throws IOException {
        Path p = dir.resolve("i.safetensors");
        Files.write(p, rawTwoTensors("I32"));
        assertEquals(BAD_DTYPE, kindOf(p));
    }

    private static byte[] rawTwoTensors(String dtype) {
        String h = "{\"a.lora_A.weight\":{\"dtype\":\"" + dtype + "\",\"shape\":[1,1],\"data_offsets\":[0,4]},"
                + "\"a.lora_B.weight\":{\"dtype\":\"" + dtype + "\",\"shape\":[1,1],\"data_offsets\":[4,8]}}";
        byte[] hb = h.getBytes();
        var b = java.nio.ByteBuffer.allocate(8 + hb.length + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(hb.length).put(hb);
        return b.array();
    }

    @Test
    void nonFiniteWeightsAreRefused() throws IOException {
        Path p = dir.resolve("nan.safetensors");
        new SafetensorsWriter().put("x.lora_A.weight", DType.F16, new long[] {1, 2}, new double[] {1, Double.POSITIVE_INFINITY})
                .put("x.lora_B.weight", DType.F16, new long[] {2, 1}, new double[] {1, 2}).write(p);
        try (LoraAdapter a = LoraReader.open(p)) {
            LoraException e = assertThrows(LoraException.class, a::requireFinite);
            assertEquals(NON_FINITE, e.kind());
        }
    }

    @Test
    void picklesAreNeverOpened() throws IOException {
        for (String ext : List.of("ckpt", "pt", "pth", "bin")) {
            Path p = dir.resolve("model." + ext);
            Files.write(p, new byte[] {(byte) 0x80, 2, 'c', 'o', 's'});
            assertEquals(PICKLE_FORMAT, kindOf(p));
        }
        Path disguised = dir.resolve("zip.safetensors");
        Files.write(disguised, new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        assertEquals(PICKLE_FORMAT, kindOf(disguised));
    }
}
