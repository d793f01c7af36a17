package dev.dsire.lora;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class BaseFamilyTest {
    private static final List<LayerShape> LLAMA_STYLE = List.of(
            new LayerShape("model.layers_0_self_attn_q_proj", 4, 16, 16), new LayerShape("model.layers_0_mlp_down_proj", 4, 16, 24));

    @Test
    void llamaStyleLayersAreToldApartByTheRecordedModel() {
        assertEquals(BaseFamily.LLAMA, BaseFamily.guess(LLAMA_STYLE));
        assertEquals(BaseFamily.MISTRAL, BaseFamily.guess(LLAMA_STYLE, "MistralForCausalLM", null));
        assertEquals(BaseFamily.QWEN2, BaseFamily.guess(LLAMA_STYLE, "Qwen2ForCausalLM", "whatever"));
        assertEquals(BaseFamily.MISTRAL, BaseFamily.guess(LLAMA_STYLE, null, "mistralai/Mistral-7B-v0.1"));
        assertEquals(BaseFamily.LLAMA, BaseFamily.guess(LLAMA_STYLE, null, "/home/me/my-finetune"));
        assertEquals(BaseFamily.LLAMA, BaseFamily.guess(LLAMA_STYLE, "SomethingNewForCausalLM", null));
    }

    @Test
    void diffusionFamiliesIgnoreModelHints() {
        List<LayerShape> sd1 = List.of(new LayerShape("unet.down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k", 4, 320, 768));
        assertEquals(BaseFamily.SD1, BaseFamily.guess(sd1, "LlamaForCausalLM", "mistral"));
        assertFalse(BaseFamily.SD1.transformers());
        assertTrue(BaseFamily.GPT2.transformers());
    }

    @Test
    void aLanguageModelHeadIsNotADenoiser() {
        assertEquals("model.lm_head", TensorRole.of("base_model.model.lm_head.lora_A.weight").orElseThrow().layer());
        assertEquals("model.h_0_attn_c_attn", TensorRole.of("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight").orElseThrow().layer());
        assertEquals("unet.transformer_blocks_0_attn_to_q",
                TensorRole.of("transformer.transformer_blocks.0.attn.to_q.lora_A.weight").orElseThrow().layer());
        assertEquals("unet.down_blocks_0_resnets_0_conv1", TensorRole.of("base_model.model.down_blocks.0.resnets.0.conv1.lora_A.weight").orElseThrow().layer());
    }

    @Test
    void genericTransformerNamesSayAFamilyOnlyAtItsWidths() {
        List<LayerShape> zoo = List.of(new LayerShape("unet.transformer_blocks_0_attn1_to_q", 8, 64, 64),
                new LayerShape("unet.transformer_blocks_0_attn2_to_k", 8, 64, 64));
        assertEquals(BaseFamily.OTHER, BaseFamily.guess(zoo)); // dsire's own tiny zoo DiT is no PixArt
        List<LayerShape> pixart = List.of(new LayerShape("unet.transformer_blocks_0_attn1_to_q", 8, 1152, 1152),
                new LayerShape("unet.transformer_blocks_0_attn2_to_k", 8, 1152, 1152));
        assertEquals(BaseFamily.PIXART, BaseFamily.guess(pixart));
        List<LayerShape> flux = List.of(new LayerShape("unet.transformer_blocks_18_attn_to_q", 4, 3072, 3072),
                new LayerShape("unet.single_transformer_blocks_37_attn_to_q", 4, 3072, 3072));
        assertEquals(BaseFamily.FLUX, BaseFamily.guess(flux));
        List<LayerShape> hunyuan = List.of(new LayerShape("unet.transformer_blocks_19_attn_to_q", 4, 3072, 3072),
                new LayerShape("unet.single_transformer_blocks_39_attn_to_q", 4, 3072, 3072));
        assertEquals(BaseFamily.HUNYUAN_VIDEO, BaseFamily.guess(hunyuan)); // Flux.1 has 19 double and 38 single blocks
        List<LayerShape> qwen = List.of(new LayerShape("unet.transformer_blocks_59_attn_to_q", 4, 3072, 3072));
        assertEquals(BaseFamily.QWEN_IMAGE, BaseFamily.guess(qwen)); // 60 joint blocks, no single ones
        List<LayerShape> sd3 = List.of(new LayerShape("unet.transformer_blocks_0_attn_to_q", 4, 2432, 2432));
        assertEquals(BaseFamily.SD3, BaseFamily.guess(sd3));
        List<LayerShape> flux2 = List.of(new LayerShape("unet.transformer_blocks_0_attn_to_q", 4, 3072, 3072),
                new LayerShape("unet.single_transformer_blocks_0_proj_mlp", 4, 6 * 3072, 3072));
        assertEquals(BaseFamily.FLUX2, BaseFamily.guess(flux2)); // its SwiGLU MLP: gate and up, 2·3h
        List<LayerShape> klein9b = List.of(new LayerShape("unet.transformer_blocks_0_attn_to_out_0", 4, 4096, 4096));
        assertEquals("Flux.2 klein 9B", BaseModel.detect(klein9b, java.util.Set.of(), "", null, null).label()); // 4096 wide
        List<LayerShape> mochi = List.of(new LayerShape("unet.transformer_blocks_45_attn1_to_v", 4, 3072, 3072));
        assertEquals(BaseFamily.MOCHI, BaseFamily.guess(mochi)); // CogVideoX 5B has 42 blocks
        List<LayerShape> cog = List.of(new LayerShape("unet.transformer_blocks_41_attn1_to_v", 4, 3072, 3072));
        assertEquals(BaseFamily.COGVIDEOX, BaseFamily.guess(cog));
        List<LayerShape> flux1 = List.of(new LayerShape("unet.single_transformer_blocks_0_proj_mlp", 4, 4 * 3072, 3072));
        assertEquals(BaseFamily.FLUX, BaseFamily.guess(flux1));
    }

    @Test
    void theRecordedBaseNamesWhatTheWeightsLeaveOpen() {
        List<LayerShape> flux = List.of(new LayerShape("unet.transformer_blocks_0_attn_to_q", 4, 3072, 3072));
        assertEquals("Flux.1 Kontext", BaseModel.detect(flux, java.util.Set.of(), "fk", null, null).label());
        // musubi-tuner's Kontext metadata: modelspec.architecture says Flux.1-dev, ss_base_model_version flux_kontext
        assertEquals("Flux.1 Kontext", BaseModel.detect(flux, java.util.Set.of(), "flux.1-dev/lora flux_kontext", null, null).label());
        assertEquals("Qwen-Image-Edit", BaseModel.detect(flux, java.util.Set.of(), "qwen-image-edit-2511/lora qwen_image_edit", null, null).label());
        assertEquals("FramePack", BaseModel.detect(flux, java.util.Set.of(), "framepack", null, null).label());
        assertEquals("Flux", BaseModel.detect(flux, java.util.Set.of(), "", null, null).label());
        List<LayerShape> sdxlBlock = List.of(new LayerShape("unet.down_blocks_1_attentions_0_proj_in", 4, 640, 640));
        assertEquals(BaseFamily.SDXL, BaseModel.detect(sdxlBlock, java.util.Set.of(), "sdxl_base_v1-0", null, null).family());
        assertEquals(BaseFamily.OTHER, BaseModel.detect(sdxlBlock, java.util.Set.of(), "", null, null).family());
    }
}
