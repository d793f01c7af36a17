"""Writes the PEFT fixtures dsire's lora tests read: adapters saved by PEFT itself, with PEFT's own
delta weights as the truth.

For every case: a tiny model (random init, no downloads) gets one PEFT variant, its adapter weights
are randomised (B is zero at init, which would make every update zero), `save_pretrained` writes
adapter_model.safetensors + adapter_config.json, and truth.json records, per adapted module, the
singular values of PEFT's own delta weight (get_delta_weight, or the variant's own delta function)
computed in float64, plus the rank, alpha and scale PEFT used and dsire's canonical layer name.
Cases dsire must refuse record the variant name the refusal has to contain.

Run from the repository root:  /work/venv/bin/python src/test/resources/peft/make_fixtures.py
(requirements.txt beside this file). Deterministic: torch.manual_seed per case.
"""

import json
import math
import os
import shutil
import sys

import numpy as np
import torch
import transformers
from peft import (AdaLoraConfig, PeftModel, PromptTuningConfig, TrainableTokensConfig, FourierFTConfig, HRAConfig, IA3Config, LoHaConfig, LoKrConfig, LoraConfig, OFTConfig,
                  VeraConfig, get_peft_model)
from peft.tuners.lora import variants as lv
from peft.tuners.lora.layer import Embedding, LoraLayer, ParamWrapper, _ConvNd
from peft.tuners.adalora.layer import AdaLoraLayer

OUT = os.path.dirname(os.path.abspath(__file__))

# wrapper attributes of transformers' task heads: the base model sits under these, and dsire's
# canonical names strip them so LlamaModel and LlamaForCausalLM adapters name layers alike
WRAPPERS = {"model", "transformer", "bert", "resnet"}


def tiny_llama(base=False):
    c = transformers.LlamaConfig(vocab_size=40, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                 num_attention_heads=2, num_key_value_heads=1)
    return (transformers.LlamaModel if base else transformers.LlamaForCausalLM)(c)


def tiny_mixtral():
    c = transformers.MixtralConfig(vocab_size=40, hidden_size=16, intermediate_size=24, num_hidden_layers=1,
                                   num_attention_heads=2, num_key_value_heads=1, num_local_experts=3,
                                   num_experts_per_tok=2)
    return transformers.MixtralForCausalLM(c)


def tiny_llama_tied():
    c = transformers.LlamaConfig(vocab_size=40, hidden_size=16, intermediate_size=24, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True)
    return transformers.LlamaForCausalLM(c)


def tiny_gpt2():
    c = transformers.GPT2Config(vocab_size=40, n_positions=16, n_embd=16, n_layer=2, n_head=2, bos_token_id=0,
                                eos_token_id=0)
    return transformers.GPT2LMHeadModel(c)


def tiny_opt():
    c = transformers.OPTConfig(vocab_size=40, hidden_size=16, ffn_dim=24, num_hidden_layers=2, num_attention_heads=2,
                               word_embed_proj_dim=16, max_position_embeddings=32)
    return transformers.OPTForCausalLM(c)


def tiny_bert():
    c = transformers.BertConfig(vocab_size=40, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                num_attention_heads=2, max_position_embeddings=32)
    return transformers.BertForSequenceClassification(c)


def tiny_whisper():
    c = transformers.WhisperConfig(vocab_size=40, num_mel_bins=8, d_model=16, encoder_layers=1, decoder_layers=1,
                                   encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=24,
                                   decoder_ffn_dim=24, max_source_positions=16, max_target_positions=16,
                                   pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)
    return transformers.WhisperForConditionalGeneration(c)


def tiny_resnet():
    c = transformers.ResNetConfig(num_channels=3, embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1],
                                  layer_type="basic", num_labels=3)
    return transformers.ResNetForImageClassification(c)


