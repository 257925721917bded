#!/usr/bin/env python3
"""The paper's Figure 1 on a GPU: vim4j's Vim-Tiny (vim4j_cuda_bench --forward, "kind": "vim4j_forward") beside a
PyTorch DeiT-Tiny with SDPA attention (deit_torch.py, "kind": "torch_deit"), both from one JSON-lines file that
benchmarks/device/check.sh writes (figure1.jsonl). Renders a markdown table and an SVG chart (no third-party modules):
time per image and peak device memory against the resolution, for batch 1 and 16, fp32 and bf16.

  python3 benchmarks/device/figure1.py FIGURE1.jsonl OUT.svg > section.md

benchmarks/make_results.py includes the section in RESULTS.md when benchmarks/results/figure1_gpu.jsonl exists.
"""
import json
import os
import sys

COLORS = {("vim4j", "fp32"): "#1f77b4", ("vim4j", "bf16"): "#17becf", ("deit", "fp32"): "#d62728",
          ("deit", "bf16"): "#ff9896"}


def load(path):
    rows, meta = [], {}
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if r.get("kind") in ("vim4j_forward", "torch_deit"):
            rows.append(r)
        elif "torch" in r or "device" in r:
            meta.update(r)
    return rows, meta


def index(rows):
    out = {}
    for r in rows:
        who = "vim4j" if r["kind"] == "vim4j_forward" else "deit"
        out[(who, r["precision"], r["batch"], r["resolution"])] = r
    return out


def fmt_ms(r):
    if r is None:
        return "-"
    if r.get("oom"):
        return "OOM"
    if r.get("failed"):
        return "failed"
    if "p50_ms" not in r:
        return "skipped"
    return "%.2f" % r["p50_ms"]


def fmt_mib(r):
    return "%.0f" % r["peak_MiB"] if r is not None and "peak_MiB" in r else "-"


