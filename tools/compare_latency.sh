#!/usr/bin/env bash
# Side-by-side end-to-end latency in ONE run (these machines are noisy: compare ratios from the same run).
# Vim-Tiny 224x224, batch 1, random weights; vim4j VECTOR, NATIVE and SCALAR backends and our PyTorch reference.
# VECTOR warms up for 30 s: C2 sometimes needs more than 15 s to finish the Vector API kernels on 2 cores.
#   tools/compare_latency.sh [threads]        (default 2)
# Needs Debian's python3 with python3-torch for the reference row (apt-get install python3-torch libopenblas0-pthread;
# without OpenBLAS, torch falls back to netlib's reference BLAS and the row is no baseline).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
T="${1:-2}"
OUT="$(mktemp -d)"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); date $(date -u +%FT%TZ)" >&2
./vim4j bench --model tiny --backend vector --threads "$T" --warmup 30 --iterations 100 --json 2>/dev/null | tee "$OUT/vector.json"
./vim4j bench --model tiny --backend native --threads "$T" --warmup 10 --iterations 100 --json 2>/dev/null | tee "$OUT/native.json" \
  || echo '{"impl":"vim4j-native","skipped":"native library unavailable"}' > "$OUT/native.json"
./vim4j bench --model tiny --backend scalar --threads 1 --warmup 3 --iterations 5 --json 2>/dev/null | tee "$OUT/scalar.json"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS="$T" OMP_NUM_THREADS="$T" \
    /usr/bin/python3 tools/vim_reference.py bench --threads "$T" 2>/dev/null | grep '^{' | tee "$OUT/torch.json"
else
  echo '{"impl":"pytorch-reference","skipped":"python3-torch not installed"}' | tee "$OUT/torch.json"
fi

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
rows = [json.loads(l) for f in ("vector", "native", "scalar", "torch") for l in (d / f"{f}.json").read_text().splitlines() if l.startswith("{")]
base = next((r for r in rows if r.get("impl") == "vim4j-vector"), None)
print(f"\n{'implementation':<22}{'threads':>8}{'p50 ms':>10}{'p99 ms':>10}{'heap B/inf':>12}{'p50 / vector':>14}")
for r in rows:
    if "p50_ms" not in r:
        print(f"{r['impl']:<22} skipped: {r.get('skipped')}")
        continue
    ratio = r["p50_ms"] / base["p50_ms"] if base else float("nan")
    heap = r.get("heap_bytes_per_inference", "-")
    print(f"{r['impl']:<22}{r['threads']:>8}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{str(heap):>12}{ratio:>13.2f}x")
PY
