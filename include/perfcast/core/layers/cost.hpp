/**
 * @file layers/cost.hpp
 * @brief What a layer is, counted: input and output shapes, parameter count, and the
 *        FLOPs and bytes of its forward, backward-data and backward-weights phases.
 *
 * FLOPs count a multiply-add as two. Bytes count every tensor a phase reads or writes
 * once, in the precision's element size (tf32 stores fp32). The per-element constants of
 * the cheap layers are collected in `op_constants` so they are stated once.
 *
 * Each count is written once, over its integer type `I`: std::int64_t (the default) for the plain
 * formulas, detail::Count for the rule work_in_range (layers/rules.hpp), which evaluates these very
 * formulas in checked arithmetic and refuses a layer when any count they form passes max_count. So
 * for every layer check() accepted, nothing here overflows. A product of two sizes is formed in
 * int64 before it meets a Count only where it cannot overflow (sizes are at most max_size = 2^31-1).
 */
#pragma once

#include <cstdint>  // int64_t

#include "../detail/checked.hpp"  // Count, total_add: the checked arithmetic of the rule work_in_range
#include "../types.hpp"           // Shape, DType, Phase, Pass
#include "params.hpp"             // the parameter structs

namespace perfcast {

/** @brief FLOPs and bytes moved by one phase of one layer. */
struct Cost {
    std::int64_t flops = 0;
    std::int64_t bytes = 0;
    /** @brief Adds another cost (a network's total), refused past max_count (work_in_range). */
    constexpr Cost& operator+=(const Cost& o) {
        flops = detail::total_add(flops, o.flops, "flops");
        bytes = detail::total_add(bytes, o.bytes, "bytes");
        return *this;
    }
    constexpr bool operator==(const Cost&) const = default;
};

namespace detail {
/** @brief A cost in checked arithmetic: the formulas below evaluated for the rule work_in_range. */
struct CountCost {
    Count flops{};
    Count bytes{};
    constexpr CountCost& operator+=(const CountCost& o) noexcept {
        flops += o.flops;
        bytes += o.bytes;
        return *this;
    }
};
template <typename I> struct cost_type { using type = Cost; };
template <> struct cost_type<Count> { using type = CountCost; };
}  // namespace detail

/** @brief The cost the formulas give in integer type I: Cost, or detail::CountCost in checked arithmetic. */
template <typename I>
using cost_t = typename detail::cost_type<I>::type;

/** @brief FLOPs per element of the element-wise layers (approximate instruction counts). */
namespace op_constants {
inline constexpr std::int64_t batchnorm_inference_flops = 2;  // y = a*x + b with folded statistics
inline constexpr std::int64_t batchnorm_training_flops = 8;   // mean, variance, normalise, scale, shift
inline constexpr std::int64_t batchnorm_backward_data_flops = 8;
inline constexpr std::int64_t batchnorm_backward_weights_flops = 3;
inline constexpr std::int64_t softmax_forward_flops = 5;      // max, subtract, exp, sum, divide
inline constexpr std::int64_t softmax_backward_flops = 4;
/// PyTorch's CUDA softmax over a row of at most this many elements and bytes keeps the row in registers
/// (its persistent warp kernel): the memory sees one read and one write. A longer row is read again.
inline constexpr std::int64_t softmax_register_row_elements = 1024;
inline constexpr std::int64_t softmax_register_row_bytes = 4096;
/** @brief How many times a softmax forward moves its tensor through memory: 2 for a row held in registers, else 3. */
constexpr std::int64_t softmax_forward_passes(std::int64_t row, DType t) noexcept {
    return row <= softmax_register_row_elements && row * dtype_bytes(t) <= softmax_register_row_bytes ? 2 : 3;
}
inline constexpr std::int64_t dropout_forward_flops = 2;      // draw and multiply
inline constexpr std::int64_t dropout_backward_flops = 1;
inline constexpr std::int64_t layernorm_forward_flops = 5;         // mean, variance (difference, square-add), normalise
inline constexpr std::int64_t layernorm_affine_flops = 2;          // scale, shift
inline constexpr std::int64_t layernorm_backward_data_flops = 8;   // as batch norm's
inline constexpr std::int64_t layernorm_backward_weights_flops = 3;  // as batch norm's: dgamma += dy*xhat, dbeta += dy
/// x ** y is exp(y * log(x)): a logarithm and an exponential (counted as the transcendental
/// activations count theirs) and a multiply
inline constexpr std::int64_t pow_flops = 8;

constexpr std::int64_t elementwise_flops(ElementwiseOp op) noexcept { return op == ElementwiseOp::pow ? pow_flops : 1; }

constexpr std::int64_t activation_flops(ActivationKind k) noexcept {
    switch (k) {
        case ActivationKind::relu: return 1;
        case ActivationKind::relu6: return 2;
        case ActivationKind::tanh: return 6;
        case ActivationKind::sigmoid: return 4;
        case ActivationKind::gelu: return 8;
        case ActivationKind::silu: return 5;
        case ActivationKind::hardswish: return 4;
        case ActivationKind::gelu_tanh: return 10;  // x^3, two multiply-adds, tanh, add, two multiplies
    }
    return 1;
}
}  // namespace op_constants

// ---------------------------------------------------------------------------------------
// shapes
// ---------------------------------------------------------------------------------------

namespace detail {

/** @brief Output length of a convolution along one axis (0 when the input is too small). */
constexpr std::int64_t conv_out(std::int64_t size, std::int64_t k, std::int64_t s, std::int64_t p,
                                std::int64_t d) noexcept {
    const std::int64_t span = d * (k - 1) + 1;
    if (s <= 0 || size + 2 * p < span) return 0;
    return (size + 2 * p - span) / s + 1;
}

/** @brief Output length of a pooling window along one axis, with PyTorch's ceil_mode rule. */
constexpr std::int64_t pool_out(std::int64_t size, std::int64_t k, std::int64_t s, std::int64_t p,
                                bool ceil_mode) noexcept {
    if (s <= 0 || size + 2 * p < k) return 0;
    const std::int64_t num = size + 2 * p - k;
    std::int64_t out = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
    if (ceil_mode && (out - 1) * s >= size + p) --out;
    return out;
}

}  // namespace detail

/** @brief The stride a pool really uses (0 means the kernel size). */
constexpr Hw effective_stride(const Pool2DParams& p) noexcept {
    if (p.global) return Hw{1, 1};
    return Hw{p.stride.h == 0 ? p.kernel.h : p.stride.h, p.stride.w == 0 ? p.kernel.w : p.stride.w};
}

/** @brief The window a pool really uses (the whole plane when global). */
constexpr Hw effective_kernel(const Pool2DParams& p) noexcept {
    return p.global ? Hw{p.height, p.width} : p.kernel;
}

constexpr Shape input_shape(const DenseParams& p) noexcept { return Shape::matrix(p.batch * p.seq, p.in_features); }
constexpr Shape output_shape(const DenseParams& p) noexcept { return Shape::matrix(p.batch * p.seq, p.out_features); }

constexpr Shape input_shape(const Conv2DParams& p) noexcept {
    return Shape::nchw(p.batch, p.in_channels, p.height, p.width);
}
constexpr Shape output_shape(const Conv2DParams& p) noexcept {
    return Shape::nchw(p.batch, p.out_channels,
                       detail::conv_out(p.height, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h),
                       detail::conv_out(p.width, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w));
}

constexpr Shape input_shape(const Pool2DParams& p) noexcept { return Shape::nchw(p.batch, p.channels, p.height, p.width); }
constexpr Shape output_shape(const Pool2DParams& p) noexcept {
    if (p.global) return Shape::nchw(p.batch, p.channels, 1, 1);
    const Hw s = effective_stride(p);
    return Shape::nchw(p.batch, p.channels, detail::pool_out(p.height, p.kernel.h, s.h, p.padding.h, p.ceil_mode),
                       detail::pool_out(p.width, p.kernel.w, s.w, p.padding.w, p.ceil_mode));
}

constexpr Shape input_shape(const BatchNorm2DParams& p) noexcept {
    return Shape::nchw(p.batch, p.channels, p.height, p.width);
}
constexpr Shape output_shape(const BatchNorm2DParams& p) noexcept { return input_shape(p); }

constexpr Shape input_shape(const ActivationParams& p) noexcept { return p.shape; }
constexpr Shape output_shape(const ActivationParams& p) noexcept { return p.shape; }
constexpr Shape input_shape(const AddParams& p) noexcept { return p.shape; }
constexpr Shape output_shape(const AddParams& p) noexcept { return p.shape; }
constexpr Shape input_shape(const DropoutParams& p) noexcept { return p.shape; }
constexpr Shape output_shape(const DropoutParams& p) noexcept { return p.shape; }

/** @brief Concat's input is described by its result; each input has part of the channels. */
constexpr Shape input_shape(const ConcatParams& p) noexcept {
    return Shape::nchw(p.batch, p.channels, p.height, p.width);
}
constexpr Shape output_shape(const ConcatParams& p) noexcept { return input_shape(p); }

constexpr Shape input_shape(const FlattenParams& p) noexcept { return p.input; }
constexpr Shape output_shape(const FlattenParams& p) noexcept {
    if (p.input.rank < 1) return {};
    const std::int64_t n = p.input[0];
    return Shape::matrix(n, n == 0 ? 0 : p.input.elements() / n);
}

constexpr Shape input_shape(const SoftmaxParams& p) noexcept { return Shape::matrix(p.batch, p.features); }
constexpr Shape output_shape(const SoftmaxParams& p) noexcept { return input_shape(p); }

/** @brief bmm's input is its first operand, (batch, m, k); the second, (batch, k, n), is an input too. */
constexpr Shape input_shape(const BatchMatMulParams& p) noexcept { return Shape{3, {p.batch, p.m, p.k, 0}}; }
constexpr Shape output_shape(const BatchMatMulParams& p) noexcept { return Shape{3, {p.batch, p.m, p.n, 0}}; }

constexpr Shape input_shape(const LayerNormParams& p) noexcept { return Shape::matrix(p.batch, p.features); }
constexpr Shape output_shape(const LayerNormParams& p) noexcept { return input_shape(p); }

constexpr Shape input_shape(const ElementwiseParams& p) noexcept { return p.shape; }
constexpr Shape output_shape(const ElementwiseParams& p) noexcept { return p.shape; }

/** @brief An embedding's input is its (batch, seq) token ids; its output (batch, seq, features). */
constexpr Shape input_shape(const EmbeddingParams& p) noexcept { return Shape::matrix(p.batch, p.seq); }
constexpr Shape output_shape(const EmbeddingParams& p) noexcept { return Shape{3, {p.batch, p.seq, p.features, 0}}; }

constexpr Shape input_shape(const CopyParams& p) noexcept { return p.shape; }
constexpr Shape output_shape(const CopyParams& p) noexcept { return p.shape; }

// ---------------------------------------------------------------------------------------
// parameters (trainable weights and biases, as torchvision counts them)
// ---------------------------------------------------------------------------------------

/** @brief A tied layer's weight matrix is counted by the layer that owns it (the embedding). */
template <typename I = std::int64_t>
constexpr I param_count(const DenseParams& p) noexcept {
    return (p.tied ? I(0) : I(p.in_features) * p.out_features) + (p.bias ? p.out_features : 0);
}
template <typename I = std::int64_t>
constexpr I param_count(const Conv2DParams& p) noexcept {
    const std::int64_t g = p.groups > 0 ? p.groups : 1;
    return I(p.out_channels) * (p.in_channels / g) * p.kernel.h * p.kernel.w + (p.bias ? p.out_channels : 0);
}
template <typename I = std::int64_t>
constexpr I param_count(const BatchNorm2DParams& p) noexcept { return p.affine ? 2 * I(p.channels) : I(0); }
template <typename I = std::int64_t>
constexpr I param_count(const LayerNormParams& p) noexcept { return p.affine ? 2 * I(p.features) : I(0); }
template <typename I = std::int64_t>
constexpr I param_count(const ElementwiseParams& p) noexcept {
    return p.parameter && p.other.rank > 0 ? p.other.elements<I>() : I(0);
}
template <typename I = std::int64_t>
constexpr I param_count(const EmbeddingParams& p) noexcept { return p.tied ? I(0) : I(p.vocab) * p.features; }
template <typename I = std::int64_t, typename P>
constexpr I param_count(const P&) noexcept {
    return I(0);
}

// ---------------------------------------------------------------------------------------
// FLOPs and bytes per phase
// ---------------------------------------------------------------------------------------

namespace detail {
template <typename I>
constexpr cost_t<I> make_cost(I flops, I elements, DType t) noexcept {
    return cost_t<I>{flops, elements * dtype_bytes(t)};
}
}  // namespace detail

template <typename I = std::int64_t>
constexpr cost_t<I> cost(const DenseParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I m = I(p.batch) * p.seq;
    const I gemm = 2 * m * p.in_features * p.out_features;
    const I in = m * p.in_features, w = I(p.in_features) * p.out_features, out = m * p.out_features;
    const I b = p.bias ? p.out_features : 0;
    switch (phase) {
        case Phase::forward: return detail::make_cost<I>(gemm + (p.bias ? out : 0), in + w + b + out, t);
        case Phase::backward_data: return detail::make_cost<I>(gemm, out + w + in, t);
        case Phase::backward_weights: return detail::make_cost<I>(gemm + (p.bias ? out : 0), in + out + w + b, t);
    }
    return {};
}

template <typename I = std::int64_t>
constexpr cost_t<I> cost(const Conv2DParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const Shape o = output_shape(p);
    const std::int64_t g = p.groups > 0 ? p.groups : 1;
    const I out = o.elements<I>();
    const I macs = out * (p.in_channels / g) * p.kernel.h * p.kernel.w;
    const I in = input_shape(p).elements<I>();
    const I w = I(p.out_channels) * (p.in_channels / g) * p.kernel.h * p.kernel.w;
    const I b = p.bias ? p.out_channels : 0;
    switch (phase) {
        case Phase::forward: return detail::make_cost<I>(2 * macs + (p.bias ? out : 0), in + w + b + out, t);
        case Phase::backward_data: return detail::make_cost<I>(2 * macs, out + w + in, t);
        case Phase::backward_weights: return detail::make_cost<I>(2 * macs + (p.bias ? out : 0), in + out + w + b, t);
    }
    return {};
}

template <typename I = std::int64_t>
constexpr cost_t<I> cost(const Pool2DParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I in = input_shape(p).elements<I>(), out = output_shape(p).elements<I>();
    const Hw k = effective_kernel(p);
    const I window = out * k.h * k.w;
    switch (phase) {
        case Phase::forward: return detail::make_cost<I>(window, in + out, t);
        case Phase::backward_data:
            // max scatters one gradient per output (and reads the input to find it); avg spreads over the window
            return p.mode == PoolMode::max ? detail::make_cost<I>(out, out + 2 * in, t)
                                           : detail::make_cost<I>(window, out + in, t);
        case Phase::backward_weights: return {};
    }
    return {};
}

template <typename I = std::int64_t>
constexpr cost_t<I> cost(const BatchNorm2DParams& p, Phase phase, DType t, Pass pass = Pass::inference) noexcept {
    const I n = input_shape(p).elements<I>();
    const std::int64_t c = p.channels;
    switch (phase) {
        case Phase::forward:
            return pass == Pass::inference
                       ? detail::make_cost<I>(op_constants::batchnorm_inference_flops * n, 2 * n + 4 * c, t)
                       : detail::make_cost<I>(op_constants::batchnorm_training_flops * n, 3 * n + 4 * c, t);
        case Phase::backward_data:
            return detail::make_cost<I>(op_constants::batchnorm_backward_data_flops * n, 3 * n + 4 * c, t);
        case Phase::backward_weights:
            return p.affine ? detail::make_cost<I>(op_constants::batchnorm_backward_weights_flops * n, 2 * n + 2 * c, t)
                            : cost_t<I>{};
    }
    return {};
}

template <typename I = std::int64_t>
constexpr cost_t<I> cost(const ActivationParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I n = p.shape.elements<I>();
    const std::int64_t f = op_constants::activation_flops(p.kind);
    switch (phase) {
        case Phase::forward: return detail::make_cost<I>(f * n, 2 * n, t);
        case Phase::backward_data: return detail::make_cost<I>(f * n, 3 * n, t);
        case Phase::backward_weights: return {};
    }
    return {};
}

/** @brief Add's backward is the gradient accumulation where the branches fork. */
template <typename I = std::int64_t>
constexpr cost_t<I> cost(const AddParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I n = p.shape.elements<I>();
    switch (phase) {
        case Phase::forward:
        case Phase::backward_data: return detail::make_cost<I>((p.inputs - 1) * n, (p.inputs + 1) * n, t);
        case Phase::backward_weights: return {};
    }
    return {};
}

template <typename I = std::int64_t>
constexpr cost_t<I> cost(const ConcatParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I n = output_shape(p).elements<I>();
    return phase == Phase::backward_weights ? cost_t<I>{} : detail::make_cost<I>(0, 2 * n, t);
}

/** @brief Flatten is a view: no kernel runs, in any phase. */
template <typename I = std::int64_t>
constexpr cost_t<I> cost(const FlattenParams&, Phase, DType, Pass = Pass::inference) noexcept {
    return {};
}

template <typename I = std::int64_t>
constexpr cost_t<I> cost(const SoftmaxParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I n = I(p.batch) * p.features;
    switch (phase) {
        case Phase::forward:
            return detail::make_cost<I>(op_constants::softmax_forward_flops * n,
                                        op_constants::softmax_forward_passes(p.features, t) * n, t);
        case Phase::backward_data:  // reads the output and its gradient, writes the input's gradient
            return detail::make_cost<I>(op_constants::softmax_backward_flops * n, 3 * n, t);
        case Phase::backward_weights: return {};
    }
    return {};
}

/**
 * @brief bmm: C = A B per batch entry. Both operands are activations: backward_data computes both
 * gradients, dA = dC B^T and dB = A^T dC (two GEMMs: reading dC, A and B, writing dA and dB), and there
 * are no weights, so backward_weights costs nothing.
 */
template <typename I = std::int64_t>
constexpr cost_t<I> cost(const BatchMatMulParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I gemm = 2 * I(p.batch) * p.m * p.n * p.k;
    const I a = I(p.batch) * p.m * p.k, b = I(p.batch) * p.k * p.n, c = I(p.batch) * p.m * p.n;
    switch (phase) {
        case Phase::forward: return detail::make_cost<I>(gemm, a + b + c, t);
        case Phase::backward_data: return detail::make_cost<I>(2 * gemm, c + 2 * a + 2 * b, t);
        case Phase::backward_weights: return {};
    }
    return {};
}

/**
 * @brief Layer norm, costed as batch norm is, with per-row statistics: the forward reads x (and gamma,
 * beta) and writes y and each row's mean and inverse deviation (PyTorch's native_layer_norm saves them
 * in either pass: there are no running statistics to fold); backward_data reads dy, x, gamma and the
 * saved statistics and writes dx; backward_weights (affine only) reduces dy and dy*xhat per feature.
 */
template <typename I = std::int64_t>
constexpr cost_t<I> cost(const LayerNormParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I n = I(p.batch) * p.features;
    const std::int64_t rows = 2 * p.batch;                 // mean and inverse deviation per row
    const std::int64_t gb = p.affine ? 2 * p.features : 0;  // gamma and beta
    switch (phase) {
        case Phase::forward:
            return detail::make_cost<I>(
                (op_constants::layernorm_forward_flops + (p.affine ? op_constants::layernorm_affine_flops : 0)) * n,
                2 * n + gb + rows, t);
        case Phase::backward_data:
            return detail::make_cost<I>(op_constants::layernorm_backward_data_flops * n, 3 * n + gb / 2 + rows, t);
        case Phase::backward_weights:
            return p.affine ? detail::make_cost<I>(op_constants::layernorm_backward_weights_flops * n, 2 * n + rows + gb, t)
                            : cost_t<I>{};
    }
    return {};
}

/**
 * @brief A binary element-wise operation. Forward: one operation per element (pow: `pow_flops`),
 * reading the tensor and the other operand (its `other` elements when it broadcasts, none for a
 * scalar) and writing the result. backward_data computes the gradient of each tensor operand, as
 * autograd does (a broadcast operand's gradient is reduced to its shape: read dy, write `other`):
 *  - with a scalar: add and sub hand dy on unchanged (no kernel: nothing to count); mul and div
 *    scale it (dy*s, dy/s: read dy, write dx); pow computes dy * s * x**(s-1) (reads dy and x);
 *  - with a tensor b: add's first gradient is dy itself, its second dy reduced (read dy, write b's);
 *    sub negates dy for b; mul computes dy*b and dy*a, div dy/b and -dy*a/(b*b), pow dy*b*a**(b-1) and
 *    dy*a**b*log(a): reading dy, a and b, writing both gradients;
 *  - where(mask, x, s) passes dy where the mask holds (reads dy and the mask, writes dx); the mask, a
 *    boolean tensor, is one byte per element whatever the precision.
 * backward_weights costs nothing: an operand that is a parameter (`parameter`) gets its gradient with
 * the other's, in backward_data, as autograd computes both.
 */
template <typename I = std::int64_t>
constexpr cost_t<I> cost(const ElementwiseParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I n = p.shape.elements<I>();
    const I o = p.scalar ? I(0) : (p.other.rank > 0 ? p.other.elements<I>() : n);  // the other operand
    const std::int64_t e = dtype_bytes(t);
    const std::int64_t f = op_constants::elementwise_flops(p.op);
    if (p.op == ElementwiseOp::where) {
        switch (phase) {
            case Phase::forward:
            case Phase::backward_data: return cost_t<I>{n, 2 * n * e + o};
            case Phase::backward_weights: return {};
        }
        return {};
    }
    switch (phase) {
        case Phase::forward: return detail::make_cost<I>(f * n, 2 * n + o, t);
        case Phase::backward_data:
            if (p.scalar) {
                switch (p.op) {
                    case ElementwiseOp::add:
                    case ElementwiseOp::sub:
                    case ElementwiseOp::where: return {};
                    case ElementwiseOp::mul:
                    case ElementwiseOp::div: return detail::make_cost<I>(n, 2 * n, t);
                    case ElementwiseOp::pow: return detail::make_cost<I>((op_constants::pow_flops + 2) * n, 3 * n, t);
                }
                return {};
            }
            switch (p.op) {
                case ElementwiseOp::add:
                case ElementwiseOp::sub:
                case ElementwiseOp::where: return detail::make_cost<I>(n, n + o, t);
                case ElementwiseOp::mul: return detail::make_cost<I>(2 * n, 3 * n + 2 * o, t);
                case ElementwiseOp::div: return detail::make_cost<I>(4 * n, 3 * n + 2 * o, t);
                case ElementwiseOp::pow: return detail::make_cost<I>(2 * (op_constants::pow_flops + 2) * n, 3 * n + 2 * o, t);
            }
            return {};
        case Phase::backward_weights: return {};
    }
    return {};
}

/**
 * @brief An embedding: the forward gathers rows (reads the ids, 8 bytes each, and batch*seq rows of the
 * table; writes as many); the ids have no gradient, so backward_data costs nothing; backward_weights
 * zeroes the table's gradient and accumulates each row's output gradient into it (PyTorch's
 * embedding_dense_backward: read dy and the ids, read and write the rows it adds to).
 */
template <typename I = std::int64_t>
constexpr cost_t<I> cost(const EmbeddingParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I rows = I(p.batch) * p.seq;
    const I out = rows * p.features;
    const std::int64_t e = dtype_bytes(t);
    constexpr std::int64_t id_bytes = 8;  // int64 token ids
    switch (phase) {
        case Phase::forward: return cost_t<I>{0, rows * id_bytes + 2 * out * e};
        case Phase::backward_data: return {};
        case Phase::backward_weights: return cost_t<I>{out, rows * id_bytes + (I(p.vocab) * p.features + 3 * out) * e};
    }
    return {};
}

/** @brief A copy reads and writes every element; its backward copies the gradient back the same way. */
template <typename I = std::int64_t>
constexpr cost_t<I> cost(const CopyParams& p, Phase phase, DType t, Pass = Pass::inference) noexcept {
    const I n = p.shape.elements<I>();
    return phase == Phase::backward_weights ? cost_t<I>{} : detail::make_cost<I>(0, 2 * n, t);
}

/** @brief Dropout is the identity at inference (no kernel); in training it draws and applies a byte mask. */
template <typename I = std::int64_t>
constexpr cost_t<I> cost(const DropoutParams& p, Phase phase, DType t, Pass pass = Pass::inference) noexcept {
    const I n = p.shape.elements<I>();
    const std::int64_t e = dtype_bytes(t);
    if (pass == Pass::inference) return {};
    switch (phase) {
        case Phase::forward: return cost_t<I>{op_constants::dropout_forward_flops * n, 2 * n * e + n};
        case Phase::backward_data: return cost_t<I>{op_constants::dropout_backward_flops * n, 2 * n * e + n};
        case Phase::backward_weights: return {};
    }
    return {};
}

/**
 * @brief Sum of the phases a pass runs (of a layer whose backward is `b`: BackwardScope). The sum is
 * checked (Cost::operator+=), though for a layer check() accepted it cannot pass max_count.
 */
template <typename I = std::int64_t, typename P>
constexpr cost_t<I> pass_cost(const P& p, Pass pass, DType t, Backward b = Backward::full) {
    cost_t<I> total{};
    for (Phase ph : all_phases)
        if (runs(pass, ph, b)) total += cost<I>(p, ph, t, pass);
    return total;
}

}  // namespace perfcast
