#!/usr/bin/env python3
"""ESTIMATES (not measurements) of vim4j's CUDA kernels on an H200, for native/README.md.

A roofline-plus-latency model of the kernels as they are written (launch shapes, tiles, chunks), with the H200's
data-sheet figures and stated efficiency assumptions. Every kernel costs
    max(compute / (peak * efficiency), bytes / (HBM * efficiency), latency chain) + graph node gap.
The numbers are what the design aims at, to be replaced by benchmarks/device/check.sh's measurements.

  python3 tools/cuda_estimate.py            # markdown tables
"""
import math

# ---- H200 SXM (data sheet) ----
SMS, CLOCK = 132, 1.98e9
HBM = 4.8e12
PEAK = {"fp32": 67e12, "tf32": 495e12, "bf16": 990e12}  # dense
MUFU = SMS * 16 * CLOCK                                    # ex2 per second (16 per SM per clock)
LANES = SMS * 128 * CLOCK                                  # fp32 lane-instructions per second

# ---- assumptions (stated in the README) ----
# Of the dense peak, large tiles. Calibrated below what cuBLAS (wgmma, inside PyTorch) measured on the H200 for
# Vim-Tiny's batch-256 in_proj (benchmarks/results/gpu_pytorch_h200.jsonl): FP32 40.4 TFLOP/s (60 %), TF32 158.6
# (32 %), BF16 257 (26 %; K = 192 is short, so prologue and epilogue weigh). Ours: FFMA SIMT / mma.sync.
EFF_GEMM = {"fp32": 0.50, "tf32": 0.25, "bf16": 0.20}
EFF_HBM = 0.80
GAP_US = 1.0            # a dependent kernel node in a CUDA graph (launch + ramp)
KTILE_CYCLES = {"fp32": 260, "tf32": 140, "bf16": 140}  # one k-tile of a block when latency-bound
PROLOGUE_CYCLES = 1500  # first loads of a kernel (L2/HBM latency) and the epilogue
SCAN_INSTR = {"chunk": 16.0, "seq": 11.0}  # instructions per state update: ex2, dt*A, dt*B*u, h, y (+ fold for chunk) + per-step work / N
SCAN_GROUP_CYCLES = 450  # one state group of a chunk: fold, 3 shuffle steps, barrier, cross-warp, second pass


def us(seconds):
    return seconds * 1e6


