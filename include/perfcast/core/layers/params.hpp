/**
 * @file layers/params.hpp
 * @brief The parameter structs every layer is described by.
 *
 * They are structural types, so a compile-time layer carries its struct as a template
 * argument (`Conv2D<{.batch = 32, .in_channels = 3, ...}>`), and the same struct serves
 * the run-time path (JSON, CSV) through perfcast::Layer.
 */
#pragma once

#include <array>        // array
#include <cstdint>      // int64_t
#include <optional>     // optional
#include <string>       // string
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
    /// the weight matrix is another layer's (a tied embedding: GPT-2's and OPT's LM head, BERT's
    /// decoder): param_count counts only the bias; the cost is unchanged
    bool tied = false;
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

/// gelu is the exact (erf) GELU; gelu_tanh its tanh approximation (PyTorch's gelu(approximate="tanh"),
/// Hugging Face's gelu_new as one kernel)
enum class ActivationKind { relu, relu6, tanh, sigmoid, gelu, silu, hardswish, gelu_tanh };

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

/**
 * @brief Softmax over the last dimension of a tensor of any rank: `features` is that dimension and
 * `batch` every leading dimension flattened (rows: batch*heads*seq for attention scores).
 */
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

/**
 * @brief Batched matrix product (torch.bmm): `batch` independent products of an (m x k) by a
 * (k x n) matrix, (batch, m, k) by (batch, k, n) giving (batch, m, n).
 *
 * Both operands are activations (attention's Q K^T and softmax(...) V), so the layer has no
 * parameters: its data-gradient phase (backward_data) computes the gradients of both operands (two
 * GEMMs, twice the forward's FLOPs), and its weight-gradient phase costs nothing. input_shape() is
 * the first operand's (batch, m, k); the second, (batch, k, n), is an input too, counted in the bytes.
 */
struct BatchMatMulParams {
    std::int64_t batch = 1;  ///< every leading dimension flattened (batch*heads for attention)
    std::int64_t m = 0;
    std::int64_t k = 0;
    std::int64_t n = 0;
    /// the operands are read transposed, as views (torch.matmul(q, k.transpose(-1, -2))): the BLAS call
    /// takes them with its transpose flags, so the FLOPs and bytes are those of the plain product
    bool transpose_a = false;
    bool transpose_b = false;
    constexpr bool operator==(const BatchMatMulParams&) const = default;
};

/**
 * @brief Layer normalisation (nn.LayerNorm over the last dimension) of a rows x features tensor.
 * `batch` is the number of rows: every leading dimension flattened (batch*seq for a transformer's
 * tokens); `features` is the normalised last dimension; `affine` adds a scale and a shift per feature.
 */
struct LayerNormParams {
    std::int64_t batch = 1;  ///< rows: every leading dimension flattened (batch*seq)
    std::int64_t features = 0;
    bool affine = true;
    constexpr bool operator==(const LayerNormParams&) const = default;
};

/**
 * @brief The binary operations of an Elementwise layer. `where` is torch.where(mask, x, fill) with a
 * scalar fill: the second operand is the boolean mask (one byte per element).
 */
enum class ElementwiseOp { add, sub, mul, div, pow, where };

/**
 * @brief A binary element-wise operation of a tensor with another tensor (`scalar` false) or with a
 * scalar (`scalar` true): x + s, x - y, x * y, x / s, x ** y, where(mask, x, s). The other tensor has
 * the same shape (`other` left empty) or broadcasts to it (`other`: its shape, aligned at the last
 * dimension, each dimension 1 or equal, as PyTorch broadcasts: a (B, 1, 1, S) attention mask added to
 * (B, H, S, S) scores). A sum of same-shaped tensors is the `add` layer (AddParams), so `add` takes a
 * scalar or a broadcast operand here: each operation has one kind.
 */
struct ElementwiseParams {
    Shape shape{};
    ElementwiseOp op = ElementwiseOp::mul;
    bool scalar = false;
    Shape other{};  ///< the other tensor's shape when it broadcasts (rank 0: the same shape as `shape`)
    /// the broadcast operand is a learned tensor (T5's norm weight, `weight * x`): its elements count as
    /// the layer's parameters (a broadcast operand only: without `other` the layer has none)
    bool parameter = false;
    constexpr bool operator==(const ElementwiseParams&) const = default;
};

/**
 * @brief A token embedding (nn.Embedding): gathers batch*seq rows of `features` values from a table of
 * `vocab` rows. Its input is the (batch, seq) token ids; its output (batch, seq, features). Its
 * parameters are the table; the backward computes only the table's gradient (ids have none).
 */
