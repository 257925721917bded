// Launch configurations of the real launchers (src/cuda) at the largest shapes vim4j runs, checked against CUDA's
// limits by the SIMT emulation without running them (dry run inside a graph capture that is discarded, so the
// memset of the mixer never touches the placeholder pointers either).
#include <cstdio>

#include "launch.h"
#include "simt.h"
#include "vim4j_cuda.h"

namespace {

int failures = 0;

void expect_no_errors(const char* what) {
    if (!vim4j_simt::errors().empty()) {
        std::fprintf(stderr, "FAIL %s: %s\n", what, vim4j_simt::errors().back().c_str());
        ++failures;
        vim4j_simt::errors().clear();
    }
}

float* fake(size_t i) { return reinterpret_cast<float*>(static_cast<uintptr_t>(0x10000000u + 256 * i)); }

// One mixer layer (all its launches) at batch x len for D, N, R.
void mixer(int batch, int len, int dm, int n, int r) {
    void* s = nullptr;
    int64_t sh = 0;
    if (vim4j_cuda_stream_create(&sh) != VIM4J_CUDA_OK) ++failures;
    s = reinterpret_cast<void*>(static_cast<intptr_t>(sh));
    if (vim4j_cuda_graph_begin(s) != VIM4J_CUDA_OK) ++failures;
    for (int precision : {VIM4J_CUDA_PRECISION_FP32, VIM4J_CUDA_PRECISION_TF32, 2 /* BF16 */}) {
        const int32_t rc = vim4j_cuda_mixer_forward(
            fake(1), fake(2), batch, len, dm, 2 * dm, n, r, 4, fake(3), fake(4), fake(5), fake(6), fake(7), fake(8),
            fake(9), fake(10), fake(11), fake(12), fake(13), fake(14), fake(15), fake(16), fake(17), fake(18), fake(19),
            fake(20), fake(21), fake(22), fake(23), fake(24), precision, s);
        if (rc != VIM4J_CUDA_OK) {
            std::fprintf(stderr, "FAIL mixer batch=%d len=%d: %s\n", batch, len, vim4j_cuda_last_error());
            ++failures;
        }
    }
    char what[96];
    std::snprintf(what, sizeof what, "mixer batch=%d len=%d D=%d", batch, len, dm);
    expect_no_errors(what);
    int64_t g = 0;
    (void)vim4j_cuda_graph_end(s, &g);  // discarded: never launched
    (void)vim4j_cuda_graph_destroy(reinterpret_cast<void*>(static_cast<intptr_t>(g)));
    (void)vim4j_cuda_stream_destroy(s);
}

}  // namespace

int main() {
    vim4j_simt::dry_run = true;
    char name[128];
    if (vim4j_cuda_init(0, name, sizeof name) != VIM4J_CUDA_OK) return 1;
    // Vim-Base at batch 256 (197 tokens), Vim-Tiny at 1248 x 1248 (6,085 tokens), batch 1 and 64
    mixer(256, 197, 768, 16, 48);
    mixer(1, 6085, 192, 16, 12);
    mixer(64, 6085, 192, 16, 12);
    mixer(65535, 3, 16, 16, 1);  // the largest batch the scan grid allows
    using namespace vim4j_cuda;
    // patch embedding, norms, head at those sizes
    launch_im2col(fake(1), 256, 3, 224, 224, 16, 8, fake(2), nullptr);
    launch_im2col(fake(1), 64, 3, 1248, 1248, 16, 16, fake(2), nullptr);
    launch_embed_tokens(fake(1), fake(2), fake(3), fake(4), 64, 6084, 192, nullptr);
    launch_add_rms_norm(fake(1), fake(2), fake(3), fake(4), 64 * 6085, 192, 1e-5f, nullptr);
    for (int32_t precision : {kPrecisionFp32, kPrecisionTf32, kPrecisionBf16}) {
        launch_linear(fake(1), 6085 * 192, 64, fake(2), fake(3), 1000, 192, fake(4), 1000, precision, nullptr);
        launch_linear(fake(1), 768, 256 * 197, fake(2), fake(3), 768, 768, fake(4), 768, precision, nullptr);
    }
    launch_convert_bf16(fake(1), reinterpret_cast<uint16_t*>(fake(2)), int64_t{1536} * 768, nullptr);
    launch_add(fake(1), fake(2), int64_t{64} * 6085 * 192, nullptr);
    expect_no_errors("embedding, norm, head");
    std::printf("test_simt_limits: %zu launches checked, %d failures\n", vim4j_simt::launches().size(), failures);
    return failures == 0 ? 0 : 1;
}
