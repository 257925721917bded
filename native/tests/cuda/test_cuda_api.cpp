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

void validation() {
    float* p = reinterpret_cast<float*>(static_cast<intptr_t>(4096));  // never dereferenced: validation fails first
    expect_invalid(vim4j_cuda_linear(p, 4, 2, p, nullptr, 3, 0, p, 3, 0, nullptr),
                   "vim4j_cuda_linear: invalid argument 'k' = 0: must be >= 1", "linear k");
    expect_invalid(vim4j_cuda_linear(p, 2, 2, p, nullptr, 3, 4, p, 3, 0, nullptr),
                   "vim4j_cuda_linear: invalid argument 'lda' = 2: must be >= k", "linear lda");
    expect_invalid(vim4j_cuda_linear(p, 4, 2, p, nullptr, 3, 4, p, 3, 7, nullptr),
                   "vim4j_cuda_linear: invalid argument 'precision' = 7: must be VIM4J_CUDA_PRECISION_FP32 (0), "
                   "VIM4J_CUDA_PRECISION_TF32 (1) or VIM4J_CUDA_PRECISION_BF16 (2)",
                   "linear precision");
    expect_invalid(vim4j_cuda_linear(nullptr, 4, 2, p, nullptr, 3, 4, p, 3, 0, nullptr),
                   "vim4j_cuda_linear: invalid argument 'a': must not be NULL", "linear a");
    expect_invalid(vim4j_cuda_add_rms_norm(p, nullptr, p, p, 3, 0, 1e-5f, nullptr),
                   "vim4j_cuda_add_rms_norm: invalid argument 'dim' = 0: must be >= 1", "norm dim");
    expect_invalid(vim4j_cuda_add_rms_norm(p, nullptr, p, p, 3, 8, -1.0f, nullptr),
                   "vim4j_cuda_add_rms_norm: invalid argument 'eps' = -1: must be >= 0", "norm eps");
    expect_invalid(vim4j_cuda_conv_silu(p, 3, p, p, p, 4, 1, 5, 4, 4, 0, nullptr),
                   "vim4j_cuda_conv_silu: invalid argument 'ldx' = 3: must be >= channels", "conv ldx");
    expect_invalid(vim4j_cuda_selective_scan(p, 4, p, 4, p, p, p, 8, p, p, p, 4, p, 4, 1, 5, 4, 257, 0, 1.0f, 0,
                                             nullptr),
                   "vim4j_cuda_selective_scan: invalid argument 'states' = 257: must be in [1, 256]", "scan states");
    expect_invalid(vim4j_cuda_selective_scan(p, 4, p, 4, p, p, p, 3, p, p, p, 4, p, 4, 1, 5, 4, 4, 0, 1.0f, 0,
                                             nullptr),
                   "vim4j_cuda_selective_scan: invalid argument 'ldbc' = 3: must be >= states", "scan ldbc");
    expect_invalid(vim4j_cuda_im2col(p, 1, 3, 3, 8, 4, 4, p, nullptr),
                   "vim4j_cuda_im2col: invalid argument 'height' = 3: must be >= patch", "im2col height");
    expect_invalid(vim4j_cuda_malloc(0, nullptr), "vim4j_cuda_malloc: invalid argument 'bytes' = 0: must be > 0",
                   "malloc bytes");
    expect_invalid(vim4j_cuda_memcpy(p, p, -1, nullptr),
                   "vim4j_cuda_memcpy: invalid argument 'bytes' = -1: must be >= 0", "memcpy bytes");
    expect_invalid(vim4j_cuda_mixer_forward(p, p, 1, 4, 8, 16, 4, 1, 4, p, p, p, p, p, p, p, p, p, p, p, p, p, p, p,
                                            p, p, nullptr, p, p, p, p, 0, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'xc_f': must not be NULL", "mixer xc_f");
    expect_invalid(vim4j_cuda_mixer_forward(p, p, 65535, 32769, 8, 16, 4, 1, 4, p, p, p, p, p, p, p, p, p, p, p, p, p,
                                            p, p, p, p, p, p, p, p, p, 0, nullptr),
                   "vim4j_cuda_mixer_forward: invalid argument 'len' = 32769: batch * len must be <= 2^31 - 1",
                   "mixer rows");
    expect_invalid(vim4j_cuda_graph_begin(nullptr), "vim4j_cuda_graph_begin: invalid argument 'stream': must not be NULL",
                   "graph stream");
    // Empty work is a valid no-op that touches nothing (and so needs no device).
    CT_OK(vim4j_cuda_linear(nullptr, 4, 0, nullptr, nullptr, 3, 4, nullptr, 3, 0, nullptr));
    CT_OK(vim4j_cuda_add(nullptr, nullptr, 0, nullptr));
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
