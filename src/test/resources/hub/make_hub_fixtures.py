"""Writes the hub fixtures dsire's HubFixturesTest reads: one small file per key scheme a 2026 model
hub holds, named exactly as its writer names it, on the real base shapes (a prefix of the blocks: one
or two blocks, a few modules each, rank 2), and truth.json with what dsire must say about it.

Each scheme's key names were read from its writer's source (the repository file is cited per case below;
a case whose writer's source was not found says so); nothing here is copied from them. Where the writer stores a fused projection (BFL's qkv, Flux's single-block linear1,
SD3's qkv, NextDiT's qkv) the truth lists the split layers dsire's canonical layout uses.

Truth per file: the family label (with variant), the format, where the scale comes from, and per
canonical layer its rank, shape, scale and the singular values of ΔW as the merging tools build it
(ComfyUI, LyCORIS, diffusers' converters), in float64 from the stored (rounded) values:
  * "svd": an explicit SVD of the dense ΔW (every LyCORIS layer; plain layers up to 4 M elements);
  * "qr":  for larger plain layers, σ(s·R_B·R_Aᵀ) from QR of the factors (the same numbers; the
           dense SVD of a 9216×3072 ΔW costs minutes here);
and for LyCORIS layers σ(A), σ(B) of the structured factors dsire defines (docs/formats.md),
from explicit SVDs of those matrices formed densely. Refused files record what the one-line
refusal must contain.

Run from the repository root (deterministic):
    /work/venv/bin/python src/test/resources/hub/make_hub_fixtures.py
(requirements.txt beside this file).
"""

import json
import math
import os

import numpy as np
from safetensors.numpy import save_file

OUT = os.path.dirname(os.path.abspath(__file__))
R = 2  # rank of every plain fixture: the shapes, not the rank, carry the family


class Fixture:
    def __init__(self, name, source, family=None, fmt=None, scale_source=None, refuse=None, seed=0):
        self.name = name
        self.source = source
        self.family = family
        self.fmt = fmt
        self.scale_source = scale_source
        self.refuse = refuse
        self.rng = np.random.default_rng(seed)
        self.tensors = {}
        self.metadata = {}
        self.layers = {}

    def put(self, key, shape, dtype=np.float16, scale=0.05):
        x = (self.rng.standard_normal(shape) * scale).astype(dtype)
        self.tensors[key] = x
        return x.astype(np.float64)

    def truth(self, canonical, dw_factors, scale, rank, out, inn, a=None, b=None, dense=None):
        ent = {"rank": rank, "out": out, "in": inn, "scale": scale}
        if dense is not None:
            ent["ba"] = svd(dense * scale)
            ent["method"] = "svd"
        else:
            bb, aa = dw_factors
            ent["ba"], ent["method"] = spectrum(bb, aa, scale)
        if a is not None:
            ent["a"] = svd(a)
            ent["b"] = svd(b)
        # dsire gives `rank` values; the dense SVD's further ones are rounding noise of a rank-`rank` matrix
        for k in ("ba", "a", "b"):
            if k in ent and len(ent[k]) > rank:
                ent[k + "_rest"] = max(ent[k][rank:])
                ent[k] = ent[k][:rank]
        self.layers[canonical] = ent

    def save(self):
        meta = {k: str(v) for k, v in self.metadata.items()}
        save_file(self.tensors, os.path.join(OUT, self.name + ".safetensors"), metadata=meta or None)
        entry = {"file": self.name + ".safetensors", "source": self.source}
        if self.refuse:
            entry["refuse"] = self.refuse
        else:
            entry.update({"family": self.family, "format": self.fmt, "scale_source": self.scale_source, "layers": self.layers})
        return entry


def svd(m):
    return [float(x) for x in np.linalg.svd(m, compute_uv=False)]


def spectrum(b, a, scale):
    """σ(scale·B·A): dense SVD when small, else through the QR factors (σ(B·A) = σ(R_B·R_Aᵀ))."""
    if b.shape[0] * a.shape[1] <= 4_000_000:
        return svd(scale * (b @ a)), "svd"
    rb = np.linalg.qr(b, mode="r")
    ra = np.linalg.qr(a.T, mode="r")
    return svd(scale * (rb @ ra.T)), "qr"


def plain(f, down_key, up_key, out, inn, canonical, scale=1.0, alpha_key=None, alpha=None, split=None, rank=R, dtype=np.float16):
    """One plain LoRA layer: A (rank×in) under down_key, B (out×rank) under up_key; split = [(canonical, rows)] for a fused layer."""
    a = f.put(down_key, (rank, inn), dtype)
    b = f.put(up_key, (out, rank), dtype)
    if alpha_key:
        f.tensors[alpha_key] = np.array(alpha, dtype=np.float32)
    if split is None:
        f.truth(canonical, (b, a), scale, rank, out, inn)
        return a, b
    at = 0
    for name, rows in split:
        f.truth(name, (b[at:at + rows], a), scale, rank, rows, inn)
        at += rows
    assert at == out
    return a, b


def qkv(prefix, h, names=("to_q", "to_k", "to_v"), mid="attn_"):
    return [(prefix + mid + n, h) for n in names]


# ----------------------------------------------------------------------------------------------
FIXTURES = []


def fixture(fn):
    FIXTURES.append(fn)
    return fn


H = 3072  # Flux.1 / HunyuanVideo / Qwen-Image hidden width
FLUX_DB = "unet.transformer_blocks_0_"
FLUX_SB = "unet.single_transformer_blocks_0_"


@fixture
def kohya_flux():
    # kohya sd-scripts networks/lora_flux.py: LoRA on the BFL modules, prefix lora_unet_, alpha tensors
    f = Fixture("kohya_flux", "kohya-ss/sd-scripts networks/lora_flux.py", "Flux.1 dev", "kohya", "kohya alpha", seed=1)
    f.metadata = {"ss_network_module": "networks.lora_flux", "ss_network_dim": R, "ss_network_alpha": 1,
                  "modelspec.architecture": "flux-1-dev/lora"}
    p = "lora_unet_double_blocks_0_"
    plain(f, p + "img_attn_qkv.lora_down.weight", p + "img_attn_qkv.lora_up.weight", 3 * H, H, None, 0.5,
          p + "img_attn_qkv.alpha", 1.0, split=qkv(FLUX_DB, H))
    plain(f, p + "img_attn_proj.lora_down.weight", p + "img_attn_proj.lora_up.weight", H, H, FLUX_DB + "attn_to_out_0", 0.5,
          p + "img_attn_proj.alpha", 1.0)
    plain(f, p + "img_mlp_0.lora_down.weight", p + "img_mlp_0.lora_up.weight", 4 * H, H, FLUX_DB + "ff_net_0_proj", 0.5,
          p + "img_mlp_0.alpha", 1.0)
    plain(f, p + "txt_attn_qkv.lora_down.weight", p + "txt_attn_qkv.lora_up.weight", 3 * H, H, None, 0.5,
          p + "txt_attn_qkv.alpha", 1.0, split=qkv(FLUX_DB, H, ("add_q_proj", "add_k_proj", "add_v_proj")))
    s = "lora_unet_single_blocks_0_"
    plain(f, s + "linear1.lora_down.weight", s + "linear1.lora_up.weight", 3 * H + 4 * H, H, None, 0.5, s + "linear1.alpha", 1.0,
          split=qkv(FLUX_SB, H) + [(FLUX_SB + "proj_mlp", 4 * H)])
    plain(f, s + "linear2.lora_down.weight", s + "linear2.lora_up.weight", H, 5 * H, FLUX_SB + "proj_out", 0.5, s + "linear2.alpha", 1.0)
    return f


