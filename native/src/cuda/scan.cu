// The fused selective scan (vim-spec.md §2.2; the same contract as Kernels.selectiveScan and vim4j.h):
//   dt = softplus(delta + delta_bias);  h_n = exp(dt * A[n]) * h_n + dt * B[t, n] * u;
//   y = C[t, :] . h + D * u;            out (+)= out_scale * y * silu(z)
// Design (our own; studied state-spaces/mamba's selective_scan for the fusion list and the chunked block scan,
// not its code). Two kernels, chosen by how many independent sequences (batch x directions x channels) there are:
//
//  - scan_chunk_kernel (few sequences: batch 1 and small batches, any length): SEQUENCE-PARALLEL. A block of 128
//    threads owns CB channels of one (sequence, direction); the CB * S threads are CB channels x S segments
//    (channel fastest, so a warp's loads of u, z and out cover CB consecutive floats of 32 / CB rows). The sequence
//    is processed in chunks of S * kItems steps: each thread takes kItems consecutive steps of the chunk. Per state
//    n, step i is the affine map h -> a_i h + b_i with a_i = exp2((dt log2 e) A[n]), b_i = dt u B[i, n]; maps
//    compose associatively, (a1, b1) then (a2, b2) = (a2 a1, a2 b1 + b2). Each thread folds its kItems maps, the
//    segments of a warp are scanned with shuffles (log2(32 / CB) steps), the warps' aggregates go through shared
//    memory (one barrier per group of kGroup states), and each thread starts its steps from the state carried
//    into the chunk composed with the maps before it; the last segment's final state is the carry into the next
//    chunk (double-buffered in shared memory). The exps and dt * B * u terms stay in registers between the fold and
//    the second pass, so every exp is computed once. Vim-Tiny at batch 1 runs 2 x 384 / 4 = 192 blocks (the old
//    kernel: 24 blocks of 6,085 serial steps at 1248 x 1248; now 24 chunks of 256 steps, each 8 serial steps plus
//    a 3-step shuffle scan and a 4-warp combine).
//  - scan_kernel (many sequences: large batches): one group of G lanes per (sequence, channel, direction), the
//    lanes holding states/G of the N states in registers for the whole sequence. G = 1 for N = 16 (no redundant
//    per-step work: the softplus, dt_proj dot product and gate are computed once per step and channel), G = 4 for
//    other N a multiple of 4 up to 32 (the partial C.h sums reduced with warp shuffles), else G = 1 with the states
//    in a local array (odd test shapes).
//
// Both kernels, as before:
//  - both directions in one launch (gridDim.z), the reverse direction reading index len-1-t, never a flipped
//    copy; with ScanMode::kScanAtomic both add into a zeroed `out`, which fuses the (forward + backward) / 2
//    merge (out_scale = 0.5) deterministically (see launch.h);
//  - exp(dt * A) = exp2((dt * log2 e) * A): log2 e is folded into dt once per token (folding it into A could
//    overflow for |A| > FLT_MAX / log2 e), exactly like the CPU kernels;
//  - dt_proj can be folded in: delta = x_dbl[t, 0:R] . dt_proj[e, :] is computed in the scan (R = dt_rank is
//    small: 12 for Vim-Tiny), saving the dt_proj GEMM launch and the delta round trip through global memory;
//  - softplus (threshold 20), the D skip and the out_scale * SiLU(z) gate fused.
#include "launch.h"
#include "math.cuh"

