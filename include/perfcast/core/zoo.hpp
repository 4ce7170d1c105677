/**
 * @file zoo.hpp
 * @brief The model zoo with exact shapes: LeNet-5, AlexNet, VGG-16, ResNet-50 and
 *        InceptionV3, as torchvision defines them (layer names follow torchvision's
 *        modules), parameterised by batch, at run time and at compile time; and the
 *        transformer language models of zoo_transformers.hpp, parameterised by batch and
 *        sequence length.
 *
 * Each network is written once, as a constexpr NetBuilder function; `zoo::resnet50(32)`
 * gives the run-time Network and `zoo::ResNet50<32>` the compile-time Net.
 */
#pragma once

#include <array>        // array
#include <cstdint>      // int64_t
#include <optional>     // optional
#include <string>       // string
#include <string_view>  // string_view

#include "detail/names.hpp"  // same_name
#include "error.hpp"          // error
#include "network.hpp"        // NetBuilder, Network, built_net
#include "zoo_transformers.hpp"  // bert_large, gpt2_large, gpt3_xl, gpt3_27, opt_13, switchxl4

namespace perfcast::zoo {

namespace detail {

/** @brief torchvision's BasicConv2d (InceptionV3) and ResNet's conv-bn(-relu): conv without bias, BN, ReLU. */
constexpr void conv_bn_relu(NetBuilder& b, const LayerName& name, std::int64_t out, Hw k, Hw s = 1, Hw p = 0,
                            bool relu = true) {
    b.conv(name / "conv", out, k, s, p, false);
    b.batchnorm(name / "bn");
    if (relu) b.act(name / "relu");
}

// ResNet-50 ------------------------------------------------------------------------------

constexpr void bottleneck(NetBuilder& b, const LayerName& name, std::int64_t planes, std::int64_t stride,
                          bool downsample) {
    const Shape in = b.shape();
    b.conv(name / "conv1", planes, 1, 1, 0, false).batchnorm(name / "bn1").act(name / "relu1");
    b.conv(name / "conv2", planes, 3, stride, 1, false).batchnorm(name / "bn2").act(name / "relu2");
    b.conv(name / "conv3", planes * 4, 1, 1, 0, false).batchnorm(name / "bn3");
    if (downsample) {
        const Shape main = b.shape();
        b.set_shape(in);
        b.conv(name / "downsample" / 0, planes * 4, 1, stride, 0, false).batchnorm(name / "downsample" / 1);
        if (!(b.shape() == main)) throw error(name.str(), "residual shapes differ");
    }
    b.add(name / "add").act(name / "relu3");
}

// InceptionV3 ----------------------------------------------------------------------------

constexpr void inception_a(NetBuilder& b, const LayerName& n, std::int64_t pool_features) {
    const Shape in = b.shape();
    conv_bn_relu(b, n / "branch1x1", 64, 1);
    b.set_shape(in);
    conv_bn_relu(b, n / "branch5x5_1", 48, 1);
    conv_bn_relu(b, n / "branch5x5_2", 64, 5, 1, 2);
    b.set_shape(in);
    conv_bn_relu(b, n / "branch3x3dbl_1", 64, 1);
    conv_bn_relu(b, n / "branch3x3dbl_2", 96, 3, 1, 1);
    conv_bn_relu(b, n / "branch3x3dbl_3", 96, 3, 1, 1);
    b.set_shape(in);
    b.pool(n / "avg_pool", PoolMode::avg, 3, 1, 1);
    conv_bn_relu(b, n / "branch_pool", pool_features, 1);
    b.concat(n / "cat", {64, 64, 96, pool_features});
}

constexpr void inception_b(NetBuilder& b, const LayerName& n) {
    const Shape in = b.shape();
    conv_bn_relu(b, n / "branch3x3", 384, 3, 2);
    b.set_shape(in);
    conv_bn_relu(b, n / "branch3x3dbl_1", 64, 1);
    conv_bn_relu(b, n / "branch3x3dbl_2", 96, 3, 1, 1);
    conv_bn_relu(b, n / "branch3x3dbl_3", 96, 3, 2);
    b.set_shape(in);
    b.pool(n / "max_pool", PoolMode::max, 3, 2);
    b.concat(n / "cat", {384, 96, in[1]});
}

constexpr void inception_c(NetBuilder& b, const LayerName& n, std::int64_t c7) {
    const Shape in = b.shape();
    conv_bn_relu(b, n / "branch1x1", 192, 1);
    b.set_shape(in);
    conv_bn_relu(b, n / "branch7x7_1", c7, 1);
    conv_bn_relu(b, n / "branch7x7_2", c7, Hw{1, 7}, 1, Hw{0, 3});
    conv_bn_relu(b, n / "branch7x7_3", 192, Hw{7, 1}, 1, Hw{3, 0});
    b.set_shape(in);
    conv_bn_relu(b, n / "branch7x7dbl_1", c7, 1);
    conv_bn_relu(b, n / "branch7x7dbl_2", c7, Hw{7, 1}, 1, Hw{3, 0});
    conv_bn_relu(b, n / "branch7x7dbl_3", c7, Hw{1, 7}, 1, Hw{0, 3});
    conv_bn_relu(b, n / "branch7x7dbl_4", c7, Hw{7, 1}, 1, Hw{3, 0});
    conv_bn_relu(b, n / "branch7x7dbl_5", 192, Hw{1, 7}, 1, Hw{0, 3});
    b.set_shape(in);
    b.pool(n / "avg_pool", PoolMode::avg, 3, 1, 1);
    conv_bn_relu(b, n / "branch_pool", 192, 1);
    b.concat(n / "cat", {192, 192, 192, 192});
}

constexpr void inception_d(NetBuilder& b, const LayerName& n) {
    const Shape in = b.shape();
    conv_bn_relu(b, n / "branch3x3_1", 192, 1);
    conv_bn_relu(b, n / "branch3x3_2", 320, 3, 2);
    b.set_shape(in);
    conv_bn_relu(b, n / "branch7x7x3_1", 192, 1);
    conv_bn_relu(b, n / "branch7x7x3_2", 192, Hw{1, 7}, 1, Hw{0, 3});
    conv_bn_relu(b, n / "branch7x7x3_3", 192, Hw{7, 1}, 1, Hw{3, 0});
    conv_bn_relu(b, n / "branch7x7x3_4", 192, 3, 2);
    b.set_shape(in);
    b.pool(n / "max_pool", PoolMode::max, 3, 2);
    b.concat(n / "cat", {320, 192, in[1]});
}

constexpr void inception_e(NetBuilder& b, const LayerName& n) {
    const Shape in = b.shape();
    conv_bn_relu(b, n / "branch1x1", 320, 1);
    b.set_shape(in);
    conv_bn_relu(b, n / "branch3x3_1", 384, 1);
    const Shape mid = b.shape();
    conv_bn_relu(b, n / "branch3x3_2a", 384, Hw{1, 3}, 1, Hw{0, 1});
    b.set_shape(mid);
    conv_bn_relu(b, n / "branch3x3_2b", 384, Hw{3, 1}, 1, Hw{1, 0});
    b.concat(n / "branch3x3_cat", {384, 384});
    b.set_shape(in);
    conv_bn_relu(b, n / "branch3x3dbl_1", 448, 1);
    conv_bn_relu(b, n / "branch3x3dbl_2", 384, 3, 1, 1);
    const Shape mid2 = b.shape();
    conv_bn_relu(b, n / "branch3x3dbl_3a", 384, Hw{1, 3}, 1, Hw{0, 1});
    b.set_shape(mid2);
    conv_bn_relu(b, n / "branch3x3dbl_3b", 384, Hw{3, 1}, 1, Hw{1, 0});
    b.concat(n / "branch3x3dbl_cat", {384, 384});
    b.set_shape(in);
    b.pool(n / "avg_pool", PoolMode::avg, 3, 1, 1);
    conv_bn_relu(b, n / "branch_pool", 192, 1);
    b.concat(n / "cat", {320, 768, 768, 192});
}

}  // namespace detail

/** @brief LeNet-5 as in the seed thesis' Table 2.1 (1x32x32 input, tanh, average pooling): 61,706 parameters. */
constexpr NetBuilder build_lenet5(std::int64_t batch) {
    NetBuilder b("lenet5", batch, Shape::nchw(batch, 1, 32, 32));
    b.conv("conv1", 6, 5).act("tanh1", ActivationKind::tanh).pool("pool1", PoolMode::avg, 2, 2);
    b.conv("conv2", 16, 5).act("tanh2", ActivationKind::tanh).pool("pool2", PoolMode::avg, 2, 2);
    b.conv("conv3", 120, 5).act("tanh3", ActivationKind::tanh).flatten("flatten");
    b.dense("fc1", 84).act("tanh4", ActivationKind::tanh).dense("fc2", 10).softmax("softmax");
    return b;
}

/** @brief torchvision's alexnet (224x224): 61,100,840 parameters. */
constexpr NetBuilder build_alexnet(std::int64_t batch) {
    NetBuilder b("alexnet", batch, Shape::nchw(batch, 3, 224, 224));
    const LayerName f = "features", c = "classifier";
    b.conv(f / 0, 64, 11, 4, 2).act(f / 1).pool(f / 2, PoolMode::max, 3, 2);
    b.conv(f / 3, 192, 5, 1, 2).act(f / 4).pool(f / 5, PoolMode::max, 3, 2);
    b.conv(f / 6, 384, 3, 1, 1).act(f / 7);
    b.conv(f / 8, 256, 3, 1, 1).act(f / 9);
    b.conv(f / 10, 256, 3, 1, 1).act(f / 11).pool(f / 12, PoolMode::max, 3, 2);
    b.adaptive_avg_pool("avgpool", 6, 6).flatten("flatten");
    b.dropout(c / 0).dense(c / 1, 4096).act(c / 2);
    b.dropout(c / 3).dense(c / 4, 4096).act(c / 5);
    b.dense(c / 6, 1000);
    return b;
}

/** @brief torchvision's vgg16 without batch norm (224x224): 138,357,544 parameters. */
constexpr NetBuilder build_vgg16(std::int64_t batch) {
    NetBuilder b("vgg16", batch, Shape::nchw(batch, 3, 224, 224));
    constexpr std::array<std::int64_t, 18> cfg{64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    const LayerName f = "features", c = "classifier";
    std::int64_t i = 0;
    for (std::int64_t v : cfg) {
        if (v == 0) {
            b.pool(f / i++, PoolMode::max, 2, 2);
        } else {
            b.conv(f / i++, v, 3, 1, 1);
            b.act(f / i++);
        }
    }
    b.adaptive_avg_pool("avgpool", 7, 7).flatten("flatten");
    b.dense(c / 0, 4096).act(c / 1).dropout(c / 2);
    b.dense(c / 3, 4096).act(c / 4).dropout(c / 5);
    b.dense(c / 6, 1000);
    return b;
}

/** @brief torchvision's resnet50 (v1.5, stride in the 3x3 convolution; 224x224): 25,557,032 parameters. */
constexpr NetBuilder build_resnet50(std::int64_t batch) {
    NetBuilder b("resnet50", batch, Shape::nchw(batch, 3, 224, 224));
    b.conv("conv1", 64, 7, 2, 3, false).batchnorm("bn1").act("relu").pool("maxpool", PoolMode::max, 3, 2, 1);
    constexpr std::array<std::int64_t, 4> blocks{3, 4, 6, 3};
    for (std::int64_t stage = 0; stage < 4; ++stage) {
        const LayerName layer = LayerName("layer").append(stage + 1);
        const std::int64_t planes = std::int64_t{64} << stage;
        for (std::int64_t i = 0; i < blocks[static_cast<std::size_t>(stage)]; ++i)
            detail::bottleneck(b, layer / i, planes, (i == 0 && stage > 0) ? 2 : 1, i == 0);
    }
    b.global_pool("avgpool").flatten("flatten").dense("fc", 1000);
    return b;
}

/** @brief torchvision's inception_v3 without the auxiliary head (299x299): 23,834,568 parameters. */
constexpr NetBuilder build_inception_v3(std::int64_t batch) {
    NetBuilder b("inception_v3", batch, Shape::nchw(batch, 3, 299, 299));
    detail::conv_bn_relu(b, "Conv2d_1a_3x3", 32, 3, 2);
    detail::conv_bn_relu(b, "Conv2d_2a_3x3", 32, 3);
    detail::conv_bn_relu(b, "Conv2d_2b_3x3", 64, 3, 1, 1);
    b.pool("maxpool1", PoolMode::max, 3, 2);
    detail::conv_bn_relu(b, "Conv2d_3b_1x1", 80, 1);
    detail::conv_bn_relu(b, "Conv2d_4a_3x3", 192, 3);
    b.pool("maxpool2", PoolMode::max, 3, 2);
    detail::inception_a(b, "Mixed_5b", 32);
    detail::inception_a(b, "Mixed_5c", 64);
    detail::inception_a(b, "Mixed_5d", 64);
    detail::inception_b(b, "Mixed_6a");
    detail::inception_c(b, "Mixed_6b", 128);
    detail::inception_c(b, "Mixed_6c", 160);
    detail::inception_c(b, "Mixed_6d", 160);
    detail::inception_c(b, "Mixed_6e", 192);
    detail::inception_d(b, "Mixed_7a");
    detail::inception_e(b, "Mixed_7b");
    detail::inception_e(b, "Mixed_7c");
    b.global_pool("avgpool").dropout("dropout").flatten("flatten").dense("fc", 1000);
    return b;
}

// Run-time networks ------------------------------------------------------------------------

inline Network lenet5(std::int64_t batch = 1) { return build_lenet5(batch).build(); }
inline Network alexnet(std::int64_t batch = 1) { return build_alexnet(batch).build(); }
inline Network vgg16(std::int64_t batch = 1) { return build_vgg16(batch).build(); }
inline Network resnet50(std::int64_t batch = 1) { return build_resnet50(batch).build(); }
inline Network inception_v3(std::int64_t batch = 1) { return build_inception_v3(batch).build(); }

/** @brief The zoo's names, as the CLI and JSON accept them: the CNNs, then the transformers. */
inline constexpr std::array<std::string_view, 11> names{"lenet5",     "alexnet",    "vgg16",   "resnet50",
                                                        "inception_v3", "bert_large", "gpt2_large", "gpt3_xl",
                                                        "gpt3_27",    "opt_13",     "switchxl4"};

/** @brief Whether a zoo name is a transformer (takes a sequence length). */
inline bool is_transformer(std::string_view name) {
    using perfcast::detail::same_name;
    for (std::string_view n : {"bert_large", "bert-large", "gpt2_large", "gpt2-large", "gpt3_xl", "gpt3_27",
                               "gpt3-2.7b", "opt_13", "opt-1.3b", "switchxl4"})
        if (same_name(name, n)) return true;
    return false;
}

/**
 * @brief A zoo network by name ("resnet50", "ResNet-50", "gpt2_large", "gpt2-large", "opt-1.3b",
 * "gpt3-2.7b"...); nullopt when unknown. `seq` is a transformer's sequence length, 0 for its default
 * (the model's maximum positions; 512 for switchxl4); a CNN refuses any other seq.
 * @throws perfcast::error for a batch below 1 or a seq the model does not take
 */
inline std::optional<Network> find(std::string_view name, std::int64_t batch = 1, std::int64_t seq = 0) {
    if (batch < 1) throw error("batch", "batch must be >= 1 (got " + std::to_string(batch) + ")");
    if (seq < 0) throw error("seq", "seq must be >= 1, or 0 for the model's default (got " + std::to_string(seq) + ")");
    using perfcast::detail::same_name;
    const auto pick = [&](std::int64_t max_seq) { return seq == 0 ? max_seq : seq; };
    if (same_name(name, "bert_large")) return bert_large(batch, pick(512));
    if (same_name(name, "gpt2_large")) return gpt2_large(batch, pick(1024));
    if (same_name(name, "gpt3_xl")) return gpt3_xl(batch, pick(2048));
    if (same_name(name, "gpt3_27") || same_name(name, "gpt3-2.7b")) return gpt3_27(batch, pick(2048));
    if (same_name(name, "opt_13") || same_name(name, "opt-1.3b")) return opt_13(batch, pick(2048));
    if (same_name(name, "switchxl4")) return switchxl4(batch, pick(512));
    std::optional<Network> cnn;
    if (same_name(name, "lenet5") || same_name(name, "lenet")) cnn = lenet5(batch);
    else if (same_name(name, "alexnet")) cnn = alexnet(batch);
    else if (same_name(name, "vgg16")) cnn = vgg16(batch);
    else if (same_name(name, "resnet50")) cnn = resnet50(batch);
    else if (same_name(name, "inception_v3") || same_name(name, "inception3")) cnn = inception_v3(batch);
    if (cnn && seq != 0)
        throw error("seq", cnn->name + " is an image network: it takes no sequence length (got seq " +
                               std::to_string(seq) + ")");
    return cnn;
}

// Compile-time networks --------------------------------------------------------------------

namespace detail {
template <std::int64_t B> struct lenet5_holder { static constexpr NetBuilder build() { return build_lenet5(B); } };
template <std::int64_t B> struct alexnet_holder { static constexpr NetBuilder build() { return build_alexnet(B); } };
template <std::int64_t B> struct vgg16_holder { static constexpr NetBuilder build() { return build_vgg16(B); } };
template <std::int64_t B> struct resnet50_holder { static constexpr NetBuilder build() { return build_resnet50(B); } };
template <std::int64_t B> struct inception_v3_holder {
    static constexpr NetBuilder build() { return build_inception_v3(B); }
};
}  // namespace detail

/** @brief Compile-time LeNet-5 at batch B. */
template <std::int64_t B = 1> using LeNet5 = typename built_net<detail::lenet5_holder<B>>::type;
/** @brief Compile-time AlexNet at batch B. */
template <std::int64_t B = 1> using AlexNet = typename built_net<detail::alexnet_holder<B>>::type;
/** @brief Compile-time VGG-16 at batch B. */
template <std::int64_t B = 1> using VGG16 = typename built_net<detail::vgg16_holder<B>>::type;
/** @brief Compile-time ResNet-50 at batch B. */
template <std::int64_t B = 1> using ResNet50 = typename built_net<detail::resnet50_holder<B>>::type;
/** @brief Compile-time InceptionV3 at batch B. */
template <std::int64_t B = 1> using InceptionV3 = typename built_net<detail::inception_v3_holder<B>>::type;

}  // namespace perfcast::zoo
