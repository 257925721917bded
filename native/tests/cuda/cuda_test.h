// Minimal harness of the CUDA tests: checks, device buffers through the C ABI only (no CUDA headers: the tests
// build with the host compiler and link libvim4j_cuda.so), random data, and the "no device" skip.
#ifndef VIM4J_CUDA_TEST_H
#define VIM4J_CUDA_TEST_H

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "vim4j_cuda.h"

namespace ct {

inline int& failures() {
    static int f = 0;
    return f;
}
inline long& checks() {
    static long c = 0;
    return c;
}

#define CT_CHECK(cond, ...)                                                \
    do {                                                                   \
        ++ct::checks();                                                    \
        if (!(cond)) {                                                     \
            if (++ct::failures() <= 50) {                                  \
                std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
                std::fprintf(stderr, __VA_ARGS__);                         \
                std::fputc('\n', stderr);                                  \
            }                                                              \
        }                                                                  \
    } while (0)

#define CT_OK(call)                                                                                       \
    do {                                                                                                  \
        const int32_t rc_ = (call);                                                                       \
        CT_CHECK(rc_ == VIM4J_CUDA_OK, "%s returned %d: %s", #call, static_cast<int>(rc_), vim4j_cuda_last_error()); \
    } while (0)

inline int finish(const char* test) {
    std::printf("%s: %ld checks, %d failures\n", test, checks(), failures());
    return failures() == 0 ? 0 : 1;
}

// 0 when device 0 is usable; otherwise prints the reason and returns 77 (ctest SKIP_RETURN_CODE).
inline int device_or_skip(const char* test) {
    char name[256] = "";
    const int32_t rc = vim4j_cuda_init(0, name, sizeof name);
    if (rc != VIM4J_CUDA_OK) {
        std::printf("%s: skipped: %s\n", test, vim4j_cuda_last_error());
        return 77;
    }
    std::printf("%s: device 0: %s\n", test, name);
    return 0;
}

inline void* stream() {
    static int64_t s = 0;
    if (s == 0) CT_OK(vim4j_cuda_stream_create(&s));
    return reinterpret_cast<void*>(static_cast<intptr_t>(s));
}

// A device buffer of n floats with a host mirror; freed by the destructor.
struct Dev {
    std::vector<float> host;
    float* ptr = nullptr;
    explicit Dev(size_t n, float fill = 0.0f) : host(n == 0 ? 1 : n, fill) {
        int64_t a = 0;
        CT_OK(vim4j_cuda_malloc(static_cast<int64_t>(host.size() * sizeof(float)), &a));
        ptr = reinterpret_cast<float*>(static_cast<intptr_t>(a));
        upload();
    }
    explicit Dev(const std::vector<float>& v) : Dev(v.size()) {
        std::copy(v.begin(), v.end(), host.begin());
        upload();
    }
    Dev(const Dev&) = delete;
    Dev& operator=(const Dev&) = delete;
    ~Dev() { vim4j_cuda_free(ptr); }
    void upload() {
        CT_OK(vim4j_cuda_memcpy(ptr, host.data(), static_cast<int64_t>(host.size() * sizeof(float)), stream()));
        CT_OK(vim4j_cuda_stream_synchronize(stream()));
    }
    std::vector<float>& download() {
        CT_OK(vim4j_cuda_stream_synchronize(stream()));
        CT_OK(vim4j_cuda_memcpy(host.data(), ptr, static_cast<int64_t>(host.size() * sizeof(float)), stream()));
        CT_OK(vim4j_cuda_stream_synchronize(stream()));
        return host;
    }
};

// Argument structs of the ABI around raw device pointers.
inline vim4j_cuda_linear_weight linear_weight(const float* w, const float* bias, int32_t n, int32_t k, int32_t precision) {
    vim4j_cuda_linear_weight lw{};
    lw.weight = w;
    lw.bias = bias;
    lw.n = n;
    lw.k = k;
    lw.precision = precision;
    lw.layout = VIM4J_CUDA_LAYOUT_ROW_MAJOR;
    return lw;
}

inline vim4j_cuda_rows rows(const float* data, int64_t ld) {
    vim4j_cuda_rows r{};
    r.data = const_cast<float*>(data);
    r.ld = ld;
    return r;
}

inline std::vector<float> random_vec(std::mt19937& rng, size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// |got - want| <= tol * (1 + scale) where scale is the magnitude of the terms that produced want.
inline void expect_close(const char* what, const std::vector<float>& got, const std::vector<double>& want,
                         const std::vector<double>& scale, double tol) {
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const double err = std::fabs(static_cast<double>(got[i]) - want[i]) / (1.0 + scale[i]);
        if (!(err <= worst)) {
            worst = err;
            at = i;
        }
    }
    CT_CHECK(worst <= tol, "%s: worst error %.3g at %zu (want %.9g, got %.9g) exceeds %.3g", what, worst, at,
             want.empty() ? 0.0 : want[at], got.empty() ? 0.0 : static_cast<double>(got[at]), tol);
}

inline double silu_ref(double x) { return x / (1.0 + std::exp(-x)); }
inline double softplus_ref(double v) { return v > 20.0 ? v : std::log1p(std::exp(v)); }

}  // namespace ct

#endif  // VIM4J_CUDA_TEST_H
