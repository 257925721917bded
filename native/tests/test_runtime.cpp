// Runtimes: each keeps the thread count it was created with, a limit on the process's one pool of workers (named
// "vim4j-worker"), which start the first time a call is split, never for 1 thread or for calls too small to split,
// number as many as the largest runtime needs, and stay when runtimes are destroyed (the next runtime reuses them);
// runtimes of different sizes used at once from different threads give the single-threaded bits. Workers are
// counted in /proc/self/task (Linux; skipped elsewhere).
#include <dirent.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "test_common.h"

using vt::Buf;
using vt::Rng;

namespace {

// Threads of this process named vim4j-worker, or -1 without /proc.
int workers() {
    DIR* dir = opendir("/proc/self/task");
    if (dir == nullptr) return -1;
    int n = 0;
    while (dirent* e = readdir(dir)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
        std::string name;
        if (std::getline(comm, name) && name == "vim4j-worker") ++n;
    }
    closedir(dir);
    return n;
}

// A Vim-Tiny in_proj: 197 x 192 -> 768, big enough to be split on any runtime.
struct Gemm {
    int m = 197, k = 192, n = 768;
    Buf a, w, packed, one;
    explicit Gemm(Rng& rng) : a(static_cast<size_t>(m) * k), w(static_cast<size_t>(n) * k), one(static_cast<size_t>(m) * n) {
        rng.fill(a, -1, 1);
        rng.fill(w, -1, 1);
        packed = Buf(static_cast<size_t>(vim4j_linear_packed_size(n, k)));
        VT_CHECK_OK(vim4j_linear_pack(w.data(), n, k, packed.data()));
        VT_CHECK_OK(run(nullptr, one));
    }
    int32_t run(vim4j_runtime* rt, Buf& c) const {
        const vim4j_rows A = vt::rows(a.data(), k), C = vt::rows(c.data(), n);
        const vim4j_linear_weight W{packed.data(), nullptr, n, k, VIM4J_PRECISION_FP32, 0, nullptr};
        return vim4j_linear(rt, &A, m, &W, &C);
    }
    bool same(const Buf& c) const { return std::memcmp(c.data(), one.data(), sizeof(float) * one.size()) == 0; }
};

}  // namespace

int main() {
    const int setup = vt::tier_setup("test_runtime");
    if (setup != 0) return setup;
    Rng rng(21);
    Gemm g(rng);
    const int w0 = workers();
    const bool counted = w0 >= 0;
    if (!counted) std::printf("  no /proc/self/task: worker counts not checked\n");
    // A joined thread can linger in /proc for a moment: wait up to 2 s for the expected count.
    auto expect_workers = [&](int delta, const char* when) {
        if (!counted) return;
        int n = workers();
        for (int i = 0; i < 200 && n != w0 + delta; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            n = workers();
        }
        VT_CHECK(n == w0 + delta, "%s: %d vim4j-worker threads, expected %d", when, n - w0, delta);
    };

    vim4j_runtime* rt1 = vim4j_runtime_create(1);
    vim4j_runtime* rt2 = vim4j_runtime_create(2);
    vim4j_runtime* rt3 = vim4j_runtime_create(3);
    VT_CHECK(rt1 != nullptr && rt2 != nullptr && rt3 != nullptr, "runtime_create failed: %s", vim4j_last_error());
    expect_workers(0, "after create (workers start on first use)");

    // a call too small to split starts nothing, even on a 3-thread runtime
    {
        Buf a(16 * 32), w(8 * 32), c(16 * 8);
        rng.fill(a, -1, 1);
        rng.fill(w, -1, 1);
        Buf packed(static_cast<size_t>(vim4j_linear_packed_size(8, 32)));
        VT_CHECK_OK(vim4j_linear_pack(w.data(), 8, 32, packed.data()));
        const vim4j_rows A = vt::rows(a.data(), 32), C = vt::rows(c.data(), 8);
        const vim4j_linear_weight W{packed.data(), nullptr, 8, 32, VIM4J_PRECISION_FP32, 0, nullptr};
        VT_CHECK_OK(vim4j_linear(rt3, &A, 16, &W, &C));
        expect_workers(0, "after a 16x32x8 GEMM on 3 threads");
    }

    Buf c(g.one.size());
    VT_CHECK_OK(g.run(rt1, c));
    VT_CHECK(g.same(c), "1-thread runtime: wrong result");
    expect_workers(0, "after a split-size call on a 1-thread runtime");
    VT_CHECK_OK(g.run(rt3, c));
    VT_CHECK(g.same(c), "3-thread runtime: wrong result");
    expect_workers(2, "after a call on a 3-thread runtime");

    // runtimes with different thread counts used at once share the pool: results stay exact, no new workers
    {
        std::atomic<int> bad{0};
        auto loop = [&](vim4j_runtime* rt) {
            Buf out(g.one.size());
            for (int i = 0; i < 200; ++i)
                if (g.run(rt, out) != VIM4J_OK || !g.same(out)) bad.fetch_add(1);
        };
        std::thread a(loop, rt2), b(loop, rt3), d(loop, rt1);
        a.join();
        b.join();
        d.join();
        VT_CHECK(bad.load() == 0, "%d wrong results from concurrent runtimes", bad.load());
        expect_workers(2, "after concurrent use of a 2-, a 3- and a 1-thread runtime (one shared pool)");
    }
    VT_CHECK(vim4j_runtime_threads(rt1) == 1 && vim4j_runtime_threads(rt2) == 2 && vim4j_runtime_threads(rt3) == 3,
             "runtimes report %d, %d, %d threads", vim4j_runtime_threads(rt1), vim4j_runtime_threads(rt2),
             vim4j_runtime_threads(rt3));

    vim4j_runtime_destroy(rt3);
    vim4j_runtime_destroy(rt2);
    vim4j_runtime_destroy(rt1);
    expect_workers(2, "after destroying the runtimes (the pool's workers stay for the next ones)");

    // many create/use/destroy cycles reuse the pool: it grows to the largest runtime (4 threads: 3 workers), no more
    for (int i = 0; i < 20; ++i) {
        vim4j_runtime* rt = vim4j_runtime_create(2 + i % 3);
        VT_CHECK_OK(g.run(rt, c));
        VT_CHECK(g.same(c), "cycle %d: wrong result", i);
        vim4j_runtime_destroy(rt);
    }
    expect_workers(3, "after 20 create/use/destroy cycles of 2- to 4-thread runtimes");
    return vt::finish("test_runtime");
}
