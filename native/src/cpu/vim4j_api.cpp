// The C ABI of libvim4j (include/vim4j.h): argument validation, error reporting, the ISA tier choice and the
// runtimes; the kernels then run over the runtime's threads (exec.cpp). This file is compiled for the baseline
// ISA only; it reaches the kernels through the KernelTable of the tier chosen once at load time.
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
#include "exec.h"

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

constexpr int32_t kMaxStates = 256;

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

// Argument checks. Each names the function and the argument or struct field ("in->b.ld"; a field's name is its
// prefix and its own name, joined only when a check fails) and returns false after setting the error, so a
// check reads VIM4J_TRY(ck.ptr(...)) and costs a comparison when it passes.
#define VIM4J_TRY(check)                          \
    do {                                          \
        if (!(check)) return VIM4J_ERR_INVALID_ARGUMENT; \
    } while (0)

struct Check {
    const char* fn;

    bool ptr(const void* p, const char* prefix, const char* field) const {
        if (p != nullptr) return true;
        set_error("%s: invalid argument '%s%s': must not be NULL", fn, prefix, field);
        return false;
    }
    bool min(long long v, long long lo, const char* prefix, const char* field) const {
        if (v >= lo) return true;
        set_error("%s: invalid argument '%s%s' = %lld: must be >= %lld", fn, prefix, field, v, lo);
        return false;
    }
    bool max(long long v, long long hi, const char* prefix, const char* field) const {
        if (v <= hi) return true;
        set_error("%s: invalid argument '%s%s' = %lld: must be <= %lld", fn, prefix, field, v, hi);
        return false;
    }
    // v >= another argument or field, named in the message
    bool ge(long long v, const char* prefix, const char* field, long long other, const char* other_prefix,
            const char* other_field) const {
        if (v >= other) return true;
        set_error("%s: invalid argument '%s%s' = %lld: must be >= %s%s (= %lld)", fn, prefix, field, v, other_prefix,
                  other_field, other);
        return false;
    }
    // v == what another argument or field says, named in the message
    bool eq(long long v, const char* prefix, const char* field, long long want, const char* want_what) const {
        if (v == want) return true;
        set_error("%s: invalid argument '%s%s' = %lld: must be %s (= %lld)", fn, prefix, field, v, want_what, want);
        return false;
    }

    // A struct vim4j_rows view `prefix` (e.g. "a->" or "in->u.") of rows `width` floats wide.
    bool rows(const vim4j_rows& r, const char* prefix, long long width, const char* width_prefix,
              const char* width_field) const {
        return ptr(r.data, prefix, "data") && ge(r.ld, prefix, "ld", width, width_prefix, width_field);
    }
    bool linear(const vim4j_linear_weight& w, const char* prefix) const {
        if (!(ptr(w.packed, prefix, "packed") && min(w.n, 1, prefix, "n") && min(w.k, 1, prefix, "k") &&
              min(w.precision, VIM4J_PRECISION_FP32, prefix, "precision") &&
              max(w.precision, VIM4J_PRECISION_INT8, prefix, "precision") && eq(w.reserved, prefix, "reserved", 0, "0")))
            return false;
        if (w.precision == VIM4J_PRECISION_INT8) return ptr(w.scales, prefix, "scales");
        if (w.scales == nullptr) return true;
        set_error("%s: invalid argument '%sscales': must be NULL unless precision is VIM4J_PRECISION_INT8", fn, prefix);
        return false;
    }
    bool conv(const vim4j_conv_weights& w, const char* prefix) const {
        return ptr(w.weight, prefix, "weight") && ptr(w.bias, prefix, "bias") && min(w.channels, 1, prefix, "channels") &&
               min(w.kernel, 1, prefix, "kernel");
    }
    bool scan(const vim4j_scan_weights& w, const char* prefix) const {
        return ptr(w.a_t, prefix, "a_t") && ptr(w.d_skip, prefix, "d_skip") && ptr(w.delta_bias, prefix, "delta_bias") &&
               min(w.channels, 1, prefix, "channels") && min(w.states, 1, prefix, "states") &&
               max(w.states, kMaxStates, prefix, "states");
    }
};


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

