// Turns any error the SIMT emulation recorded into a failing exit status of the test executable.
#include <cstdio>
#include <cstdlib>

#include "simt.h"

namespace {
struct Verdict {
    ~Verdict() {
        const size_t n = vim4j_simt::errors().size();
        if (n != 0) {
            std::fprintf(stderr, "SIMT emulation: %zu error(s) (first: %s)\n", n, vim4j_simt::errors()[0].c_str());
            std::fflush(stderr);
            std::_Exit(1);
        }
    }
} verdict;
}  // namespace
