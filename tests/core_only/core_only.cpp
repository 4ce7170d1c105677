// The compile-time core needs the standard library only: this translation unit is built with
// perfcast::core (include/ and nothing else on the include path: no xtensor, nlohmann/json or
// BLAS) and against single_include/perfcast/core.hpp alone, and runs.
#include <perfcast/core.hpp>

#include <cstdio>  // printf

namespace pc = perfcast;

using Conv = pc::Conv2D<{.batch = 8, .in_channels = 64, .height = 56, .width = 56, .out_channels = 64, .kernel = 3,
                         .padding = 1}>;
static_assert(Conv::output_shape == pc::Shape::nchw(8, 64, 56, 56));
static_assert(pc::embedded::verify(pc::embedded::default_model));
inline constexpr double resnet_us = pc::predict_us<pc::zoo::ResNet50<8>, pc::devices::t4>();
static_assert(resnet_us > pc::roofline_us(Conv::params, pc::Target(pc::devices::t4)));

int main() {
    const pc::Network n = pc::zoo::resnet50(8);
    std::printf("%s: %zu layers, %.1f us on a T4 (embedded model, at compile time)\n", n.name.c_str(), n.layers.size(),
                resnet_us);
    return n.layers.size() > 100 ? 0 : 1;
}