// The avx512 tier's optional extensions for BF16 / INT8 layers; VIM4J_AVX512_EXT=none turns them off (so the
// fallbacks can be tested, and compared, on a CPU that has them).
int32_t detect_features() {
    int32_t f = 0;
#if VIM4J_HAVE_X86_TIERS
    if (kt().isa != VIM4J_ISA_AVX512) return 0;
    const char* env = std::getenv("VIM4J_AVX512_EXT");
    if (env != nullptr && std::strcmp(env, "none") == 0) return 0;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bf16")) f |= kFeatureBf16;
    if (__builtin_cpu_supports("avx512vnni")) f |= kFeatureVnni;
#endif
    return f;
}

// Forces the choice when the library is loaded.
const bool g_table_chosen = (kt(), true);

}  // namespace

int32_t cpu_features() {
    static const int32_t features = detect_features();
    return features;
}

}  // namespace vim4j

using vim4j::guarded;
using vim4j::kt;
using vim4j::set_error;

extern "C" {

int32_t vim4j_abi_version(void) { return VIM4J_ABI_VERSION; }

const char* vim4j_last_error(void) { return vim4j::t_error; }

int32_t vim4j_isa(void) { return kt().isa; }

struct vim4j_runtime* vim4j_runtime_create(int32_t threads) {
    static const char* const fn = "vim4j_runtime_create";
    vim4j_runtime* rt = nullptr;
    const int32_t rc = guarded(fn, [&]() -> int32_t {
        const vim4j::Check ck{fn};
        VIM4J_TRY(ck.min(threads, 1, "", "threads") && ck.max(threads, VIM4J_MAX_THREADS, "", "threads"));
        rt = new vim4j_runtime(threads);  // std::bad_alloc -> VIM4J_ERR_OUT_OF_MEMORY
        return VIM4J_OK;
    });
    return rc == VIM4J_OK ? rt : nullptr;
}

void vim4j_runtime_destroy(struct vim4j_runtime* runtime) {
    delete runtime;  // a limit only: the shared pool's workers stay for the other runtimes; never throws
}

int32_t vim4j_runtime_threads(const struct vim4j_runtime* runtime) { return runtime != nullptr ? runtime->threads : 1; }

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
        const vim4j::Check ck{fn};
        VIM4J_TRY(ck.ptr(w, "", "w") && ck.min(n, 1, "", "n") && ck.min(k, 1, "", "k") && ck.ptr(packed, "", "packed"));
        kt().linear_pack(w, n, k, packed);
        return VIM4J_OK;
    });
}

int64_t vim4j_linear_packed_bytes(int32_t precision, int32_t n, int32_t k) {
    if (n < 1 || k < 1) {
        set_error("vim4j_linear_packed_bytes: invalid argument '%s' = %d: must be >= 1", n < 1 ? "n" : "k",
                  static_cast<int>(n < 1 ? n : k));
        return -1;
    }
    if (precision < VIM4J_PRECISION_FP32 || precision > VIM4J_PRECISION_INT8) {
        set_error("vim4j_linear_packed_bytes: invalid argument 'precision' = %d: must be a VIM4J_PRECISION_*",
                  static_cast<int>(precision));
        return -1;
    }
    return kt().linear_packed_bytes(precision, n, k);
}

int32_t vim4j_linear_pack_bf16(const float* w, int32_t n, int32_t k, void* packed) {
    static const char* const fn = "vim4j_linear_pack_bf16";
    return guarded(fn, [&]() -> int32_t {
        const vim4j::Check ck{fn};
        VIM4J_TRY(ck.ptr(w, "", "w") && ck.min(n, 1, "", "n") && ck.min(k, 1, "", "k") && ck.ptr(packed, "", "packed"));
        kt().linear_pack_bf16(w, n, k, packed);
        return VIM4J_OK;
    });
}

