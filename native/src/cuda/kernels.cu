// Kernel entry points of the C ABI: validate every argument (a message naming the function, the argument - a struct
// field as 'w->k' - and its value), enqueue on the stream, report launch failures. The argument structs are read here
// and never kept: their values go into the launches. vim4j_cuda_mixer_forward enqueues a whole bimamba-v2 mixer layer
// with 4 launches (launch_mixer, mixer.cu).
#include <cstddef>
#include <cstdio>

#include "status.h"
#include "launch.h"
#include "vim4j_cuda.h"

using namespace vim4j_cuda;

// The layouts the Java bindings describe (bindings/.../vim4j_cuda_*.java, checked against this header by
// BindingsDriftTest): LP64, natural alignment.
static_assert(sizeof(vim4j_cuda_rows) == 16, "vim4j_cuda_rows layout");
static_assert(sizeof(vim4j_cuda_linear_weight) == 32, "vim4j_cuda_linear_weight layout");
static_assert(sizeof(vim4j_cuda_conv_weights) == 24, "vim4j_cuda_conv_weights layout");
static_assert(sizeof(vim4j_cuda_scan_weights) == 32, "vim4j_cuda_scan_weights layout");
static_assert(sizeof(vim4j_cuda_scan_inputs) == 80, "vim4j_cuda_scan_inputs layout");
static_assert(sizeof(vim4j_cuda_scan_mode) == 12, "vim4j_cuda_scan_mode layout");
static_assert(sizeof(vim4j_cuda_branch_weights) == 120, "vim4j_cuda_branch_weights layout");
static_assert(offsetof(vim4j_cuda_branch_weights, scan) == 88, "vim4j_cuda_branch_weights layout");
static_assert(sizeof(vim4j_cuda_mixer_weights) == 304, "vim4j_cuda_mixer_weights layout");
static_assert(sizeof(vim4j_cuda_mixer_dims) == 16, "vim4j_cuda_mixer_dims layout");
static_assert(sizeof(vim4j_cuda_mixer_buffers) == 96, "vim4j_cuda_mixer_buffers layout");
static_assert(sizeof(vim4j_cuda_patch_grid) == 20, "vim4j_cuda_patch_grid layout");

namespace {

constexpr int kMaxStates = 256;

cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

#define REQUIRE(cond, name, value, rule) VIM4J_CUDA_REQUIRE(fn, cond, name, value, rule)
#define NONNULL(ptr) VIM4J_CUDA_NONNULL(fn, ptr)
#define TRY(call)                                 \
    do {                                          \
        const int32_t st_ = (call);               \
        if (st_ != VIM4J_CUDA_OK) return st_;     \
    } while (0)

int32_t null_arg(const char* fn, const char* name) {
    return fail(VIM4J_CUDA_ERR_INVALID_ARGUMENT, "%s: invalid argument '%s': must not be NULL", fn, name);
}

// '<prefix><field>' = value: must equal <what> (want)
int32_t expect_eq(const char* fn, const char* prefix, const char* field, int64_t value, int64_t want, const char* what) {
    if (value == want) return VIM4J_CUDA_OK;
    return fail(VIM4J_CUDA_ERR_INVALID_ARGUMENT, "%s: invalid argument '%s%s' = %lld: must equal %s (%lld)", fn, prefix,
                field, static_cast<long long>(value), what, static_cast<long long>(want));
}

static_assert(VIM4J_CUDA_PRECISION_BF16 == kPrecisionBf16 && VIM4J_CUDA_PRECISION_FP32 == kPrecisionFp32 &&
                  VIM4J_CUDA_PRECISION_TF32 == kPrecisionTf32,
              "the precision codes of launch.h");

// BF16 (2): the weight is a bf16 array (fp32 accumulation); FP32 and TF32 weights are fp32 arrays.
int32_t check_precision(const char* fn, const char* name, int32_t precision) {
    if (precision == kPrecisionFp32 || precision == kPrecisionTf32 || precision == kPrecisionBf16) return VIM4J_CUDA_OK;
    return fail(VIM4J_CUDA_ERR_INVALID_ARGUMENT,
                "%s: invalid argument '%s' = %d: must be VIM4J_CUDA_PRECISION_FP32 (0), VIM4J_CUDA_PRECISION_TF32 (1) "
                "or VIM4J_CUDA_PRECISION_BF16 (2)",
                fn, name, precision);
}

// A linear weight's own consistency (prefix names it, e.g. "w->" or "w->forward.x_proj."); its pointers are checked
// only when it will be used (needed).
int32_t check_linear_weight(const char* fn, const char* prefix, const vim4j_cuda_linear_weight& w, bool needed) {
    char name[96];
    std::snprintf(name, sizeof name, "%sn", prefix);
    VIM4J_CUDA_REQUIRE(fn, w.n >= 1, name, w.n, "must be >= 1");
    std::snprintf(name, sizeof name, "%sk", prefix);
    VIM4J_CUDA_REQUIRE(fn, w.k >= 1, name, w.k, "must be >= 1");
    std::snprintf(name, sizeof name, "%sprecision", prefix);
    TRY(check_precision(fn, name, w.precision));
    std::snprintf(name, sizeof name, "%slayout", prefix);
    VIM4J_CUDA_REQUIRE(fn, w.layout == VIM4J_CUDA_LAYOUT_ROW_MAJOR, name, w.layout,
                       "must be VIM4J_CUDA_LAYOUT_ROW_MAJOR (0)");
    if (needed && w.weight == nullptr) {
        std::snprintf(name, sizeof name, "%sweight", prefix);
        return null_arg(fn, name);
    }
    return VIM4J_CUDA_OK;
}

const float* weights(const vim4j_cuda_linear_weight& w) { return static_cast<const float*>(w.weight); }

void launch(const float* a, int64_t lda, int32_t m, const vim4j_cuda_linear_weight& w, float* c, int64_t ldc,
            cudaStream_t s) {
    launch_linear(a, lda, m, weights(w), w.bias, w.n, w.k, c, ldc, w.precision, s);
}

}  // namespace