namespace vim4j_cuda {
namespace {

constexpr int kScanThreads = 128;
constexpr int kMaxStates = 256;  // the generic path's local array; the ABI rejects more

// The chunked kernel: 128 threads, kItems steps per thread per chunk, states scanned KG at a time (KG = 4 where
// latency rules, few blocks per SM: 4 channels per block; KG = 2, fewer registers, where more blocks share an SM).
constexpr int kChunkThreads = 128;
constexpr int kItems = 8;
constexpr int kChunkMaxStates = 64;  // the carried states live in shared memory: [2][64][CB] floats
// Below this many sequences (batch x directions x channels) the chunked kernel runs: the sequential kernel's one
// thread per sequence would leave an H200 (132 SMs x 4 schedulers) with too few warps to hide a step's latency.
constexpr int64_t kSequentialMinSequences = 48 * 1024;
// The launch shapes assume a GPU of about an H100/H200's size (this build targets sm_90 and newer).
constexpr int64_t kAssumedSms = 132;

struct ScanLaunch {
    ScanDirection dir[2];
    int32_t len, channels, states;
};

// delta = x_dbl[t, 0:R] . dt_proj[e, :] (dt_proj folded into the scan), the products in ascending r with fma. The
// channel's row of dt_proj lives in registers when R <= 16 (Vim-Tiny: 12), else it is read from memory (L1).
constexpr int kDtRegs = 16;
struct DtRow {
    float w[kDtRegs];
    const float* mem;
    int32_t rank;
    bool vec;  // x_dbl rows 16-byte aligned and R a multiple of 4: float4 loads

    __device__ __forceinline__ void init(const ScanDirection& s, int32_t ec) {
        rank = s.dt_rank;
        vec = rank <= kDtRegs && rank % 4 == 0 && (reinterpret_cast<uintptr_t>(s.bc) & 15) == 0 && s.ldbc % 4 == 0;
        mem = s.dt_proj != nullptr ? s.dt_proj + static_cast<int64_t>(ec) * s.dt_rank : nullptr;
#pragma unroll
        for (int r = 0; r < kDtRegs; ++r) w[r] = (mem != nullptr && r < rank) ? mem[r] : 0.0f;
    }
    __device__ __forceinline__ float dot(const float* xr) const {
        float dv = 0.0f;
        if (vec) {
#pragma unroll
            for (int r = 0; r < kDtRegs; r += 4) {
                if (r < rank) {
                    const float4 x4 = *reinterpret_cast<const float4*>(xr + r);
                    dv = fmaf(x4.x, w[r], dv);
                    dv = fmaf(x4.y, w[r + 1], dv);
                    dv = fmaf(x4.z, w[r + 2], dv);
                    dv = fmaf(x4.w, w[r + 3], dv);
                }
            }
        } else if (rank <= kDtRegs) {
#pragma unroll
            for (int r = 0; r < kDtRegs; ++r)
                if (r < rank) dv = fmaf(xr[r], w[r], dv);
        } else {
            for (int32_t r = 0; r < rank; ++r) dv = fmaf(xr[r], mem[r], dv);
        }
        return dv;
    }
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
    DtRow dt_row;
    dt_row.init(s, ec);
    const int64_t seq = static_cast<int64_t>(blockIdx.y) * p.len;
    // B and C as float4 loads when this lane's states start 16-byte aligned in every row (Vim's x_dbl: yes).
    const bool bc_vec = SPT % 4 == 0 && (reinterpret_cast<uintptr_t>(s.bc + s.b_off + n0) & 15) == 0 &&
                        (reinterpret_cast<uintptr_t>(s.bc + s.c_off + n0) & 15) == 0 && s.ldbc % 4 == 0;

