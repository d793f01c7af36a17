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
}
