// vim4j_scan_ab: side-by-side timing of the selective scan in several builds of libvim4j.so, for
// before/after comparisons on a shared, noisy machine. Each library is dlopen'ed from its own copy (so two
// builds with the same soname can live in one process), and the builds take turns (ABAB...), one sample
// each turn: the best of 5 back-to-back single-thread scans (NULL runtime) of one Vim-Tiny branch,
// 197 tokens x 384 channels x 16 states, the inputs of vim4j_bench. Min and median over the samples are
// printed with Gstate-updates/s (one update = one (token, channel, state) of the recurrence). The tier is
// the library's choice, capped as usual with VIM4J_MAX_ISA.
//   vim4j_scan_ab <samples per library> <libvim4j.so> [<libvim4j.so> ...]
#include <dlfcn.h>
#include <unistd.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "vim4j.h"

namespace {

typedef int32_t (*scan_fn)(vim4j_runtime*, const vim4j_scan_inputs*, const vim4j_scan_weights*, const vim4j_rows*,
                           int32_t, int32_t, int32_t, float);

double wall() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

std::vector<float> randv(std::mt19937& g, size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = d(g);
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s <samples per library> <libvim4j.so> [<libvim4j.so> ...]\n", argv[0]);
        return 2;
    }
    constexpr int L = 197, E = 384, N = 16, R = 12, XD = R + 2 * N;
    std::mt19937 g(1);
    std::vector<float> u = randv(g, static_cast<size_t>(L) * E, -1, 1), delta = randv(g, static_cast<size_t>(L) * E, -4, 0),
                       xdbl = randv(g, static_cast<size_t>(L) * XD, -1, 1), dskip = randv(g, E, 0.5f, 1.5f),
                       dbias = randv(g, E, -4, -2), xz = randv(g, static_cast<size_t>(L) * 2 * E, -2, 2),
                       y(static_cast<size_t>(L) * E), a_t(static_cast<size_t>(N) * E);
    for (int n = 0; n < N; ++n)
        for (int e = 0; e < E; ++e) a_t[static_cast<size_t>(n) * E + e] = -(n + 1.0f);
    const int samples = std::atoi(argv[1]);
    std::vector<scan_fn> fns;
    for (int i = 2; i < argc; ++i) {
        // a private copy per argument: dlopen returns the already loaded library for a path it has seen
        const std::string copy = "/tmp/vim4j_scan_ab_" + std::to_string(getpid()) + "_" + std::to_string(i) + ".so";
        if (std::system(("cp '" + std::string(argv[i]) + "' '" + copy + "'").c_str()) != 0) return 1;
        void* h = dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
        std::remove(copy.c_str());
        if (h == nullptr) {
            std::fprintf(stderr, "%s\n", dlerror());
            return 1;
        }
        fns.push_back(reinterpret_cast<scan_fn>(dlsym(h, "vim4j_selective_scan")));
    }
    const vim4j_scan_inputs in{{u.data(), E}, {delta.data(), E}, {xdbl.data() + R, XD}, {xdbl.data() + R + N, XD},
                               {xz.data() + E, 2 * E}};
    const vim4j_scan_weights w{a_t.data(), dskip.data(), dbias.data(), E, N};
    const vim4j_rows out{y.data(), E};
    std::vector<std::vector<double>> ts(fns.size());
    for (int r = 0; r < samples; ++r)
        for (size_t i = 0; i < fns.size(); ++i) {
            double best = 1e30;
            for (int k = 0; k < 5; ++k) {
                const double a = wall();
                if (fns[i](nullptr, &in, &w, &out, 1, L, 0, 0.5f) != 0) return 1;
                best = std::min(best, wall() - a);
            }
            ts[i].push_back(best);
        }
    const double updates = static_cast<double>(L) * E * N;
    for (size_t i = 0; i < fns.size(); ++i) {
        std::vector<double> v = ts[i];
        std::sort(v.begin(), v.end());
        const double mn = v.front(), med = v[v.size() / 2];
        std::printf("%-40s min %7.1f us  med %7.1f us | %5.2f Gupdate/s (min) %5.2f (med)\n", argv[i + 2], mn * 1e6,
                    med * 1e6, updates / mn * 1e-9, updates / med * 1e-9);
    }
    return 0;
}
