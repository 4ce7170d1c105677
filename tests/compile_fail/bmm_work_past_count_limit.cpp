// expect: perfcast rule work_in_range
// A layer type whose sizes are in range but whose FLOPs (2*b*m*k*n) pass 2^62: refused, not wrapped.
#include <perfcast/core/layers.hpp>
#ifdef PERFCAST_TWIN_OK
using B = perfcast::BatchMatMul<{.batch = 1024, .m = 1024, .k = 1024, .n = 1024}>;
#else
using B = perfcast::BatchMatMul<{.batch = 1048576, .m = 1048576, .k = 1048576, .n = 1048576}>;
#endif
int main() { return static_cast<int>(B::flops(perfcast::Phase::forward) % 2); }