extern "C" {

int32_t vim4j_cuda_linear(const float* a, int64_t lda, int32_t m, const struct vim4j_cuda_linear_weight* w, float* c,
                          int64_t ldc, void* stream) {
    static const char* fn = "vim4j_cuda_linear";
    VIM4J_CUDA_BIND(fn);
    NONNULL(w);
    REQUIRE(m >= 0, "m", m, "must be >= 0");
    TRY(check_linear_weight(fn, "w->", *w, m > 0));
    REQUIRE(lda >= w->k, "lda", lda, "must be >= w->k");
    REQUIRE(ldc >= w->n, "ldc", ldc, "must be >= w->n");
    if (m == 0) return VIM4J_CUDA_OK;  // touches no device (and so needs none)
    NONNULL(a);
    NONNULL(c);
    launch(a, lda, m, *w, c, ldc, as_stream(stream));
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

int32_t vim4j_cuda_conv_silu(const struct vim4j_cuda_rows* x, const struct vim4j_cuda_conv_weights* w,
                             const struct vim4j_cuda_rows* out, int32_t batch, int32_t len, int32_t reverse,
                             void* stream) {
    static const char* fn = "vim4j_cuda_conv_silu";
    VIM4J_CUDA_BIND(fn);
    NONNULL(x);
    NONNULL(w);
    NONNULL(out);
    REQUIRE(batch >= 0, "batch", batch, "must be >= 0");
    REQUIRE(len >= 0, "len", len, "must be >= 0");
    REQUIRE(w->channels >= 0, "w->channels", w->channels, "must be >= 0");
    REQUIRE(w->kernel >= 1, "w->kernel", w->kernel, "must be >= 1");
    REQUIRE(x->ld >= w->channels, "x->ld", x->ld, "must be >= w->channels");
    REQUIRE(out->ld >= w->channels, "out->ld", out->ld, "must be >= w->channels");
    if (batch == 0 || len == 0 || w->channels == 0) return VIM4J_CUDA_OK;
    NONNULL(x->data);
    NONNULL(w->weight);
    NONNULL(w->bias);
    NONNULL(out->data);
    launch_conv_silu(x->data, x->ld, w->weight, w->bias, out->data, out->ld, nullptr, nullptr, nullptr, batch, len,
                     w->channels, w->kernel, reverse != 0 ? 1 : 0, as_stream(stream));
    return check_launch(fn);
}

int32_t vim4j_cuda_selective_scan(const struct vim4j_cuda_scan_inputs* in, const struct vim4j_cuda_scan_weights* w,
                                  const struct vim4j_cuda_rows* out, int32_t batch, int32_t len,
                                  const struct vim4j_cuda_scan_mode* mode, void* stream) {
    static const char* fn = "vim4j_cuda_selective_scan";
    VIM4J_CUDA_BIND(fn);
    NONNULL(in);
    NONNULL(w);
    NONNULL(out);
    NONNULL(mode);
    const int32_t channels = w->channels, states = w->states;
    REQUIRE(batch >= 0 && batch <= 65535, "batch", batch, "must be in [0, 65535]");
    REQUIRE(len >= 0, "len", len, "must be >= 0");
    REQUIRE(channels >= 0, "w->channels", channels, "must be >= 0");
    REQUIRE(states >= 1 && states <= kMaxStates, "w->states", states, "must be in [1, 256]");
    REQUIRE(in->u.ld >= channels, "in->u.ld", in->u.ld, "must be >= w->channels");
    REQUIRE(in->delta.ld >= channels, "in->delta.ld", in->delta.ld, "must be >= w->channels");
    REQUIRE(in->z.ld >= channels, "in->z.ld", in->z.ld, "must be >= w->channels");
    REQUIRE(out->ld >= channels, "out->ld", out->ld, "must be >= w->channels");
    REQUIRE(in->b.ld >= states, "in->b.ld", in->b.ld, "must be >= w->states");
    if (in->c.ld != in->b.ld) return expect_eq(fn, "in->", "c.ld", in->c.ld, in->b.ld, "in->b.ld");
    if (batch == 0 || len == 0 || channels == 0) return VIM4J_CUDA_OK;
    NONNULL(in->u.data);
    NONNULL(in->delta.data);
    NONNULL(in->b.data);
    NONNULL(in->c.data);
    NONNULL(in->z.data);
    NONNULL(w->a_t);
    NONNULL(w->d_skip);
    NONNULL(w->delta_bias);
    NONNULL(out->data);
    // B and C may live in different buffers here; the kernel addresses both from `b` with c_off = c - b.
    ScanDirection d{};
    d.u = in->u.data;
    d.ldu = in->u.ld;
    d.delta = in->delta.data;
    d.ldd = in->delta.ld;
    d.dt_proj = nullptr;
    d.dt_rank = 0;
    d.a_t = w->a_t;
    d.bc = in->b.data;
    d.b_off = 0;
    d.c_off = in->c.data - in->b.data;
    d.ldbc = in->b.ld;
    d.d_skip = w->d_skip;
    d.delta_bias = w->delta_bias;
    d.z = in->z.data;
    d.ldz = in->z.ld;
    d.out = out->data;
    d.ldo = out->ld;
    d.reverse = mode->reverse != 0 ? 1 : 0;
    d.out_scale = mode->out_scale;
    d.mode = mode->accumulate != 0 ? kScanAccumulate : kScanStore;
    launch_selective_scan(&d, 1, batch, len, channels, states, as_stream(stream));
    return check_launch(fn);
}

int32_t vim4j_cuda_im2col(const float* images, int32_t batch, const struct vim4j_cuda_patch_grid* grid, float* out,
                          void* stream) {
    static const char* fn = "vim4j_cuda_im2col";
    VIM4J_CUDA_BIND(fn);
    NONNULL(grid);
    REQUIRE(batch >= 0, "batch", batch, "must be >= 0");
    REQUIRE(grid->channels >= 1, "grid->channels", grid->channels, "must be >= 1");
    REQUIRE(grid->patch >= 1, "grid->patch", grid->patch, "must be >= 1");
    REQUIRE(grid->stride >= 1, "grid->stride", grid->stride, "must be >= 1");
    REQUIRE(grid->height >= grid->patch, "grid->height", grid->height, "must be >= grid->patch");
    REQUIRE(grid->width >= grid->patch, "grid->width", grid->width, "must be >= grid->patch");
    if (batch == 0) return VIM4J_CUDA_OK;
    NONNULL(images);
    NONNULL(out);
    launch_im2col(images, batch, grid->channels, grid->height, grid->width, grid->patch, grid->stride, out,
                  as_stream(stream));
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

int32_t vim4j_cuda_mixer_forward(const struct vim4j_cuda_mixer_weights* w, const struct vim4j_cuda_mixer_buffers* b,
                                 int32_t batch, int32_t len, void* stream) {
    static const char* fn = "vim4j_cuda_mixer_forward";
    VIM4J_CUDA_BIND(fn);
    NONNULL(w);
    NONNULL(b);
    const vim4j_cuda_mixer_dims& dims = b->dims;
    REQUIRE(batch >= 0 && batch <= 65535, "batch", batch, "must be in [0, 65535]");
    REQUIRE(len >= 0, "len", len, "must be >= 0");
    REQUIRE(dims.d_model >= 1, "b->dims.d_model", dims.d_model, "must be >= 1");
    REQUIRE(dims.d_inner >= 1, "b->dims.d_inner", dims.d_inner, "must be >= 1");
    REQUIRE(dims.d_state >= 1 && dims.d_state <= kMaxStates, "b->dims.d_state", dims.d_state, "must be in [1, 256]");
    REQUIRE(dims.dt_rank >= 1, "b->dims.dt_rank", dims.dt_rank, "must be >= 1");
    REQUIRE(static_cast<int64_t>(batch) * len <= INT32_MAX, "len", len, "batch * len must be <= 2^31 - 1");
    REQUIRE(static_cast<int64_t>(batch) * len <= b->rows, "len", len, "batch * len must be <= b->rows");
    const int32_t dm = dims.d_model, e = dims.d_inner, n = dims.d_state, r = dims.dt_rank, xdbl = r + 2 * n;
    const bool work = batch > 0 && len > 0;
    // Every width of the weights against the buffers' dims, so a mixed-up model and workspace is an error, not a fault.
    TRY(check_linear_weight(fn, "w->in_proj.", w->in_proj, work));
    TRY(expect_eq(fn, "w->", "in_proj.n", w->in_proj.n, 2 * static_cast<int64_t>(e), "2 * b->dims.d_inner"));
    TRY(expect_eq(fn, "w->", "in_proj.k", w->in_proj.k, dm, "b->dims.d_model"));
    TRY(check_linear_weight(fn, "w->out_proj.", w->out_proj, work));
    TRY(expect_eq(fn, "w->", "out_proj.n", w->out_proj.n, dm, "b->dims.d_model"));
    TRY(expect_eq(fn, "w->", "out_proj.k", w->out_proj.k, e, "b->dims.d_inner"));
    const vim4j_cuda_branch_weights* branches[2] = {&w->forward, &w->backward};
    static const char* prefix[2] = {"w->forward.", "w->backward."};
    char name[96];
    for (int dir = 0; dir < 2; ++dir) {
        const vim4j_cuda_branch_weights& br = *branches[dir];
        const char* p = prefix[dir];
        TRY(expect_eq(fn, p, "conv.channels", br.conv.channels, e, "b->dims.d_inner"));
        std::snprintf(name, sizeof name, "%sconv.kernel", p);
        VIM4J_CUDA_REQUIRE(fn, br.conv.kernel >= 1, name, br.conv.kernel, "must be >= 1");
        std::snprintf(name, sizeof name, "%sx_proj.", p);
        TRY(check_linear_weight(fn, name, br.x_proj, work));
        TRY(expect_eq(fn, p, "x_proj.n", br.x_proj.n, xdbl, "b->dims.dt_rank + 2 * b->dims.d_state"));
        TRY(expect_eq(fn, p, "x_proj.k", br.x_proj.k, e, "b->dims.d_inner"));
        std::snprintf(name, sizeof name, "%sdt_proj.", p);
        TRY(check_linear_weight(fn, name, br.dt_proj, work));
        TRY(expect_eq(fn, p, "dt_proj.n", br.dt_proj.n, e, "b->dims.d_inner"));
        TRY(expect_eq(fn, p, "dt_proj.k", br.dt_proj.k, r, "b->dims.dt_rank"));
        if (br.dt_proj.bias != nullptr) {
            return fail(VIM4J_CUDA_ERR_INVALID_ARGUMENT,
                        "%s: invalid argument '%sdt_proj.bias': must be NULL (dt_proj's bias is %sscan.delta_bias, "
                        "added inside the scan)",
                        fn, p, p);
        }
        // dt_proj is folded into the scan, which reads fp32 weights at full precision whatever the layer's precision
        TRY(expect_eq(fn, p, "scan.channels", br.scan.channels, e, "b->dims.d_inner"));
        TRY(expect_eq(fn, p, "scan.states", br.scan.states, n, "b->dims.d_state"));
    }
    TRY(expect_eq(fn, "w->", "backward.conv.kernel", w->backward.conv.kernel, w->forward.conv.kernel,
                  "w->forward.conv.kernel"));
    if (!work) return VIM4J_CUDA_OK;
    const struct {
        const void* ptr;
        const char* name;
    } ptrs[] = {{b->normed, "b->normed"},
                {b->hidden, "b->hidden"},
                {b->xz, "b->xz"},
                {b->y, "b->y"},
                {b->xc_f, "b->xc_f"},
                {b->xc_b, "b->xc_b"},
                {b->x_dbl_f, "b->x_dbl_f"},
                {b->x_dbl_b, "b->x_dbl_b"},
                {w->forward.conv.weight, "w->forward.conv.weight"},
                {w->forward.conv.bias, "w->forward.conv.bias"},
                {w->forward.scan.a_t, "w->forward.scan.a_t"},
                {w->forward.scan.d_skip, "w->forward.scan.d_skip"},
                {w->forward.scan.delta_bias, "w->forward.scan.delta_bias"},
                {w->backward.conv.weight, "w->backward.conv.weight"},
                {w->backward.conv.bias, "w->backward.conv.bias"},
                {w->backward.scan.a_t, "w->backward.scan.a_t"},
                {w->backward.scan.d_skip, "w->backward.scan.d_skip"},
                {w->backward.scan.delta_bias, "w->backward.scan.delta_bias"}};
    for (const auto& p : ptrs) {
        if (p.ptr == nullptr) return null_arg(fn, p.name);
    }
    // One precision for the layer's GEMMs (in_proj, x_proj, out_proj); dt_proj is folded into the scan, which reads
    // it as fp32 whatever the layer's precision.
    const int32_t precision = w->in_proj.precision;
    TRY(expect_eq(fn, "w->", "out_proj.precision", w->out_proj.precision, precision, "w->in_proj.precision"));
    TRY(expect_eq(fn, "w->", "forward.x_proj.precision", w->forward.x_proj.precision, precision, "w->in_proj.precision"));
    TRY(expect_eq(fn, "w->", "backward.x_proj.precision", w->backward.x_proj.precision, precision,
                  "w->in_proj.precision"));
    for (int dir = 0; dir < 2; ++dir) {
        if (branches[dir]->dt_proj.precision == kPrecisionBf16) {
            return fail(VIM4J_CUDA_ERR_INVALID_ARGUMENT,
                        "%s: invalid argument 'w->%sdt_proj.precision' = 2: dt_proj is read by the scan as fp32 (0 or 1)",
                        fn, dir == 0 ? "forward." : "backward.");
        }
    }
    MixerLaunch m{};
    m.h = b->normed;
    m.hidden = b->hidden;
    m.batch = batch;
    m.len = len;
    m.d_model = dm;
    m.d_inner = e;
    m.d_state = n;
    m.dt_rank = r;
    m.d_conv = w->forward.conv.kernel;
    m.in_proj = w->in_proj.weight;
    m.out_proj = w->out_proj.weight;
    for (int dir = 0; dir < 2; ++dir) {
        const vim4j_cuda_branch_weights& br = *branches[dir];
        m.dir[dir] = {br.conv.weight, br.conv.bias, br.x_proj.weight, weights(br.dt_proj), br.scan.delta_bias,
                      br.scan.a_t, br.scan.d_skip, dir == 0 ? b->xc_f : b->xc_b, dir == 0 ? b->x_dbl_f : b->x_dbl_b};
    }
    m.xz = b->xz;
    m.y = b->y;
    m.precision = precision;
    launch_mixer(m, as_stream(stream));
    return check_launch(fn);
}

}  // extern "C"
