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
    for (int precision : {VIM4J_CUDA_PRECISION_FP32, VIM4J_CUDA_PRECISION_TF32, VIM4J_CUDA_PRECISION_BF16}) {
        const int e = 2 * dm, xdbl = r + 2 * n;
        auto lw = [&](size_t i, int32_t rows, int32_t cols, int32_t p) {
            vim4j_cuda_linear_weight w{};
            w.weight = fake(i);
            w.n = rows;
            w.k = cols;
            w.precision = p;
            w.layout = VIM4J_CUDA_LAYOUT_ROW_MAJOR;
            return w;
        };
        vim4j_cuda_mixer_weights w{};
        w.in_proj = lw(3, 2 * e, dm, precision);
        w.out_proj = lw(4, dm, e, precision);
        for (int d = 0; d < 2; ++d) {
            vim4j_cuda_branch_weights& b = d == 0 ? w.forward : w.backward;
            const size_t o = 5 + 7 * static_cast<size_t>(d);
            b.conv = vim4j_cuda_conv_weights{fake(o), fake(o + 1), e, 4};
            b.x_proj = lw(o + 2, xdbl, e, precision);
            b.dt_proj = lw(o + 3, e, r, precision == VIM4J_CUDA_PRECISION_BF16 ? VIM4J_CUDA_PRECISION_FP32 : precision);
            b.scan = vim4j_cuda_scan_weights{fake(o + 4), fake(o + 5), fake(o + 6), e, n};
        }
        vim4j_cuda_mixer_buffers b{};
        b.dims = vim4j_cuda_mixer_dims{dm, e, n, r};
        b.rows = static_cast<int64_t>(batch) * len;
        b.normed = fake(1);
        b.hidden = fake(2);
        b.xz = fake(19);
        b.delta = fake(20);
        b.y = fake(21);
        b.xc_f = fake(22);
        b.xc_b = fake(23);
        b.x_dbl_f = fake(24);
        b.x_dbl_b = fake(25);
        const int32_t rc = vim4j_cuda_mixer_forward(&w, &b, batch, len, s);
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