def flux_equivalents():
    """kohya, ComfyUI, diffusers/ai-toolkit, OneTrainer and XLabs namings of one Flux LoRA (double block 0: image qkv + proj)."""
    out = []
    for name, source, fmt, style in [
        ("same_flux_kohya", "kohya-ss/sd-scripts networks/lora_flux.py", "kohya", "kohya"),
        ("same_flux_comfyui", "comfyanonymous/ComfyUI comfy/lora.py (diffusion_model. keys)", "peft", "comfy"),
        ("same_flux_diffusers", "ostris/ai-toolkit, huggingface/diffusers lora_conversion_utils.py (_convert_kohya_flux_lora_to_diffusers)",
         "peft", "diffusers"),
        # OneTrainer's default (legacy_diffusers / LEGACY_LORA) keys: modules/util/convert/lora/convert_lora_util.py
        # (__get_legacy_diffusers: diffusers prefix lora_transformer + module, dots to underscores), split q/k/v
        ("same_flux_onetrainer", "Nerogar/OneTrainer modules/util/convert/lora/convert_lora_util.py (legacy_diffusers), convert_flux_lora.py",
         "kohya", "onetrainer"),
        # OneTrainer's OMI keys (opt-in, 2025-03 to 2026-07): convert_flux_lora.py maps img_attn.qkv.0/1/2 to to_q/to_k/to_v
        ("same_flux_onetrainer_omi", "Nerogar/OneTrainer@7fcdd132 modules/util/convert/lora/convert_flux_lora.py (omi), convert_lora_util.py",
         "kohya", "omi"),
        ("same_flux_xlabs", "XLabs-AI/x-flux src/flux/modules/layers.py (DoubleStreamBlockLoraProcessor)", "xlabs", "xlabs"),
    ]:
        f = Fixture(name, source, "Flux", fmt, "assumed" if style in ("comfy", "diffusers", "xlabs") else "kohya alpha", seed=2)
        rng = np.random.default_rng(2)
        a1 = (rng.standard_normal((R, H)) * 0.05).astype(np.float16)
        b1 = (rng.standard_normal((3 * H, R)) * 0.05).astype(np.float16)
        a2 = (rng.standard_normal((R, H)) * 0.05).astype(np.float16)
        b2 = (rng.standard_normal((H, R)) * 0.05).astype(np.float16)
        one = np.array(float(R), dtype=np.float32)  # alpha = rank: scale 1, as the namings without alpha apply
        if style == "kohya":
            p = "lora_unet_double_blocks_0_"
            f.tensors.update({p + "img_attn_qkv.lora_down.weight": a1, p + "img_attn_qkv.lora_up.weight": b1, p + "img_attn_qkv.alpha": one,
                              p + "img_attn_proj.lora_down.weight": a2, p + "img_attn_proj.lora_up.weight": b2, p + "img_attn_proj.alpha": one})
        elif style == "comfy":
            p = "diffusion_model.double_blocks.0."
            f.tensors.update({p + "img_attn.qkv.lora_A.weight": a1, p + "img_attn.qkv.lora_B.weight": b1,
                              p + "img_attn.proj.lora_A.weight": a2, p + "img_attn.proj.lora_B.weight": b2})
        elif style == "xlabs":
            p = "double_blocks.0.processor."
            f.tensors.update({p + "qkv_lora1.down.weight": a1, p + "qkv_lora1.up.weight": b1,
                              p + "proj_lora1.down.weight": a2, p + "proj_lora1.up.weight": b2})
        else:  # the split form: A shared by to_q/to_k/to_v, B cut in three (diffusers' kohya→diffusers converter)
            for i, n in enumerate(("to_q", "to_k", "to_v")):
                bi = np.ascontiguousarray(b1[i * H:(i + 1) * H])
                if style == "diffusers":
                    f.tensors["transformer.transformer_blocks.0.attn." + n + ".lora_A.weight"] = a1.copy()
                    f.tensors["transformer.transformer_blocks.0.attn." + n + ".lora_B.weight"] = bi
                elif style == "omi":
                    k = f"transformer.double_blocks.0.img_attn.qkv.{i}"
                    f.tensors.update({k + ".lora_down.weight": a1.copy(), k + ".lora_up.weight": bi, k + ".alpha": one})
                else:
                    k = "lora_transformer_transformer_blocks_0_attn_" + n
                    f.tensors.update({k + ".lora_down.weight": a1.copy(), k + ".lora_up.weight": bi, k + ".alpha": one})
            if style == "diffusers":
                f.tensors.update({"transformer.transformer_blocks.0.attn.to_out.0.lora_A.weight": a2,
                                  "transformer.transformer_blocks.0.attn.to_out.0.lora_B.weight": b2})
            elif style == "omi":
                k = "transformer.double_blocks.0.img_attn.proj"
                f.tensors.update({k + ".lora_down.weight": a2, k + ".lora_up.weight": b2, k + ".alpha": one})
            else:
                k = "lora_transformer_transformer_blocks_0_attn_to_out_0"
                f.tensors.update({k + ".lora_down.weight": a2, k + ".lora_up.weight": b2, k + ".alpha": one})
        a1d, b1d, a2d, b2d = (x.astype(np.float64) for x in (a1, b1, a2, b2))
        for i, n in enumerate(("to_q", "to_k", "to_v")):
            f.truth(FLUX_DB + "attn_" + n, (b1d[i * H:(i + 1) * H], a1d), 1.0, R, H, H)
        f.truth(FLUX_DB + "attn_to_out_0", (b2d, a2d), 1.0, R, H, H)
        out.append(f)
    return out


@fixture
def diffusers_flux_dreambooth():
    # diffusers examples/dreambooth/train_dreambooth_lora_flux.py → FluxPipeline.save_lora_weights with
    # transformer_lora_adapter_metadata: lora_adapter_metadata keys prefixed "transformer."
    f = Fixture("diffusers_flux_dreambooth", "huggingface/diffusers examples/dreambooth/train_dreambooth_lora_flux.py, loaders/lora_base.py",
                "Flux", "peft", "metadata(transformer)", seed=3)
    f.metadata = {"lora_adapter_metadata": json.dumps({"transformer.r": R, "transformer.lora_alpha": 4,
                                                       "transformer.target_modules": ["to_q", "to_k", "to_v", "to_out.0"]})}
    for n in ("to_q", "to_k", "to_v"):
        plain(f, "transformer.single_transformer_blocks.0.attn." + n + ".lora_A.weight",
              "transformer.single_transformer_blocks.0.attn." + n + ".lora_B.weight", H, H, FLUX_SB + "attn_" + n, 2.0)
    plain(f, "transformer.transformer_blocks.0.attn.to_out.0.lora_A.weight", "transformer.transformer_blocks.0.attn.to_out.0.lora_B.weight",
          H, H, FLUX_DB + "attn_to_out_0", 2.0)
    return f


@fixture
def musubi_flux_kontext():
    # kohya-ss/musubi-tuner src/musubi_tuner/networks/lora_flux.py (Kontext): BFL names (FLUX_KONTEXT_TARGET_REPLACE_MODULES
    # DoubleStreamBlock, SingleStreamBlock). Metadata as src/musubi_tuner/training/trainer_base.py writes it: ss_base_model_version =
    # the architecture's full name (dataset/architectures.py: "flux_kontext") and, from utils/sai_model_spec.py build_metadata,
    # modelspec.architecture = "Flux.1-dev/lora" (ARCH_FLUX_KONTEXT): only the former says Kontext
    f = Fixture("musubi_flux_kontext", "kohya-ss/musubi-tuner src/musubi_tuner/networks/lora_flux.py", "Flux.1 Kontext", "kohya",
                "kohya alpha", seed=4)
    f.metadata = {"ss_base_model_version": "flux_kontext", "modelspec.architecture": "Flux.1-dev/lora"}
    p = "lora_unet_double_blocks_0_"
    plain(f, p + "txt_attn_proj.lora_down.weight", p + "txt_attn_proj.lora_up.weight", H, H, FLUX_DB + "attn_to_add_out", 2.0,
          p + "txt_attn_proj.alpha", 4.0)
    return f


