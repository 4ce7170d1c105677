/**
 * @file layers/layer.hpp
 * @brief Compile-time layer types (`Conv2D<{...}>`) and their run-time twin perfcast::Layer.
 *
 * Both ask the same functions (check, output_shape, param_count, cost) about the same
 * structs, so the compile-time and run-time paths share one implementation.
 */
#pragma once

#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // remove_cvref_t
#include <variant>      // variant, visit

#include "cost.hpp"    // output_shape, param_count, cost
#include "params.hpp"  // the parameter structs
#include "rules.hpp"   // check, detail::accepted

namespace perfcast {

namespace detail {

/**
 * @brief What every compile-time layer knows about itself, as constants.
 * @tparam P the layer's parameter struct, refused at compile time when it breaks a rule
 */
template <auto P>
struct layer_base {
    static_assert(accepted<P>, "perfcast: invalid layer shape; the broken rule is named above");

    using params_type = std::remove_cvref_t<decltype(P)>;
    static constexpr params_type params = P;
    static constexpr LayerKind kind = kind_of<params_type>;
    static constexpr Shape input_shape = perfcast::input_shape(P);
    static constexpr Shape output_shape = perfcast::output_shape(P);
    static constexpr std::int64_t param_count = perfcast::param_count(P);

    /** @brief FLOPs and bytes of one phase. */
    static constexpr Cost cost(Phase phase, DType t = DType::fp32, Pass pass = Pass::inference) noexcept {
        return perfcast::cost(P, phase, t, pass);
    }
    static constexpr std::int64_t flops(Phase phase, DType t = DType::fp32, Pass pass = Pass::inference) noexcept {
        return cost(phase, t, pass).flops;
    }
    static constexpr std::int64_t bytes(Phase phase, DType t = DType::fp32, Pass pass = Pass::inference) noexcept {
        return cost(phase, t, pass).bytes;
    }
    /** @brief FLOPs and bytes of a whole pass (inference: forward; training: all three phases). */
    static constexpr Cost pass_cost(Pass pass, DType t = DType::fp32) { return perfcast::pass_cost(P, pass, t); }
};

}  // namespace detail

/** @brief Fully connected layer. @tparam P its DenseParams */
template <DenseParams P> struct Dense : detail::layer_base<P> {};
/** @brief 2-D convolution (grouped and depthwise included). @tparam P its Conv2DParams */
template <Conv2DParams P> struct Conv2D : detail::layer_base<P> {};
/** @brief 2-D max/average pooling, global included. @tparam P its Pool2DParams */
template <Pool2DParams P> struct Pool2D : detail::layer_base<P> {};
/** @brief Batch normalisation. @tparam P its BatchNorm2DParams */
template <BatchNorm2DParams P> struct BatchNorm2D : detail::layer_base<P> {};
/** @brief Element-wise activation. @tparam P its ActivationParams */
template <ActivationParams P> struct Activation : detail::layer_base<P> {};
/** @brief Element-wise sum. @tparam P its AddParams */
template <AddParams P> struct Add : detail::layer_base<P> {};
/** @brief Channel concatenation. @tparam P its ConcatParams */
template <ConcatParams P> struct Concat : detail::layer_base<P> {};
/** @brief Flatten (a view). @tparam P its FlattenParams */
template <FlattenParams P> struct Flatten : detail::layer_base<P> {};
/** @brief Softmax. @tparam P its SoftmaxParams */
template <SoftmaxParams P> struct Softmax : detail::layer_base<P> {};
/** @brief Dropout (identity at inference). @tparam P its DropoutParams */
template <DropoutParams P> struct Dropout : detail::layer_base<P> {};
/** @brief Batched matrix product (torch.bmm); both operands are inputs. @tparam P its BatchMatMulParams */
template <BatchMatMulParams P> struct BatchMatMul : detail::layer_base<P> {};
/** @brief Layer normalisation over the last dimension. @tparam P its LayerNormParams */
template <LayerNormParams P> struct LayerNorm : detail::layer_base<P> {};
/** @brief Binary element-wise operation with a tensor (broadcast or not) or a scalar. @tparam P its ElementwiseParams */
template <ElementwiseParams P> struct Elementwise : detail::layer_base<P> {};
/** @brief Token embedding (a gather from a table). @tparam P its EmbeddingParams */
template <EmbeddingParams P> struct Embedding : detail::layer_base<P> {};
/** @brief The copy a transpose/permute + contiguous makes. @tparam P its CopyParams */
template <CopyParams P> struct Copy : detail::layer_base<P> {};

/** @brief The compile-time layer type of a parameter value: layer_type_t<Conv2DParams{...}> is Conv2D<{...}>. */
template <auto P> struct layer_type;
template <DenseParams P> struct layer_type<P> { using type = Dense<P>; };
template <Conv2DParams P> struct layer_type<P> { using type = Conv2D<P>; };
template <Pool2DParams P> struct layer_type<P> { using type = Pool2D<P>; };
template <BatchNorm2DParams P> struct layer_type<P> { using type = BatchNorm2D<P>; };
template <ActivationParams P> struct layer_type<P> { using type = Activation<P>; };
template <AddParams P> struct layer_type<P> { using type = Add<P>; };
template <ConcatParams P> struct layer_type<P> { using type = Concat<P>; };
template <FlattenParams P> struct layer_type<P> { using type = Flatten<P>; };
template <SoftmaxParams P> struct layer_type<P> { using type = Softmax<P>; };
template <DropoutParams P> struct layer_type<P> { using type = Dropout<P>; };
template <BatchMatMulParams P> struct layer_type<P> { using type = BatchMatMul<P>; };
template <LayerNormParams P> struct layer_type<P> { using type = LayerNorm<P>; };
template <ElementwiseParams P> struct layer_type<P> { using type = Elementwise<P>; };
template <EmbeddingParams P> struct layer_type<P> { using type = Embedding<P>; };
template <CopyParams P> struct layer_type<P> { using type = Copy<P>; };
template <auto P> using layer_type_t = typename layer_type<P>::type;

// ---------------------------------------------------------------------------------------
// The run-time twin
// ---------------------------------------------------------------------------------------

/** @brief Any layer, at run time. The alternatives are the same structs the layer types carry. */
using Layer = std::variant<DenseParams, Conv2DParams, Pool2DParams, BatchNorm2DParams, ActivationParams, AddParams,
                           ConcatParams, FlattenParams, SoftmaxParams, DropoutParams, BatchMatMulParams,
                           LayerNormParams, ElementwiseParams, EmbeddingParams, CopyParams>;

constexpr LayerKind kind(const Layer& l) noexcept {
    return std::visit([](const auto& p) { return kind_of<std::remove_cvref_t<decltype(p)>>; }, l);
}
constexpr Violation check(const Layer& l) noexcept {
    return std::visit([](const auto& p) { return check(p); }, l);
}
constexpr Shape input_shape(const Layer& l) noexcept {
    return std::visit([](const auto& p) { return input_shape(p); }, l);
}
constexpr Shape output_shape(const Layer& l) noexcept {
    return std::visit([](const auto& p) { return output_shape(p); }, l);
}
constexpr std::int64_t param_count(const Layer& l) noexcept {
    return std::visit([](const auto& p) { return param_count(p); }, l);
}
constexpr Cost cost(const Layer& l, Phase phase, DType t, Pass pass = Pass::inference) noexcept {
    return std::visit([&](const auto& p) { return cost(p, phase, t, pass); }, l);
}
constexpr Cost pass_cost(const Layer& l, Pass pass, DType t, Backward b = Backward::full) {
    return std::visit([&](const auto& p) { return pass_cost(p, pass, t, b); }, l);
}
inline void validate(const Layer& l, std::string_view layer_name = {}) {
    std::visit([&](const auto& p) { validate(p, layer_name); }, l);
}

/** @brief The batch size a layer runs at. */
constexpr std::int64_t batch_of(const Layer& l) noexcept {
    return std::visit(
        [](const auto& p) -> std::int64_t {
            using params_t = std::remove_cvref_t<decltype(p)>;
            if constexpr (requires { p.batch; }) return p.batch;
            else if constexpr (std::is_same_v<params_t, FlattenParams>) return p.input[0];
            else return p.shape[0];
        },
        l);
}

/** @brief The same layer at another batch size (an element-wise operand that carries the batch follows it). */
constexpr Layer with_batch(Layer l, std::int64_t batch) noexcept {
    std::visit(
        [&](auto& p) {
            using params_t = std::remove_cvref_t<decltype(p)>;
            if constexpr (requires { p.batch; }) {
                p.batch = batch;
            } else if constexpr (std::is_same_v<params_t, FlattenParams>) {
                p.input.dims[0] = batch;
            } else {
                if constexpr (std::is_same_v<params_t, ElementwiseParams>)
                    if (p.other.rank == p.shape.rank && p.other[0] == p.shape[0] && p.other[0] != 1)
                        p.other.dims[0] = batch;
                p.shape.dims[0] = batch;
            }
        },
        l);
    return l;
}

/** @brief A layer with the name it has in its network ("layer1.0.conv1"). */
struct NamedLayer {
    std::string name;
    Layer layer;
    bool operator==(const NamedLayer&) const = default;
};

namespace detail {
/** @brief A small valid layer of a kind: what a model file's feature names are checked against. */
constexpr Layer example_layer(LayerKind k) noexcept {
    switch (k) {
        case LayerKind::dense: return DenseParams{1, 1, 1, true, 1};
        case LayerKind::pool2d: return Pool2DParams{1, 1, 2, 2};
        case LayerKind::batchnorm2d: return BatchNorm2DParams{1, 1, 1, 1, true};
        case LayerKind::activation: return ActivationParams{Shape::nchw(1, 1, 1, 1), ActivationKind::relu};
        case LayerKind::add: return AddParams{Shape::nchw(1, 1, 1, 1), 2};
        case LayerKind::concat: return ConcatParams{1, 2, 1, 1, 2};
        case LayerKind::softmax: return SoftmaxParams{1, 1};
        case LayerKind::flatten: return FlattenParams{Shape::nchw(1, 1, 1, 1)};
        case LayerKind::dropout: return DropoutParams{Shape::matrix(1, 1), 0.5};
        case LayerKind::bmm: return BatchMatMulParams{1, 1, 1, 1};
        case LayerKind::layernorm: return LayerNormParams{1, 1, true};
        case LayerKind::elementwise: return ElementwiseParams{Shape::matrix(1, 1), ElementwiseOp::mul, false};
        case LayerKind::embedding: return EmbeddingParams{1, 1, 1, 1};
        case LayerKind::copy: return CopyParams{Shape::matrix(1, 1)};
        case LayerKind::conv2d: return Conv2DParams{1, 1, 1, 1, 1};
    }
    return Conv2DParams{1, 1, 1, 1, 1};
}
}  // namespace detail

}  // namespace perfcast
