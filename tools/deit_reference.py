#!/usr/bin/env python3
"""PyTorch DeiT (ViT, cls token at index 0) written from the paper's description: the peer vim4j's DeiT baseline is checked and timed against.

Written for this project from the architecture as published (Touvron et al. 2021, "Training data-efficient image
transformers"; ViT, Dosovitskiy et al. 2021): patch embedding (Conv2d p x p, stride p), a cls token prepended at
index 0, a learned absolute position embedding, `depth` pre-norm blocks
    x = x + proj(softmax(q k^T / sqrt(d_head)) v)     (q, k, v from one qkv Linear of LayerNorm(x), per head)
    x = x + fc2(GELU(fc1(LayerNorm(x))))             (exact erf GELU, LayerNorm eps 1e-6)
then LayerNorm, the cls token, and a Linear head. Attention is computed the way the paper's DeiT computed it: the full
(B, heads, L, L) score matrix, then softmax, then a matmul with v.

Subcommands
  golden OUT.safetensors   a tiny config with random weights, an input batch and the reference logits (test fixture)
  bench                    time DeiT-Tiny/Small (random weights) at a resolution; prints one JSON line
Run it with Debian's python3 (python3-torch 1.13). For a fair CPU baseline set OPENBLAS_CORETYPE=SkylakeX and
OPENBLAS_NUM_THREADS (see tools/compare_latency.sh).
"""

import argparse
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_file import write_safetensors  # noqa: E402

EPS = 1e-6


class Deit(torch.nn.Module):
    def __init__(self, img_size=224, patch=16, channels=3, dim=192, depth=12, heads=3, mlp_ratio=4, num_classes=1000):
        super().__init__()
        self.patch, self.dim, self.depth, self.heads = patch, dim, depth, heads
        grid = img_size // patch
        self.cls_token = torch.nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = torch.nn.Parameter(torch.zeros(1, grid * grid + 1, dim))
        self.patch_w = torch.nn.Parameter(torch.zeros(dim, channels, patch, patch))
        self.patch_b = torch.nn.Parameter(torch.zeros(dim))
        hidden = dim * mlp_ratio
        self.blocks = torch.nn.ModuleList()
        for _ in range(depth):
            b = torch.nn.Module()
            b.norm1 = torch.nn.LayerNorm(dim, eps=EPS)
            b.qkv = torch.nn.Linear(dim, 3 * dim)
            b.proj = torch.nn.Linear(dim, dim)
            b.norm2 = torch.nn.LayerNorm(dim, eps=EPS)
            b.fc1 = torch.nn.Linear(dim, hidden)
            b.fc2 = torch.nn.Linear(hidden, dim)
            self.blocks.append(b)
        self.norm = torch.nn.LayerNorm(dim, eps=EPS)
        self.head = torch.nn.Linear(dim, num_classes)

    def named_state(self):
        """The tensors under the names vim4j's DeitWeights reads (timm's naming)."""
        sd = {"cls_token": self.cls_token, "pos_embed": self.pos_embed,
              "patch_embed.proj.weight": self.patch_w, "patch_embed.proj.bias": self.patch_b}
        for i, b in enumerate(self.blocks):
            p = "blocks.%d." % i
            sd.update({p + "norm1.weight": b.norm1.weight, p + "norm1.bias": b.norm1.bias,
                       p + "attn.qkv.weight": b.qkv.weight, p + "attn.qkv.bias": b.qkv.bias,
                       p + "attn.proj.weight": b.proj.weight, p + "attn.proj.bias": b.proj.bias,
                       p + "norm2.weight": b.norm2.weight, p + "norm2.bias": b.norm2.bias,
                       p + "mlp.fc1.weight": b.fc1.weight, p + "mlp.fc1.bias": b.fc1.bias,
                       p + "mlp.fc2.weight": b.fc2.weight, p + "mlp.fc2.bias": b.fc2.bias})
        sd.update({"norm.weight": self.norm.weight, "norm.bias": self.norm.bias,
                   "head.weight": self.head.weight, "head.bias": self.head.bias})
        return sd

    def attention(self, b, x):
        bt, n, d = x.shape
        hd = d // self.heads
        qkv = b.qkv(x).reshape(bt, n, 3, self.heads, hd).permute(2, 0, 3, 1, 4)  # (3, B, H, L, hd)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))              # (B, H, L, L): the full matrix
        out = scores.softmax(dim=-1) @ v                                          # (B, H, L, hd)
        return b.proj(out.transpose(1, 2).reshape(bt, n, d))

    def forward(self, images):
        x = F.conv2d(images, self.patch_w, self.patch_b, stride=self.patch)       # (B, D, g, g)
        x = x.flatten(2).transpose(1, 2)                                          # (B, M, D), row-major patches
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for b in self.blocks:
            x = x + self.attention(b, b.norm1(x))
            x = x + b.fc2(F.gelu(b.fc1(b.norm2(x))))
        return self.head(self.norm(x)[:, 0])


