// expect: kernel_fits_padded_input
#include <perfcast/core/layers.hpp>
#ifdef PERFCAST_TWIN_OK
using C = perfcast::Conv2D<{.batch = 1, .in_channels = 3, .height = 11, .width = 11, .out_channels = 8, .kernel = 11}>;
#else
using C = perfcast::Conv2D<{.batch = 1, .in_channels = 3, .height = 5, .width = 5, .out_channels = 8, .kernel = 11}>;
#endif
int main() { return static_cast<int>(C::param_count % 2); }
