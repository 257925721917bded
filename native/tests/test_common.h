// Minimal test harness shared by the libvim4j tests: checks, guarded buffers, random data, tier setup.
#ifndef VIM4J_TEST_COMMON_H
#define VIM4J_TEST_COMMON_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "vim4j.h"

namespace vt {

inline int& failures() {
    static int f = 0;
    return f;
}
inline long& checks() {
    static long c = 0;
    return c;
}

#define VT_CHECK(cond, ...)                                                  \
    do {                                                                     \
        ++vt::checks();                                                      \
        if (!(cond)) {                                                       \
            if (++vt::failures() <= 50) {                                    \
                std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);    \
                std::fprintf(stderr, __VA_ARGS__);                           \
                std::fputc('\n', stderr);                                    \
            }                                                                \
        }                                                                    \
    } while (0)

#define VT_CHECK_OK(call)                                                                           \
    do {                                                                                            \
        const int32_t rc_ = (call);                                                                 \
        VT_CHECK(rc_ == VIM4J_OK, "%s returned %d: %s", #call, static_cast<int>(rc_), vim4j_last_error()); \
    } while (0)

inline const char* isa_name(int isa) {
    switch (isa) {
        case VIM4J_ISA_PORTABLE: return "portable";
        case VIM4J_ISA_AVX2: return "avx2";
        case VIM4J_ISA_AVX512: return "avx512";
        default: return "?";
    }
}

// The best tier this CPU supports, detected independently of the library.
inline int machine_isa() {
#if defined(__x86_64__)
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    return avx512 ? VIM4J_ISA_AVX512 : avx2 ? VIM4J_ISA_AVX2 : VIM4J_ISA_PORTABLE;
#else
    return VIM4J_ISA_PORTABLE;
#endif
}

// Checks the tier requested by ctest (VIM4J_EXPECT_ISA, set together with VIM4J_MAX_ISA) against the one
// the library chose. Returns 77 (ctest: skipped) if the CPU lacks the tier, 1 on mismatch, else 0.
inline int tier_setup(const char* test) {
    const char* want = std::getenv("VIM4J_EXPECT_ISA");
    std::printf("%s: library tier %s (abi %d)\n", test, isa_name(vim4j_isa()), vim4j_abi_version());
    if (want == nullptr) return 0;
    int requested = -1;
    for (int i = 0; i <= 2; ++i)
        if (std::strcmp(want, isa_name(i)) == 0) requested = i;
    if (requested < 0) {
        std::fprintf(stderr, "%s: unknown VIM4J_EXPECT_ISA=%s\n", test, want);
        return 1;
    }
    if (machine_isa() < requested) {
        std::printf("SKIP %s: this CPU does not support the %s tier\n", test, want);
        return 77;
    }
    if (vim4j_isa() != requested) {
        std::fprintf(stderr, "%s: VIM4J_MAX_ISA=%s but the library chose %s\n", test, want, isa_name(vim4j_isa()));
        return 1;
    }
    return 0;
}

inline int finish(const char* test) {
    if (failures() == 0) {
        std::printf("%s [%s]: all %ld checks passed\n", test, isa_name(vim4j_isa()), checks());
        return 0;
    }
    std::printf("%s [%s]: %d of %ld checks FAILED\n", test, isa_name(vim4j_isa()), failures(), checks());
    return 1;
}

// A float buffer with guard zones before and after; guards() tells whether they are intact.
class Buf {
public:
    static constexpr size_t kGuard = 64;
    static constexpr float kSentinel = -7.7777e7f;
    Buf() : Buf(0) {}
    explicit Buf(size_t n, float fill = kSentinel) : n_(n), v_(n + 2 * kGuard, kSentinel) {
        for (size_t i = 0; i < n; ++i) v_[kGuard + i] = fill;
    }
    float* data() { return v_.data() + kGuard; }
    const float* data() const { return v_.data() + kGuard; }
    float& operator[](size_t i) { return v_[kGuard + i]; }
    float operator[](size_t i) const { return v_[kGuard + i]; }
    size_t size() const { return n_; }
    bool guards() const {
        for (size_t i = 0; i < kGuard; ++i)
            if (!same(v_[i], kSentinel) || !same(v_[kGuard + n_ + i], kSentinel)) return false;
        return true;
    }
    static bool same(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

private:
    size_t n_;
    std::vector<float> v_;
};

class Rng {
public:
    explicit Rng(uint32_t seed) : g_(seed) {}
    float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(g_); }
    int range(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_); }
    void fill(Buf& b, float lo, float hi) {
        for (size_t i = 0; i < b.size(); ++i) b[i] = uniform(lo, hi);
    }
    void fill(float* p, size_t n, float lo, float hi) {
        for (size_t i = 0; i < n; ++i) p[i] = uniform(lo, hi);
    }

private:
    std::mt19937 g_;
};

