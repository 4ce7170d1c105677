// expect: rule_broken::work_in_range
// A compile-time network whose layers are each in range but whose training FLOPs sum past 2^62.
#include <perfcast/core/network.hpp>
using Big = perfcast::Dense<{.batch = 1 << 20, .in_features = 1 << 20, .out_features = 1 << 19, .bias = false}>;
#ifdef PERFCAST_TWIN_OK
using N = perfcast::Net<Big>;
#else
using N = perfcast::Net<Big, Big>;
#endif
constexpr std::int64_t flops = N::pass_cost(perfcast::Pass::training).flops;
int main() { return static_cast<int>(flops % 2); }
