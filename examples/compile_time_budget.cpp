// Compile-time cost modelling: an inference engine checks, while it compiles, that a layer
// fits its latency budget on the target GPU, and picks the cheaper of two layouts.
#include <cstdio>  // printf

#include <perfcast/core/analytical.hpp>  // paleo_us
#include <perfcast/core/devices.hpp>     // devices::h100_sxm
#include <perfcast/core/layers.hpp>      // Conv2D

namespace pc = perfcast;

// One 5x5 convolution, or two stacked 3x3 ones with the same receptive field.
using Conv5x5 = pc::Conv2D<{.batch = 32, .in_channels = 128, .height = 28, .width = 28, .out_channels = 128,
                            .kernel = 5, .padding = 2, .bias = false}>;
using Conv3x3 = pc::Conv2D<{.batch = 32, .in_channels = 128, .height = 28, .width = 28, .out_channels = 128,
                            .kernel = 3, .padding = 1, .bias = false}>;

constexpr double five = pc::paleo_us(Conv5x5::params, pc::Target(pc::devices::h100_sxm, pc::Pass::inference));
constexpr double two_threes = 2 * pc::paleo_us(Conv3x3::params, pc::Target(pc::devices::h100_sxm, pc::Pass::inference));
static_assert(five < 1000.0, "the 5x5 convolution must fit a 1 ms budget on an H100");

int main() {
    if constexpr (two_threes < five) {
        std::printf("compile-time choice: two 3x3 convolutions (%.1f us < %.1f us, PALEO on H100)\n", two_threes, five);
    } else {
        std::printf("compile-time choice: one 5x5 convolution (%.1f us <= %.1f us, PALEO on H100)\n", five, two_threes);
    }
}
