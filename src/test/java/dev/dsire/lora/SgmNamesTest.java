package dev.dsire.lora;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.safetensors.DType;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.BaseModels;
import dev.dsire.synth.ModuleSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SgmNamesTest {
    @TempDir
    Path dir;

    @Test
    void mapsBlocksResnetsSamplersAndEmbeddings() {
        String[][] cases = {
                {"input_blocks_4_1_transformer_blocks_0_attn1_to_q", "down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q"},
                {"input_blocks_8_1_proj_in", "down_blocks_2_attentions_1_proj_in"},
                {"input_blocks_1_0_in_layers_2", "down_blocks_0_resnets_0_conv1"},
                {"input_blocks_5_0_emb_layers_1", "down_blocks_1_resnets_1_time_emb_proj"},
                {"input_blocks_3_0_op", "down_blocks_0_downsamplers_0_conv"},
                {"middle_block_1_transformer_blocks_9_ff_net_2", "mid_block_attentions_0_transformer_blocks_9_ff_net_2"},
                {"middle_block_2_out_layers_3", "mid_block_resnets_1_conv2"},
                {"output_blocks_0_1_transformer_blocks_3_attn2_to_k", "up_blocks_0_attentions_0_transformer_blocks_3_attn2_to_k"},
                {"output_blocks_5_1_proj_out", "up_blocks_1_attentions_2_proj_out"},
                {"output_blocks_4_0_skip_connection", "up_blocks_1_resnets_1_conv_shortcut"},
                {"output_blocks_2_2_conv", "up_blocks_0_upsamplers_0_conv"},
                {"output_blocks_2_1_conv", "up_blocks_0_upsamplers_0_conv"},
                {"input_blocks_0_0", "conv_in"},
                {"time_embed_0", "time_embedding_linear_1"},
                {"label_emb_0_2", "add_embedding_linear_2"},
                {"down_blocks_1_attentions_0_proj_in", "down_blocks_1_attentions_0_proj_in"},
                {"input_blocks_4_0_mystery", "input_blocks_4_0_mystery"}};
        for (String[] c : cases) {
            assertEquals(c[1], SgmNames.toDiffusers(c[0]), c[0]);
        }
    }

    /** diffusers SDXL attention paths in sgm form, as kohya writes them. */
    private static List<ModuleSpec> sgm(List<ModuleSpec> diffusers) {
        Pattern down = Pattern.compile("^down_blocks\\.(\\d)\\.attentions\\.(\\d)\\.(.+)$");
        Pattern up = Pattern.compile("^up_blocks\\.(\\d)\\.attentions\\.(\\d)\\.(.+)$");
        List<ModuleSpec> out = new ArrayList<>();
        for (ModuleSpec m : diffusers) {
            String p = m.path();
            Matcher d = down.matcher(p), u = up.matcher(p);
            if (d.matches()) {
                p = "input_blocks." + (3 * Integer.parseInt(d.group(1)) + 1 + Integer.parseInt(d.group(2))) + ".1." + d.group(3);
            } else if (u.matches()) {
                p = "output_blocks." + (3 * Integer.parseInt(u.group(1)) + Integer.parseInt(u.group(2))) + ".1." + u.group(3);
            } else {
                p = p.replace("mid_block.attentions.0.", "middle_block.1.");
            }
            out.add(new ModuleSpec(m.component(), p, m.outDim(), m.inDim()));
        }
        return out;
    }

    @Test
    void kohyaSdxlFilesMatchDiffusersAndPeftFilesOfTheSameBase() throws IOException {
        List<ModuleSpec> diffusers = BaseModels.sdxl();
        Path kohya = AdapterWriter.write(dir.resolve("kohya.safetensors"), Naming.KOHYA, sgm(diffusers), 1, 1, DType.F16,
                AdapterWriter.random(diffusers, 1, 1), Map.of());
        Path peftDir = Files.createDirectories(dir.resolve("peft"));
        Path peft = AdapterWriter.write(peftDir.resolve("adapter_model.safetensors"), Naming.PEFT, diffusers, 1, 1, DType.F16,
                AdapterWriter.random(diffusers, 1, 1), Map.of());
        try (LoraAdapter a = LoraReader.open(kohya); LoraAdapter b = LoraReader.open(peft)) {
            assertTrue(a.layers().getFirst().name().startsWith("unet.down_blocks_1_attentions_0_"), a.layers().getFirst().name());
            assertEquals(b.layout(), a.layout());
            assertEquals(BaseFamily.SDXL, a.layout().family());
        }
    }
}
