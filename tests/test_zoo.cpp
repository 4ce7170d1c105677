// Tests of zoo.hpp: torchvision's exact parameter counts and shapes, run time and compile time alike.
#include <doctest/doctest.h>

#include <perfcast/core/zoo.hpp>

using namespace perfcast;

TEST_CASE("parameter counts equal torchvision's exactly") {
    CHECK(zoo::lenet5().totals().params == 61706);
    CHECK(zoo::alexnet().totals().params == 61100840);
    CHECK(zoo::vgg16().totals().params == 138357544);
    CHECK(zoo::resnet50().totals().params == 25557032);
    CHECK(zoo::inception_v3().totals().params == 23834568);
}

TEST_CASE("compile-time zoo networks have the same parameter counts") {
    static_assert(zoo::ResNet50<32>::param_count == 25557032);
    static_assert(zoo::InceptionV3<1>::param_count == 23834568);
    static_assert(zoo::VGG16<1>::param_count == 138357544);
    static_assert(zoo::AlexNet<1>::param_count == 61100840);
    static_assert(zoo::LeNet5<1>::param_count == 61706);
    CHECK(zoo::ResNet50<8>::size == zoo::resnet50(8).layers.size());
}

TEST_CASE("compile-time and run-time networks give the same per-layer list") {
    const Network rt = zoo::resnet50(4);
    const Network ct = zoo::ResNet50<4>::to_network("resnet50");
    REQUIRE(rt.layers.size() == ct.layers.size());
    for (std::size_t i = 0; i < rt.layers.size(); ++i) CHECK(rt.layers[i].layer == ct.layers[i].layer);
    CHECK(zoo::ResNet50<4>::pass_cost(Pass::training).flops == rt.totals().training.flops);
}

TEST_CASE("ResNet-50 forward FLOPs at batch 1 match the usual 4.1 GMACs") {
    const auto t = zoo::resnet50(1).totals();
    // 4.09 GMACs for the convolutions and the classifier (torchvision's published 4.09 GFLOPS counts MACs)
    CHECK(static_cast<double>(t.inference.flops) / 2e9 == doctest::Approx(4.11).epsilon(0.01));
}

TEST_CASE("the running shapes end where torchvision's do") {
    const auto shape_after = [](const Network& n, std::string_view name) {
        for (const auto& l : n.layers)
            if (l.name == name) return output_shape(l.layer);
        return Shape{};
    };
    const Network r = zoo::resnet50(2);
    CHECK(shape_after(r, "maxpool") == Shape::nchw(2, 64, 56, 56));
    CHECK(shape_after(r, "layer4.2.relu3") == Shape::nchw(2, 2048, 7, 7));
    CHECK(output_shape(r.layers.back().layer) == Shape::matrix(2, 1000));
    const Network inc = zoo::inception_v3(1);
    CHECK(shape_after(inc, "Mixed_5d.cat") == Shape::nchw(1, 288, 35, 35));
    CHECK(shape_after(inc, "Mixed_6e.cat") == Shape::nchw(1, 768, 17, 17));
    CHECK(shape_after(inc, "Mixed_7c.cat") == Shape::nchw(1, 2048, 8, 8));
    const Network a = zoo::alexnet(1);
    CHECK(shape_after(a, "features.12") == Shape::nchw(1, 256, 6, 6));
    CHECK(zoo::vgg16(3).layers.front().name == "features.0");
}

TEST_CASE("with_batch gives the network built at that batch") {
    CHECK(zoo::resnet50(1).with_batch(16).layers == zoo::resnet50(16).layers);
    CHECK_THROWS_AS(zoo::resnet50(1).with_batch(0), error);
}

TEST_CASE("zoo::find accepts common spellings and refuses unknown names") {
    CHECK(zoo::find("ResNet-50", 2)->layers.size() == zoo::resnet50(2).layers.size());
    CHECK(zoo::find("InceptionV3").has_value());
    CHECK(zoo::find("vgg_16").has_value());
    CHECK(!zoo::find("resnet51").has_value());
    CHECK_THROWS_AS(zoo::find("resnet50", 0), error);
}
