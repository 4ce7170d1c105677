/**
 * @file layers/params.hpp
 * @brief The parameter structs every layer is described by.
 *
 * They are structural types, so a compile-time layer carries its struct as a template
 * argument (`Conv2D<{.batch = 32, .in_channels = 3, ...}>`), and the same struct serves
 * the run-time path (JSON, CSV) through perfcast::Layer.
 */
#pragma once

#include <cstdint>      // int64_t
#include <optional>     // optional
#include <string_view>  // string_view

#include "../types.hpp"  // Shape

namespace perfcast {

/** @brief A height/width pair; one number means the same for both (`.kernel = 3`). */
struct Hw {
    std::int64_t h = 1;
    std::int64_t w = 1;

    constexpr Hw() = default;
    constexpr Hw(std::int64_t both) noexcept : h(both), w(both) {}  // NOLINT: implicit by design
    constexpr Hw(std::int64_t height, std::int64_t width) noexcept : h(height), w(width) {}
    constexpr bool operator==(const Hw&) const = default;
};

/** @brief Fully connected layer: (batch*seq) x in_features times in_features x out_features. */
struct DenseParams {
    std::int64_t batch = 1;
    std::int64_t in_features = 0;
    std::int64_t out_features = 0;
    bool bias = true;
    std::int64_t seq = 1;  ///< rows per sample (tokens); the GEMM has batch*seq rows
    constexpr bool operator==(const DenseParams&) const = default;
};

/** @brief 2-D convolution, NCHW, with stride, padding, dilation and groups (depthwise: groups = in_channels). */
struct Conv2DParams {
    std::int64_t batch = 1;
    std::int64_t in_channels = 0;
    std::int64_t height = 0;
    std::int64_t width = 0;
    std::int64_t out_channels = 0;
    Hw kernel{1};
    Hw stride{1};
    Hw padding{0};
    Hw dilation{1};
    std::int64_t groups = 1;
    bool bias = true;
    constexpr bool operator==(const Conv2DParams&) const = default;
};

enum class PoolMode { max, avg };

/** @brief 2-D max or average pooling; `global` pools the whole plane to 1x1. */
struct Pool2DParams {
    std::int64_t batch = 1;
    std::int64_t channels = 0;
    std::int64_t height = 0;
    std::int64_t width = 0;
    PoolMode mode = PoolMode::max;
    Hw kernel{2};
    Hw stride{0};  ///< 0 means "the kernel size", as in PyTorch
    Hw padding{0};
    bool ceil_mode = false;
    bool global = false;
    bool count_include_pad = true;
    constexpr bool operator==(const Pool2DParams&) const = default;
};

/** @brief Batch normalisation over the channels of an NCHW tensor. */
struct BatchNorm2DParams {
    std::int64_t batch = 1;
    std::int64_t channels = 0;
    std::int64_t height = 0;
    std::int64_t width = 0;
    bool affine = true;
    constexpr bool operator==(const BatchNorm2DParams&) const = default;
};

enum class ActivationKind { relu, relu6, tanh, sigmoid, gelu, silu, hardswish };

/** @brief An element-wise activation on a tensor of any rank. */
struct ActivationParams {
    Shape shape{};
    ActivationKind kind = ActivationKind::relu;
    constexpr bool operator==(const ActivationParams&) const = default;
};

/** @brief Element-wise sum of `inputs` tensors of the same shape (residual connections). */
struct AddParams {
    Shape shape{};
    std::int64_t inputs = 2;
    constexpr bool operator==(const AddParams&) const = default;
};

/** @brief Concatenation along the channels of `inputs` NCHW tensors into `channels` channels. */
struct ConcatParams {
    std::int64_t batch = 1;
    std::int64_t channels = 0;  ///< channels of the result (sum over the inputs)
    std::int64_t height = 0;
    std::int64_t width = 0;
    std::int64_t inputs = 2;
    constexpr bool operator==(const ConcatParams&) const = default;
};

/** @brief Flattens a tensor to batch x features; a view, so it costs nothing. */
struct FlattenParams {
    Shape input{};
    constexpr bool operator==(const FlattenParams&) const = default;
};

/** @brief Softmax over the features of a batch x features tensor. */
struct SoftmaxParams {
    std::int64_t batch = 1;
    std::int64_t features = 0;
    constexpr bool operator==(const SoftmaxParams&) const = default;
};

/** @brief Dropout: the identity at inference, a random mask in training. */
struct DropoutParams {
    Shape shape{};
    double p = 0.5;
    constexpr bool operator==(const DropoutParams&) const = default;
};

/** @brief The kinds of layer perfcast knows. */
enum class LayerKind { dense, conv2d, pool2d, batchnorm2d, activation, add, concat, flatten, softmax, dropout };

constexpr std::string_view to_string(LayerKind k) noexcept {
    switch (k) {
        case LayerKind::dense: return "dense";
        case LayerKind::conv2d: return "conv2d";
        case LayerKind::pool2d: return "pool2d";
        case LayerKind::batchnorm2d: return "batchnorm2d";
        case LayerKind::activation: return "activation";
        case LayerKind::add: return "add";
        case LayerKind::concat: return "concat";
        case LayerKind::flatten: return "flatten";
        case LayerKind::softmax: return "softmax";
        case LayerKind::dropout: return "dropout";
    }
    return "?";
}

constexpr std::string_view to_string(PoolMode m) noexcept { return m == PoolMode::max ? "max" : "avg"; }

constexpr std::string_view to_string(ActivationKind k) noexcept {
    switch (k) {
        case ActivationKind::relu: return "relu";
        case ActivationKind::relu6: return "relu6";
        case ActivationKind::tanh: return "tanh";
        case ActivationKind::sigmoid: return "sigmoid";
        case ActivationKind::gelu: return "gelu";
        case ActivationKind::silu: return "silu";
        case ActivationKind::hardswish: return "hardswish";
    }
    return "?";
}

/** @brief The activation a name denotes ("relu", ...), or nullopt. */
constexpr std::optional<ActivationKind> parse_activation_kind(std::string_view s) noexcept {
    for (ActivationKind k : {ActivationKind::relu, ActivationKind::relu6, ActivationKind::tanh, ActivationKind::sigmoid,
                             ActivationKind::gelu, ActivationKind::silu, ActivationKind::hardswish})
        if (to_string(k) == s) return k;
    return std::nullopt;
}

/** @brief The layer kind a name denotes ("conv2d", ...), or nullopt. */
constexpr std::optional<LayerKind> parse_layer_kind(std::string_view s) noexcept {
    for (LayerKind k : {LayerKind::dense, LayerKind::conv2d, LayerKind::pool2d, LayerKind::batchnorm2d,
                        LayerKind::activation, LayerKind::add, LayerKind::concat, LayerKind::flatten,
                        LayerKind::softmax, LayerKind::dropout})
        if (to_string(k) == s) return k;
    return std::nullopt;
}

/** @brief The kind a parameter struct describes. */
template <typename P> inline constexpr LayerKind kind_of = LayerKind::dense;
template <> inline constexpr LayerKind kind_of<Conv2DParams> = LayerKind::conv2d;
template <> inline constexpr LayerKind kind_of<Pool2DParams> = LayerKind::pool2d;
template <> inline constexpr LayerKind kind_of<BatchNorm2DParams> = LayerKind::batchnorm2d;
template <> inline constexpr LayerKind kind_of<ActivationParams> = LayerKind::activation;
template <> inline constexpr LayerKind kind_of<AddParams> = LayerKind::add;
template <> inline constexpr LayerKind kind_of<ConcatParams> = LayerKind::concat;
template <> inline constexpr LayerKind kind_of<FlattenParams> = LayerKind::flatten;
template <> inline constexpr LayerKind kind_of<SoftmaxParams> = LayerKind::softmax;
template <> inline constexpr LayerKind kind_of<DropoutParams> = LayerKind::dropout;

}  // namespace perfcast
