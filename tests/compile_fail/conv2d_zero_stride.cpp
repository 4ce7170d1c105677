// expect: stride_positive
#include <perfcast/core/layers.hpp>
#ifdef PERFCAST_TWIN_OK
using C = perfcast::Conv2D<{.batch = 1, .in_channels = 3, .height = 8, .width = 8, .out_channels = 4, .kernel = 3, .stride = 1}>;
#else
using C = perfcast::Conv2D<{.batch = 1, .in_channels = 3, .height = 8, .width = 8, .out_channels = 4, .kernel = 3, .stride = 0}>;
#endif
int main() { return static_cast<int>(C::output_shape[2] % 2); }
