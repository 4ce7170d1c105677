// expect: matrix_dims_positive
#include <perfcast/core/layers.hpp>
#ifdef PERFCAST_TWIN_OK
using B = perfcast::BatchMatMul<{.batch = 4, .m = 16, .k = 8, .n = 16}>;
#else
using B = perfcast::BatchMatMul<{.batch = 4, .m = 16, .k = 0, .n = 16}>;
#endif
int main() { return static_cast<int>(B::output_shape[2] % 2); }
