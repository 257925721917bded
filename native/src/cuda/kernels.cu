// Kernel entry points of the C ABI: validate every argument (a message naming the function, the argument and its
// value), enqueue on the stream, report launch failures. vim4j_cuda_mixer_forward enqueues a whole bimamba-v2
// mixer layer with 4 launches (launch_mixer, mixer.cu).
#include "status.h"
#include "launch.h"
#include "vim4j_cuda.h"

using namespace vim4j_cuda;

namespace {

constexpr int kMaxStates = 256;

cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

#define REQUIRE(cond, name, value, rule) VIM4J_CUDA_REQUIRE(fn, cond, name, value, rule)
#define NONNULL(ptr) VIM4J_CUDA_NONNULL(fn, ptr)

#ifdef VIM4J_CUDA_PRECISION_BF16
static_assert(VIM4J_CUDA_PRECISION_BF16 == kPrecisionBf16, "the BF16 precision code of launch.h");
#endif
static_assert(VIM4J_CUDA_PRECISION_FP32 == kPrecisionFp32 && VIM4J_CUDA_PRECISION_TF32 == kPrecisionTf32,
              "the precision codes of launch.h");

// BF16 (2): the weights of the GEMMs (linear's w; the mixer's in_proj, out_proj, x_proj) are bf16 arrays.
int32_t check_precision(const char* fn, int32_t precision) {
    REQUIRE(precision == kPrecisionFp32 || precision == kPrecisionTf32 || precision == kPrecisionBf16, "precision",
            precision,
            "must be VIM4J_CUDA_PRECISION_FP32 (0), VIM4J_CUDA_PRECISION_TF32 (1) or VIM4J_CUDA_PRECISION_BF16 (2)");
    return VIM4J_CUDA_OK;
}

int32_t check_linear(const char* fn, const float* a, int64_t lda, int32_t m, const float* w, int32_t n, int32_t k,
                     float* c, int64_t ldc, int32_t precision) {
    REQUIRE(m >= 0, "m", m, "must be >= 0");
    REQUIRE(n >= 1, "n", n, "must be >= 1");
    REQUIRE(k >= 1, "k", k, "must be >= 1");
    REQUIRE(lda >= k, "lda", lda, "must be >= k");
    REQUIRE(ldc >= n, "ldc", ldc, "must be >= n");
    if (m > 0) {
        NONNULL(a);
        NONNULL(w);
        NONNULL(c);
    }
    return check_precision(fn, precision);
}

}  // namespace