int32_t vim4j_linear_pack_int8(const int8_t* qw, int32_t n, int32_t k, void* packed) {
    static const char* const fn = "vim4j_linear_pack_int8";
    return guarded(fn, [&]() -> int32_t {
        const vim4j::Check ck{fn};
        VIM4J_TRY(ck.ptr(qw, "", "qw") && ck.min(n, 1, "", "n") && ck.min(k, 1, "", "k") && ck.ptr(packed, "", "packed"));
        const int64_t total = static_cast<int64_t>(n) * k;
        for (int64_t i = 0; i < total; ++i) {
            if (qw[i] == -128) {
                set_error("%s: invalid argument 'qw': qw[%lld, %lld] = -128; int8 weights are in [-127, 127]", fn,
                          static_cast<long long>(i / k), static_cast<long long>(i % k));
                return VIM4J_ERR_INVALID_ARGUMENT;
            }
        }
        kt().linear_pack_int8(qw, n, k, packed);
        return VIM4J_OK;
    });
}

int32_t vim4j_linear(struct vim4j_runtime* runtime, const struct vim4j_rows* a, int32_t m,
                     const struct vim4j_linear_weight* w, const struct vim4j_rows* c) {
    static const char* const fn = "vim4j_linear";
    return guarded(fn, [&]() -> int32_t {
        const vim4j::Check ck{fn};
        VIM4J_TRY(ck.ptr(a, "", "a") && ck.ptr(w, "", "w") && ck.ptr(c, "", "c"));
        VIM4J_TRY(ck.min(m, 0, "", "m") && ck.linear(*w, "w->"));
        VIM4J_TRY(ck.rows(*a, "a->", w->k, "w->", "k") && ck.rows(*c, "c->", w->n, "w->", "n"));
        vim4j::Exec x(kt(), runtime);
        vim4j::linear(x, *a, m, *w, *c);
        return VIM4J_OK;
    });
}

int32_t vim4j_add_rms_norm(struct vim4j_runtime* runtime, float* residual, const float* hidden, const float* weight,
                           float* out, int32_t rows, int32_t dim, float eps) {
    static const char* const fn = "vim4j_add_rms_norm";
    return guarded(fn, [&]() -> int32_t {
        const vim4j::Check ck{fn};
        VIM4J_TRY(ck.ptr(residual, "", "residual") && ck.ptr(weight, "", "weight") && ck.ptr(out, "", "out"));
        VIM4J_TRY(ck.min(rows, 0, "", "rows") && ck.min(dim, 1, "", "dim"));
        if (!(eps >= 0.0f)) {
            set_error("%s: invalid argument 'eps' = %g: must be >= 0", fn, static_cast<double>(eps));
            return VIM4J_ERR_INVALID_ARGUMENT;
        }
        vim4j::Exec x(kt(), runtime);
        vim4j::add_rms_norm(x, residual, hidden, weight, out, rows, dim, eps);
        return VIM4J_OK;
    });
}

int32_t vim4j_conv_silu(struct vim4j_runtime* runtime, const struct vim4j_rows* x, const struct vim4j_conv_weights* w,
                        const struct vim4j_rows* out, int32_t batch, int32_t len, int32_t reverse) {
    static const char* const fn = "vim4j_conv_silu";
    return guarded(fn, [&]() -> int32_t {
        const vim4j::Check ck{fn};
        VIM4J_TRY(ck.ptr(x, "", "x") && ck.ptr(w, "", "w") && ck.ptr(out, "", "out"));
        VIM4J_TRY(ck.conv(*w, "w->") && ck.rows(*x, "x->", w->channels, "w->", "channels") &&
                  ck.rows(*out, "out->", w->channels, "w->", "channels"));
        VIM4J_TRY(ck.min(batch, 0, "", "batch") && ck.min(len, 0, "", "len"));
        vim4j::Exec ex(kt(), runtime);
        vim4j::conv_silu(ex, *x, *w, *out, batch, len, reverse != 0);
        return VIM4J_OK;
    });
}

