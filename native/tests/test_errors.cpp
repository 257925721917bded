// Argument validation of every ABI function: the status code, and a vim4j_last_error() text that names
// the function and the argument or struct field ('in->b.ld'). Also: the error text is thread-local, success
// leaves no new message, vim4j_runtime_create / vim4j_linear_packed_size report errors with NULL / -1.
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

void expect_message(const char* what, const char* part) {
    const std::string msg = vim4j_last_error();
    VT_CHECK(msg.find(part) != std::string::npos, "%s: last error \"%s\" lacks \"%s\"", what, msg.c_str(), part);
}

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
    vim4j_runtime* rt = vt::runtime(2);

    // runtimes
    VT_CHECK(vim4j_runtime_create(0) == nullptr, "runtime_create(0) accepted");
    expect_message("runtime_create(0)", "vim4j_runtime_create: invalid argument 'threads' = 0: must be >= 1");
    VT_CHECK(vim4j_runtime_create(-3) == nullptr, "runtime_create(-3) accepted");
    VT_CHECK(vim4j_runtime_create(VIM4J_MAX_THREADS + 1) == nullptr, "runtime_create(MAX + 1) accepted");
    expect_message("runtime_create(1025)", "'threads' = 1025: must be <= 1024");
    {
        vim4j_runtime* r = vim4j_runtime_create(VIM4J_MAX_THREADS);
        VT_CHECK(r != nullptr && vim4j_runtime_threads(r) == VIM4J_MAX_THREADS, "runtime_create(MAX)");
        vim4j_runtime_destroy(r);  // never used: no worker was started
    }
    VT_CHECK(vim4j_runtime_threads(nullptr) == 1, "threads of NULL");
    VT_CHECK(vim4j_runtime_threads(rt) == 2, "threads of a 2-thread runtime: %d", vim4j_runtime_threads(rt));
    vim4j_runtime_destroy(nullptr);

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
    {
        const char* L = "vim4j_linear";
        const vim4j_linear_weight w{o, nullptr, 4, 4, VIM4J_PRECISION_FP32, 0, nullptr};
        const vim4j_rows a{p, 4}, c{p + 64, 4};
        EXPECT_ERR(vim4j_linear(rt, nullptr, 2, &w, &c), L, "a");
        EXPECT_ERR(vim4j_linear(rt, &a, 2, nullptr, &c), L, "w");
        EXPECT_ERR(vim4j_linear(rt, &a, 2, &w, nullptr), L, "c");
        const vim4j_rows a_null{nullptr, 4}, c_null{nullptr, 4}, a_ld{p, 3}, c_ld{p + 64, 3};
        EXPECT_ERR(vim4j_linear(rt, &a_null, 2, &w, &c), L, "a->data");
        EXPECT_ERR(vim4j_linear(rt, &a, 2, &w, &c_null), L, "c->data");
        EXPECT_ERR(vim4j_linear(rt, &a, -1, &w, &c), L, "m");
        const vim4j_linear_weight w_null{nullptr, nullptr, 4, 4, VIM4J_PRECISION_FP32, 0, nullptr}, w_n{o, nullptr, 0, 4, VIM4J_PRECISION_FP32, 0, nullptr}, w_k{o, nullptr, 4, 0, VIM4J_PRECISION_FP32, 0, nullptr};
        EXPECT_ERR(vim4j_linear(rt, &a, 2, &w_null, &c), L, "w->packed");
        EXPECT_ERR(vim4j_linear(rt, &a, 2, &w_n, &c), L, "w->n");
        EXPECT_ERR(vim4j_linear(rt, &a, 2, &w_k, &c), L, "w->k");
        EXPECT_ERR(vim4j_linear(rt, &a_ld, 2, &w, &c), L, "a->ld");
        expect_message("a->ld", "'a->ld' = 3: must be >= w->k (= 4)");
        EXPECT_ERR(vim4j_linear(rt, &a, 2, &w, &c_ld), L, "c->ld");
        expect_message("c->ld", "'c->ld' = 3: must be >= w->n (= 4)");
        VT_CHECK_OK(vim4j_linear(rt, &a, 0, &w, &c));       // m = 0 is a no-op
        VT_CHECK_OK(vim4j_linear(nullptr, &a, 2, &w, &c));  // NULL runtime: the caller's thread
    }

    // rms norm
    {
        const char* N = "vim4j_add_rms_norm";
        EXPECT_ERR(vim4j_add_rms_norm(rt, nullptr, nullptr, p, o, 1, 4, 1e-5f), N, "residual");
        EXPECT_ERR(vim4j_add_rms_norm(rt, p, nullptr, nullptr, o, 1, 4, 1e-5f), N, "weight");
        EXPECT_ERR(vim4j_add_rms_norm(rt, p, nullptr, p, nullptr, 1, 4, 1e-5f), N, "out");
        EXPECT_ERR(vim4j_add_rms_norm(rt, p, nullptr, p, o, -1, 4, 1e-5f), N, "rows");
        EXPECT_ERR(vim4j_add_rms_norm(rt, p, nullptr, p, o, 1, 0, 1e-5f), N, "dim");
        EXPECT_ERR(vim4j_add_rms_norm(rt, p, nullptr, p, o, 1, 4, -1.0f), N, "eps");
        EXPECT_ERR(vim4j_add_rms_norm(rt, p, nullptr, p, o, 1, 4, std::nanf("")), N, "eps");
    }

    // conv
    {
        const char* C = "vim4j_conv_silu";
        const vim4j_rows x{p, 8}, y{o, 8};
        const vim4j_conv_weights w{p, p, 8, 4};
        EXPECT_ERR(vim4j_conv_silu(rt, nullptr, &w, &y, 1, 4, 0), C, "x");
        EXPECT_ERR(vim4j_conv_silu(rt, &x, nullptr, &y, 1, 4, 0), C, "w");
        EXPECT_ERR(vim4j_conv_silu(rt, &x, &w, nullptr, 1, 4, 0), C, "out");
        const vim4j_rows x_null{nullptr, 8}, y_null{nullptr, 8}, x_ld{p, 7}, y_ld{o, 7};
        EXPECT_ERR(vim4j_conv_silu(rt, &x_null, &w, &y, 1, 4, 0), C, "x->data");
        EXPECT_ERR(vim4j_conv_silu(rt, &x, &w, &y_null, 1, 4, 0), C, "out->data");
        EXPECT_ERR(vim4j_conv_silu(rt, &x_ld, &w, &y, 1, 4, 0), C, "x->ld");
        expect_message("x->ld", "'x->ld' = 7: must be >= w->channels (= 8)");
        EXPECT_ERR(vim4j_conv_silu(rt, &x, &w, &y_ld, 1, 4, 0), C, "out->ld");
        const vim4j_conv_weights w_w{nullptr, p, 8, 4}, w_b{p, nullptr, 8, 4}, w_c{p, p, 0, 4}, w_k{p, p, 8, 0};
        EXPECT_ERR(vim4j_conv_silu(rt, &x, &w_w, &y, 1, 4, 0), C, "w->weight");
        EXPECT_ERR(vim4j_conv_silu(rt, &x, &w_b, &y, 1, 4, 0), C, "w->bias");
        EXPECT_ERR(vim4j_conv_silu(rt, &x, &w_c, &y, 1, 4, 0), C, "w->channels");
        EXPECT_ERR(vim4j_conv_silu(rt, &x, &w_k, &y, 1, 4, 0), C, "w->kernel");
        EXPECT_ERR(vim4j_conv_silu(rt, &x, &w, &y, -1, 4, 0), C, "batch");
        EXPECT_ERR(vim4j_conv_silu(rt, &x, &w, &y, 1, -4, 0), C, "len");
        VT_CHECK_OK(vim4j_conv_silu(rt, &x, &w, &y, 0, 4, 1));  // no rows
    }

    // scan: in (u, delta, b, c, z), w (a_t, d_skip, delta_bias, channels, states), out
    {
        const char* S = "vim4j_selective_scan";
        const vim4j_scan_inputs in{{p, 8}, {p, 8}, {p, 16}, {p, 16}, {p, 8}};
        const vim4j_scan_weights w{p, p, p, 8, 16};
        const vim4j_rows y{o, 8};
        EXPECT_ERR(vim4j_selective_scan(rt, nullptr, &w, &y, 1, 4, 0, 1.0f), S, "in");
        EXPECT_ERR(vim4j_selective_scan(rt, &in, nullptr, &y, 1, 4, 0, 1.0f), S, "w");
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &w, nullptr, 1, 4, 0, 1.0f), S, "out");
        const char* rows_names[5] = {"in->u.", "in->delta.", "in->b.", "in->c.", "in->z."};
        vim4j_rows vim4j_scan_inputs::*const members[5] = {&vim4j_scan_inputs::u, &vim4j_scan_inputs::delta,
                                                           &vim4j_scan_inputs::b, &vim4j_scan_inputs::c,
                                                           &vim4j_scan_inputs::z};
        for (int i = 0; i < 5; ++i) {
            vim4j_scan_inputs bad = in;
            (bad.*members[i]).data = nullptr;
            EXPECT_ERR(vim4j_selective_scan(rt, &bad, &w, &y, 1, 4, 0, 1.0f), S, (std::string(rows_names[i]) + "data").c_str());
            bad = in;
            (bad.*members[i]).ld -= 1;
            EXPECT_ERR(vim4j_selective_scan(rt, &bad, &w, &y, 1, 4, 0, 1.0f), S, (std::string(rows_names[i]) + "ld").c_str());
            expect_message(rows_names[i], i == 2 || i == 3 ? "must be >= w->states (= 16)" : "must be >= w->channels (= 8)");
        }
        vim4j_scan_weights bad = w;
        bad.a_t = nullptr;
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &bad, &y, 1, 4, 0, 1.0f), S, "w->a_t");
        bad = w;
        bad.d_skip = nullptr;
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &bad, &y, 1, 4, 0, 1.0f), S, "w->d_skip");
        bad = w;
        bad.delta_bias = nullptr;
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &bad, &y, 1, 4, 0, 1.0f), S, "w->delta_bias");
        bad = w;
        bad.channels = 0;
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &bad, &y, 1, 4, 0, 1.0f), S, "w->channels");
        bad = w;
        bad.states = 0;
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &bad, &y, 1, 4, 0, 1.0f), S, "w->states");
        bad.states = 257;
        const vim4j_scan_inputs wide{{p, 8}, {p, 8}, {p, 512}, {p, 512}, {p, 8}};
        EXPECT_ERR(vim4j_selective_scan(rt, &wide, &bad, &y, 1, 4, 0, 1.0f), S, "w->states");
        const vim4j_rows y_null{nullptr, 8}, y_ld{o, 7};
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &w, &y_null, 1, 4, 0, 1.0f), S, "out->data");
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &w, &y_ld, 1, 4, 0, 1.0f), S, "out->ld");
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &w, &y, -1, 4, 0, 1.0f), S, "batch");
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &w, &y, 1, -4, 0, 1.0f), S, "len");
        EXPECT_ERR(vim4j_selective_scan(rt, &in, &w, &y, 1, 4, 4, 1.0f), S, "flags");
        VT_CHECK_OK(vim4j_selective_scan(rt, &in, &w, &y, 1, 4, VIM4J_SCAN_REVERSE | VIM4J_SCAN_ACCUMULATE, 1.0f));
    }

    // im2col
    {
        const char* I = "vim4j_im2col";
        EXPECT_ERR(vim4j_im2col(rt, nullptr, 3, 16, 16, 16, 16, o), I, "image");
        EXPECT_ERR(vim4j_im2col(rt, p, 3, 16, 16, 16, 16, nullptr), I, "out");
        EXPECT_ERR(vim4j_im2col(rt, p, 0, 16, 16, 16, 16, o), I, "channels");
        EXPECT_ERR(vim4j_im2col(rt, p, 3, 16, 16, 0, 16, o), I, "patch");
        EXPECT_ERR(vim4j_im2col(rt, p, 3, 16, 16, 16, 0, o), I, "stride");
        EXPECT_ERR(vim4j_im2col(rt, p, 3, 15, 16, 16, 16, o), I, "height");
        EXPECT_ERR(vim4j_im2col(rt, p, 3, 16, 15, 16, 16, o), I, "width");
    }

    // mixer: D = 4, E = 8, N = 2, R = 1, K = 2; every struct field, then the shapes against each other
    {
        const char* M = "vim4j_mixer_forward";
        const float* w = p;
        const vim4j_branch_weights br{{w, w, 8, 2}, {w, nullptr, 5, 8, VIM4J_PRECISION_FP32, 0, nullptr},
                                      {w, nullptr, 8, 1, VIM4J_PRECISION_FP32, 0, nullptr}, {w, w, w, 8, 2}};
        const vim4j_mixer_weights mw{{w, nullptr, 16, 4, VIM4J_PRECISION_FP32, 0, nullptr}, br, br,
                                     {w, nullptr, 4, 8, VIM4J_PRECISION_FP32, 0, nullptr}};
        const vim4j_mixer_buffers mb{{4, 8, 2, 1}, 2, o, o, o, o, o, {o, o}, {o, o}};
        VT_CHECK_OK(vim4j_mixer_forward(rt, &mw, &mb, 1, 2));
        EXPECT_ERR(vim4j_mixer_forward(rt, nullptr, &mb, 1, 2), M, "w");
        EXPECT_ERR(vim4j_mixer_forward(rt, &mw, nullptr, 1, 2), M, "b");
        EXPECT_ERR(vim4j_mixer_forward(rt, &mw, &mb, -1, 2), M, "batch");
        EXPECT_ERR(vim4j_mixer_forward(rt, &mw, &mb, 1, -2), M, "len");
        EXPECT_ERR(vim4j_mixer_forward(rt, &mw, &mb, 1, 3), M, "len");
        expect_message("rows", "'batch' * 'len' = 3: must be <= b->rows (= 2)");
        // the buffers: dims, rows, every pointer
        struct BufCase {
            const char* name;
            void (*spoil)(vim4j_mixer_buffers&);
        };
        const BufCase buf_cases[] = {
            {"b->dims.d_model", [](vim4j_mixer_buffers& b) { b.dims.d_model = 0; }},
            {"b->dims.d_inner", [](vim4j_mixer_buffers& b) { b.dims.d_inner = 0; }},
            {"b->dims.d_state", [](vim4j_mixer_buffers& b) { b.dims.d_state = 0; }},
            {"b->dims.d_state", [](vim4j_mixer_buffers& b) { b.dims.d_state = 300; }},
            {"b->dims.dt_rank", [](vim4j_mixer_buffers& b) { b.dims.dt_rank = 0; }},
            {"b->rows", [](vim4j_mixer_buffers& b) { b.rows = -1; }},
            {"b->normed", [](vim4j_mixer_buffers& b) { b.normed = nullptr; }},
            {"b->hidden", [](vim4j_mixer_buffers& b) { b.hidden = nullptr; }},
            {"b->xz", [](vim4j_mixer_buffers& b) { b.xz = nullptr; }},
            {"b->delta", [](vim4j_mixer_buffers& b) { b.delta = nullptr; }},
            {"b->y", [](vim4j_mixer_buffers& b) { b.y = nullptr; }},
            {"b->forward.xc", [](vim4j_mixer_buffers& b) { b.forward.xc = nullptr; }},
            {"b->forward.x_dbl", [](vim4j_mixer_buffers& b) { b.forward.x_dbl = nullptr; }},
            {"b->backward.xc", [](vim4j_mixer_buffers& b) { b.backward.xc = nullptr; }},
            {"b->backward.x_dbl", [](vim4j_mixer_buffers& b) { b.backward.x_dbl = nullptr; }},
        };
        for (const BufCase& bc : buf_cases) {
            vim4j_mixer_buffers bad = mb;
            bc.spoil(bad);
            EXPECT_ERR(vim4j_mixer_forward(rt, &mw, &bad, 1, 2), M, bc.name);
        }
        // the weights: every pointer and shape of both directions, and the shapes against the buffers' dims
        struct WeightCase {
            const char* name;
            void (*spoil)(vim4j_mixer_weights&);
        };
        const WeightCase weight_cases[] = {
            {"w->in_proj.packed", [](vim4j_mixer_weights& m) { m.in_proj.packed = nullptr; }},
            {"w->in_proj.n", [](vim4j_mixer_weights& m) { m.in_proj.n = 15; }},
            {"w->in_proj.k", [](vim4j_mixer_weights& m) { m.in_proj.k = 5; }},
            {"w->out_proj.packed", [](vim4j_mixer_weights& m) { m.out_proj.packed = nullptr; }},
            {"w->out_proj.n", [](vim4j_mixer_weights& m) { m.out_proj.n = 5; }},
            {"w->out_proj.k", [](vim4j_mixer_weights& m) { m.out_proj.k = 0; }},
            {"w->forward.conv.weight", [](vim4j_mixer_weights& m) { m.forward.conv.weight = nullptr; }},
            {"w->forward.conv.bias", [](vim4j_mixer_weights& m) { m.forward.conv.bias = nullptr; }},
            {"w->forward.conv.channels", [](vim4j_mixer_weights& m) { m.forward.conv.channels = 9; }},
            {"w->forward.conv.kernel", [](vim4j_mixer_weights& m) { m.forward.conv.kernel = 0; }},
            {"w->forward.x_proj.packed", [](vim4j_mixer_weights& m) { m.forward.x_proj.packed = nullptr; }},
            {"w->forward.x_proj.n", [](vim4j_mixer_weights& m) { m.forward.x_proj.n = 6; }},
            {"w->forward.x_proj.k", [](vim4j_mixer_weights& m) { m.forward.x_proj.k = 7; }},
            {"w->forward.dt_proj.packed", [](vim4j_mixer_weights& m) { m.forward.dt_proj.packed = nullptr; }},
            {"w->forward.dt_proj.n", [](vim4j_mixer_weights& m) { m.forward.dt_proj.n = 7; }},
            {"w->forward.dt_proj.k", [](vim4j_mixer_weights& m) { m.forward.dt_proj.k = 2; }},
            {"w->forward.scan.a_t", [](vim4j_mixer_weights& m) { m.forward.scan.a_t = nullptr; }},
            {"w->forward.scan.d_skip", [](vim4j_mixer_weights& m) { m.forward.scan.d_skip = nullptr; }},
            {"w->forward.scan.delta_bias", [](vim4j_mixer_weights& m) { m.forward.scan.delta_bias = nullptr; }},
            {"w->forward.scan.channels", [](vim4j_mixer_weights& m) { m.forward.scan.channels = 16; }},
            {"w->forward.scan.states", [](vim4j_mixer_weights& m) { m.forward.scan.states = 3; }},
            {"w->backward.conv.weight", [](vim4j_mixer_weights& m) { m.backward.conv.weight = nullptr; }},
            {"w->backward.conv.channels", [](vim4j_mixer_weights& m) { m.backward.conv.channels = 4; }},
            {"w->backward.x_proj.n", [](vim4j_mixer_weights& m) { m.backward.x_proj.n = 4; }},
            {"w->backward.dt_proj.k", [](vim4j_mixer_weights& m) { m.backward.dt_proj.k = 3; }},
            {"w->backward.scan.states", [](vim4j_mixer_weights& m) { m.backward.scan.states = 1; }},
            {"w->backward.scan.d_skip", [](vim4j_mixer_weights& m) { m.backward.scan.d_skip = nullptr; }},
        };
        for (const WeightCase& wc : weight_cases) {
            vim4j_mixer_weights bad = mw;
            wc.spoil(bad);
            EXPECT_ERR(vim4j_mixer_forward(rt, &bad, &mb, 1, 2), M, wc.name);
        }
        {
            vim4j_mixer_weights bad = mw;
            bad.forward.x_proj.n = 6;
            (void)vim4j_mixer_forward(rt, &bad, &mb, 1, 2);
            expect_message("x_proj.n", "'w->forward.x_proj.n' = 6: must be b->dims.dt_rank + 2 * b->dims.d_state (= 5)");
        }
        VT_CHECK_OK(vim4j_mixer_forward(rt, &mw, &mb, 0, 2));  // no rows
    }

    // the last error is per thread: another thread starts with "" and its failures stay its own
    {
        const vim4j_linear_weight w{o, nullptr, 4, 4, VIM4J_PRECISION_FP32, 0, nullptr};
        const vim4j_rows a{p, 3}, c{p + 64, 4};
        EXPECT_ERR(vim4j_linear(rt, &a, 2, &w, &c), "vim4j_linear", "a->ld");
        std::string other_initial, other_after;
        std::thread t([&] {
            other_initial = vim4j_last_error();
            (void)vim4j_im2col(nullptr, nullptr, 3, 16, 16, 16, 16, o);
            other_after = vim4j_last_error();
        });
        t.join();
        VT_CHECK(other_initial.empty(), "new thread sees another thread's error: %s", other_initial.c_str());
        VT_CHECK(other_after.find("'image'") != std::string::npos, "other thread's error: %s", other_after.c_str());
        VT_CHECK(std::string(vim4j_last_error()).find("'a->ld'") != std::string::npos,
                 "this thread's error was overwritten by another thread: %s", vim4j_last_error());
    }
    return vt::finish("test_errors");
}