@fixture
def musubi_flux2_dev():
    # kohya-ss/musubi-tuner src/musubi_tuner/networks/lora_flux_2.py (DoubleStreamBlock, SingleStreamBlock) on
    # src/musubi_tuner/flux_2/flux2_models.py: BFL names (img_attn.qkv, img_mlp.0 …); Flux2Params hidden 6144 (dev),
    # Klein9BParams 4096, Klein4BParams 3072; mlp_ratio 3 with a gate (img_mlp.0 out 6h)
    f = Fixture("musubi_flux2_dev", "kohya-ss/musubi-tuner src/musubi_tuner/networks/lora_flux_2.py", "Flux.2 dev", "kohya", "kohya alpha", seed=36)
    f.metadata = {"ss_base_model_version": "flux_2_dev", "modelspec.architecture": "Flux.2-dev/lora"}  # trainer_base.py, sai_model_spec.py
    h = 6144
    p = "lora_unet_double_blocks_0_"
    plain(f, p + "img_attn_qkv.lora_down.weight", p + "img_attn_qkv.lora_up.weight", 3 * h, h, None, 1.0, p + "img_attn_qkv.alpha", 2.0,
          split=qkv(FLUX_DB, h))
    return f


@fixture
def musubi_hunyuan_video():
    # kohya-ss/musubi-tuner src/musubi_tuner/networks/lora.py (HUNYUAN_TARGET_REPLACE_MODULES: MMDoubleStreamBlock, MMSingleStreamBlock)
    # on src/musubi_tuner/hunyuan_model/models.py: img_mod (ModulateDiT .linear), img_attn_qkv, img_mlp (MLP fc1/fc2), linear1
    # (3h + mlp), linear2, modulation
    f = Fixture("musubi_hunyuan_video", "kohya-ss/musubi-tuner src/musubi_tuner/networks/lora.py", "HunyuanVideo", "kohya", "kohya alpha", seed=5)
    p = "lora_unet_double_blocks_0_"
    plain(f, p + "img_attn_qkv.lora_down.weight", p + "img_attn_qkv.lora_up.weight", 3 * H, H, None, 1.0, p + "img_attn_qkv.alpha", 2.0,
          split=qkv(FLUX_DB, H))
    plain(f, p + "img_mlp_fc1.lora_down.weight", p + "img_mlp_fc1.lora_up.weight", 4 * H, H, FLUX_DB + "ff_net_0_proj", 1.0,
          p + "img_mlp_fc1.alpha", 2.0)
    plain(f, p + "txt_mlp_fc2.lora_down.weight", p + "txt_mlp_fc2.lora_up.weight", H, 4 * H, FLUX_DB + "ff_context_net_2", 1.0,
          p + "txt_mlp_fc2.alpha", 2.0)
    s = "lora_unet_single_blocks_0_"
    plain(f, s + "linear2.lora_down.weight", s + "linear2.lora_up.weight", H, 5 * H, FLUX_SB + "proj_out", 1.0, s + "linear2.alpha", 2.0)
    return f


@fixture
def diffusers_framepack():
    # HunyuanVideo / FramePack in diffusers names (HunyuanVideoFramePackTransformer3DModel: 20 double, 40 single blocks)
    f = Fixture("diffusers_framepack", "lllyasviel/FramePack diffusers_helper/models/hunyuan_video_packed.py; huggingface/diffusers",
                "FramePack", "peft", "assumed", seed=6)
    for i in (0, 39):
        plain(f, f"transformer.single_transformer_blocks.{i}.attn.to_q.lora_A.weight",
              f"transformer.single_transformer_blocks.{i}.attn.to_q.lora_B.weight", H, H, f"unet.single_transformer_blocks_{i}_attn_to_q")
    plain(f, "transformer.clean_x_embedder.proj.lora_A.weight", "transformer.clean_x_embedder.proj.lora_B.weight", H, 16 * 4,
          "unet.clean_x_embedder_proj")
    return f


@fixture
def musubi_framepack():
    # kohya-ss/musubi-tuner src/musubi_tuner/networks/lora_framepack.py: diffusers module names (HunyuanVideoTransformerBlock,
    # HunyuanVideoSingleTransformerBlock), kohya keys; metadata as trainer_base.py / sai_model_spec.py write it ("framepack")
    f = Fixture("musubi_framepack", "kohya-ss/musubi-tuner src/musubi_tuner/networks/lora_framepack.py", "FramePack", "kohya",
                "kohya alpha", seed=7)
    f.metadata = {"ss_base_model_version": "framepack", "modelspec.architecture": "framepack/lora"}
    plain(f, "lora_unet_transformer_blocks_0_attn_to_q.lora_down.weight", "lora_unet_transformer_blocks_0_attn_to_q.lora_up.weight", H, H,
          FLUX_DB + "attn_to_q", 1.0, "lora_unet_transformer_blocks_0_attn_to_q.alpha", 2.0)
    return f


@fixture
def kohya_sd3_medium():
    # kohya-ss/sd-scripts networks/lora_sd3.py (SD3_TARGET_REPLACE_MODULE SingleDiTBlock, LORA_PREFIX_SD3 "lora_unet") on
    # library/sd3_models.py: JointBlock.context_block / x_block, each with attn (AttentionLinears qkv, proj), mlp (fc1, fc2),
    # adaLN_modulation; MMDiT-X's x_block.attn2
    f = Fixture("kohya_sd3_medium", "kohya-ss/sd-scripts networks/lora_sd3.py", "SD3/SD3.5 medium", "kohya", "kohya alpha", seed=8)
    h = 1536
    p = "lora_unet_joint_blocks_0_"
    plain(f, p + "x_block_attn_qkv.lora_down.weight", p + "x_block_attn_qkv.lora_up.weight", 3 * h, h, None, 1.0, p + "x_block_attn_qkv.alpha",
          2.0, split=qkv(FLUX_DB, h))
    plain(f, p + "context_block_mlp_fc1.lora_down.weight", p + "context_block_mlp_fc1.lora_up.weight", 4 * h, h, FLUX_DB + "ff_context_net_0_proj",
          1.0, p + "context_block_mlp_fc1.alpha", 2.0)
    return f


@fixture
def kohya_sd35_medium():
    f = Fixture("kohya_sd35_medium", "kohya-ss/sd-scripts networks/lora_sd3.py (MMDiT-X attn2)", "SD3.5 medium", "kohya", "kohya alpha", seed=9)
    h = 1536
    p = "lora_unet_joint_blocks_0_"
    plain(f, p + "x_block_attn2_qkv.lora_down.weight", p + "x_block_attn2_qkv.lora_up.weight", 3 * h, h, None, 1.0,
          p + "x_block_attn2_qkv.alpha", 2.0, split=qkv(FLUX_DB, h, mid="attn2_"))
    plain(f, p + "x_block_attn_proj.lora_down.weight", p + "x_block_attn_proj.lora_up.weight", h, h, FLUX_DB + "attn_to_out_0", 1.0,
          p + "x_block_attn_proj.alpha", 2.0)
    return f


@fixture
def diffusers_sd35_large():
    f = Fixture("diffusers_sd35_large", "huggingface/diffusers examples/dreambooth/train_dreambooth_lora_sd3.py", "SD3.5 large", "peft",
                "metadata(transformer)", seed=10)
    f.metadata = {"lora_adapter_metadata": json.dumps({"transformer.r": R, "transformer.lora_alpha": 1})}
    h = 2432
    plain(f, "transformer.transformer_blocks.0.attn.to_q.lora_A.weight", "transformer.transformer_blocks.0.attn.to_q.lora_B.weight", h, h,
          FLUX_DB + "attn_to_q", 0.5)
    plain(f, "transformer.transformer_blocks.0.attn.add_k_proj.lora_A.weight", "transformer.transformer_blocks.0.attn.add_k_proj.lora_B.weight",
          h, h, FLUX_DB + "attn_add_k_proj", 0.5)
    return f


