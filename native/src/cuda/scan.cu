// The fused selective scan (vim-spec.md §2.2; the same contract as Kernels.selectiveScan and vim4j.h):
//   dt = softplus(delta + delta_bias);  h_n = exp(dt * A[n]) * h_n + dt * B[t, n] * u;
//   y = C[t, :] . h + D * u;            out (+)= out_scale * y * silu(z)
// Design (our own; studied state-spaces/mamba's selective_scan for the fusion list, not its code):
//  - one sequence x one channel x one direction is a group of G lanes, each lane owning states/G of the N
//    states in registers for the whole sequence (never (batch, channels, len, state) in memory). The partial
//    C.h sums are reduced with warp shuffles inside the group. G = 4 when N is a multiple of 4 up to 32 (Vim
//    uses N = 16: 4 states per lane), else G = 1 with the states in a local array (odd test shapes);
//  - both directions in one launch (gridDim.z), the reverse direction reading index len-1-t, never a flipped
//    copy; with ScanMode::kScanAtomic both add into a zeroed `out`, which fuses the (forward + backward) / 2
//    merge (out_scale = 0.5) deterministically (see launch.h);
//  - exp(dt * A) = exp2((dt * log2 e) * A): log2 e is folded into dt once per token (folding it into A could
//    overflow for |A| > FLT_MAX / log2 e), exactly like the CPU kernels;
//  - dt_proj can be folded in: delta = x_dbl[t, 0:R] . dt_proj[e, :] is computed in the scan (R = dt_rank is
//    small: 12 for Vim-Tiny), saving the dt_proj GEMM launch and the delta round trip through global memory;
//  - the state is carried in registers over any sequence length (6,085 tokens at 1248x1248), so no chunk
//    boundary needs a carried state in memory. Parallelism is batch x channels x directions x G lanes; a
//    sequence-parallel (chunked, two-pass) variant for batch 1 at very long sequences is future work.
#include "launch.h"
#include "math.cuh"

