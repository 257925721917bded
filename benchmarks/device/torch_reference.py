#!/usr/bin/env python3
"""Times tools/vim_reference.py (our readable PyTorch Vim, a Python loop over tokens in the scan) on the GPU, for
the same shapes as DeviceBench: one JSON object per line. Run by benchmarks/device/check.sh; needs torch with CUDA.

  python3 benchmarks/device/torch_reference.py [--quick]
"""
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))


def main():
    quick = "--quick" in sys.argv
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure is a skip with its reason
        print(json.dumps({"skipped": "no torch: %s" % e}))
        return 0
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "torch %s without a usable CUDA device" % torch.__version__}))
        return 0
    import vim_reference as vr
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32, like vim4j's default precision
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    print(json.dumps({"torch": torch.__version__, "device": torch.cuda.get_device_name(0)}))
    configs = [("tiny", 224, 1, 10), ("tiny", 224, 64, 3)]
    if not quick:
        configs += [("tiny", 512, 1, 3)]
    for name, res, batch, iters in configs:
        torch.cuda.reset_peak_memory_stats()
        m = vr.init_random_weights(vr.VimReference(img_size=224, patch=16, stride=16, embed_dim=192, depth=24,
                                                   d_state=16, num_classes=1000), seed=0).eval().to(dev)
        x = torch.randn(batch, 3, res, res, generator=torch.Generator().manual_seed(1)).to(dev)
        with torch.no_grad():
            for _ in range(2):
                m(x)
            torch.cuda.synchronize()
            times = []
            for _ in range(iters):
                t0 = time.perf_counter()
                m(x)
                torch.cuda.synchronize()
                times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p50 = times[len(times) // 2]
        print(json.dumps({"kind": "torch_reference", "model": name, "resolution": res, "batch": batch,
                          "p50_ms": round(p50, 3), "images_per_s": round(batch * 1000 / p50, 1),
                          "peak_MiB": round(torch.cuda.max_memory_allocated() / 1048576, 1)}))
        sys.stdout.flush()
        del m, x
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