class TinyCustom(torch.nn.Module):
    """A model of plain torch modules: nn.MultiheadAttention (LoRA on in_proj and out_proj) and a grouped conv."""

    def __init__(self):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(8, 2)
        self.lin = torch.nn.Linear(8, 8)
        self.dw = torch.nn.Conv2d(4, 4, 3, groups=2)
        self.c3 = torch.nn.Conv3d(2, 4, 3)

    def forward(self, x):
        return x


def canonical(module):
    """dsire's canonical name of a module path (as in the model, without base_model.model.)."""
    parts = [p for p in module.split(".") if p != "base_layer"]
    if len(parts) > 1 and parts[0] in WRAPPERS:
        parts = parts[1:]
    return "model." + "_".join(parts)


def sv(m):
    m = np.asarray(m, dtype=np.float64)
    if m.ndim > 2:
        m = m.reshape(m.shape[0], -1)
    return [float(x) for x in np.linalg.svd(m, compute_uv=False)]


def randomise(model, seed):
    """B (and every other adapter tensor) is zero or tiny at init: give each a random value."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if any(t in n for t in ("lora_", "ranknum")) and "ranknum" not in n:
                p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64).to(p.dtype) * 0.5)


def delta_and_factors(mod, adapter="default"):
    """PEFT's own delta weight (float64) and the A, B that dsire reads (with any diagonal folded into A)."""
    variant = getattr(mod, "lora_variant", {}).get(adapter)
    if isinstance(mod, AdaLoraLayer):
        a, b, e = mod.lora_A[adapter], mod.lora_B[adapter], mod.lora_E[adapter]
        return mod.get_delta_weight(adapter), a * e, b
    if isinstance(mod, Embedding):
        return mod.get_delta_weight(adapter), mod.lora_embedding_A[adapter], mod.lora_embedding_B[adapter]
    a, b = mod.lora_A[adapter].weight, mod.lora_B[adapter].weight
    if isinstance(variant, lv.KasaLinearVariant):
        return lv.KasaLinearVariant._get_delta_weight(mod, adapter), mod.lora_diag[adapter][:, None] * a, b
    if isinstance(variant, lv.BdLoraLinearVariant):
        a = lv.BdLoraLinearVariant._get_weight_from_module_maybe_blockdiagonal(mod.lora_A[adapter])
        b = lv.BdLoraLinearVariant._get_weight_from_module_maybe_blockdiagonal(mod.lora_B[adapter])
        return lv.BdLoraLinearVariant._get_bdlora_delta_weight(mod, adapter), a, b
    return mod.get_delta_weight(adapter), a, b


def truth_of(peft_model, adapter="default"):
    layers = {}
    peft_model.double()
    with torch.no_grad():
        for name, mod in peft_model.base_model.model.named_modules():
            if not isinstance(mod, (LoraLayer, AdaLoraLayer)) or adapter not in getattr(mod, "r", {}):
                continue
            if isinstance(mod, ParamWrapper):
                targets = peft_model.peft_config[adapter].target_parameters
                layers.update(param_wrapper_truth(name, mod, adapter, targets))
                continue
            delta, a, b = delta_and_factors(mod, adapter)
            if isinstance(mod, _ConvNd):
                a = a.reshape(a.shape[0], -1)
                b = b.reshape(b.shape[0], -1)
            r = int(mod.r[adapter])
            alpha = float(mod.lora_alpha[adapter])
            scale = float(mod.scaling[adapter])
            if isinstance(mod, AdaLoraLayer):
                scale = scale / (float(mod.ranknum[adapter]) + 1e-5)
            layers[canonical(name)] = {"module": name, "rank": r, "alpha": alpha, "scale": scale,
                                       "ba": sv(delta.detach()), "a": sv(a.detach()), "b": sv(b.detach())}
    return layers


