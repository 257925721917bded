#!/usr/bin/env python3
"""The measurement behind native/README.md's "own GEMMs vs cuBLASLt" decision: cuBLAS/cuBLASLt (as shipped inside
PyTorch on the GPU machine; vim4j's build machines have no cuBLAS) timed on Vim-Tiny's projection shapes, to be set
beside vim4j_cuda_bench's kernel lines (same shapes, "kernel=in_proj ... TFLOPs="). One JSON line per shape and
precision ("kind": "cublas_gemm"): fp32 (TF32 off), tf32, bf16 (bf16 weights and activations, fp32 accumulation).

  python3 benchmarks/device/cublas_gemm.py
"""
import json
import sys

SHAPES = [  # (name, rows, in, out): in_proj, x_proj, out_proj of Vim-Tiny at batch 1, batch 256, 1248 x 1248
    ("in_proj", 197, 192, 768), ("x_proj", 197, 384, 44), ("out_proj", 197, 384, 192),
    ("in_proj", 256 * 197, 192, 768), ("x_proj", 256 * 197, 384, 44), ("out_proj", 256 * 197, 384, 192),
    ("in_proj", 6085, 192, 768), ("x_proj", 6085, 384, 44), ("out_proj", 6085, 384, 192),
]


def main():
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"skipped": "no torch: %s" % e}))
        return 0
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "torch %s without a usable CUDA device" % torch.__version__}))
        return 0
    F = torch.nn.functional
    for precision in ("fp32", "tf32", "bf16"):
        torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        for name, m, k, n in SHAPES:
            a = torch.randn(m, k, device="cuda", dtype=dtype)
            w = torch.randn(n, k, device="cuda", dtype=dtype)
            for _ in range(5):
                F.linear(a, w)
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            times = []
            for _ in range(20):
                s.record()
                F.linear(a, w)
                e.record()
                e.synchronize()
                times.append(s.elapsed_time(e))
            times.sort()
            ms = times[len(times) // 2]
            print(json.dumps({"kind": "cublas_gemm", "gemm": name, "m": m, "k": k, "n": n, "precision": precision,
                              "ms": round(ms, 5), "TFLOPs": round(2.0 * m * k * n / (ms * 1e-3) / 1e12, 2)}))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