@fixture
def musubi_wan21_1_3b():
    # kohya-ss/musubi-tuner src/musubi_tuner/networks/lora_wan.py (WAN_TARGET_REPLACE_MODULES: WanAttentionBlock) on
    # src/musubi_tuner/wan/modules/model.py: self_attn.q/k/v/o, cross_attn.* (+ k_img, v_img for I2V), ffn = Sequential(Linear, GELU, Linear)
    f = Fixture("musubi_wan21_1_3b", "kohya-ss/musubi-tuner src/musubi_tuner/networks/lora_wan.py", "Wan 2.1 1.3B", "kohya", "kohya alpha", seed=11)
    h = 1536
    p = "lora_unet_blocks_0_"
    plain(f, p + "self_attn_q.lora_down.weight", p + "self_attn_q.lora_up.weight", h, h, "unet.blocks_0_attn1_to_q", 0.5, p + "self_attn_q.alpha", 1.0)
    plain(f, p + "cross_attn_o.lora_down.weight", p + "cross_attn_o.lora_up.weight", h, h, "unet.blocks_0_attn2_to_out_0", 0.5,
          p + "cross_attn_o.alpha", 1.0)
    plain(f, p + "ffn_0.lora_down.weight", p + "ffn_0.lora_up.weight", 8960, h, "unet.blocks_0_ffn_net_0_proj", 0.5, p + "ffn_0.alpha", 1.0)
    return f


@fixture
def comfyui_wan14b_i2v():
    f = Fixture("comfyui_wan14b_i2v", "comfyanonymous/ComfyUI comfy/ldm/wan/model.py (diffusion_model. keys)", "Wan 2.1 14B I2V", "peft", "assumed", seed=12)
    h = 5120
    plain(f, "diffusion_model.blocks.0.self_attn.q.lora_A.weight", "diffusion_model.blocks.0.self_attn.q.lora_B.weight", h, h, "unet.blocks_0_attn1_to_q")
    plain(f, "diffusion_model.blocks.0.cross_attn.k_img.lora_A.weight", "diffusion_model.blocks.0.cross_attn.k_img.lora_B.weight", h, h,
          "unet.blocks_0_attn2_add_k_proj")
    return f


@fixture
def diffusers_wan22_5b():
    f = Fixture("diffusers_wan22_5b", "huggingface/diffusers models/transformers/transformer_wan.py", "Wan 2.2 5B", "peft", "assumed", seed=13)
    h = 3072
    plain(f, "transformer.blocks.0.attn1.to_q.lora_A.weight", "transformer.blocks.0.attn1.to_q.lora_B.weight", h, h, "unet.blocks_0_attn1_to_q")
    return f


@fixture
def diffusers_qwen_image():
    # diffusers train_dreambooth_lora_qwen_image.py: QwenImagePipeline.save_lora_weights, prefixed metadata
    f = Fixture("diffusers_qwen_image", "huggingface/diffusers examples/dreambooth/train_dreambooth_lora_qwen_image.py", "Qwen-Image", "peft",
                "metadata(transformer)", seed=14)
    f.metadata = {"lora_adapter_metadata": json.dumps({"transformer.r": R, "transformer.lora_alpha": 4})}
    plain(f, "transformer.transformer_blocks.0.attn.to_q.lora_A.weight", "transformer.transformer_blocks.0.attn.to_q.lora_B.weight", H, H,
          FLUX_DB + "attn_to_q", 2.0)
    plain(f, "transformer.transformer_blocks.0.img_mlp.net.0.proj.lora_A.weight", "transformer.transformer_blocks.0.img_mlp.net.0.proj.lora_B.weight",
          4 * H, H, FLUX_DB + "img_mlp_net_0_proj", 2.0)
    return f


@fixture
def musubi_qwen_image_edit():
    # kohya-ss/musubi-tuner src/musubi_tuner/networks/lora_qwen_image.py (QwenImageTransformerBlock of
    # src/musubi_tuner/qwen_image/qwen_image_model.py: attn.to_q …, img_mlp = FeedForward, diffusers' names) under lora_unet_;
    # metadata: ss_base_model_version "qwen_image_edit" (dataset/architectures.py), modelspec.architecture
    # "Qwen-Image-Edit-2511/lora" (utils/sai_model_spec.py). Attention alone is Flux-shaped: the recorded base decides.
    f = Fixture("musubi_qwen_image_edit", "kohya-ss/musubi-tuner src/musubi_tuner/networks/lora_qwen_image.py, qwen_image/qwen_image_model.py",
                "Qwen-Image-Edit", "kohya", "kohya alpha", seed=42)
    f.metadata = {"ss_base_model_version": "qwen_image_edit", "modelspec.architecture": "Qwen-Image-Edit-2511/lora"}
    k = "lora_unet_transformer_blocks_0_attn_to_q"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", H, H, FLUX_DB + "attn_to_q", 1.0, k + ".alpha", 2.0)
    return f


@fixture
def diffusers_zimage():
    f = Fixture("diffusers_zimage", "huggingface/diffusers models/transformers/transformer_z_image.py", "Z-Image", "peft", "assumed", seed=15)
    h = 3840
    plain(f, "transformer.layers.0.attention.to_q.lora_A.weight", "transformer.layers.0.attention.to_q.lora_B.weight", h, h,
          "unet.layers_0_attention_to_q")
    return f


@fixture
def comfyui_zimage():
    # ComfyUI's NextDiT (comfy/ldm/lumina/model.py): fused attention.qkv, attention.out
    f = Fixture("comfyui_zimage", "comfyanonymous/ComfyUI comfy/ldm/lumina/model.py; kohya-ss/musubi-tuner networks/convert_z_image_lora_to_comfy.py",
                "Z-Image", "peft", "assumed", seed=16)
    h = 3840
    plain(f, "diffusion_model.layers.0.attention.qkv.lora_A.weight", "diffusion_model.layers.0.attention.qkv.lora_B.weight", 3 * h, h, None,
          split=qkv("unet.layers_0_", h, mid="attention_"))
    plain(f, "diffusion_model.layers.0.attention.out.lora_A.weight", "diffusion_model.layers.0.attention.out.lora_B.weight", h, h,
          "unet.layers_0_attention_to_out_0")
    return f


@fixture
def diffusers_lumina2():
    # diffusers names Lumina 2's NextDiT attn.to_q, feed_forward.linear_N (lora_conversion_utils.py,
    # _convert_non_diffusers_lumina2_lora_to_diffusers); dsire's canonical NextDiT names are Z-Image's
    f = Fixture("diffusers_lumina2", "huggingface/diffusers models/transformers/transformer_lumina2.py", "Lumina 2", "peft", "assumed", seed=17)
    h = 2304
    plain(f, "transformer.layers.0.attn.to_q.lora_A.weight", "transformer.layers.0.attn.to_q.lora_B.weight", h, h, "unet.layers_0_attention_to_q")
    plain(f, "transformer.layers.0.feed_forward.linear_1.lora_A.weight", "transformer.layers.0.feed_forward.linear_1.lora_B.weight", 6144, h,
          "unet.layers_0_feed_forward_w1")
    return f


@fixture
def comfyui_lumina2():
    # ComfyUI's NextDiT for Lumina 2: fused attention.qkv with grouped-query attention (q 2304, k 768, v 768)
    f = Fixture("comfyui_lumina2", "comfyanonymous/ComfyUI comfy/ldm/lumina/model.py; diffusers lora_conversion_utils.py (Lumina 2 split)",
                "Lumina 2", "peft", "assumed", seed=35)
    h = 2304
    plain(f, "diffusion_model.layers.0.attention.qkv.lora_A.weight", "diffusion_model.layers.0.attention.qkv.lora_B.weight", h + 2 * 768, h,
          None, split=[("unet.layers_0_attention_to_q", h), ("unet.layers_0_attention_to_k", 768), ("unet.layers_0_attention_to_v", 768)])
    return f


@fixture
def diffusers_ltx_video():
    f = Fixture("diffusers_ltx_video", "huggingface/diffusers models/transformers/transformer_ltx.py", "LTX-Video 2B", "peft", "assumed", seed=18)
    h = 2048
    plain(f, "transformer.transformer_blocks.0.attn1.to_q.lora_A.weight", "transformer.transformer_blocks.0.attn1.to_q.lora_B.weight", h, h,
          FLUX_DB + "attn1_to_q")
    plain(f, "transformer.transformer_blocks.0.attn2.to_k.lora_A.weight", "transformer.transformer_blocks.0.attn2.to_k.lora_B.weight", h, h,
          FLUX_DB + "attn2_to_k")
    return f