def param_wrapper_truth(name, mod, adapter, targets):
    """LoRA on an nn.Parameter: one rank-r LoRA per expert of a 3-D expert stack.

    The file does not say which parameter a wrapper holds, only how deep it is nested (the innermost
    wraps the module's first registered parameter), so dsire names a module's parameters by name only
    when target_parameters names one for it, else param0 (innermost), param1, …"""
    out = {}
    delta = mod.get_delta_weight(adapter)
    r, e = int(mod.r[adapter]), mod.num_experts
    a = mod.lora_A[adapter].weight.reshape(e, r, -1)
    b = mod.lora_B[adapter].weight.reshape(mod.lora_B[adapter].weight.shape[0], r, e)
    path = name.replace(".base_layer", "")
    owners = [t for t in targets if path == t.rpartition(".")[0] or path.endswith("." + t.rpartition(".")[0])]
    label = mod.parameter_name if len(owners) == 1 else "param%d" % (len(owners) - 1 - name.count(".base_layer"))
    for i in range(e):
        d = delta[i] if e > 1 else delta
        # a 2-D parameter is one layer: named as its module (plus the parameter when the module has several)
        name_i = path + "." + label + "." + str(i) if e > 1 else (path if len(owners) == 1 else path + "." + label)
        out[canonical(name_i)] = {
            "module": name, "parameter": mod.parameter_name, "expert": i, "rank": r,
            "alpha": float(mod.lora_alpha[adapter]), "scale": float(mod.scaling[adapter]),
            "ba": sv(d.detach()), "a": sv(a[i].detach()), "b": sv(b[:, :, i].detach())}
    return out


