// Tests of network.hpp: NetBuilder, Net<> and Network.
#include <doctest/doctest.h>

#include <perfcast/core/network.hpp>

using namespace perfcast;

namespace {
struct Tiny {
    static constexpr NetBuilder build() {
        NetBuilder b("tiny", 4, Shape::nchw(4, 3, 32, 32));
        b.conv("c1", 8, 3, 1, 1).batchnorm("bn").act("relu").global_pool("gp").flatten("f").dense("fc", 10);
        return b;
    }
};
}  // namespace

TEST_CASE("a network built in a constant expression becomes a compile-time Net") {
    using T = built_net<Tiny>::type;
    static_assert(T::size == 6);
    static_assert(T::param_count == 8 * 27 + 8 + 16 + 8 * 10 + 10);
    CHECK(T::to_network().layers.size() == 6);
}

TEST_CASE("Net<> sums its layers") {
    using N = Net<Dense<{.batch = 2, .in_features = 4, .out_features = 3}>,
                  Activation<{.shape = Shape::matrix(2, 3)}>>;
    static_assert(N::param_count == 15);
    static_assert(N::pass_cost(Pass::inference).flops == 2 * 2 * 4 * 3 + 6 + 6);
    CHECK(N::to_network().batch == 2);
}

TEST_CASE("NetBuilder names layers and refuses bad shapes with the layer's name") {
    NetBuilder b("n", 1, Shape::nchw(1, 3, 8, 8));
    b.conv(LayerName("block") / 0 / "conv", 4, 3);
    CHECK(b.name(0) == "block.0.conv");
    CHECK(b.shape() == Shape::nchw(1, 4, 6, 6));
    try {
        b.conv("big", 4, 9);
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "big.kernel.h");
    }
    CHECK_THROWS_AS(b.dense("fc", 10), error);  // rank-4 input to a dense layer
    CHECK_THROWS_AS(b.adaptive_avg_pool("ap", 4, 4), error);  // 6 is not divisible by 4
    b.flatten("flat");
    CHECK(b.shape() == Shape::matrix(1, 144));
}

TEST_CASE("concat joins branch channels") {
    NetBuilder b("n", 2, Shape::nchw(2, 16, 8, 8));
    const Shape in = b.shape();
    b.conv("a", 8, 1);
    b.set_shape(in);
    b.conv("b", 24, 3, 1, 1);
    b.concat("cat", {8, 24});
    CHECK(b.shape() == Shape::nchw(2, 32, 8, 8));
}

TEST_CASE("LayerName refuses names beyond its capacity") {
    LayerName n("x");
    for (int i = 0; i < 40; ++i) n.append("a");
    CHECK_THROWS_AS(n.append(std::string(80, 'b')), error);
    CHECK((LayerName("a") / -3).view() == "a.-3");
}