// Error statistics of one comparison: |got - ref| / (mag + floor), mag >= |ref| is the condition magnitude.
struct ErrStat {
    double worst = 0.0;
    long bad = 0;
    long n = 0;
    char first_bad[160] = "";
    void add(float got, double ref, double mag, double tol) {
        ++n;
        if (std::isnan(ref)) {
            if (!std::isnan(got)) note(got, ref, mag);
            return;
        }
        if (std::isinf(ref)) {
            if (!(static_cast<double>(got) == ref)) note(got, ref, mag);
            return;
        }
        const double e = std::fabs(static_cast<double>(got) - ref) / (mag + 1e-30);
        if (!(e <= tol)) note(got, ref, mag);  // NaN got counts as bad
        if (e > worst || std::isnan(e)) worst = std::isnan(e) ? INFINITY : e;
    }
    void note(float got, double ref, double mag) {
        if (bad++ == 0)
            std::snprintf(first_bad, sizeof(first_bad), "value #%ld: got %.9g, reference %.9g, magnitude %.3g", n - 1,
                          static_cast<double>(got), ref, mag);
    }
};

// Runtimes of 1..kMaxTestThreads threads, created once per test binary (index = threads); runtime(0) is NULL (the
// caller's thread only). Destroyed at exit.
constexpr int kMaxTestThreads = 4;
inline vim4j_runtime* runtime(int threads) {
    struct Runtimes {
        vim4j_runtime* rt[kMaxTestThreads + 1] = {};
        Runtimes() {
            for (int t = 1; t <= kMaxTestThreads; ++t) rt[t] = vim4j_runtime_create(t);
        }
        ~Runtimes() {
            for (vim4j_runtime* r : rt) vim4j_runtime_destroy(r);
        }
    };
    static Runtimes all;
    return all.rt[threads];
}

inline vim4j_rows rows(float* data, int64_t ld) { return vim4j_rows{data, ld}; }
inline vim4j_rows rows(const float* data, int64_t ld) { return vim4j_rows{const_cast<float*>(data), ld}; }

// ---------------------------------------------------------------------- BF16 / INT8 (docs/precision.md, literally)

// fp32 -> bf16 -> fp32, round to nearest even, NaN kept (a quiet NaN).
inline float round_bf16(float f) {
    uint32_t b;
    std::memcpy(&b, &f, sizeof(b));
    if ((b & 0x7fffffffu) > 0x7f800000u) {
        b = (b & 0xffff0000u) | 0x00400000u;
    } else {
        b = (b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u;
    }
    float r;
    std::memcpy(&r, &b, sizeof(r));
    return r;
}

// clamp(rint(v * inv), -127, 127) with a NaN product giving 0, as Java's (byte) cast of the clamped double does.
inline int8_t quantize_i8(float v, float inv) {
    const float p = v * inv;
    double r = std::nearbyint(static_cast<double>(p));  // round half to even in the default rounding mode
    if (std::isnan(r)) return 0;
    r = std::max(-127.0, std::min(127.0, r));
    return static_cast<int8_t>(r);
}

// Per-output-channel int8 weights of w (n, k): qw and sw = amax / 127 (Quantization.int8).
inline void quantize_weights(const float* w, int n, int k, std::vector<int8_t>& qw, std::vector<float>& sw) {
    qw.assign(static_cast<size_t>(n) * k, 0);
    sw.assign(n, 0.0f);
    for (int j = 0; j < n; ++j) {
        float amax = 0.0f;
        for (int kk = 0; kk < k; ++kk) amax = std::max(amax, std::fabs(w[static_cast<size_t>(j) * k + kk]));
        const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        sw[j] = amax / 127.0f;
        for (int kk = 0; kk < k; ++kk) qw[static_cast<size_t>(j) * k + kk] = quantize_i8(w[static_cast<size_t>(j) * k + kk], inv);
    }
}

// A weight packed by the library at a precision, with its ABI struct.
struct PackedLinear {
    std::vector<float> packed;  // floats, to get their alignment; holds bytes for BF16 / INT8
    std::vector<float> scales;  // INT8
    int n = 0, k = 0, precision = VIM4J_PRECISION_FP32;
    vim4j_linear_weight abi(const float* bias) const {
        return {packed.data(), bias, n, k, precision, 0, precision == VIM4J_PRECISION_INT8 ? scales.data() : nullptr};
    }
};

// Packs fp32 w (n, k) at `precision` (INT8: quantized per output channel first). Returns false on a failed call.
inline bool pack_linear(const float* w, int n, int k, int precision, PackedLinear& out) {
    out.n = n;
    out.k = k;
    out.precision = precision;
    const int64_t bytes = vim4j_linear_packed_bytes(precision, n, k);
    if (bytes <= 0) return false;
    // one extra float of sentinel past the end, checked by the callers that care
    out.packed.assign(static_cast<size_t>((bytes + 3) / 4) + 1, -7.0f);
    if (precision == VIM4J_PRECISION_FP32) return vim4j_linear_pack(w, n, k, out.packed.data()) == VIM4J_OK;
    if (precision == VIM4J_PRECISION_BF16) return vim4j_linear_pack_bf16(w, n, k, out.packed.data()) == VIM4J_OK;
    std::vector<int8_t> qw;
    quantize_weights(w, n, k, qw, out.scales);
    return vim4j_linear_pack_int8(qw.data(), n, k, out.packed.data()) == VIM4J_OK;
}

inline double softplus_d(double v) { return v > 20.0 ? v : std::log1p(std::exp(v)); }
inline double silu_d(double v) { return v / (1.0 + std::exp(-v)); }

}  // namespace vt

#endif
