// expect: rule_broken::size_in_range
// A compile-time network whose builder makes a layer with more channels than the size limit, 2^31-1.
#include <perfcast/core/network.hpp>
struct Bad {
    static constexpr perfcast::NetBuilder build() {
        perfcast::NetBuilder b("bad", 1, perfcast::Shape::nchw(1, 3, 8, 8));
#ifdef PERFCAST_TWIN_OK
        b.conv("c", 2147483647, 1);
#else
        b.conv("c", 2147483648, 1);
#endif
        return b;
    }
};
using N = perfcast::built_net<Bad>::type;
int main() { return static_cast<int>(N::size % 2); }
