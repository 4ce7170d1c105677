// Shared by the consumer projects in find_package/ and add_subdirectory/.
#include <perfcast/perfcast.hpp>

#include <iostream>

using Conv = perfcast::Conv2D<{.batch = 1, .in_channels = 3, .height = 32, .width = 32, .out_channels = 16, .kernel = 3}>;

int main() {
    // 3*16*3*3 weights + 16 biases
    std::cout << "Conv2D param_count = " << Conv::param_count << '\n';
    return Conv::param_count == 448 ? 0 : 1;
}
