#!/usr/bin/python3
"""Deterministic training of vim4j's default offline model: a small Vision Mamba on Fashion-MNIST.

Command (from the repository root; Debian's python with torch 1.13, gcc, no network):
    apt-get install -y dataset-fashion-mnist        # IDX files in /usr/share/datasets/fashion-mnist
    /usr/bin/python3 tools/train_fashion_mnist.py --out java/src/main/resources/org/vim4j

Result of that command as shipped (defaults: seed 0, 11 epochs, batch 128, AdamW lr 2e-3,
wd 0.05, 300 warmup steps then cosine to 1e-5, label smoothing 0.1, one thread):
    training 1792 s (~30 min; 134-218 s per epoch on one core of the shared 2-core project
    machine, AMD EPYC, other jobs running), test top-1 0.8971 / top-5 0.9978 on all 10,000
    test images (fp32, PyTorch VimReference; recorded in fashion-mnist-vim.json and as
    safetensors metadata "vim4j.test_top1"). 143,562 parameters, 581,256-byte safetensors.
    Test top-1 after each epoch: .7745 .8286 .8431 .8469 .8621 .8739 .8827 .8873 .8946 .8964
    .8971 (logged only; the final weights are shipped, no selection on the test set).

Model: the released Vim architecture (middle cls token, abs pos embed, bimamba v2 with separate
forward/backward SSM branches, (y_f + y_b)/2, RMSNorm eps 1e-5), defined by
tools/vim_reference.py's VimReference so the state_dict has the official key names, shapes and
order. Sizes: 1x28x28 input, patch 4, stride 4 (7x7 = 49 patches + cls = 50 tokens), D 64,
depth 4, d_state 8, d_conv 4, expand 2, dt_rank 4, 10 classes. Mamba-style init (A_log =
log(1..N), D = 1, dt in [1e-3, 0.1] log-uniform through the inverse softplus of dt_proj.bias,
out_proj scaled by 1/sqrt(depth), cls/pos trunc-normal 0.02).

Inputs: the four IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (".gz" or plain) in --data
(default /usr/share/datasets/fashion-mnist, Debian package dataset-fashion-mnist, where they
are gzipped). Preprocessing: x / 255, then (x - 0.2860) / 0.3530, no resize. Training
augmentation: random crop of the zero-padded (2 px) image and horizontal flip with p = 0.5,
drawn from the seeded generator.

Outputs (under --out):
    models/fashion-mnist-vim.safetensors   state dict, F32, state-dict order, vim4j metadata
    models/fashion-mnist-vim.json          config, preprocessing, labels, run facts, accuracy,
                                           PyTorch logits of the 10 example images
    examples/<class>-<slug>.png            first test image of each class, 28x28 grayscale
and --pth (default /tmp/h-train/fashion-mnist-vim.pth): an official-style training container
{'model': state_dict, 'epoch', 'args'} for cross-checking (not shipped).

Speed: a plain autograd loop over the scan is far too slow on one CPU core, and the
chunked/segment-sum (Mamba-2 style) form does not map well here either: A is per (channel,
state), so the decay matrices would be (B, E, N, L, L), more elementwise exp work than the
recurrence itself. Training therefore uses `MixerC`: small C kernels (compiled at start with
gcc -O3 -ffast-math into a temp dir, loaded with ctypes) for the causal conv1d + SiLU and for
the selective scan (softplus(delta + delta_bias) with threshold 20, h_t = exp(dt_t A) h_{t-1}
+ dt_t u_t B_t, y_t = C_t . h_t + D u_t, silu(z) gate) of both branches, one (branch, image)
sequence at a time with its N x E state in L1, the flip done by index, and hand-written backward
passes (reverse recurrence, states recomputed, not stored); x_proj/dt_proj/in/out_proj stay
torch GEMMs. The scan's exp is an inlined polynomial (rel. error ~4e-7) so the loops vectorise.
`--scan torch` runs the same math in pure PyTorch (SelScanTorch: whole-tensor discretisation +
an in-place loop over L, hand backward), several times slower. `--check` compares both against
vim_reference.BiMambaV2Mixer (its selective_scan is the plain sequential loop; autograd through
it for the gradients) on random weights -- output, input and all parameter gradients, max abs
diff <= 1e-5 on O(10) outputs, relative ~1e-7 on gradients -- and the training forward against
VimReference (logits within ~1e-7); the end of every run repeats the latter on the trained
weights and measures the test accuracy with VimReference itself.

Determinism: one thread (torch, OpenBLAS), fixed seed, a seeded torch.Generator for init,
shuffling and augmentation, sequential C kernels (fixed accumulation order); rerunning on the
same machine / torch build reproduces the same weights bit for bit (other CPUs or compilers may
differ in the last bits, since the kernels are built with -ffast-math and -mavx2 when available).
"""

import argparse
import collections
import ctypes
import gzip
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time

# One BLAS / OpenMP thread (set before torch loads OpenBLAS): OpenBLAS otherwise spins its own
# threads next to torch's, which only adds system time on the 2-core project machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vim_reference import VimReference  # noqa: E402
from safetensors_file import read_safetensors, write_safetensors  # noqa: E402

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
          "Bag", "Ankle boot"]
MEAN, STD = 0.2860, 0.3530
MEAN_S, STD_S = "0.2860", "0.3530"


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

def read_idx(data_dir, name):
    """Parse an IDX file (big-endian magic 0x0000 08 ndim, dims, uint8 data), gzipped or not."""
    path = os.path.join(data_dir, name)
    if os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz", "rb") as f:
            raw = f.read()
    else:
        with open(path, "rb") as f:
            raw = f.read()
    magic = struct.unpack(">I", raw[:4])[0]
    assert magic >> 8 == 0x08, "not an unsigned-byte IDX file: %s" % path
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims).copy()


