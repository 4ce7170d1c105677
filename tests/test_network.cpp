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

TEST_CASE("a network's totals refuse a sum past 2^62 naming the rule and the layer") {
    // each layer's counts are in range (a training step: at most 3 * 2^60 FLOPs); two of them pass 2^62
    const DenseParams big{.batch = 1 << 20, .in_features = 1 << 20, .out_features = 1 << 19, .bias = false};
    REQUIRE(!check(big));
    Network n{"big", 1 << 20, {{"fc1", big}}};
    CHECK(n.totals().training.flops == 2 * (std::int64_t{1} << 60));  // the first layer: no backward-data
    n.layers.push_back({"fc2", big});
    try {
        (void)n.totals();
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "fc2.flops");
        CHECK(std::string(e.what()).find("work_in_range") != std::string::npos);
    }
}

TEST_CASE("with_batch refuses a batch that breaks size_in_range or work_in_range, naming the layer") {
    NetBuilder b("n", 1, Shape::nchw(1, 3, 8, 8));
    b.conv("c1", 8, 3).act("relu");
    const Network n = b.build();
    CHECK(n.with_batch(max_size).layers[0].layer == Layer{Conv2DParams{max_size, 3, 8, 8, 8, 3}});
    try {
        (void)n.with_batch(max_size + 1);
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "c1.batch");
        CHECK(std::string(e.what()).find("size_in_range") != std::string::npos);
    }
    // a layer at a multiple of the network's batch: the product is refused, not wrapped
    const Network m{"m", 2, {{"rows", SoftmaxParams{.batch = 2 << 20, .features = 8}}}};
    try {
        (void)m.with_batch(std::int64_t{1} << 60);
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "rows.batch");
        CHECK(std::string(e.what()).find("got more than 2^63-1") != std::string::npos);
    }
}

TEST_CASE("NetBuilder's products of dimensions are refused by the rules, not wrapped") {
    // softmax over (2^21, 2^21, 2^21, 8): 2^63 rows overflow 64 bits
    NetBuilder b("n", 1 << 21, Shape::nchw(1 << 21, 1 << 21, 1 << 21, 8));
    try {
        b.softmax("sm");
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "sm.batch");
        CHECK(std::string(e.what()).find("size_in_range") != std::string::npos);
    }
    CHECK_THROWS_WITH_AS(b.view(Shape::matrix(std::int64_t{1} << 40, 1)), doctest::Contains("size_in_range"), error);
}
