// expect: in_channels_divisible_by_groups
#include <perfcast/core/layers.hpp>
#ifdef PERFCAST_TWIN_OK
using C = perfcast::Conv2D<{.batch = 1, .in_channels = 6, .height = 8, .width = 8, .out_channels = 6, .kernel = 3, .groups = 3}>;
#else
using C = perfcast::Conv2D<{.batch = 1, .in_channels = 5, .height = 8, .width = 8, .out_channels = 6, .kernel = 3, .groups = 3}>;
#endif
int main() { return static_cast<int>(C::param_count % 2); }
