// The orchestration of one fused mixer layer (launch.h's launch_mixer): host code only, so the emulation library
// and the SIMT emulation compile it unchanged with the host compiler.
#include "launch.h"

namespace vim4j_cuda {

void launch_mixer(const MixerLaunch& m, cudaStream_t s) {
    const int32_t rows = m.batch * m.len;  // the ABI checked it fits
    if (rows <= 0) return;
    const int32_t e = m.d_inner, xdbl = m.dt_rank + 2 * m.d_state;

    // 1. xz = in_proj(h): (rows, 2E), x | z
    launch_linear(m.h, m.d_model, rows, m.in_proj, nullptr, 2 * e, m.d_model, m.xz, 2 * e, m.precision, s);

    // 2. per direction xc = silu(conv(x)) (the backward one causal in reversed order, by index) and
    //    x_dbl = x_proj(xc) = dt_low | B | C, both directions in one launch; y zeroed on the way
    ConvXProj cx[2];
    for (int d = 0; d < 2; ++d) {
        cx[d].conv_w = m.dir[d].conv_w;
        cx[d].conv_b = m.dir[d].conv_b;
        cx[d].x_proj = m.dir[d].x_proj;
        cx[d].x_dbl = m.dir[d].x_dbl;
        cx[d].xc = m.dir[d].xc;
        cx[d].reverse = d;
    }
    launch_conv_x_proj(m.xz, 2 * e, m.batch, m.len, e, m.d_conv, cx, 2, xdbl, m.y, e, m.precision, s);

    // 3. y = (S_f + S_b) / 2: both scans in one launch, dt_proj folded in, atomically added onto the zeroed y
    ScanDirection dirs[2];
    for (int dir = 0; dir < 2; ++dir) {
        ScanDirection& d = dirs[dir];
        d = ScanDirection{};
        d.u = m.dir[dir].xc;
        d.ldu = e;
        d.delta = nullptr;
        d.ldd = e;
        d.dt_proj = m.dir[dir].dt_proj;
        d.dt_rank = m.dt_rank;
        d.a_t = m.dir[dir].a_t;
        d.bc = m.dir[dir].x_dbl;
        d.b_off = m.dt_rank;
        d.c_off = m.dt_rank + m.d_state;
        d.ldbc = xdbl;
        d.d_skip = m.dir[dir].d;
        d.delta_bias = m.dir[dir].dt_bias;
        d.z = m.xz + e;
        d.ldz = 2 * e;
        d.out = m.y;
        d.ldo = e;
        d.reverse = dir;
        d.out_scale = 0.5f;
        d.mode = kScanAtomic;
    }
    launch_selective_scan(dirs, 2, m.batch, m.len, e, m.d_state, s);

    // 4. hidden = out_proj(y)
    launch_linear(m.y, e, rows, m.out_proj, nullptr, m.d_model, e, m.hidden, m.d_model, m.precision, s);
}

}  // namespace vim4j_cuda