namespace vim4j_cuda {
namespace {

constexpr int kScanThreads = 128;
constexpr int kMaxStates = 256;  // the generic path's local array; the ABI rejects more

struct ScanLaunch {
    ScanDirection dir[2];
    int32_t len, channels, states;
};

// SPT > 0: states per lane known at compile time (registers), G lanes per channel, G * SPT == states.
// SPT == 0: G == 1 and the states in a local array sized kMaxStates.
template <int SPT, int G>
__global__ __launch_bounds__(kScanThreads) void scan_kernel(const ScanLaunch p) {
    static_assert(G == 1 || G == 2 || G == 4 || G == 8, "a lane group must divide a warp");
    static_assert(SPT > 0 || G == 1, "the generic path has one lane per channel");
    constexpr int CAP = SPT > 0 ? SPT : kMaxStates;
    const ScanDirection& s = p.dir[blockIdx.z];
    const int sub = static_cast<int>(threadIdx.x) % G;
    const int32_t e = blockIdx.x * (kScanThreads / G) + static_cast<int32_t>(threadIdx.x) / G;
    // Lanes past the last channel keep running (reading channel 0) so the group shuffles stay warp-uniform.
    const bool active = e < p.channels;
    const int32_t ec = active ? e : 0;
    const int nper = SPT > 0 ? SPT : p.states;
    const int n0 = sub * nper;

    float a[CAP], h[CAP];
    if constexpr (SPT > 0) {
#pragma unroll
        for (int i = 0; i < CAP; ++i) {
            a[i] = s.a_t[static_cast<int64_t>(n0 + i) * p.channels + ec];
            h[i] = 0.0f;
        }
    } else {
        for (int i = 0; i < nper; ++i) {
            a[i] = s.a_t[static_cast<int64_t>(n0 + i) * p.channels + ec];
            h[i] = 0.0f;
        }
    }
    const float dbias = s.delta_bias[ec];
    const float dskip = s.d_skip[ec];
    const float* dt_row_w = s.dt_proj != nullptr ? s.dt_proj + static_cast<int64_t>(ec) * s.dt_rank : nullptr;
    const int64_t seq = static_cast<int64_t>(blockIdx.y) * p.len;

    // Unrolled so the loads of the next steps (u, delta or x_dbl, B, C, z: none depends on the state) are issued
    // while the current step's recurrence runs; only h carries a dependence from step to step.
#pragma unroll 4
    for (int32_t step = 0; step < p.len; ++step) {
        const int64_t t = seq + (s.reverse ? p.len - 1 - step : step);
        const float uu = s.u[t * s.ldu + ec];
        float dv;
        if (s.delta != nullptr) {
            dv = s.delta[t * s.ldd + ec];
        } else {
            const float* xr = s.bc + t * s.ldbc;  // x_dbl row: dt_low first
            dv = 0.0f;
            for (int32_t r = 0; r < s.dt_rank; ++r) dv = fmaf(xr[r], dt_row_w[r], dv);
        }
        const float dt = softplus(dv + dbias);
        const float dt2 = dt * kLog2e;
        const float dtu = dt * uu;
        const float* bt = s.bc + s.b_off + t * s.ldbc + n0;
        const float* ct = s.bc + s.c_off + t * s.ldbc + n0;
        float y = 0.0f;
        if constexpr (SPT > 0) {
#pragma unroll
            for (int i = 0; i < CAP; ++i) {
                h[i] = fmaf(exp2f(dt2 * a[i]), h[i], dtu * bt[i]);
                y = fmaf(ct[i], h[i], y);
            }
        } else {
            for (int i = 0; i < nper; ++i) {
                h[i] = fmaf(exp2f(dt2 * a[i]), h[i], dtu * bt[i]);
                y = fmaf(ct[i], h[i], y);
            }
        }
#pragma unroll
        for (int off = G / 2; off > 0; off >>= 1) y += __shfl_xor_sync(0xffffffffu, y, off);
        if (active && sub == 0) {
            y = fmaf(dskip, uu, y);
            const float gate = s.out_scale * silu(s.z[t * s.ldz + e]);
            const float o = y * gate;
            float* op = s.out + t * s.ldo + e;
            if (s.mode == kScanAtomic) {
                atomicAdd(op, o);
            } else if (s.mode == kScanAccumulate) {
                *op = *op + o;
            } else {
                *op = o;
            }
        }
    }
}

template <int SPT, int G>
void launch(const ScanLaunch& p, int32_t directions, int32_t batch, cudaStream_t stream) {
    constexpr int per_block = kScanThreads / G;
    const dim3 grid((p.channels + per_block - 1) / per_block, batch, directions);
    scan_kernel<SPT, G><<<grid, kScanThreads, 0, stream>>>(p);
}

}  // namespace

void launch_selective_scan(const ScanDirection* dirs, int32_t directions, int32_t batch, int32_t len,
                           int32_t channels, int32_t states, cudaStream_t stream) {
    if (batch <= 0 || len <= 0 || channels <= 0) return;
    ScanLaunch p;
    p.dir[0] = dirs[0];
    p.dir[1] = directions > 1 ? dirs[1] : dirs[0];
    p.len = len;
    p.channels = channels;
    p.states = states;
    if (states % 4 == 0 && states <= 32) {
        switch (states / 4) {
            case 1: launch<1, 4>(p, directions, batch, stream); return;
            case 2: launch<2, 4>(p, directions, batch, stream); return;
            case 3: launch<3, 4>(p, directions, batch, stream); return;
            case 4: launch<4, 4>(p, directions, batch, stream); return;
            case 5: launch<5, 4>(p, directions, batch, stream); return;
            case 6: launch<6, 4>(p, directions, batch, stream); return;
            case 7: launch<7, 4>(p, directions, batch, stream); return;
            case 8: launch<8, 4>(p, directions, batch, stream); return;
            default: break;
        }
    }
    launch<0, 1>(p, directions, batch, stream);
}

}  // namespace vim4j_cuda
