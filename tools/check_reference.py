#!/usr/bin/python3
"""Sanity checks of tools/vim_reference.py and of the golden fixtures.

Run from the repository root after tools/make_golden.py:
    /usr/bin/python3 tools/check_reference.py

 (i)   vectorised selective scan vs an explicit per-element float64 loop
 (ii)  flip semantics: the backward branch equals an anti-causal conv + reverse-time scan in
       original order; and a mixer whose *_b params equal the forward ones is flip-equivariant
 (ii') a from-scratch float64 numpy forward (loops for patch embed, conv, scan) of every golden
       case vs its logits.npy / intermediates
 (iii) logits std / max|.| of each case
 (iv)  parameter counts of Vim-Tiny (stride 16 and 8)
 plus: the scan's C.h term is comparable to the D.u skip; checkpoint containers load back.
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_file import read_safetensors  # noqa: E402
from vim_reference import (VimReference, selective_scan, vim_tiny, init_random_weights,  # noqa: E402
                           interpolate_pos_embed)

GOLDEN = os.path.join("java", "src", "test", "resources", "golden")


# ---------------------------------------------------------------- naive float64 building blocks

def sp(v):
    return v if v > 20.0 else math.log1p(math.exp(v))


def sig(v):
    return 1.0 / (1.0 + math.exp(-v))


def naive_scan(u, delta_raw, A, Bm, Cm, Dv, z, delta_bias, reverse=False):
    """Per element, float64. u, delta_raw, z: (B,E,L); A (E,N); Bm, Cm (B,N,L). reverse=True
    runs the recurrence from t=L-1 down to 0 (what the backward branch is in original order)."""
    Bsz, E, L = u.shape
    N = A.shape[1]
    out = np.zeros((Bsz, E, L))
    order = range(L - 1, -1, -1) if reverse else range(L)
    for b in range(Bsz):
        for e in range(E):
            h = [0.0] * N
            for t in order:
                dt = sp(float(delta_raw[b, e, t]) + float(delta_bias[e]))
                y = 0.0
                for n in range(N):
                    h[n] = math.exp(dt * float(A[e, n])) * h[n] + dt * float(Bm[b, n, t]) * float(u[b, e, t])
                    y += float(Cm[b, n, t]) * h[n]
                y += float(Dv[e]) * float(u[b, e, t])
                zz = float(z[b, e, t])
                out[b, e, t] = y * zz * sig(zz)
    return out


def naive_conv(x, w, bias, reverse=False):
    """Depthwise conv + SiLU per element. Causal: taps x[t-(K-1)+k]; reverse (anti-causal, the
    backward branch seen in original order): taps x[t+(K-1)-k]."""
    Bsz, E, L = x.shape
    K = w.shape[-1]
    out = np.zeros((Bsz, E, L))
    for b in range(Bsz):
        for e in range(E):
            for t in range(L):
                acc = float(bias[e])
                for k in range(K):
                    s = t + (K - 1) - k if reverse else t - (K - 1) + k
                    if 0 <= s < L:
                        acc += float(w[e, 0, k]) * float(x[b, e, s])
                out[b, e, t] = acc * sig(acc)
    return out


def naive_rms(x, w, eps=1e-5):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def naive_forward(sd, cfg, x):
    """Whole Vim forward in float64 numpy, written independently of vim_reference.py."""
    sd = {k: v.double().numpy() for k, v in sd.items()}
    Bsz, C, H, W = x.shape
    P, S, Dm = cfg["patch"], cfg["stride"], cfg["embed_dim"]
    N, R, E = cfg["d_state"], cfg["dt_rank"], cfg["expand"] * cfg["embed_dim"]
    gh, gw = (H - P) // S + 1, (W - P) // S + 1
    M = gh * gw
    Wp = sd["patch_embed.proj.weight"].reshape(Dm, -1)
    tok = np.zeros((Bsz, M, Dm))
    for b in range(Bsz):
        for i in range(gh):
            for j in range(gw):
                tok[b, i * gw + j] = Wp @ x[b, :, i * S:i * S + P, j * S:j * S + P].reshape(-1) \
                    + sd["patch_embed.proj.bias"]
    c = M // 2
    seq = np.concatenate([tok[:, :c], np.broadcast_to(sd["cls_token"], (Bsz, 1, Dm)), tok[:, c:]], 1)
    g0 = (cfg["img_size"] - P) // S + 1
    pe = sd["pos_embed"]
    if (gh, gw) != (g0, g0):  # bicubic resize is checked separately; reuse torch's here
        pe = interpolate_pos_embed(torch.from_numpy(pe), (g0, g0), (gh, gw)).numpy()
    res = seq + pe
    inter = {"embed": res.copy()}
    for i in range(cfg["depth"]):
        p = "layers.%d.mixer." % i
        h = naive_rms(res, sd["layers.%d.norm.weight" % i])
        xz = h @ sd[p + "in_proj.weight"].T                       # (B, L, 2E)
        xs, zs = xz[..., :E].transpose(0, 2, 1), xz[..., E:].transpose(0, 2, 1)
        ys = []
        for suf, Alog, Dn, rev in (("", "A_log", "D", False), ("_b", "A_b_log", "D_b", True)):
            xc = naive_conv(xs, sd[p + "conv1d%s.weight" % suf], sd[p + "conv1d%s.bias" % suf], rev)
            dbl = xc.transpose(0, 2, 1) @ sd[p + "x_proj%s.weight" % suf].T
            draw = (dbl[..., :R] @ sd[p + "dt_proj%s.weight" % suf].T).transpose(0, 2, 1)
            Bm, Cm = dbl[..., R:R + N].transpose(0, 2, 1), dbl[..., R + N:].transpose(0, 2, 1)
            y = naive_scan(xc, draw, -np.exp(sd[p + Alog]), Bm, Cm, sd[p + Dn], zs,
                           sd[p + "dt_proj%s.bias" % suf], rev)
            tag = "b" if rev else "f"
            inter["l%d_conv_%s" % (i, tag)] = xc.transpose(0, 2, 1)
            inter["l%d_scan_%s" % (i, tag)] = y.transpose(0, 2, 1)
            ys.append(y)
        mix = ((ys[0] + ys[1]) / 2).transpose(0, 2, 1) @ sd[p + "out_proj.weight"].T
        res = res + mix
        inter["l%d_mixer" % i] = mix
        inter["l%d_residual" % i] = res.copy()
    Fn = naive_rms(res, sd["norm_f.weight"])
    inter["tokens"] = Fn
    inter["cls"] = Fn[:, c]
    inter["logits"] = Fn[:, c] @ sd["head.weight"].T + sd["head.bias"]
    return inter



# ---------------------------------------------------------------- checks

def check_scan():
    g = torch.Generator().manual_seed(7)
    Bsz, E, N, L = 2, 6, 5, 13
    u = torch.randn(Bsz, E, L, generator=g, dtype=torch.float64)
    draw = torch.randn(Bsz, E, L, generator=g, dtype=torch.float64) * 2
    draw[0, 0, 3] = 25.0                      # exercises the softplus threshold branch
    A = -torch.exp(torch.randn(E, N, generator=g, dtype=torch.float64))
    Bm = torch.randn(Bsz, N, L, generator=g, dtype=torch.float64)
    Cm = torch.randn(Bsz, N, L, generator=g, dtype=torch.float64)
    Dv = torch.randn(E, generator=g, dtype=torch.float64)
    z = torch.randn(Bsz, E, L, generator=g, dtype=torch.float64)
    db = torch.randn(E, generator=g, dtype=torch.float64) - 2
    ref = naive_scan(u.numpy(), draw.numpy(), A.numpy(), Bm.numpy(), Cm.numpy(), Dv.numpy(), z.numpy(), db.numpy())
    y64 = selective_scan(u, draw, A, Bm, Cm, Dv, z, db).numpy()
    y32 = selective_scan(*(t.float() for t in (u, draw, A, Bm, Cm, Dv, z, db))).double().numpy()
    print("(i)   scan vs per-element float64 loop: max|diff| float64 %.2e, float32 %.2e (max|y| %.2f)"
          % (np.abs(y64 - ref).max(), np.abs(y32 - ref).max(), np.abs(ref).max()))
    assert np.abs(y64 - ref).max() < 1e-12 and np.abs(y32 - ref).max() < 1e-4


def check_flip():
    torch.manual_seed(0)
    m = VimReference(img_size=16, patch=4, stride=4, embed_dim=16, depth=1, d_state=8, num_classes=3)
    init_random_weights(m, 11)
    m = m.double().eval()
    mix = m.layers[0].mixer
    h = torch.randn(2, 9, 16, dtype=torch.float64)
    cap = {}
    with torch.no_grad():
        mix(h, cap, "")
        E = mix.d_inner
        xz = (h @ mix.in_proj.weight.t()).transpose(1, 2)
        x, z = xz[:, :E].numpy(), xz[:, E:].numpy()
        R, N = mix.dt_rank, mix.d_state
        # backward branch computed in ORIGINAL order: anti-causal conv, scan from the end
        xc = naive_conv(x, mix.conv1d_b.weight.numpy(), mix.conv1d_b.bias.numpy(), reverse=True)
        dbl = xc.transpose(0, 2, 1) @ mix.x_proj_b.weight.numpy().T
        draw = (dbl[..., :R] @ mix.dt_proj_b.weight.numpy().T).transpose(0, 2, 1)
        y = naive_scan(xc, draw, -np.exp(mix.A_b_log.numpy()), dbl[..., R:R + N].transpose(0, 2, 1),
                       dbl[..., R + N:].transpose(0, 2, 1), mix.D_b.numpy(), z,
                       mix.dt_proj_b.bias.numpy(), reverse=True)
        d_conv = np.abs(cap["conv_b"].numpy() - xc.transpose(0, 2, 1)).max()
        d_scan = np.abs(cap["scan_b"].numpy() - y.transpose(0, 2, 1)).max()
        # with DIFFERENT branch params, flipping the tokens must change the result
        d_orig = (torch.flip(mix(torch.flip(h, [1])), [1]) - mix(h)).abs().max().item()
        # with identical params in both branches the mixer commutes with flipping the tokens
        for a, b in (("conv1d", "conv1d_b"), ("x_proj", "x_proj_b"), ("dt_proj", "dt_proj_b")):
            getattr(mix, b).load_state_dict(getattr(mix, a).state_dict())
        mix.A_b_log.copy_(mix.A_log)
        mix.D_b.copy_(mix.D)
        d_eq = (torch.flip(mix(torch.flip(h, [1])), [1]) - mix(h)).abs().max().item()
    print("(ii)  backward branch vs anti-causal conv + reverse scan in original order: "
          "conv max|diff| %.2e, scan max|diff| %.2e" % (d_conv, d_scan))
    print("      max|flip(mix(flip h)) - mix(h)|: %.2e with *_b == forward params, %.2e with the"
          " real (different) *_b params" % (d_eq, d_orig))
    assert d_conv < 1e-12 and d_scan < 1e-12 and d_eq < 1e-12 and d_orig > 1e-3


def check_golden_cases():
    print("(ii') float64 naive forward vs golden files (max|diff| / max|ref| over every file):")
    for case in ("tiny", "overlap", "wide", "interp"):
        d = os.path.join(GOLDEN, case)
        cfg = json.load(open(os.path.join(d, "config.json")))
        sd, _ = read_safetensors(os.path.join(d, "model.safetensors"))
        x = np.load(os.path.join(d, "input.npy")).astype(np.float64)
        ref = naive_forward(sd, cfg, x)
        worst_abs, worst_rel, n = 0.0, 0.0, 0
        for k, v in ref.items():
            g = np.load(os.path.join(d, k + ".npy"))
            assert g.shape == v.shape and g.dtype == np.float32, (case, k, g.shape, v.shape)
            da = np.abs(g - v).max()
            worst_abs = max(worst_abs, da)
            worst_rel = max(worst_rel, da / max(1e-30, np.abs(v).max()))
            n += 1
        lg = np.load(os.path.join(d, "logits.npy"))
        print("      %-8s %2d files: worst abs %.2e, worst rel %.2e | (iii) logits %s std %.4f max|.| %.4f"
              % (case, n, worst_abs, worst_rel, lg.shape, lg.std(), np.abs(lg).max()))
        assert worst_rel < 1e-5


def check_scan_share():
    """How much of each scan output comes from the recurrence (C.h) rather than the D.u skip."""
    print("      scan share rms(C.h) / rms(D.u), per case (min..max over layers and branches):")
    for case in ("tiny", "overlap", "wide", "interp"):
        d = os.path.join(GOLDEN, case)
        cfg = json.load(open(os.path.join(d, "config.json")))
        m = VimReference(**{k: cfg[k] for k in ("img_size", "patch", "stride", "embed_dim", "depth",
                                                 "d_state", "num_classes")})
        m.load_state_dict(read_safetensors(os.path.join(d, "model.safetensors"))[0])
        x = torch.from_numpy(np.load(os.path.join(d, "input.npy")))
        cap = {}
        ratios = []
        with torch.no_grad():
            m(x, cap)
            for i, layer in enumerate(m.layers):
                mix = layer.mixer
                R, N = mix.dt_rank, mix.d_state
                for tag, xp, dp, Al, Dv in (("f", mix.x_proj, mix.dt_proj, mix.A_log, mix.D),
                                            ("b", mix.x_proj_b, mix.dt_proj_b, mix.A_b_log, mix.D_b)):
                    xc = cap["l%d_conv_%s" % (i, tag)].transpose(1, 2)
                    if tag == "b":
                        xc = torch.flip(xc, [-1])     # back into the branch's scan order
                    dbl = xc.transpose(1, 2) @ xp.weight.t()
                    draw = (dbl[..., :R] @ dp.weight.t()).transpose(1, 2)
                    Bm, Cm = dbl[..., R:R + N].transpose(1, 2), dbl[..., R + N:].transpose(1, 2)
                    big = torch.full_like(xc, 30.0)   # silu(30) == 30 in fp32: gate is a constant
                    full = selective_scan(xc, draw, -torch.exp(Al), Bm, Cm, Dv, big, dp.bias) / 30
                    skip = Dv.view(1, -1, 1) * xc
                    ratios.append(((full - skip).pow(2).mean().sqrt() / skip.pow(2).mean().sqrt()).item())
        print("        %-8s %.2f .. %.2f" % (case, min(ratios), max(ratios)))


def check_pth():
    d = os.path.join(GOLDEN, "pth")
    ck = torch.load(os.path.join(d, "checkpoint.pth"))
    assert sorted(ck) == sorted(["model", "optimizer", "lr_scheduler", "epoch", "model_ema", "scaler", "args"])
    cfg = json.load(open(os.path.join(GOLDEN, "tiny", "config.json")))
    kw = {k: cfg[k] for k in ("img_size", "patch", "stride", "embed_dim", "depth", "d_state", "num_classes")}
    x = torch.from_numpy(np.load(os.path.join(GOLDEN, "tiny", "input.npy")))
    torch.set_num_threads(1)
    with torch.no_grad():
        m = VimReference(**kw)
        m.load_state_dict(ck["model"])
        a = (m(x) - torch.from_numpy(np.load(os.path.join(GOLDEN, "tiny", "logits.npy")))).abs().max()
        m.load_state_dict(ck["model_ema"])
        b = (m(x) - torch.from_numpy(np.load(os.path.join(d, "ema_logits.npy")))).abs().max()
    sd = torch.load(os.path.join(d, "state_dict.pth"))
    lg = torch.load(os.path.join(d, "legacy.pth"))
    assert all(torch.equal(sd[k], ck["model"][k]) and torch.equal(lg[k], sd[k]) for k in sd)
    nc = torch.load(os.path.join(d, "noncontig.pth"))
    rec = json.load(open(os.path.join(d, "noncontig.json")))
    for k, t in nc.items():
        assert t.contiguous().reshape(-1).tolist() == rec[k]["values"] and list(t.shape) == rec[k]["shape"]
    fp = torch.load(os.path.join(d, "fp16.pth"))
    rec = json.load(open(os.path.join(d, "fp16.json")))
    for k, t in fp.items():
        assert t.reshape(-1).tolist() == rec[k]["values"] and str(t.dtype) == "torch." + rec[k]["dtype"]
    opt = ck["optimizer"]
    print("      pth: model logits diff %.1e, model_ema logits diff %.1e, optimizer %d states / %d groups,"
          " epoch %d, args.model=%s" % (a, b, len(opt["state"]), len(opt["param_groups"]), ck["epoch"],
                                         ck["args"].model))


def check_params():
    for stride, want in ((16, 7148008), (8, 7250344)):
        n = sum(p.numel() for p in vim_tiny(stride=stride).state_dict().values())
        print("(iv)  Vim-Tiny stride %2d: %d parameters (expected %d) %s"
              % (stride, n, want, "OK" if n == want else "MISMATCH"))
        assert n == want


def check_interp_identity():
    pe = torch.randn(1, 17, 4)
    same = interpolate_pos_embed(pe, (4, 4), (4, 4))
    # bicubic to the same size must also be the identity when forced through F.interpolate
    grid = torch.cat([pe[:, :8], pe[:, 9:]], 1).reshape(1, 4, 4, 4).permute(0, 3, 1, 2)
    again = torch.nn.functional.interpolate(grid, size=(4, 4), mode="bicubic", align_corners=False)
    assert torch.equal(same, pe) and (again - grid).abs().max() < 1e-6


if __name__ == "__main__":
    torch.set_num_threads(1)
    check_scan()
    check_flip()
    check_golden_cases()
    check_scan_share()
    check_pth()
    check_params()
    check_interp_identity()
    print("all checks passed")
