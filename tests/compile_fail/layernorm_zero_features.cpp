// expect: features_positive
#include <perfcast/core/layers.hpp>
#ifdef PERFCAST_TWIN_OK
using L = perfcast::LayerNorm<{.batch = 32, .features = 768}>;
#else
using L = perfcast::LayerNorm<{.batch = 32, .features = 0}>;
#endif
int main() { return static_cast<int>(L::param_count % 2); }
