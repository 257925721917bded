// Argument validation of every ABI function: the status code, and a vim4j_last_error() text that names
// the function and the argument. Also: the error text is thread-local, success leaves no new message,
// vim4j_set_threads / vim4j_linear_packed_size report errors with -1.
#include <string>
#include <thread>

#include "test_common.h"

namespace {

void expect_error(int32_t rc, const char* call, const char* fn, const char* arg) {
    VT_CHECK(rc == VIM4J_ERR_INVALID_ARGUMENT, "%s returned %d, expected VIM4J_ERR_INVALID_ARGUMENT", call, static_cast<int>(rc));
    const std::string msg = vim4j_last_error();
    const std::string quoted = std::string("'") + arg + "'";
    VT_CHECK(msg.find(fn) != std::string::npos && msg.find(quoted) != std::string::npos,
             "%s: last error \"%s\" does not name %s and %s", call, msg.c_str(), fn, quoted.c_str());
}

#define EXPECT_ERR(call, fn, arg) expect_error((call), #call, fn, arg)

}  // namespace

int main() {
    const int setup = vt::tier_setup("test_errors");
    if (setup != 0) return setup;
    VT_CHECK(vim4j_abi_version() == VIM4J_ABI_VERSION, "abi version %d", vim4j_abi_version());
    VT_CHECK(std::string(vim4j_last_error()).empty(), "fresh thread has a last error: %s", vim4j_last_error());
    const int isa = vim4j_isa();
    VT_CHECK(isa >= VIM4J_ISA_PORTABLE && isa <= VIM4J_ISA_AVX512, "isa %d", isa);

    float buf[4096] = {0};
    float out[4096] = {0};
    float* p = buf;
    float* o = out;

    // threads
    VT_CHECK(vim4j_set_threads(0) == -1, "set_threads(0) accepted");
    VT_CHECK(std::string(vim4j_last_error()).find("'threads'") != std::string::npos, "set_threads error: %s", vim4j_last_error());
    VT_CHECK(vim4j_set_threads(-3) == -1, "set_threads(-3) accepted");
    VT_CHECK(vim4j_set_threads(3) == 1, "set_threads default is not 1");
    VT_CHECK(vim4j_set_threads(1) == 3, "set_threads does not return the previous value");

    // linear
    VT_CHECK(vim4j_linear_packed_size(0, 4) == -1, "packed_size(0, 4)");
    VT_CHECK(std::string(vim4j_last_error()).find("'n'") != std::string::npos, "packed_size error: %s", vim4j_last_error());
    VT_CHECK(vim4j_linear_packed_size(4, -1) == -1, "packed_size(4, -1)");
    VT_CHECK(std::string(vim4j_last_error()).find("'k'") != std::string::npos, "packed_size error: %s", vim4j_last_error());
    VT_CHECK(vim4j_linear_packed_size(3, 5) >= 15, "packed_size(3, 5)");
    EXPECT_ERR(vim4j_linear_pack(nullptr, 4, 4, o), "vim4j_linear_pack", "w");
    EXPECT_ERR(vim4j_linear_pack(p, 4, 4, nullptr), "vim4j_linear_pack", "packed");
    EXPECT_ERR(vim4j_linear_pack(p, 0, 4, o), "vim4j_linear_pack", "n");
    EXPECT_ERR(vim4j_linear_pack(p, 4, -2, o), "vim4j_linear_pack", "k");
    VT_CHECK_OK(vim4j_linear_pack(p, 4, 4, o));
    EXPECT_ERR(vim4j_linear(nullptr, 4, 2, o, nullptr, 4, 4, p, 4), "vim4j_linear", "a");
    EXPECT_ERR(vim4j_linear(p, 4, 2, nullptr, nullptr, 4, 4, p, 4), "vim4j_linear", "packed");
    EXPECT_ERR(vim4j_linear(p, 4, 2, o, nullptr, 4, 4, nullptr, 4), "vim4j_linear", "c");
    EXPECT_ERR(vim4j_linear(p, 4, -1, o, nullptr, 4, 4, p, 4), "vim4j_linear", "m");
    EXPECT_ERR(vim4j_linear(p, 4, 2, o, nullptr, 0, 4, p, 4), "vim4j_linear", "n");
    EXPECT_ERR(vim4j_linear(p, 4, 2, o, nullptr, 4, 0, p, 4), "vim4j_linear", "k");
    EXPECT_ERR(vim4j_linear(p, 3, 2, o, nullptr, 4, 4, p, 4), "vim4j_linear", "lda");
    EXPECT_ERR(vim4j_linear(p, 4, 2, o, nullptr, 4, 4, p, 3), "vim4j_linear", "ldc");
    {
        const std::string msg = vim4j_last_error();
        VT_CHECK(msg.find("= 3") != std::string::npos && msg.find("n (= 4)") != std::string::npos,
                 "ldc message lacks the values: %s", msg.c_str());
    }
    VT_CHECK_OK(vim4j_linear(p, 4, 0, o, nullptr, 4, 4, p + 100, 4));  // m = 0 is a no-op

    // rms norm
    EXPECT_ERR(vim4j_add_rms_norm(nullptr, nullptr, p, o, 1, 4, 1e-5f), "vim4j_add_rms_norm", "residual");
    EXPECT_ERR(vim4j_add_rms_norm(p, nullptr, nullptr, o, 1, 4, 1e-5f), "vim4j_add_rms_norm", "weight");
    EXPECT_ERR(vim4j_add_rms_norm(p, nullptr, p, nullptr, 1, 4, 1e-5f), "vim4j_add_rms_norm", "out");
    EXPECT_ERR(vim4j_add_rms_norm(p, nullptr, p, o, -1, 4, 1e-5f), "vim4j_add_rms_norm", "rows");
    EXPECT_ERR(vim4j_add_rms_norm(p, nullptr, p, o, 1, 0, 1e-5f), "vim4j_add_rms_norm", "dim");
    EXPECT_ERR(vim4j_add_rms_norm(p, nullptr, p, o, 1, 4, -1.0f), "vim4j_add_rms_norm", "eps");
    EXPECT_ERR(vim4j_add_rms_norm(p, nullptr, p, o, 1, 4, std::nanf("")), "vim4j_add_rms_norm", "eps");

    // conv
    EXPECT_ERR(vim4j_conv_silu(nullptr, 8, p, p, o, 8, 1, 4, 8, 4, 0, 0, 8), "vim4j_conv_silu", "x");
    EXPECT_ERR(vim4j_conv_silu(p, 8, nullptr, p, o, 8, 1, 4, 8, 4, 0, 0, 8), "vim4j_conv_silu", "w");
    EXPECT_ERR(vim4j_conv_silu(p, 8, p, nullptr, o, 8, 1, 4, 8, 4, 0, 0, 8), "vim4j_conv_silu", "bias");
    EXPECT_ERR(vim4j_conv_silu(p, 8, p, p, nullptr, 8, 1, 4, 8, 4, 0, 0, 8), "vim4j_conv_silu", "out");
    EXPECT_ERR(vim4j_conv_silu(p, 8, p, p, o, 8, -1, 4, 8, 4, 0, 0, 8), "vim4j_conv_silu", "batch");
    EXPECT_ERR(vim4j_conv_silu(p, 8, p, p, o, 8, 1, -4, 8, 4, 0, 0, 8), "vim4j_conv_silu", "len");
    EXPECT_ERR(vim4j_conv_silu(p, 8, p, p, o, 8, 1, 4, 0, 4, 0, 0, 0), "vim4j_conv_silu", "channels");
    EXPECT_ERR(vim4j_conv_silu(p, 8, p, p, o, 8, 1, 4, 8, 0, 0, 0, 8), "vim4j_conv_silu", "kernel");
    EXPECT_ERR(vim4j_conv_silu(p, 7, p, p, o, 8, 1, 4, 8, 4, 0, 0, 8), "vim4j_conv_silu", "ldx");
    EXPECT_ERR(vim4j_conv_silu(p, 8, p, p, o, 7, 1, 4, 8, 4, 0, 0, 8), "vim4j_conv_silu", "ldo");
    EXPECT_ERR(vim4j_conv_silu(p, 8, p, p, o, 8, 1, 4, 8, 4, 0, -1, 8), "vim4j_conv_silu", "c0");
    EXPECT_ERR(vim4j_conv_silu(p, 8, p, p, o, 8, 1, 4, 8, 4, 0, 5, 4), "vim4j_conv_silu", "c0");
    EXPECT_ERR(vim4j_conv_silu(p, 8, p, p, o, 8, 1, 4, 8, 4, 0, 0, 9), "vim4j_conv_silu", "c1");
    VT_CHECK_OK(vim4j_conv_silu(p, 8, p, p, o, 8, 1, 4, 8, 4, 1, 3, 3));  // empty range

    // scan: u, delta, a_t, b, c, d_skip, delta_bias, z, out
#define SCAN(u_, ldu_, dl_, ldd_, at_, b_, c_, ldbc_, ds_, db_, z_, ldz_, o_, ldo_, batch_, len_, ch_, st_, c0_, c1_) \
    vim4j_selective_scan(u_, ldu_, dl_, ldd_, at_, b_, c_, ldbc_, ds_, db_, z_, ldz_, o_, ldo_, batch_, len_, ch_, st_, 0, \
                         1.0f, 0, c0_, c1_)
    const char* S = "vim4j_selective_scan";
    EXPECT_ERR(SCAN(nullptr, 8, p, 8, p, p, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "u");
    EXPECT_ERR(SCAN(p, 8, nullptr, 8, p, p, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "delta");
    EXPECT_ERR(SCAN(p, 8, p, 8, nullptr, p, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "a_t");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, nullptr, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "b");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, nullptr, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "c");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, nullptr, p, p, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "d_skip");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, nullptr, p, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "delta_bias");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, nullptr, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "z");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 8, nullptr, 8, 1, 4, 8, 16, 0, 8), S, "out");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 8, o, 8, -1, 4, 8, 16, 0, 8), S, "batch");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 8, o, 8, 1, -4, 8, 16, 0, 8), S, "len");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 8, o, 8, 1, 4, 0, 16, 0, 0), S, "channels");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 0, 0, 8), S, "states");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 512, p, p, p, 8, o, 8, 1, 4, 8, 257, 0, 8), S, "states");
    EXPECT_ERR(SCAN(p, 7, p, 8, p, p, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "ldu");
    EXPECT_ERR(SCAN(p, 8, p, 7, p, p, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "ldd");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 7, o, 8, 1, 4, 8, 16, 0, 8), S, "ldz");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 8, o, 7, 1, 4, 8, 16, 0, 8), S, "ldo");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 15, p, p, p, 8, o, 8, 1, 4, 8, 16, 0, 8), S, "ldbc");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, -1, 8), S, "c0");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, 6, 5), S, "c0");
    EXPECT_ERR(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, 0, 9), S, "c1");
    VT_CHECK_OK(SCAN(p, 8, p, 8, p, p, p, 16, p, p, p, 8, o, 8, 1, 4, 8, 16, 0, 8));

    // im2col
    EXPECT_ERR(vim4j_im2col(nullptr, 3, 16, 16, 16, 16, o), "vim4j_im2col", "image");
    EXPECT_ERR(vim4j_im2col(p, 3, 16, 16, 16, 16, nullptr), "vim4j_im2col", "out");
    EXPECT_ERR(vim4j_im2col(p, 0, 16, 16, 16, 16, o), "vim4j_im2col", "channels");
    EXPECT_ERR(vim4j_im2col(p, 3, 16, 16, 0, 16, o), "vim4j_im2col", "patch");
    EXPECT_ERR(vim4j_im2col(p, 3, 16, 16, 16, 0, o), "vim4j_im2col", "stride");
    EXPECT_ERR(vim4j_im2col(p, 3, 15, 16, 16, 16, o), "vim4j_im2col", "height");
    EXPECT_ERR(vim4j_im2col(p, 3, 16, 15, 16, 16, o), "vim4j_im2col", "width");

    // mixer: sizes, then every pointer (position of the argument -> name)
    {
        const float* w = p;
        float* ws = o;
#define MIX(h_, hid_, batch_, len_, d_, e_, n_, r_, k_)                                                               \
    vim4j_mixer_forward(h_, hid_, batch_, len_, d_, e_, n_, r_, k_, w, w, w, w, w, w, w, w, w, w, w, w, w, w, w, w, \
                        ws, ws, ws, ws, ws)
        const char* M = "vim4j_mixer_forward";
        EXPECT_ERR(MIX(nullptr, ws, 1, 2, 4, 8, 2, 1, 2), M, "h");
        EXPECT_ERR(MIX(w, nullptr, 1, 2, 4, 8, 2, 1, 2), M, "hidden");
        EXPECT_ERR(MIX(w, ws, -1, 2, 4, 8, 2, 1, 2), M, "batch");
        EXPECT_ERR(MIX(w, ws, 1, -2, 4, 8, 2, 1, 2), M, "len");
        EXPECT_ERR(MIX(w, ws, 1, 2, 0, 8, 2, 1, 2), M, "d_model");
        EXPECT_ERR(MIX(w, ws, 1, 2, 4, 0, 2, 1, 2), M, "d_inner");
        EXPECT_ERR(MIX(w, ws, 1, 2, 4, 8, 0, 1, 2), M, "d_state");
        EXPECT_ERR(MIX(w, ws, 1, 2, 4, 8, 300, 1, 2), M, "d_state");
        EXPECT_ERR(MIX(w, ws, 1, 2, 4, 8, 2, 0, 2), M, "dt_rank");
        EXPECT_ERR(MIX(w, ws, 1, 2, 4, 8, 2, 1, 0), M, "d_conv");
        const char* names[] = {"in_proj", "out_proj", "conv_w_f", "conv_b_f", "x_proj_f", "dt_proj_f", "dt_bias_f",
                               "a_t_f", "d_f", "conv_w_b", "conv_b_b", "x_proj_b", "dt_proj_b", "dt_bias_b", "a_t_b",
                               "d_b", "xz", "xc", "x_dbl", "delta", "y"};
        for (int i = 0; i < 21; ++i) {
            const float* a[16];
            float* wk[5];
            for (int j = 0; j < 16; ++j) a[j] = (j == i) ? nullptr : w;
            for (int j = 0; j < 5; ++j) wk[j] = (16 + j == i) ? nullptr : ws;
            const int32_t rc = vim4j_mixer_forward(w, ws, 1, 2, 4, 8, 2, 1, 2, a[0], a[1], a[2], a[3], a[4], a[5], a[6],
                                                   a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], wk[0],
                                                   wk[1], wk[2], wk[3], wk[4]);
            expect_error(rc, names[i], M, names[i]);
        }
    }

    // the last error is per thread: another thread starts with "" and its failures stay its own
    {
        EXPECT_ERR(vim4j_linear(p, 3, 2, o, nullptr, 4, 4, p, 4), "vim4j_linear", "lda");
        std::string other_initial, other_after;
        std::thread t([&] {
            other_initial = vim4j_last_error();
            (void)vim4j_im2col(nullptr, 3, 16, 16, 16, 16, o);
            other_after = vim4j_last_error();
        });
        t.join();
        VT_CHECK(other_initial.empty(), "new thread sees another thread's error: %s", other_initial.c_str());
        VT_CHECK(other_after.find("'image'") != std::string::npos, "other thread's error: %s", other_after.c_str());
        VT_CHECK(std::string(vim4j_last_error()).find("'lda'") != std::string::npos,
                 "this thread's error was overwritten by another thread: %s", vim4j_last_error());
    }
    return vt::finish("test_errors");
}