def table(idx):
    res_list = sorted({k[3] for k in idx})
    lines = ["| precision | batch | resolution | tokens | DeiT-Tiny ms | Vim-Tiny ms | Vim speed-up | DeiT MiB | Vim MiB | "
             "Vim memory saving |", "|---|---|---|---|---|---|---|---|---|---|"]
    for prec in ("fp32", "bf16"):
        for batch in (1, 16):
            for res in res_list:
                d, v = idx.get(("deit", prec, batch, res)), idx.get(("vim4j", prec, batch, res))
                if d is None and v is None:
                    continue
                tokens = (d or v).get("tokens", (res // 16) ** 2 + 1)
                speed = saving = "-"
                if d and v and "p50_ms" in d and "p50_ms" in v:
                    speed = "%.2fx" % (d["p50_ms"] / v["p50_ms"])
                if d and d.get("oom") and v and "p50_ms" in v:
                    speed = "DeiT OOM"
                if d and v and "peak_MiB" in d and "peak_MiB" in v:
                    saving = "%.1f%%" % (100.0 * (1.0 - v["peak_MiB"] / d["peak_MiB"]))
                lines.append("| %s | %d | %d | %d | %s | %s | %s | %s | %s | %s |" % (
                    prec, batch, res, tokens, fmt_ms(d), fmt_ms(v), speed, fmt_mib(d), fmt_mib(v), saving))
    return "\n".join(lines)


def svg(idx, path):
    """Two panels (time per image, peak memory) x two rows (batch 1, batch 16), log-scale y, lines per model/precision."""
    import math
    res_list = sorted({k[3] for k in idx}) or [224]
    W, H, ML, MR, MT, MB = 460, 250, 62, 14, 30, 40
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">'
           % (2 * W, 2 * H + 30), '<rect width="100%" height="100%" fill="white"/>']
    legend_x = 10
    for (who, prec), color in COLORS.items():
        label = ("Vim-Tiny (vim4j)" if who == "vim4j" else "DeiT-Tiny (PyTorch SDPA)") + " " + prec
        out.append('<line x1="%d" y1="14" x2="%d" y2="14" stroke="%s" stroke-width="2"/>' % (legend_x, legend_x + 18, color))
        out.append('<text x="%d" y="18">%s</text>' % (legend_x + 22, label))
        legend_x += 210
    for row, batch in enumerate((1, 16)):
        for col, (metric, title) in enumerate((("ms_per_image", "ms per image"), ("peak_MiB", "peak device MiB"))):
            ox, oy = col * W, 30 + row * H
            series, vals = {}, []
            for (who, prec) in COLORS:
                pts = []
                for res in res_list:
                    r = idx.get((who, prec, batch, res))
                    if r is None or "p50_ms" not in r:
                        continue
                    v = r["p50_ms"] / batch if metric == "ms_per_image" else r.get("peak_MiB")
                    if v and v > 0:
                        pts.append((res, v))
                        vals.append(v)
                series[(who, prec)] = pts
            pw, ph = W - ML - MR, H - MT - MB
            out.append('<text x="%d" y="%d" font-weight="bold">%s, batch %d</text>' % (ox + ML, oy + 16, title, batch))
            out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>' % (ox + ML, oy + MT, pw, ph))
            if not vals:
                out.append('<text x="%d" y="%d">no data</text>' % (ox + ML + 10, oy + MT + 20))
                continue
            lo, hi = math.log10(min(vals)) - 0.1, math.log10(max(vals)) + 0.1
            rmin, rmax = min(res_list), max(res_list)

            def X(res):
                return ox + ML + (0.5 if rmax == rmin else (res - rmin) / (rmax - rmin)) * pw

            def Y(v):
                return oy + MT + ph - (math.log10(v) - lo) / (hi - lo) * ph

            for res in res_list:
                out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(res), oy + MT + ph + 14, res))
            out.append('<text x="%d" y="%d" text-anchor="middle">resolution (px)</text>' % (ox + ML + pw / 2, oy + H - 6))
            for e in range(math.floor(lo), math.ceil(hi) + 1):
                for m in (1, 2, 5):
                    v = m * 10 ** e
                    if lo <= math.log10(v) <= hi:
                        y = Y(v)
                        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>' % (ox + ML, y, ox + ML + pw, y))
                        out.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (ox + ML - 4, y + 4, v))
            for key, pts in series.items():
                if len(pts) >= 1:
                    d = " ".join("%s%.1f,%.1f" % ("M" if i == 0 else "L", X(r), Y(v)) for i, (r, v) in enumerate(pts))
                    out.append('<path d="%s" fill="none" stroke="%s" stroke-width="2"/>' % (d, COLORS[key]))
                    for r, v in pts:
                        out.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>' % (X(r), Y(v), COLORS[key]))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def section(jsonl, svg_path, svg_ref=None):
    rows, meta = load(jsonl)
    idx = index(rows)
    svg(idx, svg_path)
    w = ["## Figure 1 on a GPU (Vim-Tiny in vim4j vs DeiT-Tiny in PyTorch)", ""]
    dev = meta.get("device", "?")
    w.append("Measured by `benchmarks/device/check.sh` on %s (torch %s): vim4j's whole Vim-Tiny forward through the "
             "CUDA library (`vim4j_cuda_bench --forward`, captured in a CUDA graph, 5 launches per layer) and a "
             "DeiT-Tiny written in `benchmarks/device/deit_torch.py` (attention: %s), random weights, "
             "fp32 with TF32 off, and bf16. Time is the median forward (device time, events); memory is the peak of "
             "the allocator (weights + activations) for each." % (dev, meta.get("torch", "?"), "`scaled_dot_product_attention`" if meta.get("attention", "sdpa") == "sdpa" else "the full score matrix (torch < 2.0)"))
    w.append("")
    w.append("![Figure 1 on a GPU](%s)" % (svg_ref or os.path.basename(svg_path)))
    w.append("")
    w.append(table(idx))
    w.append("")
    return "\n".join(w)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    print(section(sys.argv[1], sys.argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
