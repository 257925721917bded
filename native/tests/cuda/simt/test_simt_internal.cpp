// Launchers of src/cuda that the C ABI does not reach yet, run on the SIMT emulation: the fp32 -> bf16 weight
// conversion of the BF16 precision (round to nearest even, ties, overflow to infinity, subnormals, NaN).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "launch.h"
#include "simt.h"

namespace {

uint16_t rne(float x) {
    uint32_t b;
    std::memcpy(&b, &x, 4);
    return static_cast<uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

float from_bits(uint32_t b) {
    float x;
    std::memcpy(&x, &b, 4);
    return x;
}

}  // namespace

int main() {
    std::vector<float> src = {0.0f, -0.0f, 1.0f, -1.0f, 3.14159265f, 1e-3f, -65504.0f,
                              from_bits(0x3f808000u),  // 1 + 2^-8: a tie, rounds to even (1)
                              from_bits(0x3f818000u),  // 1 + 3 * 2^-8: a tie, rounds up to even
                              from_bits(0x3f808001u),  // just above the tie: up
                              from_bits(0x7f7fffffu),  // FLT_MAX: overflows to +inf
                              from_bits(0x00000001u),  // the smallest subnormal: 0
                              from_bits(0x00810000u),  // a subnormal bf16 neighbourhood
                              std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                              std::numeric_limits<float>::quiet_NaN()};
    for (int i = 0; i < 1000; ++i) src.push_back(std::sin(0.37f * i) * std::pow(2.0f, static_cast<float>(i % 40 - 20)));
    std::vector<uint16_t> dst(src.size() + 1, 0xdeadu);
    vim4j_cuda::launch_convert_bf16(src.data(), dst.data(), static_cast<int64_t>(src.size()), nullptr);
    int failures = 0;
    for (size_t i = 0; i < src.size(); ++i) {
        const bool nan = std::isnan(src[i]);
        const bool ok = nan ? ((dst[i] & 0x7f80u) == 0x7f80u && (dst[i] & 0x7fu) != 0) : dst[i] == rne(src[i]);
        if (!ok && ++failures <= 10) {
            std::fprintf(stderr, "FAIL convert_bf16 %zu: %a -> %04x, want %04x\n", i, static_cast<double>(src[i]), dst[i],
                         rne(src[i]));
        }
    }
    if (dst[src.size()] != 0xdeadu) {
        std::fprintf(stderr, "FAIL convert_bf16 wrote past n\n");
        ++failures;
    }
    if (!vim4j_simt::errors().empty()) ++failures;
    std::printf("test_simt_internal: %zu conversions, %d failures\n", src.size(), failures);
    return failures == 0 ? 0 : 1;
}
