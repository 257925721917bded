// The kernels run over a runtime's threads, and the split rules, one set for every kernel and for every stage of
// the fused mixer layer:
//
//  * A call is cut into tasks that the caller and the runtime's workers claim dynamically (ThreadPool): the caller
//    never waits for a worker that has not started, and about kTasksPerThread tasks per thread even out a slow or
//    descheduled core.
//  * No task gets less than kMinTaskWork units of work, about 5 us of one core: a GEMM multiply-add is one unit,
//    and the other kernels' units are calibrated against it (the work estimates below, measured on the Vim-Tiny
//    shapes: 100 units take about 1 ns). A smaller call runs on the caller alone and does not even take the pool:
//    waking workers and sharing the output's cache lines would cost more than the split saves. E.g. a Vim-Tiny
//    dt_proj (197 x 12 -> 384, 0.9 M multiply-adds, about 12 us, K = 12 so little work per output) or an add +
//    RMSNorm of 197 x 192 (4 us) runs whole; x_proj (3.3 M) gets 6 tasks, a conv of 197 x 384 (30 us) 6.
//  * The units of a split keep results bit-identical for every thread count: GEMM column panels when there are at
//    least two per thread (every task then reads all of A but only its panels of W), else row blocks of the
//    micro-kernel's height; conv and scan channel blocks of whole vectors, at most kMaxChannelsPerTask channels a
//    task; norm rows; im2col patch rows. Each output element is computed by exactly the same instructions in
//    every split.
//  * The fused mixer runs its stages in the order of Kernels.mixer (in_proj, then per direction conv, x_proj and
//    dt_proj on the same row blocks, scan; out_proj), each split by these rules, under one lease of the pool.
#include "exec.h"

#include <cstddef>
#include <new>

namespace vim4j {

ThreadPool& shared_pool() {
    // Leaked on purpose: a static ThreadPool would be destroyed at exit, joining workers that a still-running caller
    // (a JVM thread mid-inference while the process exits) may be using.
    static ThreadPool* const pool = new ThreadPool();
    return *pool;
}
namespace {

int32_t ceil_div(int64_t a, int64_t b) { return static_cast<int32_t>((a + b - 1) / b); }
int32_t imin(int32_t a, int32_t b) { return a < b ? a : b; }
int32_t imax(int32_t a, int32_t b) { return a > b ? a : b; }

// Task t's share [first, end) of `units` units cut into `tasks` tasks.
struct Range {
    int32_t first, end;
};
Range share(int32_t t, int32_t tasks, int32_t units) {
    return {static_cast<int32_t>(static_cast<int64_t>(t) * units / tasks),
            static_cast<int32_t>(static_cast<int64_t>(t + 1) * units / tasks)};
}

// Work estimates in GEMM multiply-add units, from single-thread times of the Vim-Tiny shapes (avx512 tier): a GEMM
// runs about 100 multiply-adds per ns, a state update of the scan 0.14 ns, a conv output 0.39 ns with 4 taps, an
// element of add + RMSNorm 0.09 ns.
constexpr int64_t kScanWorkPerUpdate = 14;  // exp2 polynomial, h update, y accumulation of one state
constexpr int64_t kConvWorkPerTap = 8;      // strided loads and an FMA per tap
constexpr int64_t kSiluWork = 8;            // the SiLU after each conv output
constexpr int64_t kNormWork = 10;           // residual add, square-accumulate, scaling pass
constexpr int64_t kCopyWork = 4;            // one float of im2col
constexpr int64_t kConvertWork = 4;         // one activation rounded to bf16 or quantized to int8

// ------------------------------------------------------------------------------- BF16 / INT8 activations

// The calling thread's buffer for the converted activations of BF16 and INT8 GEMMs (exec.h's lowp_scratch):
// grown when a call needs more and then kept, so steady-state inference allocates nothing; freed with the thread.
// Only the thread that makes an ABI call touches it before handing pointers into it to the pool's tasks.
class Scratch {
public:
    Scratch() = default;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() { release(); }

