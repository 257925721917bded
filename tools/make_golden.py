#!/usr/bin/python3
"""Deterministic generator of the small golden fixtures the Java tests compare against.

Run from the repository root (all paths are relative to it):
    /usr/bin/python3 tools/make_golden.py

Writes java/src/test/resources/golden/<case>/ for the cases tiny, overlap, wide, interp and
the checkpoint containers under java/src/test/resources/golden/pth/. Everything is float32,
single-threaded (torch.set_num_threads(1)) and seeded (see SEEDS), so re-running on the same
torch build reproduces the same bytes.
"""

import argparse
import collections
import copy
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vim_reference import VimReference, init_random_weights, grid_size, interpolate_pos_embed  # noqa: E402
from safetensors_file import read_safetensors, write_safetensors  # noqa: E402

GOLDEN = os.path.join("java", "src", "test", "resources", "golden")

# Weight seed / input seed per case. 'interp' has its own weights (same architecture as tiny).
CASES = collections.OrderedDict([
    ("tiny", dict(arch=dict(img_size=16, patch=4, stride=4, embed_dim=16, depth=2, d_state=16,
                            num_classes=10), input_hw=(16, 16), batch=2,
                  weight_seed=1001, input_seed=2001)),
    ("overlap", dict(arch=dict(img_size=18, patch=6, stride=3, embed_dim=24, depth=3, d_state=8,
                               num_classes=7), input_hw=(18, 18), batch=3,
                     weight_seed=1002, input_seed=2002)),
    ("wide", dict(arch=dict(img_size=32, patch=8, stride=8, embed_dim=48, depth=2, d_state=16,
                            num_classes=5), input_hw=(32, 32), batch=1,
                  weight_seed=1003, input_seed=2003)),
    ("interp", dict(arch=dict(img_size=16, patch=4, stride=4, embed_dim=16, depth=2, d_state=16,
                              num_classes=10), input_hw=(24, 20), batch=2,
                    weight_seed=1004, input_seed=2004)),
])
EMA_SEED = 3001        # perturbation that turns 'model' into a different 'model_ema'
OPTIM_SEED = 3002      # labels for the one real AdamW step
TENSOR_SEED = 3003     # noncontig / fp16 fixtures


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------

def save_npy(path, t):
    """float32, little-endian, C order (np.save writes npy format 1.0)."""
    a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
    np.save(path, a)




# --------------------------------------------------------------------------------------------
# Model cases
# --------------------------------------------------------------------------------------------

def build_model(spec):
    m = VimReference(**spec["arch"])
    init_random_weights(m, spec["weight_seed"])
    return m.eval()


def make_input(spec):
    g = torch.Generator().manual_seed(spec["input_seed"])
    h, w = spec["input_hw"]
    return torch.randn(spec["batch"], 3, h, w, generator=g)


