// expect: pool_padding_at_most_half_kernel
#include <perfcast/core/layers.hpp>
#ifdef PERFCAST_TWIN_OK
using P = perfcast::Pool2D<{.batch = 1, .channels = 3, .height = 8, .width = 8, .kernel = 3, .stride = 2, .padding = 1}>;
#else
using P = perfcast::Pool2D<{.batch = 1, .channels = 3, .height = 8, .width = 8, .kernel = 3, .stride = 2, .padding = 2}>;
#endif
int main() { return static_cast<int>(P::output_shape[2] % 2); }
