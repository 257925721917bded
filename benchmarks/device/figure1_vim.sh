#!/usr/bin/env bash
# Figure 1, vim4j's side (run by check.sh): vim4j_cuda_bench --forward at every point, one JSON line each; a point
# that fails or runs past 40 s prints a "failed" line and the script exits 1 after the others.
#   bash benchmarks/device/figure1_vim.sh PATH/TO/vim4j_cuda_bench [--quick]
set -u
bench=$1
resolutions="224 512 736 1024 1248"
[ "${2:-}" = "--quick" ] && resolutions="224 1248"
rc=0
for p in fp32 bf16; do
  for b in 1 16; do
    for res in $resolutions; do
      if ! timeout -k 5 40 "$bench" --forward "$res" "$b" "$p" 10; then
        echo "{\"kind\": \"vim4j_forward\", \"resolution\": $res, \"batch\": $b, \"precision\": \"$p\", \"failed\": true}"
        rc=1
      fi
    done
  done
done
exit $rc