def randomize(model, seed):
    """Deterministic random weights: linear std 0.02, LayerNorm weight ~1, small biases (timing and tests only)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_state().items():
            r = torch.randn(p.shape, generator=g)
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
                p.copy_(1.0 + 0.1 * r)
            elif name.endswith("bias"):
                p.copy_(0.05 * r)
            elif name in ("pos_embed", "cls_token"):
                p.copy_(0.5 * r)
            else:
                p.copy_((1.0 / math.sqrt(p[0].numel())) * r)  # unit-variance activations through each Linear
    return model


def preset(name, img):
    if name == "tiny":
        return Deit(img_size=img, dim=192, heads=3)
    if name == "small":
        return Deit(img_size=img, dim=384, heads=6)
    raise SystemExit("unknown model %r (tiny|small)" % name)


def cmd_golden(args):
    torch.manual_seed(0)
    # Small on purpose: 5x5 patches + cls = 26 tokens (several 16-key blocks, a ragged last one), 1 channel, 2 heads of
    # 16, 2 blocks; batch 2 so per-image offsets are tested.
    m = randomize(Deit(img_size=80, patch=16, channels=1, dim=32, depth=2, heads=2, num_classes=10), seed=3).eval()
    x = torch.randn(2, 1, 80, 80, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        logits = m(x)
    sd = {k: v.detach().clone() for k, v in m.named_state().items()}
    sd["input"] = x
    sd["logits"] = logits
    write_safetensors(args.out, sd, {"img_size": 80, "patch": 16, "channels": 1, "dim": 32, "depth": 2, "heads": 2,
                                     "num_classes": 10, "torch": torch.__version__})
    print("wrote %s: logits %s" % (args.out, logits.flatten()[:4].tolist()))


def cmd_bench(args):
    torch.set_num_threads(args.threads)
    m = randomize(preset(args.model, args.resolution), seed=0).eval()
    x = torch.randn(args.batch, 3, args.resolution, args.resolution, generator=torch.Generator().manual_seed(1))
    times = []
    with torch.no_grad():
        for _ in range(args.warmup):
            m(x)
        for _ in range(args.iters):
            t0 = time.perf_counter()
            m(x)
            times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()

    def pct(p):  # nearest-rank percentile
        return times[min(len(times) - 1, max(0, math.ceil(p / 100.0 * len(times)) - 1))]

    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("deit-%s %dx%d batch %d, threads %d, %d iters: p50 %.1f ms" % (args.model, args.resolution, args.resolution,
                                                                        args.batch, args.threads, args.iters, pct(50)))
    print(json.dumps({"impl": "pytorch-deit", "model": "deit-" + args.model, "resolution": args.resolution,
                      "batch": args.batch, "threads": args.threads, "p50_ms": round(pct(50), 3),
                      "p99_ms": round(pct(99), 3), "peak_rss_bytes": rss_kib * 1024}))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("golden", help="write the small DeiT test fixture")
    g.add_argument("out")
    g.set_defaults(fn=cmd_golden)
    b = sub.add_parser("bench", help="time DeiT (random weights)")
    b.add_argument("--model", default="tiny")
    b.add_argument("--resolution", type=int, default=224)
    b.add_argument("--batch", type=int, default=1)
    b.add_argument("--threads", type=int, default=1)
    b.add_argument("--warmup", type=int, default=3)
    b.add_argument("--iters", type=int, default=20)
    b.set_defaults(fn=cmd_bench)
    args = ap.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main(sys.argv[1:])