    // Unrolled so the loads of the next steps (u, delta or x_dbl, B, C, z: none depends on the state) are issued
    // while the current step's recurrence runs; only h carries a dependence from step to step.
#pragma unroll 2
    for (int32_t step = 0; step < p.len; ++step) {
        const int64_t t = seq + (s.reverse ? p.len - 1 - step : step);
        const float uu = s.u[t * s.ldu + ec];
        float dv;
        if (s.delta != nullptr) {
            dv = s.delta[t * s.ldd + ec];
        } else {
            dv = dt_row.dot(s.bc + t * s.ldbc);  // x_dbl row: dt_low first
        }
        const float dt = softplus(dv + dbias);
        const float dt2 = dt * kLog2e;
        const float dtu = dt * uu;
        const float* bt = s.bc + s.b_off + t * s.ldbc + n0;
        const float* ct = s.bc + s.c_off + t * s.ldbc + n0;
        float y = 0.0f;
        if constexpr (SPT > 0) {
            float bv[CAP], cv[CAP];
            if constexpr (SPT % 4 == 0) {
                if (bc_vec) {
#pragma unroll
                    for (int i = 0; i < CAP; i += 4) {
                        const float4 b4 = *reinterpret_cast<const float4*>(bt + i);
                        const float4 c4 = *reinterpret_cast<const float4*>(ct + i);
                        bv[i] = b4.x, bv[i + 1] = b4.y, bv[i + 2] = b4.z, bv[i + 3] = b4.w;
                        cv[i] = c4.x, cv[i + 1] = c4.y, cv[i + 2] = c4.z, cv[i + 3] = c4.w;
                    }
                } else {
#pragma unroll
                    for (int i = 0; i < CAP; ++i) bv[i] = bt[i], cv[i] = ct[i];
                }
            } else {
#pragma unroll
                for (int i = 0; i < CAP; ++i) bv[i] = bt[i], cv[i] = ct[i];
            }
#pragma unroll
            for (int i = 0; i < CAP; ++i) {
                h[i] = fmaf(exp2_ftz(dt2 * a[i]), h[i], dtu * bv[i]);
                y = fmaf(cv[i], h[i], y);
            }
        } else {
            for (int i = 0; i < nper; ++i) {
                h[i] = fmaf(exp2_ftz(dt2 * a[i]), h[i], dtu * bt[i]);
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


// Composition of two affine maps of the state: first (a1, b1), then (a2, b2).
struct Affine {
    float a, b;
};
__device__ __forceinline__ Affine then(const Affine& first, const Affine& second) {
    return Affine{second.a * first.a, fmaf(second.a, first.b, second.b)};
}

// Sequence-parallel scan: blockIdx = (channel block of CB, sequence, direction); see the file comment.
template <int CB, int KG, int MINB>
__global__ __launch_bounds__(kChunkThreads, MINB) void scan_chunk_kernel(const ScanLaunch p) {
    constexpr int kGroup = KG;
    static_assert(CB >= 1 && CB <= 32 && (CB & (CB - 1)) == 0, "CB channels per block: a power of two up to 32");
    constexpr int S = kChunkThreads / CB;    // segments per chunk
    constexpr int SW = 32 / CB;              // segments per warp
    constexpr int W = kChunkThreads / 32;    // warps
    constexpr int kChunk = S * kItems;       // steps per chunk
    __shared__ Affine warp_agg[2][W][KG][CB];               // per state group, double-buffered
    __shared__ float carry[2][kChunkMaxStates][CB];         // state at the chunk start, double-buffered by chunk

    const ScanDirection& s = p.dir[blockIdx.z];
    const int tid = static_cast<int>(threadIdx.x);
    const int c = tid % CB, seg = tid / CB, warp = tid / 32, wseg = (tid % 32) / CB;
    const int32_t e = static_cast<int32_t>(blockIdx.x) * CB + c;
    // Lanes past the last channel compute on channel 0 (never written) so barriers and shuffles stay uniform.
    const bool active = e < p.channels;
    const int32_t ec = active ? e : 0;
    const int64_t seq = static_cast<int64_t>(blockIdx.y) * p.len;
    const float dbias = s.delta_bias[ec];
    const float dskip = s.d_skip[ec];
    DtRow dt_row;
    dt_row.init(s, ec);
    // B and C of a whole state group as one float4 / float2 load when every row keeps them KG-aligned.
    const bool bc_vec = (reinterpret_cast<uintptr_t>(s.bc + s.b_off) & (4 * KG - 1)) == 0 &&
                        (reinterpret_cast<uintptr_t>(s.bc + s.c_off) & (4 * KG - 1)) == 0 && s.ldbc % KG == 0;
    int group = 0;  // state groups done so far (selects the warp_agg buffer)

    for (int32_t chunk0 = 0, ci = 0; chunk0 < p.len; chunk0 += kChunk, ++ci) {
        // Per step of this thread: dt * log2 e and dt * u (0 and 0 past the end: the identity map), y.
        float dt2[kItems], dtu[kItems], uu[kItems], y[kItems];
        int32_t tok[kItems];  // token of step i within the sequence
        unsigned valid_mask = 0;  // bit i: step i of this thread lies inside the sequence
#pragma unroll
        for (int i = 0; i < kItems; ++i) {
            const int32_t st = chunk0 + seg * kItems + i;
            const bool valid = st < p.len;
            valid_mask |= valid ? 1u << i : 0u;
            tok[i] = valid ? (s.reverse ? p.len - 1 - st : st) : 0;
            y[i] = 0.0f;
            uu[i] = 0.0f;
            dt2[i] = 0.0f;
            dtu[i] = 0.0f;
            if (valid) {
                const int64_t t = seq + tok[i];
                uu[i] = s.u[t * s.ldu + ec];
                float dv;
                if (s.delta != nullptr) {
                    dv = s.delta[t * s.ldd + ec];
                } else {
                    dv = dt_row.dot(s.bc + t * s.ldbc);  // x_dbl row: dt_low first
                }
                const float dt = softplus(dv + dbias);
                dt2[i] = dt * kLog2e;
                dtu[i] = dt * uu[i];
            }
        }
        const int cur = ci & 1;
        for (int n0 = 0; n0 < p.states; n0 += kGroup, ++group) {
            const int buf = group & 1;
            float a[kGroup][kItems], b[kGroup][kItems], cb[kGroup][kItems];
            const bool vec = bc_vec && n0 + kGroup <= p.states;
#pragma unroll
            for (int i = 0; i < kItems; ++i) {
                const bool iv = valid_mask >> i & 1u;
                const float* brow = s.bc + s.b_off + (seq + tok[i]) * s.ldbc + n0;
                const float* crow = s.bc + s.c_off + (seq + tok[i]) * s.ldbc + n0;
                if (vec) {
                    if constexpr (kGroup == 4) {
                        const float4 b4 = *reinterpret_cast<const float4*>(brow);
                        const float4 c4 = *reinterpret_cast<const float4*>(crow);
                        b[0][i] = b4.x, b[1][i] = b4.y, b[2][i] = b4.z, b[3][i] = b4.w;
                        cb[0][i] = c4.x, cb[1][i] = c4.y, cb[2][i] = c4.z, cb[3][i] = c4.w;
                    } else {
                        const float2 b2 = *reinterpret_cast<const float2*>(brow);
                        const float2 c2 = *reinterpret_cast<const float2*>(crow);
                        b[0][i] = b2.x, b[1][i] = b2.y;
                        cb[0][i] = c2.x, cb[1][i] = c2.y;
                    }
                } else {
#pragma unroll
                    for (int j = 0; j < kGroup; ++j) {
                        b[j][i] = n0 + j < p.states ? brow[j] : 0.0f;
                        cb[j][i] = n0 + j < p.states ? crow[j] : 0.0f;
                    }
                }
                // Steps past the end and states past the last are identity maps and add nothing to y.
#pragma unroll
                for (int j = 0; j < kGroup; ++j) {
                    const bool on = iv && n0 + j < p.states;
                    b[j][i] = on ? dtu[i] * b[j][i] : 0.0f;
                    cb[j][i] = on ? cb[j][i] : 0.0f;
                }
            }
            Affine mine[kGroup];
#pragma unroll
            for (int j = 0; j < kGroup; ++j) {
                const int n = n0 + j;
                const bool sv = n < p.states;  // past the last state: identity maps, nothing written
                const float an = sv ? s.a_t[static_cast<int64_t>(n) * p.channels + ec] : 0.0f;
                Affine f{1.0f, 0.0f};
#pragma unroll
                for (int i = 0; i < kItems; ++i) {
                    a[j][i] = exp2_ftz(dt2[i] * an);
                    f = then(f, Affine{a[j][i], b[j][i]});
                }
                // Inclusive scan over the warp's segments (lanes CB apart), then the exclusive prefix.
#pragma unroll
                for (int off = 1; off < SW; off *= 2) {
                    const float qa = __shfl_up_sync(0xffffffffu, f.a, off * CB);
                    const float qb = __shfl_up_sync(0xffffffffu, f.b, off * CB);
                    if (wseg >= off) f = then(Affine{qa, qb}, f);
                }
                if (wseg == SW - 1) warp_agg[buf][warp][j][c] = f;
                if constexpr (SW > 1) {
                    const float xa = __shfl_up_sync(0xffffffffu, f.a, CB);
                    const float xb = __shfl_up_sync(0xffffffffu, f.b, CB);
                    mine[j] = wseg == 0 ? Affine{1.0f, 0.0f} : Affine{xa, xb};
                } else {
                    mine[j] = Affine{1.0f, 0.0f};
                }
            }
            __syncthreads();  // warp aggregates of this group written (and the carry of the previous chunk)
#pragma unroll
            for (int j = 0; j < kGroup; ++j) {
                const int n = n0 + j;
                const bool sv = n < p.states;
                // The state before this thread's first step: carried in, then the earlier warps, then the
                // earlier segments of this warp.
                float h = (chunk0 == 0 || !sv) ? 0.0f : carry[cur][n][c];
                for (int w = 0; w < warp; ++w) {
                    const Affine g = warp_agg[buf][w][j][c];
                    h = fmaf(g.a, h, g.b);
                }
                h = fmaf(mine[j].a, h, mine[j].b);
#pragma unroll
                for (int i = 0; i < kItems; ++i) {
                    h = fmaf(a[j][i], h, b[j][i]);
                    y[i] = fmaf(cb[j][i], h, y[i]);
                }
                // The last segment ends the chunk (steps past the end are identities): its state is the carry.
                if (seg == S - 1 && sv) carry[cur ^ 1][n][c] = h;
            }
        }
        if (active) {
#pragma unroll
            for (int i = 0; i < kItems; ++i) {
                if (!(valid_mask >> i & 1u)) break;
                const int64_t t = seq + tok[i];
                const float o = fmaf(dskip, uu[i], y[i]) * (s.out_scale * silu(s.z[t * s.ldz + e]));
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
    const int64_t sequences = static_cast<int64_t>(batch) * directions * channels;
    if (sequences < kSequentialMinSequences && states <= kChunkMaxStates) {
        // The most channels per block (the widest coalesced rows) that still gives about as many threads as the
        // sequential kernel would need to fill the GPU; at least 4 channels (16-byte row pieces).
        const int64_t want_threads = kSequentialMinSequences * 2;
        const auto blocks = [&](int cb) { return static_cast<int64_t>((channels + cb - 1) / cb) * batch * directions; };
        const dim3 block(kChunkThreads);
        if (blocks(32) * kChunkThreads >= want_threads) {
            scan_chunk_kernel<32, 2, 1><<<dim3((channels + 31) / 32, batch, directions), block, 0, stream>>>(p);
        } else if (blocks(16) * kChunkThreads >= want_threads) {
            scan_chunk_kernel<16, 2, 1><<<dim3((channels + 15) / 16, batch, directions), block, 0, stream>>>(p);
        } else if (blocks(8) * kChunkThreads >= want_threads) {
            scan_chunk_kernel<8, 4, 1><<<dim3((channels + 7) / 8, batch, directions), block, 0, stream>>>(p);
        } else if (len > 256 && blocks(2) <= 3 * kAssumedSms) {
            // Long sequences, very few of them (1248 x 1248 at batch 1: 768): 2 channels per block, 2 states per
            // group, at most 168 registers, so 3 blocks share an SM and all blocks run in one wave with twice the
            // warps of the 4-channel shape (234 registers, 2 blocks per SM) to keep the schedulers busy.
            scan_chunk_kernel<2, 2, 3><<<dim3((channels + 1) / 2, batch, directions), block, 0, stream>>>(p);
        } else {
            scan_chunk_kernel<4, 4, 1><<<dim3((channels + 3) / 4, batch, directions), block, 0, stream>>>(p);
        }
        return;
    }
    if (states == 16) {
        launch<16, 1>(p, directions, batch, stream);
        return;
    }
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