struct EmbeddingParams {
    std::int64_t batch = 1;
    std::int64_t seq = 1;  ///< tokens per sample
    std::int64_t vocab = 0;
    std::int64_t features = 0;
    /// the table is another layer's (an encoder-decoder's decoder reading the encoder's shared token
    /// table): it costs what an untied lookup costs, but its parameters are counted by the owner
    bool tied = false;
    constexpr bool operator==(const EmbeddingParams&) const = default;
};

/**
 * @brief The copy a transpose or permute makes when a kernel needs it contiguous (`.contiguous()`,
 * `reshape` of a permuted view): reads and writes every element of `shape` once. The views themselves
 * (view, permute, transpose, split) run no kernel and are not layers.
 */
struct CopyParams {
    Shape shape{};
    constexpr bool operator==(const CopyParams&) const = default;
};

/** @brief The kinds of layer perfcast knows (new kinds go at the end: call overheads are stored by index). */
enum class LayerKind {
    dense, conv2d, pool2d, batchnorm2d, activation, add, concat, flatten, softmax, dropout, bmm, layernorm, elementwise,
    embedding, copy
};

/** @brief Every layer kind, in LayerKind's order. */
inline constexpr std::array<LayerKind, 15> all_layer_kinds{
    LayerKind::dense,   LayerKind::conv2d,    LayerKind::pool2d,      LayerKind::batchnorm2d, LayerKind::activation,
    LayerKind::add,     LayerKind::concat,    LayerKind::flatten,     LayerKind::softmax,     LayerKind::dropout,
    LayerKind::bmm,     LayerKind::layernorm, LayerKind::elementwise, LayerKind::embedding,   LayerKind::copy};

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
        case LayerKind::bmm: return "bmm";
        case LayerKind::layernorm: return "layernorm";
        case LayerKind::elementwise: return "elementwise";
        case LayerKind::embedding: return "embedding";
        case LayerKind::copy: return "copy";
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
        case ActivationKind::gelu_tanh: return "gelu_tanh";
    }
    return "?";
}

constexpr std::string_view to_string(ElementwiseOp op) noexcept {
    switch (op) {
        case ElementwiseOp::add: return "add";
        case ElementwiseOp::sub: return "sub";
        case ElementwiseOp::mul: return "mul";
        case ElementwiseOp::div: return "div";
        case ElementwiseOp::pow: return "pow";
        case ElementwiseOp::where: return "where";
    }
    return "?";
}

/** @brief The activation a name denotes ("relu", ...), or nullopt. */
constexpr std::optional<ActivationKind> parse_activation_kind(std::string_view s) noexcept {
    for (ActivationKind k : {ActivationKind::relu, ActivationKind::relu6, ActivationKind::tanh, ActivationKind::sigmoid,
                             ActivationKind::gelu, ActivationKind::silu, ActivationKind::hardswish,
                             ActivationKind::gelu_tanh})
        if (to_string(k) == s) return k;
    return std::nullopt;
}

/** @brief The element-wise operation a name denotes ("add", "sub", "mul", "div", "pow", "where"), or nullopt. */
constexpr std::optional<ElementwiseOp> parse_elementwise_op(std::string_view s) noexcept {
    for (ElementwiseOp op : {ElementwiseOp::add, ElementwiseOp::sub, ElementwiseOp::mul, ElementwiseOp::div,
                             ElementwiseOp::pow, ElementwiseOp::where})
        if (to_string(op) == s) return op;
    return std::nullopt;
}

/** @brief The layer kind a name denotes ("conv2d", ...), or nullopt. */
constexpr std::optional<LayerKind> parse_layer_kind(std::string_view s) noexcept {
    for (LayerKind k : all_layer_kinds)
        if (to_string(k) == s) return k;
    return std::nullopt;
}

/** @brief The names of `kinds`, comma-separated ("conv2d, dense, ..."): for help texts and messages. */
template <std::size_t N>
constexpr std::string kind_names(const std::array<LayerKind, N>& kinds) {
    std::string out;
    for (LayerKind k : kinds) {
        if (!out.empty()) out += ", ";
        out += to_string(k);
    }
    return out;
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
template <> inline constexpr LayerKind kind_of<BatchMatMulParams> = LayerKind::bmm;
template <> inline constexpr LayerKind kind_of<LayerNormParams> = LayerKind::layernorm;
template <> inline constexpr LayerKind kind_of<ElementwiseParams> = LayerKind::elementwise;
template <> inline constexpr LayerKind kind_of<EmbeddingParams> = LayerKind::embedding;
template <> inline constexpr LayerKind kind_of<CopyParams> = LayerKind::copy;

}  // namespace perfcast
