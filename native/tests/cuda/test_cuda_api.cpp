// The C ABI of libvim4j_cuda without and with a device: the ABI version, argument validation and its messages
// (no CUDA call is made for invalid arguments, so these run on any machine), the "no CUDA device" report; with a
// device also memory counters, out-of-memory as a clear error, streams, events and a captured CUDA graph.
#include "cuda_test.h"

namespace {

void expect_invalid(int32_t rc, const char* expected_message, const char* what) {
    CT_CHECK(rc == VIM4J_CUDA_ERR_INVALID_ARGUMENT, "%s: status %d, want VIM4J_CUDA_ERR_INVALID_ARGUMENT", what, rc);
    CT_CHECK(std::strcmp(vim4j_cuda_last_error(), expected_message) == 0, "%s: message '%s', want '%s'", what,
             vim4j_cuda_last_error(), expected_message);
}

// A mixer's weights and buffers of consistent widths (D = 8, E = 16, N = 4, R = 1, K = 4) on placeholder pointers.
void mixer_args(float* p, vim4j_cuda_mixer_weights& w, vim4j_cuda_mixer_buffers& b) {
    w = vim4j_cuda_mixer_weights{};
    w.in_proj = ct::linear_weight(p, nullptr, 32, 8, VIM4J_CUDA_PRECISION_FP32);
    w.out_proj = ct::linear_weight(p, nullptr, 8, 16, VIM4J_CUDA_PRECISION_FP32);
    for (vim4j_cuda_branch_weights* br : {&w.forward, &w.backward}) {
        br->conv = vim4j_cuda_conv_weights{p, p, 16, 4};
        br->x_proj = ct::linear_weight(p, nullptr, 9, 16, VIM4J_CUDA_PRECISION_FP32);
        br->dt_proj = ct::linear_weight(p, nullptr, 16, 1, VIM4J_CUDA_PRECISION_FP32);
        br->scan = vim4j_cuda_scan_weights{p, p, p, 16, 4};
    }
    b = vim4j_cuda_mixer_buffers{};
    b.dims = vim4j_cuda_mixer_dims{8, 16, 4, 1};
    b.rows = 4;
    b.normed = b.hidden = b.xz = b.delta = b.y = b.xc_f = b.xc_b = b.x_dbl_f = b.x_dbl_b = p;
}

void validation() {
    float* p = reinterpret_cast<float*>(static_cast<intptr_t>(4096));  // never dereferenced: validation fails first
    vim4j_cuda_linear_weight lw = ct::linear_weight(p, nullptr, 3, 0, VIM4J_CUDA_PRECISION_FP32);
    expect_invalid(vim4j_cuda_linear(p, 4, 2, &lw, p, 3, nullptr),
                   "vim4j_cuda_linear: invalid argument 'w->k' = 0: must be >= 1", "linear k");
    lw.k = 4;
    expect_invalid(vim4j_cuda_linear(p, 2, 2, &lw, p, 3, nullptr),
                   "vim4j_cuda_linear: invalid argument 'lda' = 2: must be >= w->k", "linear lda");
    lw.precision = 7;
    expect_invalid(vim4j_cuda_linear(p, 4, 2, &lw, p, 3, nullptr),
                   "vim4j_cuda_linear: invalid argument 'w->precision' = 7: must be VIM4J_CUDA_PRECISION_FP32 (0), "
                   "VIM4J_CUDA_PRECISION_TF32 (1) or VIM4J_CUDA_PRECISION_BF16 (2)",
                   "linear precision");
    lw.precision = VIM4J_CUDA_PRECISION_TF32;
    lw.layout = 3;
    expect_invalid(vim4j_cuda_linear(p, 4, 2, &lw, p, 3, nullptr),
                   "vim4j_cuda_linear: invalid argument 'w->layout' = 3: must be VIM4J_CUDA_LAYOUT_ROW_MAJOR (0)",
                   "linear layout");
    lw.layout = VIM4J_CUDA_LAYOUT_ROW_MAJOR;
    expect_invalid(vim4j_cuda_linear(nullptr, 4, 2, &lw, p, 3, nullptr),
                   "vim4j_cuda_linear: invalid argument 'a': must not be NULL", "linear a");
    expect_invalid(vim4j_cuda_linear(p, 4, 2, nullptr, p, 3, nullptr),
                   "vim4j_cuda_linear: invalid argument 'w': must not be NULL", "linear w");
    expect_invalid(vim4j_cuda_add_rms_norm(p, nullptr, p, p, 3, 0, 1e-5f, nullptr),
                   "vim4j_cuda_add_rms_norm: invalid argument 'dim' = 0: must be >= 1", "norm dim");
    expect_invalid(vim4j_cuda_add_rms_norm(p, nullptr, p, p, 3, 8, -1.0f, nullptr),
                   "vim4j_cuda_add_rms_norm: invalid argument 'eps' = -1: must be >= 0", "norm eps");
    vim4j_cuda_rows x3 = ct::rows(p, 3), x4 = ct::rows(p, 4), x8 = ct::rows(p, 8), x9 = ct::rows(p, 9);
    vim4j_cuda_conv_weights cw{p, p, 4, 4};
    expect_invalid(vim4j_cuda_conv_silu(&x3, &cw, &x4, 1, 5, 0, nullptr),
                   "vim4j_cuda_conv_silu: invalid argument 'x->ld' = 3: must be >= w->channels", "conv ldx");
    expect_invalid(vim4j_cuda_conv_silu(&x4, nullptr, &x4, 1, 5, 0, nullptr),
                   "vim4j_cuda_conv_silu: invalid argument 'w': must not be NULL", "conv w");
    vim4j_cuda_scan_inputs in{x4, x4, x8, x8, x4};
    vim4j_cuda_scan_weights sw{p, p, p, 4, 257};
    vim4j_cuda_scan_mode mode{0, 1.0f, 0};
    expect_invalid(vim4j_cuda_selective_scan(&in, &sw, &x4, 1, 5, &mode, nullptr),
                   "vim4j_cuda_selective_scan: invalid argument 'w->states' = 257: must be in [1, 256]", "scan states");
    sw.states = 4;
    in.b = x3;
    expect_invalid(vim4j_cuda_selective_scan(&in, &sw, &x4, 1, 5, &mode, nullptr),
                   "vim4j_cuda_selective_scan: invalid argument 'in->b.ld' = 3: must be >= w->states", "scan ldb");
    in.b = x8;
    in.c = x9;
    expect_invalid(vim4j_cuda_selective_scan(&in, &sw, &x4, 1, 5, &mode, nullptr),
                   "vim4j_cuda_selective_scan: invalid argument 'in->c.ld' = 9: must equal in->b.ld (8)", "scan ldc");
    in.c = x8;
    expect_invalid(vim4j_cuda_selective_scan(&in, &sw, &x4, 1, 5, nullptr, nullptr),
                   "vim4j_cuda_selective_scan: invalid argument 'mode': must not be NULL", "scan mode");
    vim4j_cuda_patch_grid grid{3, 3, 8, 4, 4};
    expect_invalid(vim4j_cuda_im2col(p, 1, &grid, p, nullptr),
                   "vim4j_cuda_im2col: invalid argument 'grid->height' = 3: must be >= grid->patch", "im2col height");
    expect_invalid(vim4j_cuda_malloc(0, nullptr), "vim4j_cuda_malloc: invalid argument 'bytes' = 0: must be > 0",
                   "malloc bytes");
    expect_invalid(vim4j_cuda_memcpy(p, p, -1, nullptr),
                   "vim4j_cuda_memcpy: invalid argument 'bytes' = -1: must be >= 0", "memcpy bytes");

    vim4j_cuda_mixer_weights mw;
    vim4j_cuda_mixer_buffers mb;
    mixer_args(p, mw, mb);
    mb.xc_f = nullptr;
    expect_invalid(vim4j_cuda_mixer_forward(&mw, &mb, 1, 4, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'b->xc_f': must not be NULL", "mixer xc_f");
    mixer_args(p, mw, mb);
    expect_invalid(vim4j_cuda_mixer_forward(&mw, &mb, 65535, 32769, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'len' = 32769: batch * len must be <= 2^31 - 1",
                   "mixer rows");
    expect_invalid(vim4j_cuda_mixer_forward(&mw, &mb, 1, 5, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'len' = 5: batch * len must be <= b->rows",
                   "mixer capacity");
    mw.backward.x_proj.n = 10;
    expect_invalid(vim4j_cuda_mixer_forward(&mw, &mb, 1, 4, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'w->backward.x_proj.n' = 10: must equal "
                   "b->dims.dt_rank + 2 * b->dims.d_state (9)",
                   "mixer x_proj width");
    mixer_args(p, mw, mb);
    mw.forward.dt_proj.bias = p;
    expect_invalid(vim4j_cuda_mixer_forward(&mw, &mb, 1, 4, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'w->forward.dt_proj.bias': must be NULL (dt_proj's "
                   "bias is w->forward.scan.delta_bias, added inside the scan)",
                   "mixer dt bias");
    mixer_args(p, mw, mb);
    mw.out_proj.precision = VIM4J_CUDA_PRECISION_BF16;
    expect_invalid(vim4j_cuda_mixer_forward(&mw, &mb, 1, 4, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'w->out_proj.precision' = 2: must equal "
                   "w->in_proj.precision (0)",
                   "mixer mixed precisions");
    mixer_args(p, mw, mb);
    mw.backward.conv.kernel = 3;
    expect_invalid(vim4j_cuda_mixer_forward(&mw, &mb, 1, 4, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'w->backward.conv.kernel' = 3: must equal "
                   "w->forward.conv.kernel (4)",
                   "mixer conv taps");
    mixer_args(p, mw, mb);
    mb.dims.d_state = 5;
    expect_invalid(vim4j_cuda_mixer_forward(&mw, &mb, 1, 4, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'w->forward.x_proj.n' = 9: must equal "
                   "b->dims.dt_rank + 2 * b->dims.d_state (11)",
                   "mixer dims");
    expect_invalid(vim4j_cuda_mixer_forward(nullptr, &mb, 1, 4, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'w': must not be NULL", "mixer w");
    expect_invalid(vim4j_cuda_graph_begin(nullptr), "vim4j_cuda_graph_begin: invalid argument 'stream': must not be NULL",
                   "graph stream");
    // Empty work is a valid no-op that touches nothing (and so needs no device).
    lw = ct::linear_weight(nullptr, nullptr, 3, 4, VIM4J_CUDA_PRECISION_FP32);
    CT_OK(vim4j_cuda_linear(nullptr, 4, 0, &lw, nullptr, 3, nullptr));
    CT_OK(vim4j_cuda_add(nullptr, nullptr, 0, nullptr));
    mixer_args(nullptr, mw, mb);
    CT_OK(vim4j_cuda_mixer_forward(&mw, &mb, 0, 4, nullptr));
}

void with_device() {
    int32_t cc = 0, sms = 0;
    int64_t total = 0;
    CT_OK(vim4j_cuda_device_info(&cc, &sms, &total));
    std::printf("test_cuda_api: compute capability %d, %d SMs, %lld bytes\n", cc, sms, static_cast<long long>(total));
    CT_CHECK(cc >= 80 && sms > 0 && total > 0, "device info %d %d %lld", cc, sms, static_cast<long long>(total));

    int64_t cur0 = 0, peak0 = 0;
    CT_OK(vim4j_cuda_allocated(&cur0, &peak0));
    int64_t a = 0;
    CT_OK(vim4j_cuda_malloc(1 << 20, &a));
    int64_t cur1 = 0, peak1 = 0;
    CT_OK(vim4j_cuda_allocated(&cur1, &peak1));
    CT_CHECK(cur1 - cur0 == (1 << 20) && peak1 >= cur1, "allocated %lld -> %lld (peak %lld)",
             static_cast<long long>(cur0), static_cast<long long>(cur1), static_cast<long long>(peak1));
    CT_OK(vim4j_cuda_free(reinterpret_cast<void*>(static_cast<intptr_t>(a))));
    CT_OK(vim4j_cuda_allocated(&cur1, &peak1));
    CT_CHECK(cur1 == cur0, "allocated after free %lld, want %lld", static_cast<long long>(cur1), static_cast<long long>(cur0));

    // Out of memory: a clear error, and the device stays usable.
    int64_t huge = 0;
    const int32_t rc = vim4j_cuda_malloc(int64_t{1} << 50, &huge);
    CT_CHECK(rc == VIM4J_CUDA_ERR_OUT_OF_MEMORY, "1 PiB malloc: status %d (%s)", rc, vim4j_cuda_last_error());
    CT_CHECK(std::strstr(vim4j_cuda_last_error(), "out of device memory allocating 1125899906842624 bytes") != nullptr,
             "message: %s", vim4j_cuda_last_error());

    // A graph captured from an add, replayed three times: dst = 1 + 3 * 2.
    {
        ct::Dev dst(1000, 1.0f), src(1000, 2.0f);
        void* s = ct::stream();
        CT_OK(vim4j_cuda_graph_begin(s));
        CT_OK(vim4j_cuda_add(dst.ptr, src.ptr, 1000, s));
        int64_t g = 0;
        CT_OK(vim4j_cuda_graph_end(s, &g));
        void* graph = reinterpret_cast<void*>(static_cast<intptr_t>(g));
        int64_t e0 = 0, e1 = 0;
        CT_OK(vim4j_cuda_event_create(&e0));
        CT_OK(vim4j_cuda_event_create(&e1));
        void* ev0 = reinterpret_cast<void*>(static_cast<intptr_t>(e0));
        void* ev1 = reinterpret_cast<void*>(static_cast<intptr_t>(e1));
        CT_OK(vim4j_cuda_event_record(ev0, s));
        for (int i = 0; i < 3; ++i) CT_OK(vim4j_cuda_graph_launch(graph, s));
        CT_OK(vim4j_cuda_event_record(ev1, s));
        float ms = -1;
        CT_OK(vim4j_cuda_event_elapsed(ev0, ev1, &ms));
        CT_CHECK(ms >= 0, "elapsed %f", ms);
        const std::vector<float>& r = dst.download();
        bool ok = true;
        for (float v : r) ok = ok && v == 7.0f;
        CT_CHECK(ok, "graph replay: dst[0] = %f, want 7", r[0]);
        CT_OK(vim4j_cuda_graph_destroy(graph));
        CT_OK(vim4j_cuda_event_destroy(ev0));
        CT_OK(vim4j_cuda_event_destroy(ev1));
    }
    int64_t host = 0;
    CT_OK(vim4j_cuda_host_alloc(4096, &host));
    CT_OK(vim4j_cuda_host_free(reinterpret_cast<void*>(static_cast<intptr_t>(host))));
}

}  // namespace

int main() {
    CT_CHECK(vim4j_cuda_abi_version() == VIM4J_CUDA_ABI_VERSION, "abi %d", vim4j_cuda_abi_version());
    CT_CHECK(vim4j_cuda_last_error()[0] == '\0', "initial last error '%s'", vim4j_cuda_last_error());
    validation();
    char name[128] = "";
    const int32_t rc = vim4j_cuda_init(0, name, sizeof name);
    if (rc == VIM4J_CUDA_OK) {
        std::printf("test_cuda_api: device 0: %s\n", name);
        with_device();
    } else {
        CT_CHECK(rc == VIM4J_CUDA_ERR_NO_DEVICE, "init status %d: %s", rc, vim4j_cuda_last_error());
        CT_CHECK(std::strncmp(vim4j_cuda_last_error(), "no CUDA device: ", 16) == 0, "init message '%s'",
                 vim4j_cuda_last_error());
        std::printf("test_cuda_api: validation checks only (%s)\n", vim4j_cuda_last_error());
    }
    return ct::finish("test_cuda_api");
}