    void* ensure(size_t bytes) {
        if (bytes > capacity_) {
            release();
            // 4 KiB more than asked: a few rows more next time do not reallocate
            const size_t want = bytes + 4096;
            data_ = ::operator new(want, std::align_val_t{64});  // std::bad_alloc -> VIM4J_ERR_OUT_OF_MEMORY
            capacity_ = want;
        }
        return data_;
    }

private:
    void release() {
        if (data_ != nullptr) ::operator delete(data_, std::align_val_t{64});
        data_ = nullptr;
        capacity_ = 0;
    }
    void* data_ = nullptr;
    size_t capacity_ = 0;
};

thread_local Scratch t_scratch;

// Where one BF16 / INT8 GEMM's converted activations go: row i at a + i * lda words, its INT8 scale at sa[i].
struct LowpRegion {
    uint32_t* a;
    int64_t lda;
    float* sa;
};

// Bytes of the region of `rows` rows for weight w (0 for an fp32 weight), a multiple of 64.
size_t lowp_bytes(const KernelTable& k, const vim4j_linear_weight& w, int32_t rows) {
    if (w.precision == VIM4J_PRECISION_FP32) return 0;
    const int64_t words = k.lowp_row_words(w.precision, cpu_features(), w.k) * rows + rows;
    return static_cast<size_t>((4 * words + 63) / 64 * 64);
}

LowpRegion lowp_region(const KernelTable& k, const vim4j_linear_weight& w, int32_t rows, void* at) {
    if (w.precision == VIM4J_PRECISION_FP32) return {nullptr, 0, nullptr};
    const int64_t ld = k.lowp_row_words(w.precision, cpu_features(), w.k);
    uint32_t* a = static_cast<uint32_t*>(at);
    return {a, ld, reinterpret_cast<float*>(a + ld * rows)};
}

// Rows [r0, r1) of a BF16 / INT8 GEMM: convert them into the region, then multiply them for panels [p0, p1). With
// `convert` false the rows were converted before (a panel split, where every task reads all rows).
void lowp_rows(const KernelTable& k, const float* a, int64_t lda, const vim4j_linear_weight& w, float* c, int64_t ldc,
               const LowpRegion& q, int32_t r0, int32_t r1, int32_t p0, int32_t p1, bool convert) {
    if (r1 <= r0) return;
    const int32_t features = cpu_features();
    if (convert)
        k.lowp_convert(w.precision, features, a + r0 * lda, lda, r1 - r0, w.k, q.a + r0 * q.lda, q.lda, q.sa + r0);
    const LowpArgs g{q.a + r0 * q.lda, q.lda, q.sa + r0, r1 - r0, features, w.packed, w.bias, w.scales,
                     w.n, w.k, w.precision, c + r0 * ldc, ldc};
    k.linear_lowp(g, p0, p1);
}

// ------------------------------------------------------------------------------------------------ GEMM

struct GemmJob {
    const KernelTable* k;
    const float* a;
    int64_t lda;
    int32_t m;
    const float* packed;
    const float* bias;
    int32_t n, kdim;
    float* c;
    int64_t ldc;
    int32_t panels;
    bool by_panels;
    int32_t units;  // panels or row blocks
    int32_t tasks;
    const vim4j_linear_weight* w;
    LowpRegion q;  // BF16 / INT8: the converted activations
    bool converted;  // BF16 / INT8 panel split: the rows were converted by an earlier pass
};

GemmJob plan_gemm(const KernelTable& k, int32_t threads, const float* a, int64_t lda, int32_t m,
                  const vim4j_linear_weight& w, float* c, int64_t ldc) {
    GemmJob j{&k, a, lda, m, static_cast<const float*>(w.packed), w.bias, w.n, w.k, c, ldc, k.linear_panels(w.n),
              false, 0, 1, &w, {nullptr, 0, nullptr}, false};
    const int64_t work = static_cast<int64_t>(m) * w.n * w.k;
    j.by_panels = threads > 1 && j.panels >= 2 * threads;
    j.units = j.by_panels ? j.panels : ceil_div(m, k.gemm_mr);
    j.tasks = split_tasks(threads, j.units, work);
    return j;
}

void gemm_task(void* ctx, int32_t t) {
    const GemmJob& j = *static_cast<const GemmJob*>(ctx);
    const Range r = share(t, j.tasks, j.units);
    if (j.w->precision != VIM4J_PRECISION_FP32) {
        if (j.by_panels) {
            lowp_rows(*j.k, j.a, j.lda, *j.w, j.c, j.ldc, j.q, 0, j.m, r.first, r.end, !j.converted);
        } else {
            lowp_rows(*j.k, j.a, j.lda, *j.w, j.c, j.ldc, j.q, r.first * j.k->gemm_mr,
                      imin(j.m, r.end * j.k->gemm_mr), 0, j.panels, true);
        }
        return;
    }
    if (j.by_panels) {
        j.k->linear(j.a, j.lda, j.m, j.packed, j.bias, j.n, j.kdim, j.c, j.ldc, r.first, r.end);
    } else {
        const int32_t r0 = r.first * j.k->gemm_mr, r1 = imin(j.m, r.end * j.k->gemm_mr);
        if (r1 > r0)
            j.k->linear(j.a + r0 * j.lda, j.lda, r1 - r0, j.packed, j.bias, j.n, j.kdim, j.c + r0 * j.ldc, j.ldc, 0,
                        j.panels);
    }
}

// The conversion pass before a panel-split BF16 / INT8 GEMM: row blocks of the micro-kernel's height.
struct ConvertJob {
    const KernelTable* k;
    const float* a;
    int64_t lda;
    int32_t m;
    const vim4j_linear_weight* w;
    LowpRegion q;
    int32_t units, tasks;
};

void convert_task(void* ctx, int32_t t) {
    const ConvertJob& j = *static_cast<const ConvertJob*>(ctx);
    const Range r = share(t, j.tasks, j.units);
    const int32_t r0 = r.first * j.k->gemm_mr, r1 = imin(j.m, r.end * j.k->gemm_mr);
    if (r1 > r0)
        j.k->lowp_convert(j.w->precision, cpu_features(), j.a + r0 * j.lda, j.lda, r1 - r0, j.w->k, j.q.a + r0 * j.q.lda,
                          j.q.lda, j.q.sa + r0);
}

void run_gemm(Exec& x, const float* a, int64_t lda, int32_t m, const vim4j_linear_weight& w, float* c, int64_t ldc) {
    if (m <= 0) return;
    GemmJob j = plan_gemm(x.k, x.threads(), a, lda, m, w, c, ldc);
    if (w.precision != VIM4J_PRECISION_FP32) {
        j.q = lowp_region(x.k, w, m, t_scratch.ensure(lowp_bytes(x.k, w, m)));
        if (j.by_panels && j.tasks > 1) {
            // every panel task reads all rows: convert them first, split by rows
            ConvertJob cj{&x.k, a, lda, m, &w, j.q, ceil_div(m, x.k.gemm_mr), 1};
            cj.tasks = split_tasks(x.threads(), cj.units, static_cast<int64_t>(m) * w.k * kConvertWork);
            x.parallel_for(cj.tasks, convert_task, &cj);
            j.converted = true;
        }
    }
    x.parallel_for(j.tasks, gemm_task, &j);
}

// ------------------------------------------------------------------------------------- channel splits

// Tasks over the vector blocks of `channels` channels: the general rule, then at most kMaxChannelsPerTask
// channels a task once the call is split at all.
int32_t channel_tasks(int32_t threads, int32_t channels, int32_t lanes, int64_t work) {
    const int32_t blocks = ceil_div(channels, lanes);
    int32_t tasks = split_tasks(threads, blocks, work);
    if (tasks > 1) tasks = imax(tasks, ceil_div(blocks, imax(1, kMaxChannelsPerTask / lanes)));
    return imin(tasks, blocks);
}

// Task t's channels [c0, c1).
Range channel_share(int32_t t, int32_t tasks, int32_t channels, int32_t lanes) {
    const Range b = share(t, tasks, ceil_div(channels, lanes));
    return {b.first * lanes, imin(channels, b.end * lanes)};
}

struct ConvJob {
    const KernelTable* k;
    const float* x;
    int64_t ldx;
    const float* w;
    const float* bias;
    float* out;
    int64_t ldo;
    int32_t batch, len, channels, kernel;
    bool reverse;
    int32_t tasks;
};

void conv_task(void* ctx, int32_t t) {
    const ConvJob& j = *static_cast<const ConvJob*>(ctx);
    const Range c = channel_share(t, j.tasks, j.channels, j.k->lanes);
    j.k->conv_silu(j.x, j.ldx, j.w, j.bias, j.out, j.ldo, j.batch, j.len, j.kernel, j.reverse, c.first, c.end);
}

void run_conv(Exec& x, const float* in, int64_t ldx, const vim4j_conv_weights& w, float* out, int64_t ldo,
              int32_t batch, int32_t len, bool reverse) {
    const int64_t rows = static_cast<int64_t>(batch) * len;
    if (rows <= 0) return;
    ConvJob j{&x.k, in, ldx, w.weight, w.bias, out, ldo, batch, len, w.channels, w.kernel, reverse, 1};
    j.tasks = channel_tasks(x.threads(), w.channels, x.k.lanes,
                            rows * w.channels * (kConvWorkPerTap * w.kernel + kSiluWork));
    x.parallel_for(j.tasks, conv_task, &j);
}

struct ScanJob {
    const KernelTable* k;
    vim4j_scan_inputs in;
    vim4j_scan_weights w;
    vim4j_rows out;
    int32_t batch, len;
    bool reverse, accumulate;
    float out_scale;
    int32_t tasks;
};

void scan_task(void* ctx, int32_t t) {
    const ScanJob& j = *static_cast<const ScanJob*>(ctx);
    const Range c = channel_share(t, j.tasks, j.w.channels, j.k->lanes);
    j.k->selective_scan(j.in.u.data, j.in.u.ld, j.in.delta.data, j.in.delta.ld, j.w.a_t, j.in.b.data, j.in.b.ld,
                        j.in.c.data, j.in.c.ld, j.w.d_skip, j.w.delta_bias, j.in.z.data, j.in.z.ld, j.out.data,
                        j.out.ld, j.batch, j.len, j.w.channels, j.w.states, j.reverse, j.out_scale, j.accumulate,
                        c.first, c.end);
}

void run_scan(Exec& x, const vim4j_scan_inputs& in, const vim4j_scan_weights& w, const vim4j_rows& out,
              int32_t batch, int32_t len, bool reverse, float out_scale, bool accumulate) {
    const int64_t rows = static_cast<int64_t>(batch) * len;
    if (rows <= 0) return;
    ScanJob j{&x.k, in, w, out, batch, len, reverse, accumulate, out_scale, 1};
    j.tasks = channel_tasks(x.threads(), w.channels, x.k.lanes, rows * w.channels * w.states * kScanWorkPerUpdate);
    x.parallel_for(j.tasks, scan_task, &j);
}

// ---------------------------------------------------------------------------------------- norm, im2col

struct NormJob {
    const KernelTable* k;
    float* residual;
    const float* hidden;
    const float* weight;
    float* out;
    int32_t rows, dim;
    float eps;
    int32_t tasks;
};

void norm_task(void* ctx, int32_t t) {
    const NormJob& j = *static_cast<const NormJob*>(ctx);
    const Range r = share(t, j.tasks, j.rows);
    const int64_t o = static_cast<int64_t>(r.first) * j.dim;
    j.k->add_rms_norm(j.residual + o, j.hidden != nullptr ? j.hidden + o : nullptr, j.weight, j.out + o,
                      r.end - r.first, j.dim, j.eps);
}

struct Im2colJob {
    const KernelTable* k;
    const float* image;
    int32_t channels, height, width, patch, stride;
    float* out;
    int32_t gh, tasks;
};

void im2col_task(void* ctx, int32_t t) {
    const Im2colJob& j = *static_cast<const Im2colJob*>(ctx);
    const Range r = share(t, j.tasks, j.gh);
    j.k->im2col(j.image, j.channels, j.height, j.width, j.patch, j.stride, j.out, r.first, r.end);
}

// ------------------------------------------------------------------------------------------ the mixer

// x_proj then dt_proj on the same row blocks (dt_proj reads only the x_proj output of its own rows).
struct XdtJob {
    const KernelTable* k;
    const float* xc;
    float* x_dbl;
    float* delta;
    const vim4j_linear_weight* x_proj;
    const vim4j_linear_weight* dt_proj;
    int32_t rows, e, xd;
    int32_t units, tasks;
    LowpRegion xq, dq;  // BF16 / INT8 x_proj, dt_proj: their converted activations
};

// Rows [0, rows) of one linear layer of the fused mixer, at its precision (q: its region, offset to these rows).
void linear_block(const KernelTable& k, const float* a, int64_t lda, int32_t rows, const vim4j_linear_weight& w,
                  float* c, int64_t ldc, const LowpRegion& q) {
    if (w.precision == VIM4J_PRECISION_FP32) {
        k.linear(a, lda, rows, static_cast<const float*>(w.packed), w.bias, w.n, w.k, c, ldc, 0, k.linear_panels(w.n));
    } else {
        lowp_rows(k, a, lda, w, c, ldc, q, 0, rows, 0, k.linear_panels(w.n), true);
    }
}

LowpRegion offset_rows(const LowpRegion& q, int32_t r0) {
    return q.a == nullptr ? q : LowpRegion{q.a + r0 * q.lda, q.lda, q.sa + r0};
}

void xdt_task(void* ctx, int32_t t) {
    const XdtJob& j = *static_cast<const XdtJob*>(ctx);
    const KernelTable& k = *j.k;
    const Range r = share(t, j.tasks, j.units);
    const int32_t r0 = r.first * k.gemm_mr, rn = imin(j.rows, r.end * k.gemm_mr) - r0;
    if (rn <= 0) return;
    float* xd = j.x_dbl + static_cast<int64_t>(r0) * j.xd;
    linear_block(k, j.xc + static_cast<int64_t>(r0) * j.e, j.e, rn, *j.x_proj, xd, j.xd, offset_rows(j.xq, r0));
    linear_block(k, xd, j.xd, rn, *j.dt_proj, j.delta + static_cast<int64_t>(r0) * j.e, j.e, offset_rows(j.dq, r0));
}

}  // namespace

int32_t split_tasks(int32_t threads, int64_t units, int64_t work) {
    if (threads <= 1 || units <= 1) return 1;
    int64_t tasks = static_cast<int64_t>(kTasksPerThread) * threads;
    if (tasks > units) tasks = units;
    if (tasks > work / kMinTaskWork) tasks = work / kMinTaskWork;
    return tasks < 1 ? 1 : static_cast<int32_t>(tasks);
}

void linear(Exec& x, const vim4j_rows& a, int32_t m, const vim4j_linear_weight& w, const vim4j_rows& c) {
    run_gemm(x, a.data, a.ld, m, w, c.data, c.ld);
}

void add_rms_norm(Exec& x, float* residual, const float* hidden, const float* weight, float* out, int32_t rows,
                  int32_t dim, float eps) {
    if (rows <= 0) return;
    NormJob j{&x.k, residual, hidden, weight, out, rows, dim, eps, 1};
    j.tasks = split_tasks(x.threads(), rows, static_cast<int64_t>(rows) * dim * kNormWork);
    x.parallel_for(j.tasks, norm_task, &j);
}

void conv_silu(Exec& x, const vim4j_rows& in, const vim4j_conv_weights& w, const vim4j_rows& out, int32_t batch,
               int32_t len, bool reverse) {
    run_conv(x, in.data, in.ld, w, out.data, out.ld, batch, len, reverse);
}

void selective_scan(Exec& x, const vim4j_scan_inputs& in, const vim4j_scan_weights& w, const vim4j_rows& out,
                    int32_t batch, int32_t len, bool reverse, float out_scale, bool accumulate) {
    run_scan(x, in, w, out, batch, len, reverse, out_scale, accumulate);
}

void im2col(Exec& x, const float* image, int32_t channels, int32_t height, int32_t width, int32_t patch,
            int32_t stride, float* out) {
    const int32_t gh = (height - patch) / stride + 1, gw = (width - patch) / stride + 1;
    Im2colJob j{&x.k, image, channels, height, width, patch, stride, out, gh, 1};
    j.tasks = split_tasks(x.threads(), gh, static_cast<int64_t>(gh) * gw * channels * patch * patch * kCopyWork);
    x.parallel_for(j.tasks, im2col_task, &j);
}

void mixer_forward(Exec& x, const vim4j_mixer_weights& w, const vim4j_mixer_buffers& b, int32_t batch, int32_t len) {
    const KernelTable& k = x.k;
    const int32_t threads = x.threads();
    const int32_t rows = batch * len;  // validated: <= INT32_MAX
    if (rows <= 0) return;
    const int32_t d = b.dims.d_model, e = b.dims.d_inner, n = b.dims.d_state, r = b.dims.dt_rank, xd = r + 2 * n;
    const int64_t e2 = 2 * static_cast<int64_t>(e);
    run_gemm(x, b.normed, d, rows, w.in_proj, b.xz, e2);
    for (int dir = 0; dir < 2; ++dir) {
        const bool reverse = dir == 1;
        const vim4j_branch_weights& bw = reverse ? w.backward : w.forward;
        const vim4j_branch_buffers& bb = reverse ? b.backward : b.forward;
        run_conv(x, b.xz, e2, bw.conv, bb.xc, e, batch, len, reverse);
        XdtJob xdt{&k, bb.xc, bb.x_dbl, b.delta, &bw.x_proj, &bw.dt_proj, rows, e, xd, ceil_div(rows, k.gemm_mr), 1,
                   {nullptr, 0, nullptr}, {nullptr, 0, nullptr}};
        const size_t xbytes = lowp_bytes(k, bw.x_proj, rows), dbytes = lowp_bytes(k, bw.dt_proj, rows);
        if (xbytes + dbytes > 0) {
            char* base = static_cast<char*>(t_scratch.ensure(xbytes + dbytes));
            xdt.xq = lowp_region(k, bw.x_proj, rows, base);
            xdt.dq = lowp_region(k, bw.dt_proj, rows, base + xbytes);
        }
        xdt.tasks = split_tasks(threads, xdt.units,
                                static_cast<int64_t>(rows) * (static_cast<int64_t>(xd) * e + static_cast<int64_t>(e) * r));
        x.parallel_for(xdt.tasks, xdt_task, &xdt);
        // The forward direction writes half its output into y, the backward one adds its half.
        const vim4j_scan_inputs in{{bb.xc, e}, {b.delta, e}, {bb.x_dbl + r, xd}, {bb.x_dbl + r + n, xd}, {b.xz + e, e2}};
        run_scan(x, in, bw.scan, vim4j_rows{b.y, e}, batch, len, reverse, 0.5f, reverse);
    }
    run_gemm(x, b.y, e, rows, w.out_proj, b.hidden, d);
}

}  // namespace vim4j