int32_t vim4j_selective_scan(struct vim4j_runtime* runtime, const struct vim4j_scan_inputs* in,
                             const struct vim4j_scan_weights* w, const struct vim4j_rows* out, int32_t batch,
                             int32_t len, int32_t flags, float out_scale) {
    static const char* const fn = "vim4j_selective_scan";
    return guarded(fn, [&]() -> int32_t {
        const vim4j::Check ck{fn};
        VIM4J_TRY(ck.ptr(in, "", "in") && ck.ptr(w, "", "w") && ck.ptr(out, "", "out"));
        VIM4J_TRY(ck.scan(*w, "w->"));
        const long long e = w->channels, n = w->states;
        VIM4J_TRY(ck.rows(in->u, "in->u.", e, "w->", "channels") && ck.rows(in->delta, "in->delta.", e, "w->", "channels") &&
                  ck.rows(in->b, "in->b.", n, "w->", "states") && ck.rows(in->c, "in->c.", n, "w->", "states") &&
                  ck.rows(in->z, "in->z.", e, "w->", "channels") && ck.rows(*out, "out->", e, "w->", "channels"));
        VIM4J_TRY(ck.min(batch, 0, "", "batch") && ck.min(len, 0, "", "len"));
        if ((flags & ~(VIM4J_SCAN_REVERSE | VIM4J_SCAN_ACCUMULATE)) != 0) {
            set_error("%s: invalid argument 'flags' = %d: only VIM4J_SCAN_REVERSE | VIM4J_SCAN_ACCUMULATE (= %d) may be set",
                      fn, static_cast<int>(flags), VIM4J_SCAN_REVERSE | VIM4J_SCAN_ACCUMULATE);
            return VIM4J_ERR_INVALID_ARGUMENT;
        }
        vim4j::Exec x(kt(), runtime);
        vim4j::selective_scan(x, *in, *w, *out, batch, len, (flags & VIM4J_SCAN_REVERSE) != 0, out_scale,
                              (flags & VIM4J_SCAN_ACCUMULATE) != 0);
        return VIM4J_OK;
    });
}

int32_t vim4j_im2col(struct vim4j_runtime* runtime, const float* image, int32_t channels, int32_t height,
                     int32_t width, int32_t patch, int32_t stride, float* out) {
    static const char* const fn = "vim4j_im2col";
    return guarded(fn, [&]() -> int32_t {
        const vim4j::Check ck{fn};
        VIM4J_TRY(ck.ptr(image, "", "image") && ck.min(channels, 1, "", "channels") && ck.min(patch, 1, "", "patch") &&
                  ck.min(stride, 1, "", "stride") && ck.ge(height, "", "height", patch, "", "patch") &&
                  ck.ge(width, "", "width", patch, "", "patch") && ck.ptr(out, "", "out"));
        vim4j::Exec x(kt(), runtime);
        vim4j::im2col(x, image, channels, height, width, patch, stride, out);
        return VIM4J_OK;
    });
}

namespace vim4j {
namespace {

// One direction of a mixer against the buffers' dims.
bool check_branch(const Check& ck, const vim4j_branch_weights& br, const char* const names[4],
                  const vim4j_mixer_dims& d) {
    return ck.conv(br.conv, names[0]) && ck.eq(br.conv.channels, names[0], "channels", d.d_inner, "b->dims.d_inner") &&
           ck.linear(br.x_proj, names[1]) &&
           ck.eq(br.x_proj.n, names[1], "n", static_cast<long long>(d.dt_rank) + 2LL * d.d_state,
                 "b->dims.dt_rank + 2 * b->dims.d_state") &&
           ck.eq(br.x_proj.k, names[1], "k", d.d_inner, "b->dims.d_inner") && ck.linear(br.dt_proj, names[2]) &&
           ck.eq(br.dt_proj.n, names[2], "n", d.d_inner, "b->dims.d_inner") &&
           ck.eq(br.dt_proj.k, names[2], "k", d.dt_rank, "b->dims.dt_rank") && ck.scan(br.scan, names[3]) &&
           ck.eq(br.scan.channels, names[3], "channels", d.d_inner, "b->dims.d_inner") &&
           ck.eq(br.scan.states, names[3], "states", d.d_state, "b->dims.d_state");
}

}  // namespace
}  // namespace vim4j