extern "C" {

int32_t vim4j_cuda_linear(const float* a, int64_t lda, int32_t m, const float* w, const float* bias, int32_t n,
                          int32_t k, float* c, int64_t ldc, int32_t precision, void* stream) {
    static const char* fn = "vim4j_cuda_linear";
    VIM4J_CUDA_BIND(fn);
    const int32_t st = check_linear(fn, a, lda, m, w, n, k, c, ldc, precision);
    if (st != VIM4J_CUDA_OK) return st;
    if (m == 0) return VIM4J_CUDA_OK;  // touches no device (and so needs none)
    launch_linear(a, lda, m, w, bias, n, k, c, ldc, precision, as_stream(stream));
    return check_launch(fn);
}

int32_t vim4j_cuda_add_rms_norm(float* residual, const float* hidden, const float* weight, float* out, int32_t rows,
                                int32_t dim, float eps, void* stream) {
    static const char* fn = "vim4j_cuda_add_rms_norm";
    VIM4J_CUDA_BIND(fn);
    REQUIRE(rows >= 0, "rows", rows, "must be >= 0");
    REQUIRE(dim >= 1, "dim", dim, "must be >= 1");
    if (!(eps >= 0.0f)) {  // as vim4j_add_rms_norm: a negative or NaN eps is rejected
        return fail(VIM4J_CUDA_ERR_INVALID_ARGUMENT, "%s: invalid argument 'eps' = %g: must be >= 0", fn,
                    static_cast<double>(eps));
    }
    if (rows == 0) return VIM4J_CUDA_OK;
    NONNULL(residual);
    NONNULL(weight);
    NONNULL(out);
    launch_add_rms_norm(residual, hidden, weight, out, rows, dim, eps, as_stream(stream));
    return check_launch(fn);
}

int32_t vim4j_cuda_conv_silu(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo,
                             int32_t batch, int32_t len, int32_t channels, int32_t kernel, int32_t reverse,
                             void* stream) {
    static const char* fn = "vim4j_cuda_conv_silu";
    VIM4J_CUDA_BIND(fn);
    REQUIRE(batch >= 0, "batch", batch, "must be >= 0");
    REQUIRE(len >= 0, "len", len, "must be >= 0");
    REQUIRE(channels >= 0, "channels", channels, "must be >= 0");
    REQUIRE(kernel >= 1, "kernel", kernel, "must be >= 1");
    REQUIRE(ldx >= channels, "ldx", ldx, "must be >= channels");
    REQUIRE(ldo >= channels, "ldo", ldo, "must be >= channels");
    if (batch == 0 || len == 0 || channels == 0) return VIM4J_CUDA_OK;
    NONNULL(x);
    NONNULL(w);
    NONNULL(bias);
    NONNULL(out);
    launch_conv_silu(x, ldx, w, bias, out, ldo, nullptr, nullptr, nullptr, batch, len, channels, kernel,
                     reverse != 0 ? 1 : 0, as_stream(stream));
    return check_launch(fn);
}

int32_t vim4j_cuda_selective_scan(const float* u, int64_t ldu, const float* delta, int64_t ldd, const float* a_t,
                                  const float* b, const float* c, int64_t ldbc, const float* d_skip,
                                  const float* delta_bias, const float* z, int64_t ldz, float* out, int64_t ldo,
                                  int32_t batch, int32_t len, int32_t channels, int32_t states, int32_t reverse,
                                  float out_scale, int32_t accumulate, void* stream) {
    static const char* fn = "vim4j_cuda_selective_scan";
    VIM4J_CUDA_BIND(fn);
    REQUIRE(batch >= 0 && batch <= 65535, "batch", batch, "must be in [0, 65535]");
    REQUIRE(len >= 0, "len", len, "must be >= 0");
    REQUIRE(channels >= 0, "channels", channels, "must be >= 0");
    REQUIRE(states >= 1 && states <= kMaxStates, "states", states, "must be in [1, 256]");
    REQUIRE(ldu >= channels, "ldu", ldu, "must be >= channels");
    REQUIRE(ldd >= channels, "ldd", ldd, "must be >= channels");
    REQUIRE(ldz >= channels, "ldz", ldz, "must be >= channels");
    REQUIRE(ldo >= channels, "ldo", ldo, "must be >= channels");
    REQUIRE(ldbc >= states, "ldbc", ldbc, "must be >= states");
    if (batch == 0 || len == 0 || channels == 0) return VIM4J_CUDA_OK;
    NONNULL(u);
    NONNULL(delta);
    NONNULL(a_t);
    NONNULL(b);
    NONNULL(c);
    NONNULL(d_skip);
    NONNULL(delta_bias);
    NONNULL(z);
    NONNULL(out);
    // B and C may live in different buffers here; the kernel addresses both from `b` with c_off = c - b.
    ScanDirection d{};
    d.u = u;
    d.ldu = ldu;
    d.delta = delta;
    d.ldd = ldd;
    d.dt_proj = nullptr;
    d.dt_rank = 0;
    d.a_t = a_t;
    d.bc = b;
    d.b_off = 0;
    d.c_off = c - b;
    d.ldbc = ldbc;
    d.d_skip = d_skip;
    d.delta_bias = delta_bias;
    d.z = z;
    d.ldz = ldz;
    d.out = out;
    d.ldo = ldo;
    d.reverse = reverse != 0 ? 1 : 0;
    d.out_scale = out_scale;
    d.mode = accumulate != 0 ? kScanAccumulate : kScanStore;
    launch_selective_scan(&d, 1, batch, len, channels, states, as_stream(stream));
    return check_launch(fn);
}

int32_t vim4j_cuda_im2col(const float* images, int32_t batch, int32_t channels, int32_t height, int32_t width,
                          int32_t patch, int32_t stride, float* out, void* stream) {
    static const char* fn = "vim4j_cuda_im2col";
    VIM4J_CUDA_BIND(fn);
    REQUIRE(batch >= 0, "batch", batch, "must be >= 0");
    REQUIRE(channels >= 1, "channels", channels, "must be >= 1");
    REQUIRE(patch >= 1, "patch", patch, "must be >= 1");
    REQUIRE(stride >= 1, "stride", stride, "must be >= 1");
    REQUIRE(height >= patch, "height", height, "must be >= patch");
    REQUIRE(width >= patch, "width", width, "must be >= patch");
    if (batch == 0) return VIM4J_CUDA_OK;
    NONNULL(images);
    NONNULL(out);
    launch_im2col(images, batch, channels, height, width, patch, stride, out, as_stream(stream));
    return check_launch(fn);
}

int32_t vim4j_cuda_add(float* dst, const float* src, int64_t n, void* stream) {
    static const char* fn = "vim4j_cuda_add";
    VIM4J_CUDA_BIND(fn);
    REQUIRE(n >= 0, "n", n, "must be >= 0");
    if (n == 0) return VIM4J_CUDA_OK;
    NONNULL(dst);
    NONNULL(src);
    launch_add(dst, src, n, as_stream(stream));
    return check_launch(fn);
}

int32_t vim4j_cuda_embed_tokens(const float* patch_rows, const float* cls_token, const float* pos_embed,
                                float* residual, int32_t batch, int32_t patches, int32_t d, void* stream) {
    static const char* fn = "vim4j_cuda_embed_tokens";
    VIM4J_CUDA_BIND(fn);
    REQUIRE(batch >= 0, "batch", batch, "must be >= 0");
    REQUIRE(patches >= 1, "patches", patches, "must be >= 1");
    REQUIRE(d >= 1, "d", d, "must be >= 1");
    if (batch == 0) return VIM4J_CUDA_OK;
    NONNULL(patch_rows);
    NONNULL(cls_token);
    NONNULL(pos_embed);
    NONNULL(residual);
    launch_embed_tokens(patch_rows, cls_token, pos_embed, residual, batch, patches, d, as_stream(stream));
    return check_launch(fn);
}

int32_t vim4j_cuda_mixer_forward(const float* h, float* hidden, int32_t batch, int32_t len, int32_t d_model,
                                 int32_t d_inner, int32_t d_state, int32_t dt_rank, int32_t d_conv,
                                 const float* in_proj, const float* out_proj,
                                 const float* conv_w_f, const float* conv_b_f, const float* x_proj_f,
                                 const float* dt_proj_f, const float* dt_bias_f, const float* a_t_f, const float* d_f,
                                 const float* conv_w_b, const float* conv_b_b, const float* x_proj_b,
                                 const float* dt_proj_b, const float* dt_bias_b, const float* a_t_b, const float* d_b,
                                 float* xz, float* xc_f, float* xc_b, float* x_dbl_f, float* x_dbl_b, float* y,
                                 int32_t precision, void* stream) {
    static const char* fn = "vim4j_cuda_mixer_forward";
    VIM4J_CUDA_BIND(fn);
    REQUIRE(batch >= 0 && batch <= 65535, "batch", batch, "must be in [0, 65535]");
    REQUIRE(len >= 0, "len", len, "must be >= 0");
    REQUIRE(d_model >= 1, "d_model", d_model, "must be >= 1");
    REQUIRE(d_inner >= 1, "d_inner", d_inner, "must be >= 1");
    REQUIRE(d_state >= 1 && d_state <= kMaxStates, "d_state", d_state, "must be in [1, 256]");
    REQUIRE(dt_rank >= 1, "dt_rank", dt_rank, "must be >= 1");
    REQUIRE(d_conv >= 1, "d_conv", d_conv, "must be >= 1");
    const int32_t pc = check_precision(fn, precision);
    if (pc != VIM4J_CUDA_OK) return pc;
    REQUIRE(static_cast<int64_t>(batch) * len <= INT32_MAX, "len", len, "batch * len must be <= 2^31 - 1");
    if (batch == 0 || len == 0) return VIM4J_CUDA_OK;
    const void* ptrs[] = {h, hidden, in_proj, out_proj, conv_w_f, conv_b_f, x_proj_f, dt_proj_f, dt_bias_f, a_t_f,
                          d_f, conv_w_b, conv_b_b, x_proj_b, dt_proj_b, dt_bias_b, a_t_b, d_b, xz, xc_f, xc_b,
                          x_dbl_f, x_dbl_b, y};
    static const char* names[] = {"h", "hidden", "in_proj", "out_proj", "conv_w_f", "conv_b_f", "x_proj_f",
                                  "dt_proj_f", "dt_bias_f", "a_t_f", "d_f", "conv_w_b", "conv_b_b", "x_proj_b",
                                  "dt_proj_b", "dt_bias_b", "a_t_b", "d_b", "xz", "xc_f", "xc_b", "x_dbl_f",
                                  "x_dbl_b", "y"};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; ++i) {
        if (ptrs[i] == nullptr) {
            return fail(VIM4J_CUDA_ERR_INVALID_ARGUMENT, "%s: invalid argument '%s': must not be NULL", fn, names[i]);
        }
    }
    MixerLaunch m{};
    m.h = h;
    m.hidden = hidden;
    m.batch = batch;
    m.len = len;
    m.d_model = d_model;
    m.d_inner = d_inner;
    m.d_state = d_state;
    m.dt_rank = dt_rank;
    m.d_conv = d_conv;
    m.in_proj = in_proj;
    m.out_proj = out_proj;
    m.dir[0] = {conv_w_f, conv_b_f, x_proj_f, dt_proj_f, dt_bias_f, a_t_f, d_f, xc_f, x_dbl_f};
    m.dir[1] = {conv_w_b, conv_b_b, x_proj_b, dt_proj_b, dt_bias_b, a_t_b, d_b, xc_b, x_dbl_b};
    m.xz = xz;
    m.y = y;
    m.precision = precision;
    launch_mixer(m, as_stream(stream));
    return check_launch(fn);
}

}  // extern "C"