def load_fashion_mnist(data_dir):
    xtr = torch.from_numpy(read_idx(data_dir, "train-images-idx3-ubyte"))
    ytr = torch.from_numpy(read_idx(data_dir, "train-labels-idx1-ubyte")).long()
    xte = torch.from_numpy(read_idx(data_dir, "t10k-images-idx3-ubyte"))
    yte = torch.from_numpy(read_idx(data_dir, "t10k-labels-idx1-ubyte")).long()
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    return xtr, ytr, xte, yte


def normalize(u8):
    """(N,28,28) uint8 -> (N,1,28,28) float32: x/255, then (x - mean) / std."""
    x = u8.float().div(255.0).unsqueeze(1)
    return (x - MEAN) / STD


def augment(u8, gen, pad=2, hflip=True):
    """Random crop from the zero-padded image (+ horizontal flip with p=0.5 if hflip); uint8 in,
    uint8 out."""
    n, H, W = u8.shape
    xp = F.pad(u8, (pad, pad, pad, pad))
    oy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    ox = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    rows = oy[:, None] + torch.arange(H)[None, :]                           # (n,H)
    cols = ox[:, None] + torch.arange(W)[None, :]                           # (n,W)
    if hflip:
        flip = torch.rand(n, generator=gen) < 0.5
        cols = torch.where(flip[:, None], cols.flip(1), cols)
    return xp[torch.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


# --------------------------------------------------------------------------------------------
# Fast selective scan (training). Core only: y_t = sum_n C_t,n h_t,n with
#   h_t = exp(dt_t * A) * h_{t-1} + dt_t * u_t * B_t,  h_{-1} = 0
# softplus(delta + delta_bias), the D skip and the silu(z) gate are applied around it in torch.
# Layout: dt, u: (2, B, L, E); A: (2, N, E) = -exp(A_log)^T; Bm, Cm: (2, B, L, N).
# --------------------------------------------------------------------------------------------

KERNELS_C = r"""
#include <math.h>
#include <stdlib.h>
#include <string.h>
/* Kernels for one bimamba-v2 mixer, both branches. Sequence s = br * Bs + b (br 0 = forward,
   br 1 = backward branch). xz: (Bs, L, 2E) token-major in_proj output (x = cols [0,E),
   z = cols [E,2E)); branch 1 reads token L-1-t at its scan step t (the flip is an index map).
   Per-branch parameters: wT (2,K,E), cbias (2,E), dbias (2,E), A (2,N,E), D (2,E).
   Branch tensors in scan order: xc, draw (2,Bs,L,E); Bm, Cm (2,Bs,L,N). */

/* exp for the scan: Cody-Waite range reduction + degree-6 Taylor polynomial, inlined so the
   loops vectorise (max rel. error ~4e-7 vs exact; input clamped to [-87, 88]). */
static inline float fexp(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    float f = x - n * 0.693145751953125f;
    f = f - n * 1.428606765330187045e-06f;
    float p = 1.f / 720.f;
    p = p * f + 1.f / 120.f;
    p = p * f + 1.f / 24.f;
    p = p * f + 1.f / 6.f;
    p = p * f + 0.5f;
    p = p * f + 1.f;
    p = p * f + 1.f;
    union { float f; int i; } u;
    u.i = ((int)n + 127) << 23;
    return p * u.f;
}
static inline float sigm(float v) { return 1.f / (1.f + fexp(-v)); }
static inline float softplus20(float v) { return v > 20.f ? v : log1pf(expf(v)); }
#define ORIG(br, t, L) ((br) ? (L) - 1 - (t) : (t))

/* xc = silu(b + sum_k w[k] * x[t-(K-1)+k]) in scan order, zero left padding */
void conv_fwd(int Bs, int L, int E, int K, const float *xz, const float *wT, const float *cbias,
              float *xc) {
    float *acc = malloc(sizeof(float) * E);
    for (int s = 0; s < 2 * Bs; s++) {
        int br = s / Bs, b = s % Bs;
        const float *w = wT + (size_t)br * K * E, *cb = cbias + (size_t)br * E;
        for (int t = 0; t < L; t++) {
            for (int e = 0; e < E; e++) acc[e] = cb[e];
            for (int k = 0; k < K; k++) {
                int tt = t - (K - 1) + k;
                if (tt < 0) continue;
                const float *xr = xz + ((size_t)b * L + ORIG(br, tt, L)) * 2 * E, *wk = w + (size_t)k * E;
                for (int e = 0; e < E; e++) acc[e] += wk[e] * xr[e];
            }
            float *o = xc + ((size_t)s * L + t) * E;
            for (int e = 0; e < E; e++) o[e] = acc[e] * sigm(acc[e]);
        }
    }
    free(acc);
}

/* gxz x-half := sum over branches of d/dx; gwT, gcb := per-branch sums */
void conv_bwd(int Bs, int L, int E, int K, const float *xz, const float *wT, const float *cbias,
              const float *gxc, float *gxz, float *gwT, float *gcb) {
    float *acc = malloc(sizeof(float) * E);
    for (size_t r = 0; r < (size_t)Bs * L; r++) memset(gxz + r * 2 * E, 0, sizeof(float) * E);
    memset(gwT, 0, sizeof(float) * 2 * K * E);
    memset(gcb, 0, sizeof(float) * 2 * E);
    for (int s = 0; s < 2 * Bs; s++) {
        int br = s / Bs, b = s % Bs;
        const float *w = wT + (size_t)br * K * E, *cb = cbias + (size_t)br * E;
        float *gw = gwT + (size_t)br * K * E, *gb = gcb + (size_t)br * E;
        for (int t = 0; t < L; t++) {
            for (int e = 0; e < E; e++) acc[e] = cb[e];
            for (int k = 0; k < K; k++) {
                int tt = t - (K - 1) + k;
                if (tt < 0) continue;
                const float *xr = xz + ((size_t)b * L + ORIG(br, tt, L)) * 2 * E, *wk = w + (size_t)k * E;
                for (int e = 0; e < E; e++) acc[e] += wk[e] * xr[e];
            }
            const float *go = gxc + ((size_t)s * L + t) * E;
            for (int e = 0; e < E; e++) {
                float sg = sigm(acc[e]);
                acc[e] = go[e] * sg * (1.f + acc[e] * (1.f - sg));   /* d/d(pre-activation) */
                gb[e] += acc[e];
            }
            for (int k = 0; k < K; k++) {
                int tt = t - (K - 1) + k;
                if (tt < 0) continue;
                size_t r = ((size_t)b * L + ORIG(br, tt, L)) * 2 * E;
                const float *xr = xz + r, *wk = w + (size_t)k * E;
                float *gxr = gxz + r, *gwk = gw + (size_t)k * E;
                for (int e = 0; e < E; e++) { gxr[e] += wk[e] * acc[e]; gwk[e] += acc[e] * xr[e]; }
            }
        }
    }
    free(acc);
}

/* per branch: o_t = (sum_n C_t,n h_t,n + D u_t) * silu(z_t), h_t = exp(dt_t A) h_{t-1} + dt_t u_t B_t,
   dt = softplus(draw + dbias);  y[b, orig] = (o_fwd + o_bwd) / 2  (y: (Bs, L, E)) */
void ssm_fwd(int Bs, int L, int N, int E, const float *draw, const float *dbias, const float *A,
             const float *u, const float *Bm, const float *Cm, const float *Dv, const float *xz,
             float *y) {
    float *h = malloc(sizeof(float) * N * E), *w = malloc(sizeof(float) * E);
    float *dt = malloc(sizeof(float) * E), *acc = malloc(sizeof(float) * E);
    for (int s = 0; s < 2 * Bs; s++) {
        int br = s / Bs, b = s % Bs;
        const float *As = A + (size_t)br * N * E, *db = dbias + (size_t)br * E, *Ds = Dv + (size_t)br * E;
        memset(h, 0, sizeof(float) * N * E);
        for (int t = 0; t < L; t++) {
            size_t o = (size_t)s * L + t, r = (size_t)b * L + ORIG(br, t, L);
            const float *dr = draw + o * E, *ut = u + o * E, *Bt = Bm + o * N, *Ct = Cm + o * N;
            const float *zt = xz + r * 2 * E + E;
            for (int e = 0; e < E; e++) { dt[e] = softplus20(dr[e] + db[e]); w[e] = dt[e] * ut[e]; acc[e] = 0.f; }
            for (int n = 0; n < N; n++) {
                float bb = Bt[n], c = Ct[n];
                float *hn = h + n * E;
                const float *An = As + n * E;
                for (int e = 0; e < E; e++) {
                    hn[e] = fexp(dt[e] * An[e]) * hn[e] + w[e] * bb;
                    acc[e] += c * hn[e];
                }
            }
            float *yt = y + r * E;
            if (br == 0)
                for (int e = 0; e < E; e++) yt[e] = 0.5f * ((acc[e] + Ds[e] * ut[e]) * zt[e] * sigm(zt[e]));
            else
                for (int e = 0; e < E; e++) yt[e] += 0.5f * ((acc[e] + Ds[e] * ut[e]) * zt[e] * sigm(zt[e]));
        }
    }
    free(h); free(w); free(dt); free(acc);
}

/* gy: (Bs,L,E) grad of y. Writes gdraw, gu, gB, gC (scan order), per-branch gdbias, gA, gD and
   the z-half of gxz (sum over branches). */
void ssm_bwd(int Bs, int L, int N, int E, const float *draw, const float *dbias, const float *A,
             const float *u, const float *Bm, const float *Cm, const float *Dv, const float *xz,
             const float *gyall, float *gdraw, float *gdbias, float *gA, float *gu, float *gB,
             float *gC, float *gD, float *gxz) {
    size_t NE = (size_t)N * E;
    float *H = malloc(sizeof(float) * L * NE), *DA = malloc(sizeof(float) * L * NE);
    float *W = malloc(sizeof(float) * L * E), *DT = malloc(sizeof(float) * L * E);
    float *Y = malloc(sizeof(float) * L * E), *g = malloc(sizeof(float) * NE);
    float *gw = malloc(sizeof(float) * E), *gd = malloc(sizeof(float) * E), *gy = malloc(sizeof(float) * E);
    memset(gA, 0, sizeof(float) * NE * 2);
    memset(gdbias, 0, sizeof(float) * E * 2);
    memset(gD, 0, sizeof(float) * E * 2);
    for (int s = 0; s < 2 * Bs; s++) {
        int br = s / Bs, b = s % Bs;
        const float *As = A + (size_t)br * NE, *db = dbias + (size_t)br * E, *Ds = Dv + (size_t)br * E;
        float *gAs = gA + (size_t)br * NE, *gdbs = gdbias + (size_t)br * E, *gDs = gD + (size_t)br * E;
        for (int t = 0; t < L; t++) {                       /* recompute the forward */
            size_t o = (size_t)s * L + t;
            const float *dr = draw + o * E, *ut = u + o * E, *Bt = Bm + o * N, *Ct = Cm + o * N;
            float *Wt = W + (size_t)t * E, *DTt = DT + (size_t)t * E, *Yt = Y + (size_t)t * E;
            for (int e = 0; e < E; e++) {
                DTt[e] = softplus20(dr[e] + db[e]); Wt[e] = DTt[e] * ut[e]; Yt[e] = Ds[e] * ut[e];
            }
            for (int n = 0; n < N; n++) {
                float bb = Bt[n], c = Ct[n];
                float *Hn = H + t * NE + n * E, *Dn = DA + t * NE + n * E;
                const float *An = As + n * E;
                const float *Hp = t ? H + (t - 1) * NE + n * E : NULL;
                for (int e = 0; e < E; e++) {
                    float a = fexp(DTt[e] * An[e]);
                    Dn[e] = a;
                    Hn[e] = (t ? a * Hp[e] : 0.f) + Wt[e] * bb;
                    Yt[e] += c * Hn[e];
                }
            }
        }
        memset(g, 0, sizeof(float) * NE);                  /* g = dLoss/dh_t */
        for (int t = L - 1; t >= 0; t--) {
            size_t o = (size_t)s * L + t, r = (size_t)b * L + ORIG(br, t, L);
            const float *dr = draw + o * E, *ut = u + o * E, *Bt = Bm + o * N, *Ct = Cm + o * N;
            const float *zt = xz + r * 2 * E + E, *go = gyall + r * E;
            const float *Wt = W + (size_t)t * E, *DTt = DT + (size_t)t * E, *Yt = Y + (size_t)t * E;
            float *gzt = gxz + r * 2 * E + E;
            for (int e = 0; e < E; e++) {
                float sz = sigm(zt[e]), g2 = 0.5f * go[e];
                float gzv = g2 * Yt[e] * sz * (1.f + zt[e] * (1.f - sz));
                gzt[e] = (br ? gzt[e] : 0.f) + gzv;
                gy[e] = g2 * zt[e] * sz;
                gDs[e] += gy[e] * ut[e];
                gw[e] = 0.f; gd[e] = 0.f;
            }
            for (int n = 0; n < N; n++) {
                float c = Ct[n], bb = Bt[n], gc = 0.f, gb = 0.f;
                float *gn = g + n * E;
                const float *Hn = H + t * NE + n * E;
                for (int e = 0; e < E; e++) {
                    gn[e] += gy[e] * c;
                    gc += Hn[e] * gy[e];
                    gb += gn[e] * Wt[e];
                    gw[e] += gn[e] * bb;
                }
                gC[o * N + n] = gc;
                gB[o * N + n] = gb;
                if (t) {
                    const float *Dn = DA + t * NE + n * E, *An = As + n * E;
                    const float *Hp = H + (t - 1) * NE + n * E;
                    float *gAn = gAs + n * E;
                    for (int e = 0; e < E; e++) {
                        float q = gn[e] * Hp[e] * Dn[e];   /* dLoss/d(dt*A) */
                        gd[e] += q * An[e];
                        gAn[e] += q * DTt[e];
                        gn[e] *= Dn[e];                    /* carry to h_{t-1} */
                    }
                }
            }
            float *gdr = gdraw + o * E, *gut = gu + o * E;
            for (int e = 0; e < E; e++) {
                float v = dr[e] + db[e];
                float gdt = gd[e] + gw[e] * ut[e];
                float sv = sigm(v);
                float gv = gdt * (v > 20.f ? 1.f : sv);    /* softplus' (threshold 20) */
                gdr[e] = gv;
                gdbs[e] += gv;
                gut[e] = gw[e] * DTt[e] + gy[e] * Ds[e];
            }
        }
    }
    free(H); free(DA); free(W); free(DT); free(Y); free(g); free(gw); free(gd); free(gy);
}
"""

_LIB = None


def load_scan_lib():
    """Compile KERNELS_C with gcc (-O3 -ffast-math, AVX2/FMA when the CPU has them) and load it."""
    global _LIB
    if _LIB is None:
        d = tempfile.mkdtemp(prefix="vim4j-scan-")
        src, so = os.path.join(d, "scan.c"), os.path.join(d, "libscan.so")
        with open(src, "w") as f:
            f.write(KERNELS_C)
        flags = ["-O3", "-ffast-math", "--param", "vect-max-version-for-alias-checks=64", "-fPIC",
                 "-shared"]
        cpu = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
        if " avx2" in cpu and " fma" in cpu:
            flags += ["-mavx2", "-mfma"]
        subprocess.check_call(["gcc"] + flags + ["-o", so, src, "-lm"])
        _LIB = ctypes.CDLL(so)
    return _LIB


def _ptr(t):
    return ctypes.c_void_p(t.data_ptr())


class MixerC(torch.autograd.Function):
    """Middle of one bimamba-v2 mixer for both branches: from the in_proj output xz (B,L,2E) to
    y = (S_f(x, z) + flip(S_b(flip(x), flip(z)))) / 2 (B,L,E), i.e. conv1d+SiLU, x_proj, dt_proj
    and the selective scan (softplus(delta + delta_bias), D skip, silu(z) gate) of each branch.
    The C kernels do the conv and the scan (the flip is an index map), torch does the GEMMs;
    backward is written by hand (reverse recurrence, states recomputed)."""

    @staticmethod
    def forward(ctx, xz, wT, cb, Wx, Wdt, dbias, A, Dv):
        xz, wT, cb, Wx, Wdt, dbias, A, Dv = [t.contiguous() for t in (xz, wT, cb, Wx, Wdt, dbias, A, Dv)]
        for t in (xz, wT, cb, Wx, Wdt, dbias, A, Dv):
            assert t.dtype == torch.float32
        Bs, L, E2 = xz.shape
        E, K, N, R = E2 // 2, wT.shape[1], A.shape[1], Wdt.shape[2]
        lib = load_scan_lib()
        xc = xz.new_empty(2, Bs, L, E)
        lib.conv_fwd(Bs, L, E, K, _ptr(xz), _ptr(wT), _ptr(cb), _ptr(xc))
        xdbl = torch.bmm(xc.view(2, Bs * L, E), Wx.transpose(1, 2))        # (2,BL,R+2N)
        Bm, Cm = xdbl[..., R:R + N].contiguous(), xdbl[..., R + N:].contiguous()
        draw = torch.bmm(xdbl[..., :R], Wdt.transpose(1, 2))               # (2,BL,E), no bias
        y = xz.new_empty(Bs, L, E)
        lib.ssm_fwd(Bs, L, N, E, _ptr(draw), _ptr(dbias), _ptr(A), _ptr(xc), _ptr(Bm), _ptr(Cm),
                    _ptr(Dv), _ptr(xz), _ptr(y))
        ctx.save_for_backward(xz, wT, cb, Wx, Wdt, dbias, A, Dv, xc, xdbl, draw, Bm, Cm)
        return y

    @staticmethod
    def backward(ctx, gy):
        xz, wT, cb, Wx, Wdt, dbias, A, Dv, xc, xdbl, draw, Bm, Cm = ctx.saved_tensors
        gy = gy.contiguous()
        Bs, L, E2 = xz.shape
        E, K, N, R = E2 // 2, wT.shape[1], A.shape[1], Wdt.shape[2]
        lib = load_scan_lib()
        gxz = torch.empty_like(xz)
        gdraw, gu = torch.empty_like(draw), torch.empty_like(xc)
        gB, gC = torch.empty_like(Bm), torch.empty_like(Cm)
        gdbias, gA, gD = torch.empty_like(dbias), torch.empty_like(A), torch.empty_like(Dv)
        lib.ssm_bwd(Bs, L, N, E, _ptr(draw), _ptr(dbias), _ptr(A), _ptr(xc), _ptr(Bm), _ptr(Cm),
                    _ptr(Dv), _ptr(xz), _ptr(gy), _ptr(gdraw), _ptr(gdbias), _ptr(gA), _ptr(gu),
                    _ptr(gB), _ptr(gC), _ptr(gD), _ptr(gxz))
        gdt_low = torch.bmm(gdraw, Wdt)                                    # (2,BL,R)
        gWdt = torch.bmm(gdraw.transpose(1, 2), xdbl[..., :R])             # (2,E,R)
        gxdbl = torch.cat([gdt_low, gB, gC], dim=2)                        # (2,BL,R+2N)
        gWx = torch.bmm(gxdbl.transpose(1, 2), xc.view(2, Bs * L, E))      # (2,R+2N,E)
        gxc = torch.baddbmm(gu.view(2, Bs * L, E), gxdbl, Wx).contiguous()
        gwT, gcb = torch.empty_like(wT), torch.empty_like(cb)
        lib.conv_bwd(Bs, L, E, K, _ptr(xz), _ptr(wT), _ptr(cb), _ptr(gxc), _ptr(gxz), _ptr(gwT),
                     _ptr(gcb))
        return gxz, gwT, gcb, gWx, gWdt, gdbias, gA, gD


class SelScanTorch(torch.autograd.Function):
    """Same core in PyTorch: discretised tensors (2,B,L,N,E) built at once, recurrence as an
    in-place loop over L, and a hand-written backward (reverse recurrence)."""

    @staticmethod
    def forward(ctx, dt, A, u, Bm, Cm):
        S2, Bs, L, E = dt.shape
        N = A.shape[1]
        dA = torch.exp(dt.unsqueeze(-2) * A.view(S2, 1, 1, N, E))             # (2,B,L,N,E)
        w = dt * u
        h = w.unsqueeze(-2) * Bm.unsqueeze(-1)                                 # dBu -> h
        for t in range(1, L):
            h[:, :, t].addcmul_(dA[:, :, t], h[:, :, t - 1])
        y = (h * Cm.unsqueeze(-1)).sum(-2)
        ctx.save_for_backward(dt, A, u, Bm, Cm, dA, w, h)
        return y

    @staticmethod
    def backward(ctx, gy):
        dt, A, u, Bm, Cm, dA, w, h = ctx.saved_tensors
        S2, Bs, L, E = dt.shape
        N = A.shape[1]
        g = Cm.unsqueeze(-1) * gy.unsqueeze(-2)
        for t in range(L - 2, -1, -1):
            g[:, :, t].addcmul_(dA[:, :, t + 1], g[:, :, t + 1])
        gC = (h * gy.unsqueeze(-2)).sum(-1)
        gB = (g * w.unsqueeze(-2)).sum(-1)
        gw = (g * Bm.unsqueeze(-1)).sum(-2)
        q = g
        q[:, :, 1:].mul_(h[:, :, :-1]).mul_(dA[:, :, 1:])
        q[:, :, 0].zero_()
        gdt = (q * A.view(S2, 1, 1, N, E)).sum(-2) + gw * u
        gA = (q * dt.unsqueeze(-2)).reshape(S2, Bs * L, N * E).sum(1).view(S2, N, E)
        return gdt, gA, gw * dt, gB, gC


SCANS = ("c", "torch")


def conv_silu_torch(X, wT, bias):
    """Causal depthwise conv (left zero pad K-1, tap K-1 = current token) + bias + SiLU on
    X (2,B,L,E) with per-branch weights wT (2,K,E), bias (2,E)."""
    K, L, E = wT.shape[1], X.shape[2], X.shape[3]
    Xp = F.pad(X, (0, 0, K - 1, 0))
    acc = bias.view(2, 1, 1, E)
    for k in range(K):
        acc = acc + wT[:, k].view(2, 1, 1, E) * Xp[:, :, k:k + L]
    return F.silu(acc)


def ssm_torch(draw, dbias, A, u, Bm, Cm, Dv, z):
    """selective_scan(u, delta=draw, A, B, C, D, z, delta_bias, softplus=True) for both branches
    stacked on dim 0; A is (2,N,E)."""
    E = u.shape[-1]
    dt = F.softplus(draw + dbias.view(2, 1, 1, E), beta=1.0, threshold=20.0)
    y = SelScanTorch.apply(dt.contiguous(), A.contiguous(), u.contiguous(), Bm.contiguous(),
                           Cm.contiguous())
    return (y + Dv.view(2, 1, 1, E) * u) * F.silu(z)


def fast_mixer(m, hs, scan):
    """bimamba-v2 mixer on tokens hs (B,L,D); same math as vim_reference.BiMambaV2Mixer."""
    Bsz, L, _ = hs.shape
    E, N, R = m.d_inner, m.d_state, m.dt_rank
    xz = hs @ m.in_proj.weight.t()                                         # (B,L,2E)
    wT = torch.stack([m.conv1d.weight[:, 0, :].t(), m.conv1d_b.weight[:, 0, :].t()])  # (2,K,E)
    cb = torch.stack([m.conv1d.bias, m.conv1d_b.bias])
    Wx = torch.stack([m.x_proj.weight, m.x_proj_b.weight])                 # (2,R+2N,E)
    Wdt = torch.stack([m.dt_proj.weight, m.dt_proj_b.weight])              # (2,E,R)
    dbias = torch.stack([m.dt_proj.bias, m.dt_proj_b.bias])                # delta_bias
    A = -torch.exp(torch.stack([m.A_log, m.A_b_log])).transpose(1, 2)      # (2,N,E)
    Dv = torch.stack([m.D, m.D_b])
    if scan == "c":
        y = MixerC.apply(xz, wT, cb, Wx, Wdt, dbias, A, Dv)
    else:
        # both branches stacked as (2,B,L,.), branch 1 in flipped token order
        x, z = xz[..., :E], xz[..., E:]
        X = torch.stack([x, torch.flip(x, [1])])
        Z = torch.stack([z, torch.flip(z, [1])])
        xc = conv_silu_torch(X, wT, cb)
        xdbl = torch.bmm(xc.reshape(2, Bsz * L, E), Wx.transpose(1, 2))    # (2,BL,R+2N)
        Bm = xdbl[..., R:R + N].reshape(2, Bsz, L, N)
        Cm = xdbl[..., R + N:].reshape(2, Bsz, L, N)
        draw = torch.bmm(xdbl[..., :R], Wdt.transpose(1, 2)).view(2, Bsz, L, E)  # no bias here
        y = ssm_torch(draw, dbias, A, xc, Bm, Cm, Dv, Z)
        y = (y[0] + torch.flip(y[1], [1])) / 2                             # div2
    return y @ m.out_proj.weight.t()                                       # (B,L,D)


class FastVim(VimReference):
    """VimReference (same parameters, same state_dict) with a fast training forward."""

    scan = "c"

    def forward(self, x):
        t, _ = self.patch_embed(x)
        Bsz, M, _ = t.shape
        pos = M // 2
        seq = torch.cat([t[:, :pos], self.cls_token.expand(Bsz, -1, -1), t[:, pos:]], dim=1)
        h = seq + self.pos_embed
        for layer in self.layers:
            h = h + fast_mixer(layer.mixer, layer.norm(h), self.scan)
        return self.head(self.norm_f(h)[:, pos])


# --------------------------------------------------------------------------------------------
# Init (Mamba / Vim style)
# --------------------------------------------------------------------------------------------

@torch.no_grad()
def init_weights(model, gen, dt_min=1e-3, dt_max=0.1):
    def trunc_normal(t, std):
        t.copy_(torch.fmod(torch.randn(t.shape, generator=gen), 2.0) * std)

    def uniform(t, bound):
        t.copy_((torch.rand(t.shape, generator=gen) * 2 - 1) * bound)

    trunc_normal(model.cls_token, 0.02)
    trunc_normal(model.pos_embed, 0.02)
    w = model.patch_embed.proj.weight
    fan_in = w[0].numel()
    uniform(w, 1.0 / math.sqrt(fan_in))
    uniform(model.patch_embed.proj.bias, 1.0 / math.sqrt(fan_in))
    trunc_normal(model.head.weight, 0.02)
    model.head.bias.zero_()
    depth = len(model.layers)
    for layer in model.layers:
        m = layer.mixer
        E, N, R, K = m.d_inner, m.d_state, m.dt_rank, m.d_conv
        uniform(m.in_proj.weight, 1.0 / math.sqrt(m.d_model))
        # out_proj: kaiming-uniform scale, rescaled by 1/sqrt(depth) (prenorm residual)
        uniform(m.out_proj.weight, 1.0 / math.sqrt(E) / math.sqrt(depth))
        for conv, xp, dtp, A_log, Dv in ((m.conv1d, m.x_proj, m.dt_proj, m.A_log, m.D),
                                         (m.conv1d_b, m.x_proj_b, m.dt_proj_b, m.A_b_log, m.D_b)):
            uniform(conv.weight, 1.0 / math.sqrt(K))
            uniform(conv.bias, 1.0 / math.sqrt(K))
            uniform(xp.weight, 1.0 / math.sqrt(E))
            uniform(dtp.weight, R ** -0.5)
            dt = torch.exp(torch.rand(E, generator=gen) * (math.log(dt_max) - math.log(dt_min))
                           + math.log(dt_min)).clamp(min=1e-4)
            dtp.bias.copy_(dt + torch.log(-torch.expm1(-dt)))            # inverse softplus
            A_log.copy_(torch.log(torch.arange(1, N + 1, dtype=torch.float32)).repeat(E, 1))
            Dv.fill_(1.0)
        layer.norm.weight.fill_(1.0)
    model.norm_f.weight.fill_(1.0)


def param_groups(model, wd):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.dim() < 2 or name in ("pos_embed", "cls_token") or name.endswith("A_log") \
                or name.endswith("A_b_log"):
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


# --------------------------------------------------------------------------------------------
# Evaluation / export
# --------------------------------------------------------------------------------------------

@torch.no_grad()
def evaluate(model, x_u8, y, bs=500):
    model.eval()
    top1 = top5 = 0
    for i in range(0, len(y), bs):
        logits = model(normalize(x_u8[i:i + bs]))
        t5 = logits.topk(5, dim=1).indices
        top1 += (t5[:, 0] == y[i:i + bs]).sum().item()
        top5 += (t5 == y[i:i + bs, None]).any(dim=1).sum().item()
    return top1 / len(y), top5 / len(y)




def slug(label):
    """'T-shirt/top' -> 'tshirt-top', 'Ankle boot' -> 'ankle-boot'."""
    s = "".join(c if c.isalnum() else "-" for c in label.lower().replace("-", ""))
    while "--" in s:
        s = s.replace("--", "-")
    return s.strip("-")


def write_png_gray(path, img_u8):
    """Write an 8-bit grayscale PNG (PIL when available, else a minimal zlib writer)."""
    try:
        from PIL import Image
        Image.fromarray(img_u8, mode="L").save(path)
    except ImportError:
        import zlib
        h, w = img_u8.shape
        raw = b"".join(b"\x00" + img_u8[r].tobytes() for r in range(h))

        def chunk(tag, data):
            c = struct.pack(">I", len(data)) + tag + data
            return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------

def check_mixer(seed=123, Bs=3, D=32, N=8):
    """Fast mixer (C kernels, and the pure-torch scan) vs vim_reference.BiMambaV2Mixer, whose
    selective_scan is the plain sequential loop, on random weights and inputs (L = 50 tokens):
    output, input gradient and every parameter gradient (autograd through the reference)."""
    from vim_reference import init_random_weights
    ref_model = init_random_weights(VimReference(img_size=28, patch=4, stride=4, channels=1,
                                                 embed_dim=D, depth=1, d_state=N, num_classes=10),
                                    seed)
    mixer = ref_model.layers[0].mixer
    g = torch.Generator().manual_seed(seed + 1)
    hs = torch.randn(Bs, 50, D, generator=g)
    gy = torch.randn(Bs, 50, D, generator=g)
    with torch.no_grad():
        mixer.dt_proj.bias[:3] = 21.0                                 # exercise softplus > 20

    def run(fn):
        for p in mixer.parameters():
            p.grad = None
        x = hs.clone().requires_grad_()
        y = fn(x)
        (y * gy).sum().backward()
        return [("out", y.detach()), ("d_input", x.grad.clone())] + \
            [("d_" + n, p.grad.clone()) for n, p in mixer.named_parameters()]

    ref = run(lambda x: mixer(x))
    res = collections.OrderedDict()
    for scan in SCANS:
        fast = run(lambda x: fast_mixer(mixer, x, scan))
        res[scan] = collections.OrderedDict(
            (n, ((a - b).abs().max().item(), b.abs().max().item())) for (n, a), (_, b) in zip(fast, ref))
    return res


@torch.no_grad()
def check_model(model, x):
    ref = VimReference(img_size=model.img_size, patch=model.patch, stride=model.stride,
                       channels=model.patch_embed.proj.in_channels, embed_dim=model.embed_dim,
                       depth=model.depth, d_state=model.layers[0].mixer.d_state,
                       d_conv=model.layers[0].mixer.d_conv,
                       expand=model.layers[0].mixer.d_inner // model.embed_dim,
                       num_classes=model.head.out_features).eval()
    ref.load_state_dict(model.state_dict())
    model.eval()
    out = {}
    for scan in ("c", "torch"):
        model.scan = scan
        out[scan] = (model(x) - ref(x)).abs().max().item()
    model.scan = "c"
    return out, ref


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default="java/src/main/resources/org/vim4j")
    ap.add_argument("--pth", default="/tmp/h-train/fashion-mnist-vim.pth")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=11)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr", type=float, default=1e-5)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--warmup-steps", type=int, default=300)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--no-hflip", dest="hflip", action="store_false",
                    help="no random horizontal flips (the shipped model used them)")
    ap.add_argument("--eval-every", type=int, default=1,
                    help="test-set accuracy every N epochs (logging only, no model selection; it "
                         "draws no random numbers, so it does not change the weights); 0: end only")
    ap.add_argument("--embed-dim", type=int, default=64)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--d-state", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--scan", choices=SCANS, default="c")
    ap.add_argument("--limit-steps", type=int, default=0, help="timing runs: stop each epoch early")
    ap.add_argument("--check", action="store_true", help="only run the scan/model checks")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)

    if args.check:
        for scan, r in check_mixer().items():
            for k, v in r.items():
                print("mixer check %-5s %-24s max|fast - reference| = %.3e  (max|ref| %.3g)"
                      % (scan, k, v[0], v[1]))
        m = FastVim(img_size=28, patch=4, stride=4, channels=1, embed_dim=args.embed_dim,
                    depth=args.depth, d_state=args.d_state, num_classes=10)
        init_weights(m, torch.Generator().manual_seed(1))
        x = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(2))
        print("model check (init weights) max|logits fast - VimReference|:", check_model(m, x)[0])
        return

    t_start = time.time()
    xtr, ytr, xte, yte = load_fashion_mnist(args.data)
    gen = torch.Generator().manual_seed(args.seed)
    model = FastVim(img_size=28, patch=4, stride=4, channels=1, embed_dim=args.embed_dim,
                    depth=args.depth, d_state=args.d_state, d_conv=4, expand=2, num_classes=10)
    model.scan = args.scan
    init_weights(model, gen)
    n_params = sum(p.numel() for p in model.state_dict().values())
    print("params %d (%d tensors)" % (n_params, len(model.state_dict())), flush=True)
    opt = torch.optim.AdamW(param_groups(model, args.wd), lr=args.lr, betas=(0.9, 0.999))
    steps_per_epoch = math.ceil(len(ytr) / args.batch)
    if args.limit_steps:
        steps_per_epoch = min(steps_per_epoch, args.limit_steps)
    total = steps_per_epoch * args.epochs

    def lr_at(step):
        if step < args.warmup_steps:
            return args.lr * (step + 1) / args.warmup_steps
        p = (step - args.warmup_steps) / max(1, total - args.warmup_steps)
        return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * p))

    step = 0
    history = []
    t_train = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(ytr), generator=gen)
        t0, loss_sum, correct, seen = time.time(), 0.0, 0, 0
        for i in range(steps_per_epoch):
            idx = perm[i * args.batch:(i + 1) * args.batch]
            xb = normalize(augment(xtr[idx], gen, hflip=args.hflip))
            yb = ytr[idx]
            for grp in opt.param_groups:
                grp["lr"] = lr_at(step)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(yb)
            if i % 100 == 0:
                print("  epoch %d step %d/%d loss %.4f lr %.2e  %.1f s" % (
                    epoch + 1, i, steps_per_epoch, loss.item(), lr_at(step), time.time() - t0),
                    flush=True)
        ep_time = time.time() - t0
        rec = collections.OrderedDict([("epoch", epoch + 1), ("train_loss", round(loss_sum / seen, 4)),
                                       ("train_acc", round(correct / seen, 4)),
                                       ("epoch_s", round(ep_time, 1))])
        msg = ""
        if args.eval_every and (epoch + 1) % args.eval_every == 0:
            rec["test_top1"], rec["test_top5"] = evaluate(model, xte, yte)
            msg = " | test top1 %.4f top5 %.4f" % (rec["test_top1"], rec["test_top5"])
        history.append(rec)
        print("epoch %d: train loss %.4f acc %.4f%s | %.1f s (total %.1f)"
              % (epoch + 1, loss_sum / seen, correct / seen, msg, ep_time, time.time() - t_train),
              flush=True)
    train_s = time.time() - t_train

    # ---- final evaluation, checks and export ----
    model.eval()
    top1, top5 = evaluate(model, xte, yte)
    sd = collections.OrderedDict((k, v.detach().clone().contiguous()) for k, v in model.state_dict().items())
    xchk = normalize(xte[:64])
    diffs, ref = check_model(model, xchk)
    ref_top1, ref_top5 = evaluate(ref, xte, yte)
    print("test top1 %.4f top5 %.4f (VimReference: %.4f / %.4f); max|fast - ref| logits %s"
          % (top1, top5, ref_top1, ref_top5, diffs), flush=True)

    out_models = os.path.join(args.out, "models")
    out_ex = os.path.join(args.out, "examples")
    os.makedirs(out_models, exist_ok=True)
    os.makedirs(out_ex, exist_ok=True)
    cfg = collections.OrderedDict([
        ("img_size", 28), ("patch", 4), ("stride", 4), ("channels", 1),
        ("embed_dim", args.embed_dim), ("depth", args.depth), ("d_state", args.d_state),
        ("d_conv", 4), ("expand", 2), ("dt_rank", model.layers[0].mixer.dt_rank),
        ("num_classes", 10)])
    meta = collections.OrderedDict([
        ("vim4j.img_size", "28"), ("vim4j.stride", "4"), ("vim4j.mean", MEAN_S),
        ("vim4j.std", STD_S), ("vim4j.labels", ",".join(LABELS)),
        ("vim4j.dataset", "fashion-mnist"), ("vim4j.test_top1", "%.4f" % ref_top1)])
    st_path = os.path.join(out_models, "fashion-mnist-vim.safetensors")
    write_safetensors(st_path, sd, meta)
    back, _ = read_safetensors(st_path)
    assert list(back) == list(sd) and all(torch.equal(back[k], sd[k]) for k in sd)

    # examples: first test image of each class
    examples = []
    for c, label in enumerate(LABELS):
        i = int((yte == c).nonzero()[0])
        name = "%d-%s.png" % (c, slug(label))
        write_png_gray(os.path.join(out_ex, name), xte[i].numpy())
        with torch.no_grad():
            logit = ref(normalize(xte[i:i + 1]))[0]
        examples.append(collections.OrderedDict([
            ("file", "examples/" + name), ("test_index", i), ("label", c),
            ("predicted", int(logit.argmax())),
            # float32 logits, each written as the shortest decimal that round-trips to it
            ("logits", [float(np.format_float_positional(np.float32(v))) for v in logit.tolist()])]))

    info = collections.OrderedDict([
        ("name", "fashion-mnist-vim"),
        ("format", "safetensors, F32, official Vim state_dict keys (bimamba v2, middle cls token)"),
        ("config", cfg),
        ("params", n_params),
        ("preprocessing", collections.OrderedDict([
            ("input", "28x28 grayscale, 1 channel"), ("resize", "none"), ("scale", "x / 255"),
            ("mean", float(MEAN_S)), ("std", float(STD_S)), ("normalize", "(x - mean) / std")])),
        ("labels", LABELS),
        ("training", collections.OrderedDict([
            ("script", "tools/train_fashion_mnist.py"),
            ("command", "/usr/bin/python3 tools/train_fashion_mnist.py" +
             "".join(" %s" % a for a in (argv if argv is not None else sys.argv[1:]))),
            ("seed", args.seed), ("epochs", args.epochs), ("batch", args.batch),
            ("optimizer", "AdamW lr %g wd %g, %d warmup steps, cosine to %g" % (
                args.lr, args.wd, args.warmup_steps, args.min_lr)),
            ("label_smoothing", args.label_smoothing),
            ("augmentation", "random crop with 2px zero padding" +
             (", horizontal flip p=0.5" if args.hflip else "")),
            ("threads", args.threads), ("scan", args.scan),
            ("train_seconds", round(train_s, 1)),
            ("total_seconds", round(time.time() - t_start, 1)),
            ("torch", torch.__version__), ("history", history)])),
        ("test", collections.OrderedDict([
            ("images", len(yte)), ("top1", ref_top1), ("top5", ref_top5),
            ("measured_with", "PyTorch vim_reference.VimReference, fp32, batch 500")])),
        ("examples", examples),
    ])
    with open(os.path.join(out_models, "fashion-mnist-vim.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    os.makedirs(os.path.dirname(os.path.abspath(args.pth)), exist_ok=True)
    torch.save({"model": sd, "epoch": args.epochs - 1, "args": args}, args.pth)
    print("wrote %s (%d bytes), json, %d examples, %s" % (
        st_path, os.path.getsize(st_path), len(examples), args.pth))


if __name__ == "__main__":
    main()
