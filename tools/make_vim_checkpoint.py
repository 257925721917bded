#!/usr/bin/python3
"""A Vim-sized training checkpoint with random weights, in torch.save's format, without torch.

    python3 tools/make_vim_checkpoint.py OUT.pth [--size tiny|small|base] [--bare]

Laid out like the official Vim training script's checkpoints (main.py's utils.save_on_master): 'model' (the
state dict), 'optimizer' (AdamW: per-parameter step, exp_avg and exp_avg_sq, and its param_groups), 'lr_scheduler',
'epoch', 'model_ema' and 'args' (an argparse.Namespace). --bare writes the state dict alone, as the released
vim_t_midclstok_76p1acc.pth does. The weights are a fixed pseudo-random pattern of small floats (values do not
matter here: this file measures what loading costs, README "Reliability and security").
"""
import argparse
import collections
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_format  # noqa: E402

SIZES = {"tiny": (192, 24), "small": (384, 24), "base": (768, 24)}


def shapes(d, depth, classes=1000, img=224, patch=16, d_state=16, d_conv=4):
    e = 2 * d
    r = (d + 15) // 16
    tokens = (img // patch) ** 2 + 1
    m = collections.OrderedDict()
    m["cls_token"] = (1, 1, d)
    m["pos_embed"] = (1, tokens, d)
    m["patch_embed.proj.weight"] = (d, 3, patch, patch)
    m["patch_embed.proj.bias"] = (d,)
    m["head.weight"] = (classes, d)
    m["head.bias"] = (classes,)
    for i in range(depth):
        p = "layers.%d." % i
        m[p + "mixer.A_log"] = (e, d_state)
        m[p + "mixer.D"] = (e,)
        m[p + "mixer.A_b_log"] = (e, d_state)
        m[p + "mixer.D_b"] = (e,)
        m[p + "mixer.in_proj.weight"] = (2 * e, d)
        m[p + "mixer.conv1d.weight"] = (e, 1, d_conv)
        m[p + "mixer.conv1d.bias"] = (e,)
        m[p + "mixer.x_proj.weight"] = (r + 2 * d_state, e)
        m[p + "mixer.dt_proj.weight"] = (e, r)
        m[p + "mixer.dt_proj.bias"] = (e,)
        m[p + "mixer.conv1d_b.weight"] = (e, 1, d_conv)
        m[p + "mixer.conv1d_b.bias"] = (e,)
        m[p + "mixer.x_proj_b.weight"] = (r + 2 * d_state, e)
        m[p + "mixer.dt_proj_b.weight"] = (e, r)
        m[p + "mixer.dt_proj_b.bias"] = (e,)
        m[p + "mixer.out_proj.weight"] = (d, e)
        m[p + "norm.weight"] = (d,)
    m["norm_f.weight"] = (d,)
    return m


class Pattern:
    """Bytes of small pseudo-random floats, cut from one 1 MiB block (fast in pure Python)."""

    def __init__(self, seed):
        rnd = random.Random(seed)
        self.block = struct.pack("<%df" % (1 << 18), *[rnd.gauss(0, 0.02) for _ in range(1 << 18)])
        self.at = 0

    def take(self, n):
        out = bytearray()
        while len(out) < 4 * n:
            chunk = self.block[self.at:self.at + 4 * n - len(out)]
            out += chunk
            self.at = (self.at + len(chunk)) % len(self.block)
        return bytes(out)


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def state_dict(shp, pattern):
    return collections.OrderedDict((k, torch_format.Tensor(s, pattern.take(numel(s)))) for k, s in shp.items())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size", default="tiny", choices=sorted(SIZES))
    ap.add_argument("--bare", action="store_true")
    a = ap.parse_args()
    d, depth = SIZES[a.size]
    shp = shapes(d, depth)
    pattern = Pattern(16)
    model = state_dict(shp, pattern)
    if a.bare:
        torch_format.save(model, a.out)
    else:
        state = {}
        for i, (k, s) in enumerate(shp.items()):
            state[i] = {"step": 300.0, "exp_avg": torch_format.Tensor(s, pattern.take(numel(s))),
                        "exp_avg_sq": torch_format.Tensor(s, pattern.take(numel(s)))}
        groups = [{"lr": 5e-4, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.05, "amsgrad": False,
                   "maximize": False, "foreach": None, "capturable": False, "params": list(range(len(shp)))}]
        args = argparse.Namespace(model="vim_%s_patch16_224_bimambav2_final_pool_mean_abs_pos_embed_with_midclstok_div2"
                                  % a.size, input_size=224, batch_size=128, epochs=300, lr=5e-4, drop_path=0.0,
                                  model_ema=True, data_path="/data/imagenet", output_dir="./output", seed=0)
        torch_format.save({"model": model, "optimizer": {"state": state, "param_groups": groups},
                           "lr_scheduler": {"t_initial": 300, "decay_rate": 0.1, "last_epoch": 299},
                           "epoch": 299, "model_ema": state_dict(shp, pattern), "args": args,
                           "scaler": {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                      "growth_interval": 2000, "_growth_tracker": 1123}}, a.out)
    print("%s: %d tensors per state dict, %d bytes" % (a.out, len(shp), os.path.getsize(a.out)))


if __name__ == "__main__":
    main()