def gemm(m, n, k, prec, conv=False, wbytes=4):
    """c = a * w^T; returns (microseconds, note)."""
    flops = 2.0 * m * n * k
    if conv:
        shape, bm, bn, kt = "32x48 conv", 32, 48, 16 if prec != "bf16" else 32
    elif n <= 96:
        shape, bm, bn, kt = "32x48", 32, 48, 16 if prec != "bf16" else 32
    elif math.ceil(m / 128) * math.ceil(n / 128) >= 264:
        shape, bm, bn, kt = "128x128", 128, 128, 16 if prec != "bf16" else 32
    elif math.ceil(m / 64) * math.ceil(n / 64) >= 132:
        shape, bm, bn, kt = "64x64", 64, 64, 16 if prec != "bf16" else 32
    else:
        shape, bm, bn, kt = "32x64", 32, 64, 16 if prec != "bf16" else 32
    if prec == "fp32":
        kt = 16
    blocks = math.ceil(m / bm) * (1 if conv else math.ceil(n / bn))
    tiles = blocks * (2 if conv else 1)
    eff = EFF_GEMM[prec] * (1.0 if shape == "128x128" else 0.6)
    # wave quantisation: blocks per SM as the registers / shared memory allow (FP32 128x128: 195 registers -> 1)
    per_sm = 1 if (prec == "fp32" and shape == "128x128") else 2 if shape == "128x128" else 4
    slots = SMS * per_sm
    # (fewer blocks than slots: the latency term below models them)
    quant = math.ceil(tiles / slots) * slots / tiles if tiles > slots else 1.0
    t_compute = flops / (PEAK[prec] * eff) * quant
    abytes = m * k * 4 * (1 if conv else math.ceil(n / bn) if shape != "128x128" else 1)
    bytes_ = abytes + n * k * wbytes * max(1, tiles // SMS) + m * n * 4
    if conv:
        bytes_ += m * k * 4 * 2 * 2  # x read (both directions), xc written, y zeroed
    t_mem = bytes_ / (HBM * EFF_HBM)
    waves = math.ceil(tiles / (SMS * 2))
    t_lat = waves * (PROLOGUE_CYCLES + math.ceil(k / kt) * KTILE_CYCLES[prec] * (math.ceil(n / bn) if conv else 1)) / CLOCK
    if conv:  # phase 1: the block's conv rows, 128-256 threads
        t_lat += waves * (bm * k / 128 * 40 / 4) / CLOCK
    t = max(t_compute, t_mem, t_lat)
    bound = "compute" if t == t_compute else "memory" if t == t_mem else "latency"
    return us(t) + GAP_US, f"{shape}, {tiles} blocks, {bound}"


def scan(batch, length, e, n, dirs=2):
    seqs = batch * dirs * e
    updates = seqs * length * n
    if seqs < 48 * 1024 and n <= 64:
        kind = "chunk"
        cb, minb = 4, 2  # channels per block; blocks per SM the registers allow (234 registers)
        for c in (32, 16, 8):
            if math.ceil(e / c) * batch * dirs * 128 >= 96 * 1024:
                cb, minb = c, 3
                break
        if cb == 4 and length > 256 and math.ceil(e / 2) * batch * dirs <= 3 * SMS:
            cb, minb = 2, 3  # 168 registers
        chunk = 128 // cb * 8
        kg = 4 if cb in (4, 8) else 2
        t_lat = (2000 + math.ceil(length / chunk) * math.ceil(n / kg) * SCAN_GROUP_CYCLES) / CLOCK
        blocks = math.ceil(e / cb) * batch * dirs
        warps_per_scheduler = min(blocks / SMS, minb)  # 4 warps a block, 4 schedulers an SM
        note = f"sequence-parallel, {cb} ch/block, {blocks} blocks, {math.ceil(length / chunk)} chunk(s)"
    else:
        kind = "seq"
        t_lat = (2000 + length * 60) / CLOCK
        note = "sequential, 1 lane/channel"
    # issue efficiency: 0.8 with 2+ warps per scheduler; with fewer, the dependent chains leave slots empty
    issue = 0.8 if kind == "seq" else min(0.8, 0.35 * max(1.0, warps_per_scheduler))
    t_alu = updates * SCAN_INSTR[kind] / (LANES * issue)
    t_mufu = updates / MUFU
    rows = batch * length
    t_mem = rows * (e * 4 * (2 * dirs + 2) + dirs * 44 * 4) / (HBM * EFF_HBM)  # u, z per dir; y atomics; x_dbl
    t = max(t_lat, t_alu, t_mufu, t_mem)
    bound = "latency" if t == t_lat else "issue" if t == t_alu else "exp (MUFU)" if t == t_mufu else "memory"
    return us(t) + GAP_US, f"{note}, {bound}"


def norm(rows, d):
    t = max(rows * d * 4 * 4 / (HBM * EFF_HBM), (PROLOGUE_CYCLES + 600) / CLOCK)
    return us(t) + GAP_US, "memory" if rows * d * 16 / (HBM * EFF_HBM) > (PROLOGUE_CYCLES + 600) / CLOCK else "latency"


def layer(batch, length, d, prec):
    e, n, r = 2 * d, 16, math.ceil(d / 16)
    rows = batch * length
    wb = 2 if prec == "bf16" else 4
    k = {
        "in_proj": gemm(rows, 2 * e, d, prec, wbytes=wb),
        "conv+x_proj (2 dirs)": gemm(rows, r + 2 * n, e, prec, conv=True, wbytes=wb),
        "scan (2 dirs)": scan(batch, length, e, n),
        "out_proj": gemm(rows, d, e, prec, wbytes=wb),
        "add+RMSNorm": norm(rows, d),
    }
    return k


def forward(batch, res, prec, d=192, depth=24):
    length = (res // 16) ** 2 + 1
    per = layer(batch, length, d, prec)
    t_layer = sum(v[0] for v in per.values())
    patches = batch * (length - 1)
    embed = gemm(patches, d, 768, prec, wbytes=2 if prec == "bf16" else 4)[0] + 2 * GAP_US  # im2col, assembly
    head = gemm(batch, 1000, d, prec)[0] + norm(batch * length, d)[0]
    return depth * t_layer + embed + head, per, length


def main():
    print("ESTIMATES for an H200 (model in tools/cuda_estimate.py; not measurements)\n")
    for batch, res, prec in [(1, 224, "fp32"), (1, 224, "bf16"), (256, 224, "fp32"), (256, 224, "bf16"),
                             (1, 1248, "fp32"), (1, 1248, "bf16")]:
        total, per, length = forward(batch, res, prec)
        print(f"Vim-Tiny {res}x{res} (L = {length}) batch {batch} {prec}: forward {total / 1000:.2f} ms"
              + (f" = {batch / total * 1e6:,.0f} img/s" if batch > 1 else ""))
        print("| kernel (per layer) | estimate (us) | shape / bound |")
        print("|---|---|---|")
        for name, (t, note) in per.items():
            print(f"| {name} | {t:.1f} | {note} |")
        print()


if __name__ == "__main__":
    main()
