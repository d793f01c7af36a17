#!/usr/bin/env python3
"""Make a labelled LoRA zoo by real fine-tuning, offline.

1. Render glyph images (16x16, grey) from Debian's DejaVu and Liberation fonts.
2. Pretrain a tiny diffusion transformer (DDPM, epsilon prediction) on glyphs of every font.
3. For every micro-dataset ("group": one font face, 50 characters of it) and every size n,
   LoRA fine-tune the attention projections DreamBooth-style on the group's first n images.
   Everything but n is fixed: steps, learning rate, batch size 1, LoRA init seed, noise seed.
4. Save each adapter as a kohya-format .safetensors (fp16, with alpha and ss_* metadata)
   and write manifest.csv (path,group,size).

Run with Debian's torch: OMP_NUM_THREADS=1 /usr/bin/python3 bench/zoo/make_zoo.py --out examples

Options change the base model (--dim, --blocks, --base-seed), the recipe (--rank, --alpha,
--steps, --lr, --lora-seed, --targets) and the file format (--format kohya|peft, --dtype), so one
script makes independent zoos: --name names them (examples/zoo-NAME-low, ...).
"""
import argparse, csv, glob, json, math, os, random, struct, sys, time
from multiprocessing import Pool

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont

IMG = 16
PATCH = 4
DIM = 64
HEADS = 4
BLOCKS = 6
RANK = 8
ALPHA = 4.0
T = 200
FINETUNE_STEPS = 300
FINETUNE_LR = 1e-3
LORA_SEED = 1234
NOISE_SEED = 777
TARGETS = ("to_q", "to_k", "to_v", "to_out.0")
GROUP_SEED = 1000


def configure(args):
    """Sets the base architecture and recipe; workers are forked after this, so they inherit it."""
    global DIM, BLOCKS, RANK, ALPHA, LORA_SEED, TARGETS, GROUP_SEED
    DIM, BLOCKS, RANK, ALPHA = args.dim, args.blocks, args.rank, args.alpha
    LORA_SEED, TARGETS, GROUP_SEED = args.lora_seed, tuple(args.targets.split(",")), args.group_seed

CHARS = ([chr(c) for c in range(ord("A"), ord("Z") + 1)] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
         + [chr(c) for c in range(ord("0"), ord("9") + 1)]
         + [chr(c) for c in range(0x391, 0x3A9) if c != 0x3A2] + [chr(c) for c in range(0x3B1, 0x3C9)]
         + [chr(c) for c in range(0x410, 0x450)])

RANGES = {"low": [1, 2, 3, 4, 5, 6], "medium": [1, 10, 20, 30, 40, 50]}


def fonts():
    faces = sorted(glob.glob("/usr/share/fonts/truetype/dejavu/*.ttf")
                   + glob.glob("/usr/share/fonts/truetype/liberation/*.ttf"))
    return [f for f in faces if "Math" not in f]


_FONTS = {}


def render(font_path, ch):
    font = _FONTS.get(font_path) or _FONTS.setdefault(font_path, ImageFont.truetype(font_path, 14))
    img = Image.new("L", (IMG, IMG), 0)
    d = ImageDraw.Draw(img)
    l, t, r, b = d.textbbox((0, 0), ch, font=font)
    d.text(((IMG - (r - l)) / 2 - l, (IMG - (b - t)) / 2 - t), ch, fill=255, font=font)
    return np.asarray(img, dtype=np.float32) / 127.5 - 1.0


def group_images(font_path, group_seed, count=50):
    rng = random.Random(group_seed)
    chars = rng.sample(CHARS, count)
    return torch.tensor(np.stack([render(font_path, c) for c in chars]))[:, None]


