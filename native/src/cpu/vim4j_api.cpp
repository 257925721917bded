// The C ABI of libvim4j (include/vim4j.h): argument validation, error reporting, the ISA tier choice and
// vim4j_mixer_forward's orchestration. This file is compiled for the baseline ISA only; it reaches the
// kernels through the KernelTable of the tier chosen once at load time.
#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

// Export exactly the ABI: the library is built with -fvisibility=hidden (plus a version script).
#pragma GCC visibility push(default)
#include "vim4j.h"
#pragma GCC visibility pop

#include "dispatch.h"
#include "thread_pool.h"

namespace vim4j {
namespace {

// ---------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------

constexpr size_t kErrorCapacity = 512;
thread_local char t_error[kErrorCapacity];  // zero-initialised: "" until the first failure on a thread

__attribute__((format(printf, 1, 2))) void set_error(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(t_error, kErrorCapacity, fmt, ap);
    va_end(ap);
}

// Runs an ABI body; no C++ exception crosses the C boundary.
template <class F>
int32_t guarded(const char* fn, F&& body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        set_error("%s: out of memory", fn);
        return VIM4J_ERR_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        set_error("%s: internal error: %s", fn, e.what());
        return VIM4J_ERR_INTERNAL;
    } catch (...) {
        set_error("%s: internal error (unknown exception)", fn);
        return VIM4J_ERR_INTERNAL;
    }
}

// Argument checks; each returns VIM4J_ERR_INVALID_ARGUMENT from the enclosing lambda with a message that
// names the function and the argument.
#define VIM4J_REQUIRE_PTR(p)                                                               \
    do {                                                                                   \
        if ((p) == nullptr) {                                                              \
            set_error("%s: invalid argument '%s': must not be NULL", fn, #p);              \
            return VIM4J_ERR_INVALID_ARGUMENT;                                             \
        }                                                                                  \
    } while (0)
// v >= a literal bound
#define VIM4J_REQUIRE_MIN(v, lo)                                                           \
    do {                                                                                   \
        if (static_cast<long long>(v) < static_cast<long long>(lo)) {                      \
            set_error("%s: invalid argument '%s' = %lld: must be >= %lld", fn, #v,         \
                      static_cast<long long>(v), static_cast<long long>(lo));              \
            return VIM4J_ERR_INVALID_ARGUMENT;                                             \
        }                                                                                  \
    } while (0)
// v >= another argument (named in the message)
#define VIM4J_REQUIRE_GE(v, other)                                                         \
    do {                                                                                   \
        if (static_cast<long long>(v) < static_cast<long long>(other)) {                   \
            set_error("%s: invalid argument '%s' = %lld: must be >= %s (= %lld)", fn, #v,  \
                      static_cast<long long>(v), #other, static_cast<long long>(other));   \
            return VIM4J_ERR_INVALID_ARGUMENT;                                             \
        }                                                                                  \
    } while (0)
#define VIM4J_REQUIRE_MAX(v, hi)                                                           \
    do {                                                                                   \
        if (static_cast<long long>(v) > static_cast<long long>(hi)) {                      \
            set_error("%s: invalid argument '%s' = %lld: must be <= %lld", fn, #v,         \
                      static_cast<long long>(v), static_cast<long long>(hi));              \
            return VIM4J_ERR_INVALID_ARGUMENT;                                             \
        }                                                                                  \
    } while (0)
// 0 <= c0 <= c1 <= channels
#define VIM4J_REQUIRE_RANGE(c0, c1, channels)                                                          \
    do {                                                                                               \
        if ((c0) < 0 || (c0) > (c1)) {                                                                 \
            set_error("%s: invalid argument 'c0' = %d: must satisfy 0 <= c0 <= c1 (c1 = %d)", fn,      \
                      static_cast<int>(c0), static_cast<int>(c1));                                     \
            return VIM4J_ERR_INVALID_ARGUMENT;                                                         \
        }                                                                                              \
        if ((c1) > (channels)) {                                                                       \
            set_error("%s: invalid argument 'c1' = %d: must be <= channels (= %d)", fn,                \
                      static_cast<int>(c1), static_cast<int>(channels));                               \
            return VIM4J_ERR_INVALID_ARGUMENT;                                                         \
        }                                                                                              \
    } while (0)

constexpr int32_t kMaxStates = 256;
constexpr int32_t kMaxThreads = 1024;

// ---------------------------------------------------------------------------------------------------
// ISA tier, chosen once at load time
// ---------------------------------------------------------------------------------------------------

// VIM4J_MAX_ISA: portable|avx2|avx512 (case-insensitive); unset or unrecognised means no cap.
int32_t isa_cap_from_env() {
    const char* env = std::getenv("VIM4J_MAX_ISA");
    if (env == nullptr) return VIM4J_ISA_AVX512;
    char buf[16];
    size_t i = 0;
    for (; env[i] != '\0' && i + 1 < sizeof(buf); ++i) {
        const char ch = env[i];
        buf[i] = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    }
    buf[i] = '\0';
    if (std::strcmp(buf, "portable") == 0) return VIM4J_ISA_PORTABLE;
    if (std::strcmp(buf, "avx2") == 0) return VIM4J_ISA_AVX2;
    return VIM4J_ISA_AVX512;
}

const KernelTable* choose_table() {
    const int32_t cap = isa_cap_from_env();
#if VIM4J_HAVE_X86_TIERS
    __builtin_cpu_init();
    // __builtin_cpu_supports also requires the OS to save the AVX / AVX-512 register state (XGETBV).
    const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const bool has_avx512 = has_avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                            __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    if (cap >= VIM4J_ISA_AVX512 && has_avx512) return &avx512::kTable;
    if (cap >= VIM4J_ISA_AVX2 && has_avx2) return &avx2::kTable;
#else
    (void)cap;
#endif
    return &portable::kTable;
}

const KernelTable& kt() {
    static const KernelTable* const table = choose_table();
    return *table;
}

// Forces the choice when the library is loaded.
const bool g_table_chosen = (kt(), true);

std::atomic<int32_t> g_threads{1};
ThreadPool g_pool;  // workers start on first use; joined by the destructor at unload / exit

int32_t ceil_div(int32_t a, int32_t b) { return static_cast<int32_t>((static_cast<int64_t>(a) + b - 1) / b); }
int32_t imin(int32_t a, int32_t b) { return a < b ? a : b; }

// ---------------------------------------------------------------------------------------------------
// vim4j_mixer_forward: stages and their task splits
// ---------------------------------------------------------------------------------------------------

// A GEMM split over column panels (when there are enough of them) or over row chunks.
struct GemmJob {
    const KernelTable* k;
    const float* a;
    int64_t lda;
    int32_t m;
    const float* packed;
    int32_t n, kdim;
    float* c;
    int64_t ldc;
    int32_t panels;
    bool by_panels;
    int32_t tasks;
    int32_t row_chunk;
};

GemmJob plan_gemm(const KernelTable& k, int32_t threads, const float* a, int64_t lda, int32_t m,
                  const float* packed, int32_t n, int32_t kdim, float* c, int64_t ldc) {
    GemmJob j{&k, a, lda, m, packed, n, kdim, c, ldc, k.linear_panels(n), true, 1, m};
    if (threads <= 1 || m <= 0) return j;
    if (j.panels >= 2 * threads) {
        j.tasks = imin(j.panels, 4 * threads);
    } else {
        j.by_panels = false;
        j.row_chunk = ceil_div(ceil_div(m, 4 * threads), k.gemm_mr) * k.gemm_mr;
        j.tasks = ceil_div(m, j.row_chunk);
    }
    return j;
}

void gemm_task(void* ctx, int32_t t) {
    const GemmJob& j = *static_cast<const GemmJob*>(ctx);
    if (j.by_panels) {
        const int32_t p0 = static_cast<int32_t>(static_cast<int64_t>(t) * j.panels / j.tasks);
        const int32_t p1 = static_cast<int32_t>(static_cast<int64_t>(t + 1) * j.panels / j.tasks);
        j.k->linear(j.a, j.lda, j.m, j.packed, nullptr, j.n, j.kdim, j.c, j.ldc, p0, p1);
    } else {
        const int32_t r0 = t * j.row_chunk;
        const int32_t r1 = imin(j.m, r0 + j.row_chunk);
        j.k->linear(j.a + r0 * j.lda, j.lda, r1 - r0, j.packed, nullptr, j.n, j.kdim, j.c + r0 * j.ldc, j.ldc, 0,
                    j.panels);
    }
}

struct Branch {
    const float* conv_w;
    const float* conv_b;
    const float* x_proj;
    const float* dt_proj;
    const float* dt_bias;
    const float* a_t;
    const float* d;
    bool reverse;
};

struct MixerCtx {
    const KernelTable* k;
    int32_t batch, len, rows, d_model, e, n_state, r, d_conv, xdbl;
    float* xz;
    float* xc;
    float* x_dbl;
    float* delta;
    float* y;
    const Branch* br;
    int32_t chunk;  // channels per conv/scan task, rows per x_proj/dt_proj task
};

void conv_task(void* ctx, int32_t t) {
    const MixerCtx& m = *static_cast<const MixerCtx*>(ctx);
    const int32_t c0 = t * m.chunk, c1 = imin(m.e, c0 + m.chunk);
    m.k->conv_silu(m.xz, 2 * static_cast<int64_t>(m.e), m.br->conv_w, m.br->conv_b, m.xc, m.e, m.batch, m.len,
                   m.d_conv, m.br->reverse, c0, c1);
}

// x_proj then dt_proj on the same rows (dt_proj only reads the x_proj output of its own rows).
void xdt_task(void* ctx, int32_t t) {
    const MixerCtx& m = *static_cast<const MixerCtx*>(ctx);
    const int32_t r0 = t * m.chunk, rn = imin(m.rows, r0 + m.chunk) - r0;
    float* xd = m.x_dbl + static_cast<int64_t>(r0) * m.xdbl;
    m.k->linear(m.xc + static_cast<int64_t>(r0) * m.e, m.e, rn, m.br->x_proj, nullptr, m.xdbl, m.e, xd, m.xdbl, 0,
                m.k->linear_panels(m.xdbl));
    m.k->linear(xd, m.xdbl, rn, m.br->dt_proj, nullptr, m.e, m.r, m.delta + static_cast<int64_t>(r0) * m.e, m.e, 0,
                m.k->linear_panels(m.e));
}

void scan_task(void* ctx, int32_t t) {
    const MixerCtx& m = *static_cast<const MixerCtx*>(ctx);
    const int32_t c0 = t * m.chunk, c1 = imin(m.e, c0 + m.chunk);
    const int64_t e = m.e;
    m.k->selective_scan(m.xc, e, m.delta, e, m.br->a_t, m.x_dbl + m.r, m.x_dbl + m.r + m.n_state, m.xdbl, m.br->d,
                        m.br->dt_bias, m.xz + e, 2 * e, m.y, e, m.batch, m.len, m.e, m.n_state, m.br->reverse, 0.5f,
                        m.br->reverse, c0, c1);
}

// Channels per conv/scan task: about 4 tasks per thread (dynamic claiming evens out a slow core), whole
// vectors, at most 64 channels per task.
int32_t channel_chunk(int32_t e, int32_t threads, int32_t lanes) {
    int32_t chunk = ceil_div(ceil_div(e, 4 * threads), lanes) * lanes;
    if (chunk > 64) chunk = ceil_div(64, lanes) * lanes;
    if (chunk < lanes) chunk = lanes;
    return chunk;
}

void run_mixer(ThreadPool::Lease& lease, MixerCtx& m, const float* h, float* hidden, const float* in_proj,
               const float* out_proj, const Branch branches[2]) {
    const KernelTable& k = *m.k;
    const int32_t threads = lease.threads();
    GemmJob in = plan_gemm(k, threads, h, m.d_model, m.rows, in_proj, 2 * m.e, m.d_model, m.xz, 2 * m.e);
    lease.parallel_for(in.tasks, gemm_task, &in);
    for (int dir = 0; dir < 2; ++dir) {
        m.br = &branches[dir];
        // conv + SiLU over channel chunks
        m.chunk = threads <= 1 ? m.e : channel_chunk(m.e, threads, k.lanes);
        lease.parallel_for(ceil_div(m.e, m.chunk), conv_task, &m);
        // x_proj + dt_proj over row chunks
        m.chunk = threads <= 1 ? m.rows : ceil_div(ceil_div(m.rows, 4 * threads), k.gemm_mr) * k.gemm_mr;
        lease.parallel_for(ceil_div(m.rows, m.chunk), xdt_task, &m);
        // scan over channel chunks (forward writes 0.5*y, backward accumulates 0.5*y)
        m.chunk = threads <= 1 ? m.e : channel_chunk(m.e, threads, k.lanes);
        lease.parallel_for(ceil_div(m.e, m.chunk), scan_task, &m);
    }
    GemmJob out = plan_gemm(k, threads, m.y, m.e, m.rows, out_proj, m.d_model, m.e, hidden, m.d_model);
    lease.parallel_for(out.tasks, gemm_task, &out);
}

}  // namespace
}  // namespace vim4j

using vim4j::guarded;
using vim4j::kt;
using vim4j::set_error;

extern "C" {

int32_t vim4j_abi_version(void) { return VIM4J_ABI_VERSION; }

const char* vim4j_last_error(void) { return vim4j::t_error; }

int32_t vim4j_isa(void) { return kt().isa; }

int32_t vim4j_set_threads(int32_t threads) {
    if (threads < 1 || threads > vim4j::kMaxThreads) {
        set_error("vim4j_set_threads: invalid argument 'threads' = %d: must be in [1, %d]", static_cast<int>(threads),
                  static_cast<int>(vim4j::kMaxThreads));
        return -1;
    }
    return vim4j::g_threads.exchange(threads);
}

int64_t vim4j_linear_packed_size(int32_t n, int32_t k) {
    if (n < 1 || k < 1) {
        set_error("vim4j_linear_packed_size: invalid argument '%s' = %d: must be >= 1", n < 1 ? "n" : "k",
                  static_cast<int>(n < 1 ? n : k));
        return -1;
    }
    return kt().linear_packed_size(n, k);
}

int32_t vim4j_linear_pack(const float* w, int32_t n, int32_t k, float* packed) {
    static const char* const fn = "vim4j_linear_pack";
    return guarded(fn, [&]() -> int32_t {
        VIM4J_REQUIRE_PTR(w);
        VIM4J_REQUIRE_MIN(n, 1);
        VIM4J_REQUIRE_MIN(k, 1);
        VIM4J_REQUIRE_PTR(packed);
        kt().linear_pack(w, n, k, packed);
        return VIM4J_OK;
    });
}

int32_t vim4j_linear(const float* a, int64_t lda, int32_t m, const float* packed, const float* bias, int32_t n,
                     int32_t k, float* c, int64_t ldc) {
    static const char* const fn = "vim4j_linear";
    return guarded(fn, [&]() -> int32_t {
        VIM4J_REQUIRE_PTR(a);
        VIM4J_REQUIRE_MIN(m, 0);
        VIM4J_REQUIRE_PTR(packed);
        VIM4J_REQUIRE_MIN(n, 1);
        VIM4J_REQUIRE_MIN(k, 1);
        VIM4J_REQUIRE_GE(lda, k);
        VIM4J_REQUIRE_PTR(c);
        VIM4J_REQUIRE_GE(ldc, n);
        const vim4j::KernelTable& t = kt();
        t.linear(a, lda, m, packed, bias, n, k, c, ldc, 0, t.linear_panels(n));
        return VIM4J_OK;
    });
}

int32_t vim4j_add_rms_norm(float* residual, const float* hidden, const float* weight, float* out, int32_t rows,
                           int32_t dim, float eps) {
    static const char* const fn = "vim4j_add_rms_norm";
    return guarded(fn, [&]() -> int32_t {
        VIM4J_REQUIRE_PTR(residual);
        VIM4J_REQUIRE_PTR(weight);
        VIM4J_REQUIRE_PTR(out);
        VIM4J_REQUIRE_MIN(rows, 0);
        VIM4J_REQUIRE_MIN(dim, 1);
        if (!(eps >= 0.0f)) {
            set_error("%s: invalid argument 'eps' = %g: must be >= 0", fn, static_cast<double>(eps));
            return VIM4J_ERR_INVALID_ARGUMENT;
        }
        kt().add_rms_norm(residual, hidden, weight, out, rows, dim, eps);
        return VIM4J_OK;
    });
}

int32_t vim4j_conv_silu(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo,
                        int32_t batch, int32_t len, int32_t channels, int32_t kernel, int32_t reverse, int32_t c0,
                        int32_t c1) {
    static const char* const fn = "vim4j_conv_silu";
    return guarded(fn, [&]() -> int32_t {
        VIM4J_REQUIRE_PTR(x);
        VIM4J_REQUIRE_PTR(w);
        VIM4J_REQUIRE_PTR(bias);
        VIM4J_REQUIRE_PTR(out);
        VIM4J_REQUIRE_MIN(batch, 0);
        VIM4J_REQUIRE_MIN(len, 0);
        VIM4J_REQUIRE_MIN(channels, 1);
        VIM4J_REQUIRE_MIN(kernel, 1);
        VIM4J_REQUIRE_GE(ldx, channels);
        VIM4J_REQUIRE_GE(ldo, channels);
        VIM4J_REQUIRE_RANGE(c0, c1, channels);
        kt().conv_silu(x, ldx, w, bias, out, ldo, batch, len, kernel, reverse != 0, c0, c1);
        return VIM4J_OK;
    });
}

int32_t vim4j_selective_scan(const float* u, int64_t ldu, const float* delta, int64_t ldd, const float* a_t,
                             const float* b, const float* c, int64_t ldbc, const float* d_skip,
                             const float* delta_bias, const float* z, int64_t ldz, float* out, int64_t ldo,
                             int32_t batch, int32_t len, int32_t channels, int32_t states, int32_t reverse,
                             float out_scale, int32_t accumulate, int32_t c0, int32_t c1) {
    static const char* const fn = "vim4j_selective_scan";
    return guarded(fn, [&]() -> int32_t {
        VIM4J_REQUIRE_PTR(u);
        VIM4J_REQUIRE_PTR(delta);
        VIM4J_REQUIRE_PTR(a_t);
        VIM4J_REQUIRE_PTR(b);
        VIM4J_REQUIRE_PTR(c);
        VIM4J_REQUIRE_PTR(d_skip);
        VIM4J_REQUIRE_PTR(delta_bias);
        VIM4J_REQUIRE_PTR(z);
        VIM4J_REQUIRE_PTR(out);
        VIM4J_REQUIRE_MIN(batch, 0);
        VIM4J_REQUIRE_MIN(len, 0);
        VIM4J_REQUIRE_MIN(channels, 1);
        VIM4J_REQUIRE_MIN(states, 1);
        VIM4J_REQUIRE_MAX(states, vim4j::kMaxStates);
        VIM4J_REQUIRE_GE(ldu, channels);
        VIM4J_REQUIRE_GE(ldd, channels);
        VIM4J_REQUIRE_GE(ldz, channels);
        VIM4J_REQUIRE_GE(ldo, channels);
        VIM4J_REQUIRE_GE(ldbc, states);
        VIM4J_REQUIRE_RANGE(c0, c1, channels);
        kt().selective_scan(u, ldu, delta, ldd, a_t, b, c, ldbc, d_skip, delta_bias, z, ldz, out, ldo, batch, len,
                            channels, states, reverse != 0, out_scale, accumulate != 0, c0, c1);
        return VIM4J_OK;
    });
}

int32_t vim4j_im2col(const float* image, int32_t channels, int32_t height, int32_t width, int32_t patch,
                     int32_t stride, float* out) {
    static const char* const fn = "vim4j_im2col";
    return guarded(fn, [&]() -> int32_t {
        VIM4J_REQUIRE_PTR(image);
        VIM4J_REQUIRE_MIN(channels, 1);
        VIM4J_REQUIRE_MIN(patch, 1);
        VIM4J_REQUIRE_MIN(stride, 1);
        VIM4J_REQUIRE_GE(height, patch);
        VIM4J_REQUIRE_GE(width, patch);
        VIM4J_REQUIRE_PTR(out);
        kt().im2col(image, channels, height, width, patch, stride, out);
        return VIM4J_OK;
    });
}

int32_t vim4j_mixer_forward(const float* h, float* hidden, int32_t batch, int32_t len, int32_t d_model,
                            int32_t d_inner, int32_t d_state, int32_t dt_rank, int32_t d_conv,
                            const float* in_proj, const float* out_proj,
                            const float* conv_w_f, const float* conv_b_f, const float* x_proj_f,
                            const float* dt_proj_f, const float* dt_bias_f, const float* a_t_f, const float* d_f,
                            const float* conv_w_b, const float* conv_b_b, const float* x_proj_b,
                            const float* dt_proj_b, const float* dt_bias_b, const float* a_t_b, const float* d_b,
                            float* xz, float* xc, float* x_dbl, float* delta, float* y) {
    static const char* const fn = "vim4j_mixer_forward";
    return guarded(fn, [&]() -> int32_t {
        VIM4J_REQUIRE_PTR(h);
        VIM4J_REQUIRE_PTR(hidden);
        VIM4J_REQUIRE_MIN(batch, 0);
        VIM4J_REQUIRE_MIN(len, 0);
        VIM4J_REQUIRE_MIN(d_model, 1);
        VIM4J_REQUIRE_MIN(d_inner, 1);
        VIM4J_REQUIRE_MAX(d_inner, 0x3FFFFFFF);
        VIM4J_REQUIRE_MIN(d_state, 1);
        VIM4J_REQUIRE_MAX(d_state, vim4j::kMaxStates);
        VIM4J_REQUIRE_MIN(dt_rank, 1);
        VIM4J_REQUIRE_MAX(dt_rank, 0x7FFFFFFF - 2 * vim4j::kMaxStates);
        VIM4J_REQUIRE_MIN(d_conv, 1);
        VIM4J_REQUIRE_PTR(in_proj);
        VIM4J_REQUIRE_PTR(out_proj);
        VIM4J_REQUIRE_PTR(conv_w_f);
        VIM4J_REQUIRE_PTR(conv_b_f);
        VIM4J_REQUIRE_PTR(x_proj_f);
        VIM4J_REQUIRE_PTR(dt_proj_f);
        VIM4J_REQUIRE_PTR(dt_bias_f);
        VIM4J_REQUIRE_PTR(a_t_f);
        VIM4J_REQUIRE_PTR(d_f);
        VIM4J_REQUIRE_PTR(conv_w_b);
        VIM4J_REQUIRE_PTR(conv_b_b);
        VIM4J_REQUIRE_PTR(x_proj_b);
        VIM4J_REQUIRE_PTR(dt_proj_b);
        VIM4J_REQUIRE_PTR(dt_bias_b);
        VIM4J_REQUIRE_PTR(a_t_b);
        VIM4J_REQUIRE_PTR(d_b);
        VIM4J_REQUIRE_PTR(xz);
        VIM4J_REQUIRE_PTR(xc);
        VIM4J_REQUIRE_PTR(x_dbl);
        VIM4J_REQUIRE_PTR(delta);
        VIM4J_REQUIRE_PTR(y);
        const int64_t rows64 = static_cast<int64_t>(batch) * len;
        if (rows64 > 0x7FFFFFFF) {
            set_error("%s: invalid arguments 'batch' * 'len' = %lld: must be <= 2147483647", fn,
                      static_cast<long long>(rows64));
            return VIM4J_ERR_INVALID_ARGUMENT;
        }
        if (rows64 == 0) return VIM4J_OK;
        const vim4j::KernelTable& k = kt();
        vim4j::MixerCtx m{};
        m.k = &k;
        m.batch = batch;
        m.len = len;
        m.rows = static_cast<int32_t>(rows64);
        m.d_model = d_model;
        m.e = d_inner;
        m.n_state = d_state;
        m.r = dt_rank;
        m.d_conv = d_conv;
        m.xdbl = dt_rank + 2 * d_state;
        m.xz = xz;
        m.xc = xc;
        m.x_dbl = x_dbl;
        m.delta = delta;
        m.y = y;
        const vim4j::Branch branches[2] = {
            {conv_w_f, conv_b_f, x_proj_f, dt_proj_f, dt_bias_f, a_t_f, d_f, false},
            {conv_w_b, conv_b_b, x_proj_b, dt_proj_b, dt_bias_b, a_t_b, d_b, true},
        };
        vim4j::ThreadPool::Lease lease(vim4j::g_pool, vim4j::g_threads.load(std::memory_order_relaxed));
        vim4j::run_mixer(lease, m, h, hidden, in_proj, out_proj, branches);
        return VIM4J_OK;
    });
}

}  // extern "C"