def simple(name, source, family, key, out, inn, canonical, seed):
    f = Fixture(name, source, family, "peft", "assumed", seed=seed)
    plain(f, key + ".lora_A.weight", key + ".lora_B.weight", out, inn, canonical)
    return f


@fixture
def diffusers_hidream():
    # huggingface/diffusers src/diffusers/models/transformers/transformer_hidream_image.py: HiDreamAttention has to_q/to_k/to_v/to_out
    # (a plain Linear, no .0) for the image stream and to_q_t … to_out_t for the text stream in double blocks, inner_dim =
    # heads·dim_head (HiDream-I1: 20·128 = 2560); each double/single stream block wraps its layers as .block
    f = simple("diffusers_hidream", "huggingface/diffusers src/diffusers/models/transformers/transformer_hidream_image.py", "HiDream",
               "transformer.double_stream_blocks.0.block.attn1.to_q", 2560, 2560, "unet.double_stream_blocks_0_block_attn1_to_q", 19)
    plain(f, "transformer.double_stream_blocks.0.block.attn1.to_q_t.lora_A.weight", "transformer.double_stream_blocks.0.block.attn1.to_q_t.lora_B.weight",
          2560, 2560, "unet.double_stream_blocks_0_block_attn1_to_q_t")
    return f


@fixture
def onetrainer_hidream_omi():
    # OneTrainer's HiDream LoRA output (its only one until the 2026-07 formats rework): the OMI keys of
    # Nerogar/OneTrainer modules/util/convert/lora/convert_lora_util.py (convert_to_omi: omi prefix + the module's own
    # suffix, so .lora_down.weight/.lora_up.weight/.alpha) with the key sets of modules/util/convert/lora/convert_hidream_lora.py
    # (transformer.double_stream_blocks.N.block.attn1.to_q, to_q_t, to_out …); HiDreamLoRASaver called _save(…, enable_omi_format=True)
    f = Fixture("onetrainer_hidream_omi", "Nerogar/OneTrainer@7fcdd132 modules/util/convert/lora/convert_lora_util.py (convert_to_omi), "
                "modules/util/convert/lora/convert_hidream_lora.py, modules/modelSaver/hidream/HiDreamLoRASaver.py", "HiDream", "kohya",
                "kohya alpha", seed=38)
    p = "transformer.double_stream_blocks.0.block.attn1."
    for n in ("to_q", "to_k_t", "to_out"):
        plain(f, p + n + ".lora_down.weight", p + n + ".lora_up.weight", 2560, 2560, "unet.double_stream_blocks_0_block_attn1_" + n, 0.5,
              p + n + ".alpha", 1.0)
    return f


@fixture
def diffusers_chroma():
    # huggingface/diffusers src/diffusers/models/transformers/transformer_chroma.py: Flux's blocks without per-block modulation,
    # and distilled_guidance_layer = ChromaApproximator(in_proj, layers = PixArtAlphaTextProjection (linear_1, linear_2), norms,
    # out_proj), hidden 5120 (approximator_hidden_dim)
    f = simple("diffusers_chroma", "huggingface/diffusers src/diffusers/models/transformers/transformer_chroma.py", "Chroma",
               "transformer.transformer_blocks.0.attn.to_q", H, H, FLUX_DB + "attn_to_q", 20)
    plain(f, "transformer.distilled_guidance_layer.layers.0.linear_1.lora_A.weight",
          "transformer.distilled_guidance_layer.layers.0.linear_1.lora_B.weight", 5120, 5120, "unet.distilled_guidance_layer_layers_0_linear_1")
    return f


@fixture
def onetrainer_chroma_kohya():
    # OneTrainer's KOHYA_LORA output for Chroma: modules/modelSaver/mixin/LoRASaverMixin.py (_convert_kohya: lora_unet + the
    # model's original body, flattened) with modules/model/ChromaModel.py diffusers_to_original (BFL double_blocks/single_blocks,
    # distilled_guidance_layer.layers.N.{in_layer,out_layer} for diffusers' linear_1/linear_2)
    f = Fixture("onetrainer_chroma_kohya", "Nerogar/OneTrainer modules/modelSaver/mixin/LoRASaverMixin.py, modules/model/ChromaModel.py",
                "Chroma", "kohya", "kohya alpha", seed=39)
    k = "lora_unet_distilled_guidance_layer_layers_0_in_layer"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", 5120, 5120, "unet.distilled_guidance_layer_layers_0_linear_1", 1.0, k + ".alpha", 2.0)
    k = "lora_unet_double_blocks_0_img_attn_proj"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", H, H, FLUX_DB + "attn_to_out_0", 1.0, k + ".alpha", 2.0)
    return f


@fixture
def diffusers_sana():
    # huggingface/diffusers src/diffusers/models/transformers/sana_transformer.py: SanaTransformerBlock attn1 (self), attn2 (cross),
    # ff = GLUMBConv(conv_inverted 1×1 in → 2·hidden, conv_depth, conv_point); defaults 70 heads × 32 = 2240 wide, mlp_ratio 2.5
    # (hidden 5600); Sana 600M is 1152 wide
    f = simple("diffusers_sana", "huggingface/diffusers src/diffusers/models/transformers/sana_transformer.py", "Sana 1.6B",
               "transformer.transformer_blocks.0.attn1.to_q", 2240, 2240, FLUX_DB + "attn1_to_q", 21)
    # GLUMBConv's 1×1 conv: a conv LoRA (A r×in×1×1, B out×r×1×1)
    a = f.put("transformer.transformer_blocks.0.ff.conv_inverted.lora_A.weight", (R, 2240, 1, 1))
    b = f.put("transformer.transformer_blocks.0.ff.conv_inverted.lora_B.weight", (11200, R, 1, 1))
    f.truth(FLUX_DB + "ff_conv_inverted", (b.reshape(11200, R), a.reshape(R, 2240)), 1.0, R, 11200, 2240)
    return f


@fixture
def onetrainer_sana():
    # OneTrainer's Sana LoRA before the 2026-07 formats rework: Nerogar/OneTrainer@7fcdd132 modules/modelSaver/sana/SanaLoRASaver.py
    # (_get_convert_key_sets returns None: the state dict is saved as the wrapper holds it), modules/modelSetup/SanaLoRASetup.py
    # (LoRAModuleWrapper(model.transformer, "lora_transformer")), modules/module/LoRAModule.py (module name prefix + "." + path,
    # lora_down/lora_up/alpha): kohya's keys with the dots kept. Sana 600M: 1152 wide (diffusers sana_transformer.py)
    f = Fixture("onetrainer_sana", "Nerogar/OneTrainer@7fcdd132 modules/modelSaver/sana/SanaLoRASaver.py, modules/modelSetup/SanaLoRASetup.py, "
                "modules/module/LoRAModule.py", "Sana 600M", "kohya", "kohya alpha", seed=43)
    k = "lora_transformer.transformer_blocks.0.attn1.to_q"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", 1152, 1152, FLUX_DB + "attn1_to_q", 0.5, k + ".alpha", 1.0)
    a = f.put("lora_transformer.transformer_blocks.0.ff.conv_inverted.lora_down.weight", (R, 1152, 1, 1))
    b = f.put("lora_transformer.transformer_blocks.0.ff.conv_inverted.lora_up.weight", (5760, R, 1, 1))
    f.tensors["lora_transformer.transformer_blocks.0.ff.conv_inverted.alpha"] = np.array(1.0, dtype=np.float32)
    f.truth(FLUX_DB + "ff_conv_inverted", (b.reshape(5760, R), a.reshape(R, 1152)), 0.5, R, 5760, 1152)
    return f


@fixture
def diffusers_auraflow():
    # huggingface/diffusers src/diffusers/models/transformers/auraflow_transformer_2d.py: 4 joint_transformer_blocks (MMDiT) and 32
    # single_transformer_blocks, 12 heads × 256 = 3072 wide; the single blocks keep an attention output (attn.to_out.0) and
    # AuraFlowFeedForward (linear_1, linear_2: 3072 → 8192, out_projection)
    return simple("diffusers_auraflow", "huggingface/diffusers src/diffusers/models/transformers/auraflow_transformer_2d.py", "AuraFlow",
                  "transformer.joint_transformer_blocks.0.attn.to_q", H, H, "unet.joint_transformer_blocks_0_attn_to_q", 22)


