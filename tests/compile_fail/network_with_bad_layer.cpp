// expect: kernel_fits_padded_input
// A compile-time network whose builder makes a kernel larger than its input.
#include <perfcast/core/network.hpp>
struct Bad {
    static constexpr perfcast::NetBuilder build() {
        perfcast::NetBuilder b("bad", 1, perfcast::Shape::nchw(1, 3, 8, 8));
#ifdef PERFCAST_TWIN_OK
        b.conv("c", 4, 3);
#else
        b.conv("c", 4, 3).conv("c2", 4, 7);  // 6x6 after the first conv: a 7x7 kernel does not fit
#endif
        return b;
    }
};
using N = perfcast::built_net<Bad>::type;
int main() { return static_cast<int>(N::size % 2); }