def save(case, peft_model, seed, make_model, expect="exact", refuse=None, edit_config=None, keep_config=True, note="",
         train=None):
    d = os.path.join(OUT, case)
    shutil.rmtree(d, ignore_errors=True)
    randomise(peft_model, seed)
    if train:
        train(peft_model)
    peft_model.save_pretrained(d)
    # PEFT writes README.md (model card); it is not part of the adapter
    for extra in ("README.md",):
        if os.path.exists(os.path.join(d, extra)):
            os.remove(os.path.join(d, extra))
    cfg_path = os.path.join(d, "adapter_config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    if isinstance(cfg.get("target_modules"), list):
        cfg["target_modules"] = sorted(cfg["target_modules"])  # PEFT saves a set: fix the order so reruns are identical
    if edit_config:
        edit_config(cfg)
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2)
    if not keep_config:
        os.remove(cfg_path)
    truth = {"case": case, "expect": expect, "note": note, "peft": __import__("peft").__version__,
             "transformers": transformers.__version__, "torch": torch.__version__}
    if refuse:
        truth["refuse"] = refuse
    elif keep_config:
        # the truth is the adapter as PEFT loads it back from the files (AdaLoRA's pruning, BD-LoRA's blocks, …)
        torch.manual_seed(seed)
        truth["layers"] = truth_of(PeftModel.from_pretrained(make_model(), d))
    else:
        truth["layers"] = truth_of(peft_model)  # PEFT cannot load it without the config: the model that wrote it
    with open(os.path.join(d, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
    print(case, expect, len(truth.get("layers", {})), "layers", file=sys.stderr)


LLAMA_ATTN = ["q_proj", "k_proj", "v_proj", "o_proj"]
LLAMA_ALL = LLAMA_ATTN + ["gate_proj", "up_proj", "down_proj"]


def case(name, make_model, config, seed, **kw):
    torch.manual_seed(seed)
    save(name, get_peft_model(make_model(), config), seed, make_model, **kw)


def adalora_steps(model):
    """A few real AdaLoRA steps, so its budget allocator prunes ranks (some modules to rank 0)."""
    model.train()
    g = torch.Generator().manual_seed(5)
    for step in range(3):
        ids = torch.randint(0, 40, (2, 5), generator=g)
        model(input_ids=ids, labels=ids).loss.backward()
        model.base_model.update_and_allocate(step)
        model.zero_grad()
    model.eval()


def main():
    L = lambda **k: LoraConfig(init_lora_weights=k.pop("init_lora_weights", True), **k)
    case("llama_plain", tiny_llama, L(r=4, lora_alpha=8, target_modules=LLAMA_ALL + ["embed_tokens", "lm_head"]), 1)
    case("llama_base_model", lambda: tiny_llama(base=True), L(r=4, lora_alpha=8, target_modules=LLAMA_ALL), 2)
    case("llama_causal_lm", tiny_llama, L(r=4, lora_alpha=8, target_modules=LLAMA_ALL), 2)
    case("llama_embedding_only", tiny_llama, L(r=3, lora_alpha=6, target_modules=["embed_tokens"]), 3)
    case("llama_rslora_patterns", tiny_llama,
         L(r=4, lora_alpha=8, use_rslora=True, target_modules=LLAMA_ATTN,
           rank_pattern={r"layers\.(?P<n>0)\.self_attn\.q_proj": 2, "v_proj": 3},
           alpha_pattern={r"(?P<w>k)_proj\Z": 5, r"layers\.1\.self_attn\.o_proj\Z": 3}), 4)
    case("llama_no_alpha", tiny_llama, L(r=4, target_modules=LLAMA_ATTN), 5,
         edit_config=lambda c: c.pop("lora_alpha"), note="lora_alpha absent: PEFT's default 8")
    case("llama_no_config", tiny_llama, L(r=4, lora_alpha=4, target_modules=LLAMA_ATTN), 6, keep_config=False,
         expect="exact-no-config", note="no adapter_config.json: scale assumed 1 (truth scale is PEFT's 1.0)")
    case("llama_kasa", tiny_llama, L(r=3, lora_alpha=6, target_modules=LLAMA_ALL,
                                     kasa_config={"beta": 1e-4, "gamma": 1e-3}), 7)
    case("llama_bdlora", tiny_llama,
         L(r=4, lora_alpha=8, target_modules=LLAMA_ALL,
           use_bdlora={"target_modules_bd_a": ["o_proj", "down_proj"],
                       "target_modules_bd_b": ["q_proj", "k_proj", "v_proj", "gate_proj", "up_proj"], "nblocks": 2}), 8)
    case("llama_adalora", tiny_llama,
         AdaLoraConfig(init_r=6, target_r=4, lora_alpha=8, total_step=100, target_modules=LLAMA_ATTN), 9)
    case("llama_adalora_pruned", tiny_llama,
         AdaLoraConfig(init_r=6, target_r=2, tinit=0, tfinal=1, deltaT=1, total_step=3, lora_alpha=8,
                       target_modules=["q_proj", "v_proj", "o_proj"]), 31, train=adalora_steps)
    case("llama_adalora_no_alpha", tiny_llama,
         AdaLoraConfig(init_r=4, target_r=2, lora_alpha=0, total_step=100, target_modules=["q_proj", "v_proj"]), 10)
    case("llama_lora_bias", tiny_llama, L(r=4, lora_alpha=8, target_modules=["o_proj", "down_proj"], lora_bias=True), 11)
    case("llama_dora", tiny_llama, L(r=4, lora_alpha=8, target_modules=LLAMA_ATTN, use_dora=True), 12,
         expect="refused", refuse="DoRA")
    case("llama_alora", tiny_llama, L(r=4, lora_alpha=8, target_modules=LLAMA_ATTN, task_type="CAUSAL_LM",
                                      alora_invocation_tokens=[3, 4]), 13)
    case("llama_velora", tiny_llama, L(r=4, lora_alpha=8, target_modules=LLAMA_ATTN,
                                       velora_config={"num_groups": 4, "init_type": "random"}), 14)
    case("llama_mica", tiny_llama, L(r=4, lora_alpha=8, target_modules=LLAMA_ATTN, init_lora_weights="mica"), 15)
    case("llama_qalora_flag", tiny_llama, L(r=4, lora_alpha=8, target_modules=LLAMA_ATTN, use_qalora=True,
                                            qalora_group_size=4), 16,
         note="use_qalora on unquantised layers: PEFT stores and applies plain LoRA")
    case("llama_pissa", tiny_llama, L(r=4, lora_alpha=4, target_modules=LLAMA_ATTN, init_lora_weights="pissa"), 17)
    case("mixtral_target_parameters", tiny_mixtral,
         L(r=2, lora_alpha=4, target_modules=["q_proj"],
           target_parameters=["mlp.experts.gate_up_proj", "mlp.experts.down_proj"]), 18)
    case("gpt2_conv1d", tiny_gpt2, L(r=4, lora_alpha=8, target_modules=["c_attn", "c_proj", "c_fc", "wte"],
                                     fan_in_fan_out=True), 19)
    case("opt", tiny_opt, L(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "out_proj", "fc1", "fc2"]), 20)
    case("bert", tiny_bert, L(r=4, lora_alpha=8, target_modules=["query", "value", "dense"]), 21)
    case("whisper_conv1d", tiny_whisper, L(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj", "conv1", "conv2"]), 22)
    case("torch_multihead_attention", TinyCustom, L(r=2, lora_alpha=4, target_modules=["attn", "lin"]), 24)
    case("torch_grouped_conv", TinyCustom, L(r=2, lora_alpha=4, target_modules=["dw"]), 25, expect="refused",
         refuse="grouped convolution", note="PEFT's own get_delta_weight fails for groups > 1")
    # other PEFT tuners: not LoRA, refused by name (with and without their config)
    for name, cfg, refuse in [("ia3", IA3Config(target_modules=["q_proj", "v_proj"], feedforward_modules=[]), "IA3"),
                              ("vera", VeraConfig(r=4, target_modules=["q_proj", "v_proj"]), "VERA"),
                              ("loha", LoHaConfig(r=2, target_modules=["q_proj"]), "LoHa"),
                              ("lokr", LoKrConfig(r=2, target_modules=["q_proj"]), "LoKr"),
                              ("oft", OFTConfig(r=2, oft_block_size=0, target_modules=["q_proj"]), "OFT"),
                              ("fourierft", FourierFTConfig(n_frequency=8, target_modules=["q_proj"]), "FOURIERFT"),
                              ("hra", HRAConfig(r=2, target_modules=["q_proj"]), "HRA"),
                              ("prompt_tuning", PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=4), "PROMPT"),
                              ("trainable_tokens", TrainableTokensConfig(target_modules=["embed_tokens"], token_indices=[0, 1]),
                               "TRAINABLE_TOKENS")]:
        case("other_" + name, tiny_llama, cfg, 30, expect="refused", refuse=refuse)
        case("other_" + name + "_no_config", tiny_llama, cfg, 30, expect="refused", refuse=refuse.upper() if refuse
             in ("IA3", "VERA", "OFT", "FOURIERFT", "HRA", "PROMPT", "TRAINABLE_TOKENS") else refuse, keep_config=False)
    case("torch_conv3d_and_2d_parameter", TinyCustom,
         L(r=2, lora_alpha=4, target_modules=["c3"], target_parameters=["lin.weight"]), 26)
    case("llama_tied_embedding", tiny_llama_tied,
         L(r=2, lora_alpha=4, target_modules=["embed_tokens", "lm_head"], ensure_weight_tying=True), 27)
    case("llama_monteclora", tiny_llama, L(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"],
                                           monteclora_config={"num_samples": 2}), 28)
    case("llama_orthogonal_init", tiny_llama, L(r=2, lora_alpha=4, target_modules=LLAMA_ATTN,
                                                init_lora_weights="orthogonal"), 29)
    case("resnet_conv2d", tiny_resnet, L(r=2, lora_alpha=4, target_modules=["convolution"]), 23)


if __name__ == "__main__":
    main()