@fixture
def diffusers_auraflow_single():
    # the same file, a LoRA on the single DiT blocks only (their names are Flux's single_transformer_blocks at Flux's width)
    f = simple("diffusers_auraflow_single", "huggingface/diffusers src/diffusers/models/transformers/auraflow_transformer_2d.py", "AuraFlow",
               "transformer.single_transformer_blocks.0.attn.to_q", H, H, FLUX_SB + "attn_to_q", 40)
    plain(f, "transformer.single_transformer_blocks.0.ff.linear_1.lora_A.weight", "transformer.single_transformer_blocks.0.ff.linear_1.lora_B.weight",
          8192, H, FLUX_SB + "ff_linear_1")
    plain(f, "transformer.single_transformer_blocks.0.attn.to_out.0.lora_A.weight",
          "transformer.single_transformer_blocks.0.attn.to_out.0.lora_B.weight", H, H, FLUX_SB + "attn_to_out_0")
    return f


@fixture
def diffusers_cogvideox():
    # huggingface/diffusers src/diffusers/models/transformers/cogvideox_transformer_3d.py (attn1 only, no cross-attention);
    # 5B: 48 heads × 64 = 3072 wide, 42 blocks (not read from a config here: the block count is the docs' figure)
    return simple("diffusers_cogvideox", "huggingface/diffusers src/diffusers/models/transformers/cogvideox_transformer_3d.py", "CogVideoX 5B",
                  "transformer.transformer_blocks.0.attn1.to_q", H, H, FLUX_DB + "attn1_to_q", 23)


@fixture
def diffusers_mochi():
    # huggingface/diffusers src/diffusers/models/transformers/transformer_mochi.py: MochiTransformer3DModel defaults 24 heads × 128 = 3072,
    # 48 layers, pooled_projection_dim 1536; MochiTransformerBlock.attn1 = MochiAttention(added_kv_proj_dim=pooled_projection_dim):
    # to_q … and add_q_proj (1536 → 3072) …
    f = simple("diffusers_mochi", "huggingface/diffusers src/diffusers/models/transformers/transformer_mochi.py", "Mochi",
               "transformer.transformer_blocks.0.attn1.to_q", H, H, FLUX_DB + "attn1_to_q", 24)
    plain(f, "transformer.transformer_blocks.0.attn1.add_q_proj.lora_A.weight", "transformer.transformer_blocks.0.attn1.add_q_proj.lora_B.weight",
          H, 1536, FLUX_DB + "attn1_add_q_proj")
    return f


@fixture
def diffusers_mochi_late():
    # Mochi's self-attention alone reads as CogVideoX 5B (same module names and width) up to block 41; block 47 exists only in Mochi
    return simple("diffusers_mochi_late", "huggingface/diffusers src/diffusers/models/transformers/transformer_mochi.py", "Mochi",
                  "transformer.transformer_blocks.47.attn1.to_k", H, H, "unet.transformer_blocks_47_attn1_to_k", 41)


@fixture
def diffusers_pixart():
    f = simple("diffusers_pixart", "huggingface/diffusers models/transformers/pixart_transformer_2d.py", "PixArt",
               "transformer.transformer_blocks.0.attn1.to_q", 1152, 1152, FLUX_DB + "attn1_to_q", 25)
    plain(f, "transformer.transformer_blocks.0.attn2.to_k.lora_A.weight", "transformer.transformer_blocks.0.attn2.to_k.lora_B.weight", 1152, 1152,
          FLUX_DB + "attn2_to_k")
    return f


@fixture
def kohya_sdxl():
    # kohya sd-scripts networks/lora.py on the sgm UNet (input_blocks_…), two text encoders
    f = Fixture("kohya_sdxl", "kohya-ss/sd-scripts networks/lora.py (SDXL)", "SDXL", "kohya", "kohya alpha", seed=26)
    k = "lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", 640, 2048, "unet.down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k", 0.5,
          k + ".alpha", 1.0)
    k = "lora_te2_text_model_encoder_layers_0_self_attn_q_proj"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", 1280, 1280, "te2.text_model_encoder_layers_0_self_attn_q_proj", 0.5, k + ".alpha", 1.0)
    return f


@fixture
def comfyui_sdxl():
    f = Fixture("comfyui_sdxl", "comfyanonymous/ComfyUI comfy/lora.py (diffusion_model. + sgm names)", "SDXL", "peft", "assumed", seed=27)
    plain(f, "diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.lora_A.weight",
          "diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.lora_B.weight", 640, 2048,
          "unet.down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k")
    return f


@fixture
def kohya_kolors():
    # No source found for a trainer that writes this: Kwai-Kolors/Kolors dreambooth/train_dreambooth_lora.py saves accelerate
    # state, not a LoRA file, and kohya sd-scripts has no Kolors network. The UNet key is kohya's sgm naming of Kolors' SDXL-shaped
    # UNet; the text-encoder key is ChatGLM3's self_attention.query_key_value (4096 + 2·2·128 = 4608 out, multi-query groups)
    # in kohya's lora_te1_ form, kept as the case that tells Kolors from SDXL, not as a verified writer's naming.
    f = Fixture("kohya_kolors", "no writer's source found (kohya-style naming of Kolors' UNet and ChatGLM3 text encoder)", "Kolors", "kohya", "kohya alpha", seed=28)
    k = "lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", 640, 640, "unet.down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q", 1.0,
          k + ".alpha", 2.0)
    k = "lora_te1_encoder_layers_0_self_attention_query_key_value"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", 4608, 4096, "te1.encoder_layers_0_self_attention_query_key_value", 1.0, k + ".alpha", 2.0)
    return f


SC = "unet.down_blocks_0_"


@fixture
def kohya_stable_cascade():
    # kohya-ss/sd-scripts at 3a2a48c1 (the Stable Cascade work, "make LoRA compatible with ComfyUI #1119"):
    # networks/lora.py replaces every Linear/Conv2d of StageC ("replace all modules for Stable Cascade Stage C"),
    # prefix lora_unet; library/stable_cascade.py StageC (c_hidden [2048, 2048], level_config "CTA": each level
    # repeats ResBlock, TimestepBlock, AttnBlock, so block 0 is a ResBlock and block 2 an AttnBlock),
    # ResBlock.channelwise = Linear(c + c_skip, 4c), …, Linear(4c, c); AttnBlock.attention = Attention2D whose .attn
    # holds to_q/to_k/to_v/out_proj; kv_mapper = Sequential(SiLU, Linear(c_cond, c)).
    # Canonical: diffusers' StableCascadeUNet names (models/unets/unet_stable_cascade.py: SDCascadeAttnBlock.attention
    # is an Attention with to_q … to_out.0).
    f = Fixture("kohya_stable_cascade", "kohya-ss/sd-scripts@3a2a48c1 networks/lora.py, library/stable_cascade.py (StageC)",
                "Stable Cascade 3.6B", "kohya", "kohya alpha", seed=29)
    c = 2048
    k = "lora_unet_down_blocks_0_0_channelwise_0"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", 4 * c, c, SC + "0_channelwise_0", 1.0, k + ".alpha", 2.0)
    k = "lora_unet_down_blocks_0_2_attention_attn_to_q"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", c, c, SC + "2_attention_to_q", 1.0, k + ".alpha", 2.0)
    k = "lora_unet_down_blocks_0_2_attention_attn_out_proj"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", c, c, SC + "2_attention_to_out_0", 1.0, k + ".alpha", 2.0)
    k = "lora_unet_down_blocks_0_2_kv_mapper_1"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", c, c, SC + "2_kv_mapper_1", 1.0, k + ".alpha", 2.0)
    return f


