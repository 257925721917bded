#!/usr/bin/env python3
"""The paper's Figure 1 baseline on the GPU: a DeiT-Tiny written here (random weights; timings and memory do not
depend on them) with PyTorch's scaled_dot_product_attention, timed with torch as installed on the GPU machine at the
points vim4j's Vim-Tiny is measured (vim4j_cuda_bench --forward): resolutions 224, 512, 736, 1024, 1248 (736 is the
46 x 46 patch grid of the paper's 738), batch 1 and 16, fp32 (TF32 off, like vim4j's fp32) and bf16. One JSON object
per line on stdout ("kind": "torch_deit"); an out-of-memory point is reported as such, not as a failure.

  python3 benchmarks/device/deit_torch.py [--quick] [--budget SECONDS]

Model (Touvron et al. 2021, DeiT-Tiny: ViT with patch 16, width 192, depth 12, 3 heads, MLP 768): Conv2d patch
embedding, a class token at index 0, a learned position embedding sized for the resolution (no interpolation
needed with random weights), pre-norm blocks x + proj(SDPA(qkv(LN(x)))) and x + fc2(GELU(fc1(LN(x)))), LayerNorm,
the class token, a Linear head. Peak memory is torch.cuda.max_memory_allocated over model creation and inference
(weights + activations), the counterpart of vim4j's allocator peak.
"""
import json
import sys
import time

RESOLUTIONS = (224, 512, 736, 1024, 1248)
BATCHES = (1, 16)
PRECISIONS = ("fp32", "bf16")


def build(torch, res, dim=192, depth=12, heads=3, mlp=4, classes=1000, patch=16):
    nn, F = torch.nn, torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(dim, eps=1e-6)
            self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)
            self.ln2 = nn.LayerNorm(dim, eps=1e-6)
            self.fc1 = nn.Linear(dim, mlp * dim)
            self.fc2 = nn.Linear(mlp * dim, dim)

        def forward(self, x):
            b, n, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).reshape(b, n, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
            if hasattr(F, "scaled_dot_product_attention"):
                a = F.scaled_dot_product_attention(q, k, v)
            else:  # torch < 2.0: the full score matrix (reported as "attention": "math")
                a = ((q @ k.transpose(-2, -1)) * (dim // heads) ** -0.5).softmax(dim=-1) @ v
            x = x + self.proj(a.transpose(1, 2).reshape(b, n, dim))
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    class DeiT(nn.Module):
        def __init__(self):
            super().__init__()
            grid = res // patch
            self.embed = nn.Conv2d(3, dim, patch, patch)
            self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
            self.pos = nn.Parameter(torch.randn(1, grid * grid + 1, dim) * 0.02)
            self.blocks = nn.ModuleList(Block() for _ in range(depth))
            self.norm = nn.LayerNorm(dim, eps=1e-6)
            self.head = nn.Linear(dim, classes)

        def forward(self, images):
            x = self.embed(images).flatten(2).transpose(1, 2)
            x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
            for blk in self.blocks:
                x = blk(x)
            return self.head(self.norm(x)[:, 0])

    return DeiT()


def measure(torch, res, batch, precision, max_iters=20, max_seconds=2.0):
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    torch.manual_seed(0)
    model = build(torch, res).to(device="cuda", dtype=dtype).eval()
    x = torch.randn(batch, 3, res, res, device="cuda", dtype=dtype)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    with torch.inference_mode():
        for _ in range(3):
            model(x)
        torch.cuda.synchronize()
        t_end = time.perf_counter() + max_seconds
        while len(times) < max_iters and (len(times) < 3 or time.perf_counter() < t_end):
            start.record()
            model(x)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    times.sort()
    peak = torch.cuda.max_memory_allocated()
    del model, x
    return times[len(times) // 2], times[0], peak


def main():
    quick = "--quick" in sys.argv
    budget = float(sys.argv[sys.argv.index("--budget") + 1]) if "--budget" in sys.argv else 120.0
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure is a skip with its reason
        print(json.dumps({"skipped": "no torch: %s" % e}))
        return 0
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "torch %s without a usable CUDA device" % torch.__version__}))
        return 0
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32, like vim4j's fp32
    torch.backends.cudnn.allow_tf32 = False
    sdpa = hasattr(torch.nn.functional, "scaled_dot_product_attention")
    info = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "attention": "sdpa" if sdpa else "math"}
    if sdpa:
        info["sdpa_backends"] = {"flash": torch.backends.cuda.flash_sdp_enabled(),
                                 "mem_efficient": torch.backends.cuda.mem_efficient_sdp_enabled(),
                                 "math": torch.backends.cuda.math_sdp_enabled()}
    print(json.dumps(info))
    t0 = time.perf_counter()
    resolutions = (224, 1248) if quick else RESOLUTIONS
    for precision in PRECISIONS:
        for batch in BATCHES:
            for res in resolutions:
                if time.perf_counter() - t0 > budget:
                    print(json.dumps({"kind": "torch_deit", "resolution": res, "batch": batch, "precision": precision,
                                      "skipped": "budget of %.0f s spent" % budget}))
                    continue
                tokens = (res // 16) ** 2 + 1
                row = {"kind": "torch_deit", "model": "deit-tiny", "resolution": res, "batch": batch,
                       "tokens": tokens, "precision": precision}
                try:
                    p50, best, peak = measure(torch, res, batch, precision)
                    row.update({"p50_ms": round(p50, 4), "min_ms": round(best, 4),
                                "images_per_s": round(batch * 1000.0 / p50, 1), "peak_MiB": round(peak / 1048576, 1)})
                except torch.cuda.OutOfMemoryError:
                    row["oom"] = True
                    torch.cuda.empty_cache()
                print(json.dumps(row))
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