int32_t vim4j_mixer_forward(struct vim4j_runtime* runtime, const struct vim4j_mixer_weights* w,
                            const struct vim4j_mixer_buffers* b, int32_t batch, int32_t len) {
    static const char* const fn = "vim4j_mixer_forward";
    static const char* const kForward[4] = {"w->forward.conv.", "w->forward.x_proj.", "w->forward.dt_proj.",
                                            "w->forward.scan."};
    static const char* const kBackward[4] = {"w->backward.conv.", "w->backward.x_proj.", "w->backward.dt_proj.",
                                             "w->backward.scan."};
    return guarded(fn, [&]() -> int32_t {
        const vim4j::Check ck{fn};
        VIM4J_TRY(ck.ptr(w, "", "w") && ck.ptr(b, "", "b"));
        const vim4j_mixer_dims& d = b->dims;
        VIM4J_TRY(ck.min(d.d_model, 1, "b->dims.", "d_model") && ck.min(d.d_inner, 1, "b->dims.", "d_inner") &&
                  ck.max(d.d_inner, 0x3FFFFFFF, "b->dims.", "d_inner") && ck.min(d.d_state, 1, "b->dims.", "d_state") &&
                  ck.max(d.d_state, vim4j::kMaxStates, "b->dims.", "d_state") &&
                  ck.min(d.dt_rank, 1, "b->dims.", "dt_rank") &&
                  ck.max(d.dt_rank, 0x7FFFFFFF - 2 * vim4j::kMaxStates, "b->dims.", "dt_rank") &&
                  ck.min(b->rows, 0, "b->", "rows"));
        VIM4J_TRY(ck.ptr(b->normed, "b->", "normed") && ck.ptr(b->hidden, "b->", "hidden") && ck.ptr(b->xz, "b->", "xz") &&
                  ck.ptr(b->delta, "b->", "delta") && ck.ptr(b->y, "b->", "y") &&
                  ck.ptr(b->forward.xc, "b->forward.", "xc") && ck.ptr(b->forward.x_dbl, "b->forward.", "x_dbl") &&
                  ck.ptr(b->backward.xc, "b->backward.", "xc") && ck.ptr(b->backward.x_dbl, "b->backward.", "x_dbl"));
        VIM4J_TRY(ck.linear(w->in_proj, "w->in_proj.") &&
                  ck.eq(w->in_proj.n, "w->in_proj.", "n", 2LL * d.d_inner, "2 * b->dims.d_inner") &&
                  ck.eq(w->in_proj.k, "w->in_proj.", "k", d.d_model, "b->dims.d_model") &&
                  ck.linear(w->out_proj, "w->out_proj.") &&
                  ck.eq(w->out_proj.n, "w->out_proj.", "n", d.d_model, "b->dims.d_model") &&
                  ck.eq(w->out_proj.k, "w->out_proj.", "k", d.d_inner, "b->dims.d_inner"));
        VIM4J_TRY(vim4j::check_branch(ck, w->forward, kForward, d) && vim4j::check_branch(ck, w->backward, kBackward, d));
        VIM4J_TRY(ck.min(batch, 0, "", "batch") && ck.min(len, 0, "", "len"));
        const long long rows = static_cast<long long>(batch) * len;
        if (rows > b->rows || rows > 0x7FFFFFFF) {
            set_error("%s: invalid arguments 'batch' * 'len' = %lld: must be <= b->rows (= %lld) and <= 2147483647", fn,
                      rows, static_cast<long long>(b->rows));
            return VIM4J_ERR_INVALID_ARGUMENT;
        }
        vim4j::Exec x(kt(), runtime);
        vim4j::mixer_forward(x, *w, *b, batch, len);
        return VIM4J_OK;
    });
}

}  // extern "C"