@fixture
def onetrainer_stable_cascade():
    # OneTrainer's historical (LEGACY) Stable Cascade LoRA: Nerogar/OneTrainer modules/util/convert/lora/convert_stable_cascade_lora.py
    # (prior under lora_prior_unet, CLIP-G under lora_prior_te, attention as attention_attn_to_q / attention_attn_out_proj) and
    # modules/model/WuerstchenModel.py (cascade_prior_legacy); ComfyUI comfy/lora.py maps lora_prior_unet_ for StableCascade_C.
    # Stage C 1B (Stability-AI/StableCascade train/train_c.py: StageC(c_cond=1536, c_hidden=[1536, 1536], nhead=[24, 24], …)).
    f = Fixture("onetrainer_stable_cascade", "Nerogar/OneTrainer modules/util/convert/lora/convert_stable_cascade_lora.py, "
                "modules/model/WuerstchenModel.py", "Stable Cascade 1B", "kohya", "kohya alpha", seed=37)
    c = 1536
    k = "lora_prior_unet_down_blocks_0_0_channelwise_0"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", 4 * c, c, SC + "0_channelwise_0", 0.5, k + ".alpha", 1.0)
    k = "lora_prior_unet_down_blocks_0_2_attention_attn_to_k"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", c, c, SC + "2_attention_to_k", 0.5, k + ".alpha", 1.0)
    k = "lora_prior_te_text_model_encoder_layers_0_self_attn_q_proj"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", 1280, 1280, "te1.text_model_encoder_layers_0_self_attn_q_proj", 0.5,
          k + ".alpha", 1.0)
    return f


# ---------------------------------------------------------------- LyCORIS (dense-ΔW truth)
def kr_rows(x, y):
    """Row-wise Khatri–Rao: row i is x[i,:] ⊗ y[i,:]."""
    return np.einsum("ip,iq->ipq", x, y).reshape(x.shape[0], -1)


def lyco_alpha(f, module, alpha):
    f.tensors[module + ".alpha"] = np.array(alpha, dtype=np.float32)


@fixture
def lycoris_loha_sd15():
    # LyCORIS lycoris/modules/loha.py (hada_w1_a out×r, hada_w1_b r×in; Tucker: hada_t1 r×r×k×k, w1_a r×out, w1_b r×in),
    # merged as ComfyUI comfy/weight_adapter/loha.py and lycoris/functional/loha.py do
    f = Fixture("lycoris_loha_sd15", "KohakuBlueleaf/LyCORIS lycoris/modules/loha.py, lycoris/functional/loha.py", "SD1.x", "loha",
                "lycoris alpha", seed=30)
    m = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k"
    r = 4
    w1a, w1b = f.put(m + ".hada_w1_a", (320, r)), f.put(m + ".hada_w1_b", (r, 768))
    w2a, w2b = f.put(m + ".hada_w2_a", (320, r)), f.put(m + ".hada_w2_b", (r, 768))
    lyco_alpha(f, m, 2.0)
    dw = (w1a @ w1b) * (w2a @ w2b)
    f.truth("unet.down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k", None, 0.5, r * r, 320, 768, a=kr_rows(w1b.T, w2b.T).T,
            b=kr_rows(w1a, w2a), dense=dw)
    m = "lora_unet_down_blocks_0_resnets_0_conv1"
    t1, t2 = f.put(m + ".hada_t1", (r, r, 3, 3)), f.put(m + ".hada_t2", (r, r, 3, 3))
    u1, d1 = f.put(m + ".hada_w1_a", (r, 320)), f.put(m + ".hada_w1_b", (r, 320))
    u2, d2 = f.put(m + ".hada_w2_a", (r, 320)), f.put(m + ".hada_w2_b", (r, 320))
    lyco_alpha(f, m, 4.0)
    rebuild1 = np.einsum("ijkl,jr,ip->prkl", t1, d1, u1)
    rebuild2 = np.einsum("ijkl,jr,ip->prkl", t2, d2, u2)
    f.truth("unet.down_blocks_0_resnets_0_conv1", None, 1.0, r * r, 320, 320 * 9, dense=(rebuild1 * rebuild2).reshape(320, -1))
    return f


def factorization(dim, factor=-1):
    """LyCORIS lycoris/functional/general.py factorization: (m, n) with m ≤ n, m·n = dim, m ≤ factor when factor > 0."""
    if factor > 0 and dim % factor == 0:
        m, n = factor, dim // factor
        return (m, n) if m <= n else (n, m)
    if factor == -1:
        factor = dim
    m, n = 1, dim
    length = m + n
    while m < n:
        new_m = m + 1
        while dim % new_m != 0:
            new_m += 1
        new_n = dim // new_m
        if new_m + new_n > length or new_m > factor:
            break
        m, n = new_m, new_n
        length = m + n
    return (m, n) if m <= n else (n, m)


@fixture
def lycoris_lokr_sdxl():
    # LyCORIS lycoris/modules/lokr.py: out = a·b, in = c·d; w1 (a×c) whole, w2 = w2_a (b×r) · w2_b (r×d); ΔW = α/r · w1 ⊗ w2
    f = Fixture("lycoris_lokr_sdxl", "KohakuBlueleaf/LyCORIS lycoris/modules/lokr.py, lycoris/functional/lokr.py", "SDXL", "lokr",
                "lycoris alpha", seed=31)
    f.metadata = {"ss_base_model_version": "sdxl_base_v1-0", "ss_network_module": "lycoris.kohya"}
    m = "lora_unet_input_blocks_4_1_proj_in"
    (a, b), (c, d) = factorization(640, 8), factorization(640, 8)
    r = 4
    w1 = f.put(m + ".lokr_w1", (a, c))
    w2a, w2b = f.put(m + ".lokr_w2_a", (b, r)), f.put(m + ".lokr_w2_b", (r, d))
    lyco_alpha(f, m, 8.0)
    eye = np.eye(a) if a <= c else None
    f.truth("unet.down_blocks_1_attentions_0_proj_in", None, 2.0, min(a, c) * r, 640, 640, a=np.kron(w1, w2b), b=np.kron(eye, w2a),
            dense=np.kron(w1, w2a @ w2b))
    k = "lora_te1_text_model_encoder_layers_0_mlp_fc1"
    (a, b), (c, d) = factorization(3072, 8), factorization(768, 8)
    w1a, w1b = f.put(k + ".lokr_w1_a", (a, 2)), f.put(k + ".lokr_w1_b", (2, c))
    w2a, w2b = f.put(k + ".lokr_w2_a", (b, 2)), f.put(k + ".lokr_w2_b", (2, d))
    lyco_alpha(f, k, 1.0)
    f.truth("te1.text_model_encoder_layers_0_mlp_fc1", None, 0.5, 4, 3072, 768, a=np.kron(w1b, w2b), b=np.kron(w1a, w2a),
            dense=np.kron(w1a @ w1b, w2a @ w2b))
    return f


@fixture
def lycoris_lokr_conv_tucker():
    f = Fixture("lycoris_lokr_conv_tucker", "KohakuBlueleaf/LyCORIS lycoris/modules/lokr.py (use_tucker, conv)", "SD1.x", "lokr",
                "lycoris (both factors whole: scale 1)+lycoris alpha", seed=32)
    m = "lora_unet_down_blocks_0_resnets_0_conv2"
    (a, b), (c, d) = factorization(320, 4), factorization(320, 4)
    r = 3
    w1 = f.put(m + ".lokr_w1", (a, c))
    w2a, w2b, t2 = f.put(m + ".lokr_w2_a", (r, b)), f.put(m + ".lokr_w2_b", (r, d)), f.put(m + ".lokr_t2", (r, r, 3, 3))
    lyco_alpha(f, m, 3.0)
    w2 = np.einsum("ijkl,jr,ip->prkl", t2, w2b, w2a)
    dw = np.kron(w1[:, :, None, None], w2).reshape(a * b, -1)
    f.truth("unet.down_blocks_0_resnets_0_conv2", None, 1.0, min(a, c) * r, 320, 320 * 9, dense=dw)
    k = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k"  # keeps the file's family readable (SD1.x context 768)
    a, b = factorization(320, 4)
    c, d = factorization(768, 4)
    w1 = f.put(k + ".lokr_w1", (a, c))
    w2 = f.put(k + ".lokr_w2", (b, d))
    lyco_alpha(f, k, 99.0)  # both factors whole: LyCORIS ignores alpha
    f.truth("unet.down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k", None, 1.0, min(a, c) * min(b, d), 320, 768, dense=np.kron(w1, w2))
    return f