class LoRALinear(nn.Module):
    def __init__(self, base, rank, alpha, seed):
        super().__init__()
        self.base = base
        g = torch.Generator().manual_seed(seed)
        self.down = nn.Parameter(torch.empty(rank, base.in_features))
        bound = 1.0 / math.sqrt(base.in_features)  # kaiming_uniform(a=sqrt(5)), as kohya and PEFT
        with torch.no_grad():
            self.down.uniform_(-bound, bound, generator=g)
        self.up = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + self.scale * F.linear(F.linear(x, self.down), self.up)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.to_q = nn.Linear(DIM, DIM, bias=False)
        self.to_k = nn.Linear(DIM, DIM, bias=False)
        self.to_v = nn.Linear(DIM, DIM, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(DIM, DIM)])

    def forward(self, x):
        b, n, _ = x.shape
        q, k, v = (m(x).view(b, n, HEADS, DIM // HEADS).transpose(1, 2) for m in (self.to_q, self.to_k, self.to_v))
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(DIM // HEADS), -1)
        y = (w @ v).transpose(1, 2).reshape(b, n, DIM)
        return self.to_out[0](y)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(DIM)
        self.attn1 = Attention()
        self.norm2 = nn.LayerNorm(DIM)
        self.ff = nn.Sequential(nn.Linear(DIM, 2 * DIM), nn.GELU(), nn.Linear(2 * DIM, DIM))

    def forward(self, x, t):
        x = x + self.attn1(self.norm1(x + t))
        return x + self.ff(self.norm2(x))


class TinyDiT(nn.Module):
    def __init__(self):
        super().__init__()
        n = (IMG // PATCH) ** 2
        self.proj_in = nn.Linear(PATCH * PATCH, DIM)
        self.pos = nn.Parameter(torch.randn(1, n, DIM) * 0.02)
        self.time = nn.Sequential(nn.Linear(DIM, DIM), nn.SiLU(), nn.Linear(DIM, DIM))
        self.transformer_blocks = nn.ModuleList([Block() for _ in range(BLOCKS)])
        self.norm_out = nn.LayerNorm(DIM)
        self.proj_out = nn.Linear(DIM, PATCH * PATCH)

    def forward(self, x, t):
        b = x.shape[0]
        p = x.unfold(2, PATCH, PATCH).unfold(3, PATCH, PATCH).reshape(b, -1, PATCH * PATCH)
        half = DIM // 2
        freqs = torch.exp(-math.log(1000.0) * torch.arange(half) / half)
        te = self.time(torch.cat([torch.sin(t[:, None] * freqs), torch.cos(t[:, None] * freqs)], 1))[:, None]
        h = self.proj_in(p) + self.pos
        for blk in self.transformer_blocks:
            h = blk(h, te)
        o = self.proj_out(self.norm_out(h))
        g = IMG // PATCH
        return o.view(b, g, g, PATCH, PATCH).permute(0, 1, 3, 2, 4).reshape(b, 1, IMG, IMG)


def schedule():
    betas = torch.linspace(1e-4, 0.02, T)
    return torch.cumprod(1 - betas, 0)


def diffusion_loss(model, x0, abar, gen):
    t = torch.randint(0, T, (x0.shape[0],), generator=gen)
    eps = torch.randn(x0.shape, generator=gen)
    a = abar[t].view(-1, 1, 1, 1)
    xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
    return F.mse_loss(model(xt, t.float()), eps)


def pretrain(path, steps, seed=0):
    torch.manual_seed(seed)
    data = torch.tensor(np.stack([render(f, c) for f in fonts() for c in CHARS]))[:, None]
    model = TinyDiT()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    abar, gen = schedule(), torch.Generator().manual_seed(seed)
    t0 = time.time()
    for step in range(steps):
        idx = torch.randint(0, data.shape[0], (32,), generator=gen)
        loss = diffusion_loss(model, data[idx], abar, gen)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if step % 500 == 0:
            print(f"pretrain step {step} loss {loss.item():.4f} ({time.time() - t0:.0f}s)", flush=True)
    torch.save(model.state_dict(), path)


def attach_lora(model, lora_seed):
    loras = {}
    for bi, blk in enumerate(model.transformer_blocks):
        att = blk.attn1
        for ti, name in enumerate(TARGETS):
            seed = lora_seed + 16 * bi + ti
            if name == "to_out.0":
                lin = LoRALinear(att.to_out[0], RANK, ALPHA, seed); att.to_out[0] = lin
            else:
                lin = LoRALinear(getattr(att, name), RANK, ALPHA, seed); setattr(att, name, lin)
            loras[f"transformer_blocks_{bi}_attn1_{name.replace('.', '_')}"] = (f"transformer_blocks.{bi}.attn1.{name}", lin)
    return loras


def save_safetensors(path, tensors, metadata):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        if t.dtype == torch.bfloat16:  # numpy has no bfloat16: write its raw 16 bits
            b = t.contiguous().view(torch.int16).numpy().tobytes()
        else:
            b = t.contiguous().numpy().tobytes()
        dtype = {torch.float16: "F16", torch.float32: "F32", torch.bfloat16: "BF16"}[t.dtype]
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b); blobs.append(b)
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs:
            f.write(b)


class Recipe:
    """A group's training recipe. fixed: every group the same (the zoo's original setting); mixed: each group
    its own learning rate, step count and LoRA-init seed; epochs: kohya-style, steps = E·n for the group's E."""

    def __init__(self, kind, lr, steps, lora_seed, epochs_per_image=None):
        self.kind, self.lr, self.fixed_steps, self.lora_seed, self.e = kind, lr, steps, lora_seed, epochs_per_image
        # kohya counts an epoch as every image seen n_repeats times; the epoch recipe uses one repeat
        self.repeats = 1 if kind == "epochs" else 10

    def steps(self, n):
        return self.e * n if self.kind == "epochs" else self.fixed_steps

    def epochs(self, n):
        return self.e if self.kind == "epochs" else max(1, math.ceil(self.fixed_steps / (n * self.repeats)))

    @staticmethod
    def for_group(kind, g, args):
        if kind == "fixed":
            return Recipe(kind, args.lr, args.steps, LORA_SEED)
        rng = random.Random(args.recipe_seed * 1000003 + g)
        seed = rng.randrange(1, 10 ** 6)
        if kind == "mixed":
            return Recipe(kind, rng.choice((5e-4, 1e-3, 2e-3)), rng.choice((200, 300, 450)), seed)
        return Recipe(kind, args.lr, None, seed, rng.choice((40, 60, 80)))


def finetune(job):
    base_path, out_path, font_path, group, group_seed, n, recipe, fmt, dtype = job
    steps, lr = recipe.steps(n), recipe.lr
    torch.set_num_threads(1)
    model = TinyDiT()
    model.load_state_dict(torch.load(base_path))
    for p in model.parameters():
        p.requires_grad_(False)
    loras = attach_lora(model, recipe.lora_seed)
    params = [p for _, l in loras.values() for p in (l.down, l.up)]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-2)
    images = group_images(font_path, group_seed)[:n]
    abar, gen = schedule(), torch.Generator().manual_seed(NOISE_SEED)
    pick = random.Random(NOISE_SEED)
    for _ in range(steps):
        x0 = images[pick.randrange(n)][None]
        loss = diffusion_loss(model, x0, abar, gen)
        opt.zero_grad(); loss.backward(); opt.step()
    tensors = {}
    half = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[dtype]
    if fmt == "peft":
        # PEFT's save_pretrained layout: a folder with adapter_model.safetensors and adapter_config.json
        for name, (module, l) in loras.items():
            key = "base_model.model." + module
            tensors[key + ".lora_A.weight"] = l.down.detach().to(half)
            tensors[key + ".lora_B.weight"] = l.up.detach().to(half)
        os.makedirs(os.path.dirname(out_path), exist_ok=True)
        with open(os.path.join(os.path.dirname(out_path), "adapter_config.json"), "w") as f:
            json.dump({"peft_type": "LORA", "r": RANK, "lora_alpha": ALPHA, "target_modules": list(TARGETS),
                       "lora_dropout": 0.0, "bias": "none", "use_rslora": False,
                       "base_model_name_or_path": f"tiny-dit-glyphs-d{DIM}-b{BLOCKS}"}, f, indent=2)
        save_safetensors(out_path, tensors, {"format": "pt"})
        return out_path, loss.item()
    for name, (module, l) in loras.items():
        key = "lora_unet_" + name
        tensors[key + ".alpha"] = torch.tensor(ALPHA, dtype=torch.float16)
        tensors[key + ".lora_down.weight"] = l.down.detach().to(half)
        tensors[key + ".lora_up.weight"] = l.up.detach().to(half)
    repeats = recipe.repeats
    meta = {
        "ss_network_module": "networks.lora", "ss_network_dim": str(RANK), "ss_network_alpha": str(ALPHA),
        "ss_base_model_version": "tiny-dit-glyphs", "ss_max_train_steps": str(steps),
        "ss_num_epochs": str(recipe.epochs(n)),
        "ss_learning_rate": str(lr), "ss_seed": str(NOISE_SEED),
        "ss_num_train_images": str(n * repeats),
        "ss_dataset_dirs": json.dumps({f"{repeats}_{group}": {"n_repeats": repeats, "img_count": n}}),
        "ss_training_comment": f"dsire zoo: group {group}, {n} images",
    }
    save_safetensors(out_path, tensors, meta)
    return out_path, loss.item()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="examples")
    ap.add_argument("--groups", type=int, default=36)
    ap.add_argument("--pretrain-steps", type=int, default=3000)
    ap.add_argument("--steps", type=int, default=FINETUNE_STEPS, help="fine-tuning steps (batch size 1)")
    ap.add_argument("--lr", type=float, default=FINETUNE_LR)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--ranges", default="low,medium")
    ap.add_argument("--name", default="", help="zoo folders are zoo-NAME-RANGE (default: zoo-RANGE)")
    ap.add_argument("--format", choices=("kohya", "peft"), default="kohya",
                    help="kohya: one .safetensors per adapter; peft: a folder per adapter (adapter_model.safetensors + adapter_config.json)")
    ap.add_argument("--dtype", choices=("fp16", "bf16", "fp32"), default="fp16")
    ap.add_argument("--dim", type=int, default=DIM, help="base model width")
    ap.add_argument("--blocks", type=int, default=BLOCKS, help="base model transformer blocks")
    ap.add_argument("--base-seed", type=int, default=0, help="pretraining seed of the base model")
    ap.add_argument("--rank", type=int, default=RANK)
    ap.add_argument("--alpha", type=float, default=ALPHA)
    ap.add_argument("--lora-seed", type=int, default=LORA_SEED, help="seed of the LoRA A initialisation")
    ap.add_argument("--group-seed", type=int, default=GROUP_SEED, help="group g draws its characters with seed GROUP_SEED+g")
    ap.add_argument("--recipe", choices=("fixed", "mixed", "epochs"), default="fixed",
                    help="fixed: one recipe for every group; mixed: each group draws lr in {5e-4,1e-3,2e-3}, steps in "
                         "{200,300,450} and its LoRA-init seed; epochs: steps = E*n with E in {40,60,80} per group")
    ap.add_argument("--recipe-seed", type=int, default=42, help="seed of the per-group recipe draws")
    ap.add_argument("--targets", default=",".join(TARGETS), help="attention projections to adapt")
    ap.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work"),
                    help="where the pretrained base model is kept (not committed)")
    args = ap.parse_args()
    configure(args)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    default_base = (args.dim, args.blocks, args.base_seed, args.pretrain_steps) == (64, 6, 0, 3000)
    base = os.path.join(args.work, "zoo-base.pt" if default_base else
                        f"zoo-base-d{args.dim}-b{args.blocks}-s{args.base_seed}-p{args.pretrain_steps}.pt")
    if not os.path.exists(base):
        pretrain(base, args.pretrain_steps, args.base_seed)
    faces = fonts()
    t0 = time.time()
    for rng_name in args.ranges.split(","):
        d = os.path.join(args.out, f"zoo-{args.name + '-' if args.name else ''}{rng_name}")
        os.makedirs(d, exist_ok=True)
        jobs, rows, recipes = [], [], []
        for g in range(args.groups):
            font = faces[g % len(faces)]
            group = f"g{g:02d}-" + os.path.basename(font)[:-4]
            recipe = Recipe.for_group(args.recipe, g, args)
            for n in RANGES[rng_name]:
                rel = f"{group}-n{n:02d}" + ("/adapter_model.safetensors" if args.format == "peft" else ".safetensors")
                rows.append((rel, group, n))
                recipes.append((rel, group, n, recipe.lr, recipe.steps(n), recipe.epochs(n), recipe.lora_seed))
                if not os.path.exists(os.path.join(d, rel)):
                    jobs.append((base, os.path.join(d, rel), font, group, GROUP_SEED + g, n, recipe,
                                 args.format, args.dtype))
        # longest fine-tunes first, so the pool does not end on one long job
        jobs.sort(key=lambda j: -j[6].steps(j[5]))
        with Pool(args.jobs) as pool:
            for i, (path, loss) in enumerate(pool.imap_unordered(finetune, jobs)):
                if i % 20 == 0:
                    print(f"{rng_name}: {i + 1}/{len(jobs)} {os.path.basename(path)} loss {loss:.4f} "
                          f"({time.time() - t0:.0f}s)", flush=True)
        with open(os.path.join(d, "manifest.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["path", "group", "size"])
            w.writerows(rows)
        with open(os.path.join(d, "recipe.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["path", "group", "size", "lr", "steps", "epochs", "lora_seed"])
            w.writerows(recipes)
    print(f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