def case_config(spec, model):
    a = spec["arch"]
    m0 = model.layers[0].mixer
    return collections.OrderedDict([
        ("img_size", a["img_size"]), ("patch", a["patch"]), ("stride", a["stride"]),
        ("channels", 3), ("embed_dim", a["embed_dim"]), ("depth", a["depth"]),
        ("d_state", a["d_state"]), ("d_conv", m0.d_conv), ("expand", m0.d_inner // a["embed_dim"]),
        ("dt_rank", m0.dt_rank), ("num_classes", a["num_classes"]),
        ("input_height", spec["input_hw"][0]), ("input_width", spec["input_hw"][1]),
        ("batch", spec["batch"]),
    ])


@torch.no_grad()
def run_case(name, spec, stats):
    out_dir = os.path.join(GOLDEN, name)
    os.makedirs(out_dir, exist_ok=True)
    model = build_model(spec)
    x = make_input(spec)

    cap = {}
    feats, pos = model.forward_features(x, cap)
    cls = feats[:, pos]
    logits = cls @ model.head.weight.t() + model.head.bias
    # the public entry points must agree with the decomposed computation above
    assert torch.equal(model(x), logits)

    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(case_config(spec, model), f, indent=1)
        f.write("\n")
    write_safetensors(os.path.join(out_dir, "model.safetensors"), model.state_dict(),
                      {"format": "pt", "generator": "tools/make_golden.py", "case": name})
    rt, _ = read_safetensors(os.path.join(out_dir, "model.safetensors"))
    assert list(rt) == list(model.state_dict())
    assert all(torch.equal(rt[k], v) for k, v in model.state_dict().items())

    save_npy(os.path.join(out_dir, "input.npy"), x)
    save_npy(os.path.join(out_dir, "logits.npy"), logits)
    save_npy(os.path.join(out_dir, "cls.npy"), cls)
    save_npy(os.path.join(out_dir, "tokens.npy"), feats)
    for key, t in cap.items():
        save_npy(os.path.join(out_dir, key + ".npy"), t)
    if tuple(spec["input_hw"]) != (spec["arch"]["img_size"],) * 2:
        gh, gw = grid_size(*spec["input_hw"], model.patch, model.stride)
        save_npy(os.path.join(out_dir, "pos_embed_interp.npy"),
                 interpolate_pos_embed(model.pos_embed, model.grid, (gh, gw)))

    # float64 re-run of the same weights: how far float32 is from exact (guides Java tolerances)
    m64 = copy.deepcopy(model).double()
    logits64 = m64(x.double())
    stats[name] = dict(L=feats.shape[1], cls_index=pos,
                       logits_std=float(logits.std()), logits_maxabs=float(logits.abs().max()),
                       fp32_vs_fp64_logits_maxdiff=float((logits.double() - logits64).abs().max()))
    return model, x, logits


# --------------------------------------------------------------------------------------------
# Checkpoint containers (pth/)
# --------------------------------------------------------------------------------------------

def realistic_args():
    """argparse.Namespace shaped like vim/main.py's (values of a tiny training run)."""
    ns = argparse.Namespace(
        batch_size=128, epochs=300, bce_loss=False, unscale_lr=False,
        model="vim_tiny_patch16_224_bimambav2_final_pool_mean_abs_pos_embed_with_midclstok_div2",
        input_size=224, drop=0.0, drop_path=0.0, model_ema=True, model_ema_decay=0.99996,
        model_ema_force_cpu=False, opt="adamw", opt_eps=1e-08, opt_betas=None, betas=None,
        clip_grad=None, momentum=0.9, weight_decay=0.05, sched="cosine", lr=5e-4, lr_noise=None,
        lr_noise_pct=0.67, lr_noise_std=1.0, warmup_lr=1e-06, min_lr=1e-05, decay_epochs=30,
        warmup_epochs=5, cooldown_epochs=10, patience_epochs=10, decay_rate=0.1,
        color_jitter=0.3, aa="rand-m9-mstd0.5-inc1", smoothing=0.1, train_interpolation="bicubic",
        repeated_aug=True, train_mode=True, ThreeAugment=False, src=False, reprob=0.25,
        remode="pixel", recount=1, resplit=False, mixup=0.8, cutmix=1.0, cutmix_minmax=None,
        mixup_prob=1.0, mixup_switch_prob=0.5, mixup_mode="batch", teacher_model="regnety_160",
        teacher_path="", distillation_type="none", distillation_alpha=0.5, distillation_tau=1.0,
        cosub=False, finetune="", attn_only=False, data_path="/data/imagenet", data_set="IMNET",
        inat_category="name", output_dir="./output/vim_tiny_midclstok", device="cuda", seed=0,
        resume="", start_epoch=0, eval=False, eval_crop_ratio=0.875, dist_eval=True,
        num_workers=10, pin_mem=True, distributed=True, world_size=8, dist_url="env://",
        if_amp=False, if_continue_inf=False, if_nan2num=False,
        if_random_cls_token_position=False, if_random_token_rank=False, local_rank=0,
        rank=0, gpu=0, dist_backend="nccl",
        # Extra, non-official fields that only widen the pickle opcodes the Java reader meets:
        # a list, 2-, 3- and 4-tuples, an empty tuple, a big int, a negative int, a non-ASCII str.
        gpu_ids=[0, 1, 2, 3, 4, 5, 6, 7], opt_betas_used=(0.9, 0.999),
        mean=(0.485, 0.456, 0.406), eval_sizes=(224, 256, 288, 320), extra_tags=(),
        total_samples=5_000_000_000, loss_scale_floor=-7, note="Vim \u2013 tiny \u2713",
    )
    return ns


def make_optimizer_state(model, x):
    """AdamW state_dict after one real step, param groups split like timm's add_weight_decay."""
    m = copy.deepcopy(model).train()  # the step must not change the weights saved as 'model'
    skip = {"pos_embed", "cls_token", "dist_token", "cls_token_head", "cls_token_tail"}
    decay, no_decay = [], []
    for n, p in m.named_parameters():
        (no_decay if p.ndim <= 1 or n.endswith(".bias") or n in skip else decay).append(p)
    opt = torch.optim.AdamW([{"params": no_decay, "weight_decay": 0.0},
                             {"params": decay, "weight_decay": 0.05}], lr=5e-4, eps=1e-8)
    g = torch.Generator().manual_seed(OPTIM_SEED)
    labels = torch.randint(0, m.head.out_features, (x.shape[0],), generator=g)
    loss = F.cross_entropy(m(x), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return opt.state_dict()


def lr_scheduler_state():
    """Shape of timm CosineLRScheduler.state_dict() (its __dict__ minus the optimizer)."""
    return {
        "param_group_field": "lr", "_initial_param_group_field": "initial_lr",
        "base_values": [5e-4, 5e-4], "metric": None, "t_in_epochs": True,
        "noise_range_t": None, "noise_pct": 0.67, "noise_std": 1.0, "noise_seed": 42,
        "t_initial": 300, "t_mul": 1.0, "lr_min": 1e-05, "decay_rate": 0.1,
        "warmup_t": 5, "warmup_lr_init": 1e-06, "warmup_prefix": False, "cycle_limit": 1,
        "warmup_steps": [9.98e-05, 9.98e-05],
    }


@torch.no_grad()
def ema_state(model):
    g = torch.Generator().manual_seed(EMA_SEED)
    out = collections.OrderedDict()
    for k, v in model.state_dict().items():
        out[k] = v * (1 + 0.05 * torch.randn(v.shape, generator=g)) \
            + 0.02 * torch.randn(v.shape, generator=g)
    return out


def tensor_record(t):
    """shape, stride, storage offset and the flattened C-order values (exact as doubles)."""
    return collections.OrderedDict([
        ("dtype", str(t.dtype).replace("torch.", "")), ("shape", list(t.shape)),
        ("stride", list(t.stride())), ("storage_offset", t.storage_offset()),
        ("contiguous", t.is_contiguous()),
        ("values", [v.item() for v in t.contiguous().reshape(-1)]),
    ])


def write_pth(tiny_model, tiny_x):
    out_dir = os.path.join(GOLDEN, "pth")
    os.makedirs(out_dir, exist_ok=True)
    sd = tiny_model.state_dict()

    ema = ema_state(tiny_model)
    m_ema = copy.deepcopy(tiny_model)
    m_ema.load_state_dict(ema)
    with torch.no_grad():
        ema_logits = m_ema(tiny_x)
        assert (ema_logits - tiny_model(tiny_x)).abs().max() > 1e-2
    save_npy(os.path.join(out_dir, "ema_logits.npy"), ema_logits)

    container = {
        "model": sd,
        "optimizer": make_optimizer_state(tiny_model, tiny_x),
        "lr_scheduler": lr_scheduler_state(),
        "epoch": 7,
        "model_ema": ema,
        "scaler": {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                   "growth_interval": 2000, "_growth_tracker": 0},
        "args": realistic_args(),
    }
    # torch 1.x names the zip's inner folder after the file stem: the two differ only in that.
    torch.save(container, os.path.join(out_dir, "checkpoint.pth"))
    torch.save(container, os.path.join(out_dir, "best_checkpoint.pth"))
    torch.save(sd, os.path.join(out_dir, "state_dict.pth"))
    with open(os.path.join(out_dir, "legacy.pth"), "wb") as f:
        torch.save(sd, f, _use_new_zipfile_serialization=False)

    g = torch.Generator().manual_seed(TENSOR_SEED)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.25 - 3.0
    shared = torch.randn(40, generator=g)
    nc = collections.OrderedDict([
        ("transposed", base.t()),                      # (6,4), stride (1,6): not contiguous
        ("slice_a", shared[3:15].view(3, 4)),          # offset 3 into the shared storage
        ("slice_b", shared[20:30]),                    # offset 20, same storage as slice_a
        ("strided", shared.view(5, 8)[1:4, ::2]),      # offset 8, stride (8,2), same storage
        ("plain", torch.randn(2, 3, generator=g)),     # ordinary contiguous tensor
    ])
    torch.save(nc, os.path.join(out_dir, "noncontig.pth"))
    rec = collections.OrderedDict((k, tensor_record(v)) for k, v in nc.items())
    rec["_note"] = ("slice_a, slice_b and strided share one 40-element storage; transposed is a "
                    "view of a 24-element storage. values are C-order of the logical tensor.")
    with open(os.path.join(out_dir, "noncontig.json"), "w") as f:
        json.dump(rec, f, indent=1)
        f.write("\n")

    half = torch.tensor([[0.0, -0.0, 1.0, -2.5], [65504.0, 6.1035156e-05, 5.9604645e-08, 0.333]],
                        dtype=torch.float16)           # max, min normal, min subnormal
    bf = (torch.randn(3, 5, generator=g) * 100).to(torch.bfloat16)
    i64 = torch.tensor([0, 1, -1, 2 ** 40 + 3, -(2 ** 62), 2 ** 63 - 1], dtype=torch.int64)
    mixed = collections.OrderedDict([("half", half), ("bf16", bf), ("int64", i64)])
    torch.save(mixed, os.path.join(out_dir, "fp16.pth"))
    rec = collections.OrderedDict((k, tensor_record(v)) for k, v in mixed.items())
    rec["_note"] = "values are the exact stored numbers widened to double (int64 as integers)"
    with open(os.path.join(out_dir, "fp16.json"), "w") as f:
        json.dump(rec, f, indent=1)
        f.write("\n")
    return float((ema_logits - tiny_model(tiny_x)).abs().max())


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    stats = {}
    models = {}
    for name, spec in CASES.items():
        models[name] = run_case(name, spec, stats)
    tiny_model, tiny_x, _ = models["tiny"]
    ema_diff = write_pth(tiny_model, tiny_x)
    for name, s in stats.items():
        print("%-8s L=%-3d cls@%-3d logits std %.4f max|.| %.4f  fp32-vs-fp64 max diff %.2e"
              % (name, s["L"], s["cls_index"], s["logits_std"], s["logits_maxabs"],
                 s["fp32_vs_fp64_logits_maxdiff"]))
    print("model_ema vs model logits max diff (tiny input): %.4f" % ema_diff)
    with open(os.path.join(GOLDEN, "stats.json"), "w") as f:
        json.dump({"torch": torch.__version__, "numpy": np.__version__, "cases": stats}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