@fixture
def lycoris_locon_tucker():
    # LyCORIS lycoris/modules/locon.py (use_tucker): lora_down r×in×1×1, lora_mid r×r×k×k, lora_up out×r×1×1
    f = Fixture("lycoris_locon_tucker", "KohakuBlueleaf/LyCORIS lycoris/modules/locon.py", "SD1.x", "kohya", "kohya alpha", seed=33)
    m = "lora_unet_down_blocks_0_resnets_1_conv1"
    r = 4
    down, mid, up = f.put(m + ".lora_down.weight", (r, 320, 1, 1)), f.put(m + ".lora_mid.weight", (r, r, 3, 3)), f.put(m + ".lora_up.weight", (320, r, 1, 1))
    lyco_alpha(f, m, 2.0)
    # ComfyUI comfy/weight_adapter/lora.py: mat2 = (downᵀ·midᵀ) reshaped, ΔW = α/r · up · mat2
    mat2 = (down[:, :, 0, 0].T @ mid.transpose(1, 0, 2, 3).reshape(r, -1)).reshape(320, r, 3, 3).transpose(1, 0, 2, 3)
    dw = up[:, :, 0, 0] @ mat2.reshape(r, -1)
    f.truth("unet.down_blocks_0_resnets_1_conv1", None, 0.5, r, 320, 320 * 9, dense=dw)
    k = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k"
    plain(f, k + ".lora_down.weight", k + ".lora_up.weight", 320, 768, "unet.down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k", 0.5,
          k + ".alpha", 1.0)
    return f


@fixture
def simpletuner_lokr_flux():
    # SimpleTuner trains LyCORIS through LyCORIS's own wrapper: bghira/SimpleTuner simpletuner/helpers/training/trainer.py calls
    # create_lycoris(self.model.get_trained_component(), …) on the diffusers transformer and saves with save_weights
    # (simpletuner/helpers/training/save_hooks.py); KohakuBlueleaf/LyCORIS lycoris/wrapper.py names each module
    # f"{LORA_PREFIX}_{name}" with dots as underscores, LORA_PREFIX = "lycoris" (a preset's lora_prefix could change it;
    # SimpleTuner sets none)
    f = Fixture("simpletuner_lokr_flux", "bghira/SimpleTuner simpletuner/helpers/training/trainer.py; KohakuBlueleaf/LyCORIS lycoris/wrapper.py",
                "Flux", "lokr", "lycoris alpha", seed=34)
    (a, b), (c, d) = factorization(H, 16), factorization(H, 16)
    for i in (0, 37):
        m = f"lycoris_single_transformer_blocks_{i}_attn_to_q"
        w1 = f.put(m + ".lokr_w1", (a, c))
        w2a, w2b = f.put(m + ".lokr_w2_a", (b, 2)), f.put(m + ".lokr_w2_b", (2, d))
        lyco_alpha(f, m, 2.0)
        sw1 = np.linalg.svd(w1, compute_uv=False)
        sw2 = np.linalg.svd(w2a @ w2b, compute_uv=False)
        # a 3072×3072 dense SVD is minutes on this machine: σ(w1 ⊗ w2) from the Kronecker identity, checked on one small case below
        ent = {"rank": min(a, c) * 2, "out": H, "in": H, "scale": 1.0, "method": "kron",
               "ba": sorted((float(x * y) for x in sw1 for y in sw2), reverse=True)[:min(a, c) * 2]}
        f.layers[f"unet.single_transformer_blocks_{i}_attn_to_q"] = ent
    small = np.kron(w1[:4, :4], w2a[:8] @ w2b[:, :8])
    assert np.allclose(np.linalg.svd(small, compute_uv=False)[:8],
                       sorted((x * y for x in np.linalg.svd(w1[:4, :4], compute_uv=False)
                               for y in np.linalg.svd(w2a[:8] @ w2b[:, :8], compute_uv=False)), reverse=True)[:8])
    return f


# ---------------------------------------------------------------- files that are not adapters
def refused(name, source, refuse, tensors, seed):
    f = Fixture(name, source, refuse=refuse, seed=seed)
    for k, shape in tensors.items():
        f.put(k, shape)
    return f


@fixture
def ti_sd15():
    return refused("ti_sd15", "AUTOMATIC1111 textual_inversion (emb_params)", "textual-inversion embedding for SD1.x", {"emb_params": (4, 768)}, 40)


@fixture
def ti_sdxl():
    return refused("ti_sdxl", "AUTOMATIC1111 / kohya SDXL embeddings (clip_l, clip_g)", "textual-inversion embedding for SDXL",
                   {"clip_l": (2, 768), "clip_g": (2, 1280)}, 41)


@fixture
def vae():
    return refused("vae", "diffusers AutoencoderKL state dict", "VAE", {"encoder.conv_in.weight": (8, 3, 3, 3), "decoder.conv_out.weight": (3, 8, 3, 3),
                                                                         "quant_conv.weight": (8, 8, 1, 1)}, 42)


@fixture
def controlnet():
    return refused("controlnet", "lllyasviel/ControlNet cldm (control_model.)", "ControlNet",
                   {"control_model.input_hint_block.0.weight": (16, 3, 3, 3), "control_model.zero_convs.0.0.weight": (8, 8, 1, 1)}, 43)


@fixture
def checkpoint_pruned():
    return refused("checkpoint_pruned", "Stable Diffusion ldm checkpoint", "pruned Stable Diffusion checkpoint",
                   {"model.diffusion_model.input_blocks.0.0.weight": (8, 4, 3, 3), "first_stage_model.decoder.conv_out.weight": (3, 8, 3, 3)}, 44)


@fixture
def glora():
    return refused("glora", "KohakuBlueleaf/LyCORIS lycoris/modules/glora.py", "GLoRA",
                   {"lora_unet_x.a1.weight": (2, 8), "lora_unet_x.a2.weight": (8, 2), "lora_unet_x.b1.weight": (2, 8), "lora_unet_x.b2.weight": (8, 2)}, 45)


@fixture
def ia3():
    return refused("ia3", "KohakuBlueleaf/LyCORIS lycoris/modules/ia3.py", "IA3", {"lora_unet_x.weight": (8,), "lora_unet_x.on_input": (1,)}, 46)


@fixture
def oft():
    return refused("oft", "KohakuBlueleaf/LyCORIS lycoris/modules/diag_oft.py", "OFT", {"lora_unet_x.oft_blocks": (2, 4, 4)}, 47)


@fixture
def full_diff():
    return refused("full_diff", "KohakuBlueleaf/LyCORIS lycoris/modules/full.py", "full weight difference", {"lora_unet_x.diff": (8, 8)}, 48)


@fixture
def lycoris_dora():
    return refused("lycoris_dora", "KohakuBlueleaf/LyCORIS (weight_decompose: dora_scale)", "DoRA",
                   {"lora_unet_x.lora_down.weight": (2, 8), "lora_unet_x.lora_up.weight": (8, 2), "lora_unet_x.dora_scale": (8, 1)}, 49)


@fixture
def flux_full_weights():
    return refused("flux_full_weights", "black-forest-labs/flux src/flux/model.py (a transformer, not an adapter)", "full denoiser weights",
                   {"double_blocks.0.img_attn.qkv.weight": (12, 4), "single_blocks.0.linear1.weight": (20, 4)}, 50)


def main():
    for old in os.listdir(OUT):
        if old.endswith(".safetensors"):
            os.remove(os.path.join(OUT, old))
    entries = [fn().save() for fn in FIXTURES] + [f.save() for f in flux_equivalents()]
    with open(os.path.join(OUT, "truth.json"), "w") as out:
        json.dump({"files": entries}, out, indent=1, sort_keys=True)
        out.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, e["file"])) for e in entries)
    print(f"{len(entries)} files, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
