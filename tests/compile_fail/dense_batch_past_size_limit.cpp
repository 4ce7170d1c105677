// expect: perfcast rule size_in_range
// A layer type whose batch is past 2^31-1, the size limit: refused at compile time naming the rule.
#include <perfcast/core/layers.hpp>
#ifdef PERFCAST_TWIN_OK
using D = perfcast::Dense<{.batch = 2147483647, .in_features = 16, .out_features = 4}>;
#else
using D = perfcast::Dense<{.batch = 2147483648, .in_features = 16, .out_features = 4}>;
#endif
int main() { return static_cast<int>(D::param_count % 2); }
