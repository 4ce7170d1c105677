// expect: batch_positive
#include <perfcast/core/layers.hpp>
#ifdef PERFCAST_TWIN_OK
using D = perfcast::Dense<{.batch = 1, .in_features = 16, .out_features = 4}>;
#else
using D = perfcast::Dense<{.batch = 0, .in_features = 16, .out_features = 4}>;
#endif
int main() { return static_cast<int>(D::param_count % 2); }
