/**
 * @file layers/rules.hpp
 * @brief The shape rules a layer must satisfy, checked once and used twice:
 *        refused at compile time by the layer types, thrown as perfcast::error at run time.
 *
 * check() asks, in this order: every size in range (size_in_range, so the later rules may add and
 * multiply sizes without overflow), the shape rules of the layer kind, then every count the cost
 * formulas form in range (work_in_range, so nothing in layers/cost.hpp overflows for a layer it accepted).
 */
#pragma once

#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view

#include "../detail/checked.hpp"  // max_size, max_count, Count: the range rules
#include "../error.hpp"              // error
#include "cost.hpp"                  // the cost formulas, evaluated in checked arithmetic by work_in_range
#include "params.hpp"                // the parameter structs

namespace perfcast {

/** @brief A shape rule; each has a sentence (rule_text) and, at compile time, its own static_assert. */
enum class Rule {
    ok,
    batch_positive,
    channels_positive,
    spatial_positive,
    features_positive,
    seq_positive,
    kernel_positive,
    stride_positive,
    padding_nonnegative,
    dilation_positive,
    groups_positive,
    in_channels_divisible_by_groups,
    out_channels_divisible_by_groups,
    kernel_fits_padded_input,
    pool_padding_at_most_half_kernel,
    inputs_at_least_two,
    probability_in_range,
    rank_in_range,
    dims_positive,
    matrix_dims_positive,
    elementwise_add_takes_scalar,
    other_broadcasts,
    where_takes_mask,
    size_in_range,
    work_in_range,
};

/** @brief The sentence that states a rule. */
constexpr std::string_view rule_text(Rule r) noexcept {
    switch (r) {
        case Rule::ok: return "ok";
        case Rule::batch_positive: return "batch must be >= 1";
        case Rule::channels_positive: return "channels must be >= 1";
        case Rule::spatial_positive: return "height and width must be >= 1";
        case Rule::features_positive: return "features must be >= 1";
        case Rule::seq_positive: return "seq (rows per sample) must be >= 1";
        case Rule::kernel_positive: return "kernel must be >= 1";
        case Rule::stride_positive: return "stride must be >= 1";
        case Rule::padding_nonnegative: return "padding must be >= 0";
        case Rule::dilation_positive: return "dilation must be >= 1";
        case Rule::groups_positive: return "groups must be >= 1";
        case Rule::in_channels_divisible_by_groups: return "in_channels must be divisible by groups";
        case Rule::out_channels_divisible_by_groups: return "out_channels must be divisible by groups";
        case Rule::kernel_fits_padded_input:
            return "the (dilated) kernel must fit the padded input: dilation*(kernel-1)+1 <= size+2*padding";
        case Rule::pool_padding_at_most_half_kernel: return "pool padding must be at most half the kernel";
        case Rule::inputs_at_least_two: return "inputs must be >= 2";
        case Rule::probability_in_range: return "p must be in [0, 1)";
        case Rule::rank_in_range: return "shape rank must be 1 to 4";
        case Rule::dims_positive: return "every dimension of the shape must be >= 1";
        case Rule::matrix_dims_positive: return "m, k and n must be >= 1";
        case Rule::elementwise_add_takes_scalar:
            return "elementwise add takes a scalar or a broadcast operand: a sum of same-shaped tensors is the add "
                   "layer (AddParams)";
        case Rule::other_broadcasts:
            return "other must broadcast to shape: at most its rank, each dimension (aligned at the last) 1 or equal";
        case Rule::where_takes_mask: return "where takes a tensor mask (scalar must be false)";
        case Rule::size_in_range:
            return "size_in_range: every size (batch, seq, channels, features, height, width, kernel, stride, padding, "
                   "dilation, groups, inputs, m, k, n, vocab, each dimension of a shape) must be <= 2^31-1 = 2147483647";
        case Rule::work_in_range:
            return "work_in_range: every count of the layer (tensor elements, parameters, FLOPs and bytes of each "
                   "phase and pass) must be <= 2^62 = 4611686018427387904";
    }
    return "?";
}

/**
 * @brief The first rule a parameter struct breaks, with the offending value and its limit.
 * `field` names the struct member ("kernel.h"), so run-time errors can point at it.
 */
struct Violation {
    Rule rule = Rule::ok;
    std::string_view field{};
    std::int64_t value = 0;
    std::int64_t limit = 0;

    constexpr explicit operator bool() const noexcept { return rule != Rule::ok; }

    /** @brief "kernel.h: the (dilated) kernel must fit ... (got 11, limit 7)". */
    std::string describe() const {
        const std::string got = value == detail::saturated ? "more than 2^63-1" : std::to_string(value);
        return std::string(rule_text(rule)) + " (got " + got + ", limit " + std::to_string(limit) + ")";
    }
};

namespace detail {

constexpr Violation positive(std::int64_t v, Rule r, std::string_view field) noexcept {
    return v >= 1 ? Violation{} : Violation{r, field, v, 1};
}

constexpr Violation shape_ok(const Shape& s, std::string_view field) noexcept {
    if (s.rank < 1 || s.rank > 4) return {Rule::rank_in_range, field, s.rank, 4};
    for (int i = 0; i < s.rank; ++i)
        if (s[i] < 1) return {Rule::dims_positive, field, s[i], 1};
    return {};
}

template <typename... V>
constexpr Violation first(V... vs) noexcept {
    Violation out{};
    ((out = out ? out : vs), ...);
    return out;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------
// size_in_range: every size a layer states, by kind
// ---------------------------------------------------------------------------------------

namespace detail {

constexpr Violation in_range(std::int64_t v, std::string_view field) noexcept {
    return v <= max_size ? Violation{} : Violation{Rule::size_in_range, field, v, max_size};
}

constexpr Violation in_range(Hw v, std::string_view field_h, std::string_view field_w) noexcept {
    return first(in_range(v.h, field_h), in_range(v.w, field_w));
}

/** @brief Every dimension of a shape (a rank out of 1..4 is left to rank_in_range). */
constexpr Violation in_range(const Shape& s, std::string_view field) noexcept {
    if (s.rank < 1 || s.rank > 4) return {};
    for (int i = 0; i < s.rank; ++i)
        if (Violation v = in_range(s[i], field)) return v;
    return {};
}

constexpr Violation sizes_in_range(const DenseParams& p) noexcept {
    return first(in_range(p.batch, "batch"), in_range(p.seq, "seq"), in_range(p.in_features, "in_features"),
                 in_range(p.out_features, "out_features"));
}
constexpr Violation sizes_in_range(const Conv2DParams& p) noexcept {
    return first(in_range(p.batch, "batch"), in_range(p.in_channels, "in_channels"),
                 in_range(p.out_channels, "out_channels"), in_range(p.height, "height"), in_range(p.width, "width"),
                 in_range(p.kernel, "kernel.h", "kernel.w"), in_range(p.stride, "stride.h", "stride.w"),
                 in_range(p.padding, "padding.h", "padding.w"), in_range(p.dilation, "dilation.h", "dilation.w"),
                 in_range(p.groups, "groups"));
}
constexpr Violation sizes_in_range(const Pool2DParams& p) noexcept {
    return first(in_range(p.batch, "batch"), in_range(p.channels, "channels"), in_range(p.height, "height"),
                 in_range(p.width, "width"), in_range(p.kernel, "kernel.h", "kernel.w"),
                 in_range(p.stride, "stride.h", "stride.w"), in_range(p.padding, "padding.h", "padding.w"));
}
constexpr Violation sizes_in_range(const BatchNorm2DParams& p) noexcept {
    return first(in_range(p.batch, "batch"), in_range(p.channels, "channels"), in_range(p.height, "height"),
                 in_range(p.width, "width"));
}
constexpr Violation sizes_in_range(const ActivationParams& p) noexcept { return in_range(p.shape, "shape"); }
constexpr Violation sizes_in_range(const AddParams& p) noexcept {
    return first(in_range(p.shape, "shape"), in_range(p.inputs, "inputs"));
}
constexpr Violation sizes_in_range(const ConcatParams& p) noexcept {
    return first(in_range(p.batch, "batch"), in_range(p.channels, "channels"), in_range(p.height, "height"),
                 in_range(p.width, "width"), in_range(p.inputs, "inputs"));
}
constexpr Violation sizes_in_range(const FlattenParams& p) noexcept { return in_range(p.input, "input"); }
constexpr Violation sizes_in_range(const SoftmaxParams& p) noexcept {
    return first(in_range(p.batch, "batch"), in_range(p.features, "features"));
}
constexpr Violation sizes_in_range(const DropoutParams& p) noexcept { return in_range(p.shape, "shape"); }
constexpr Violation sizes_in_range(const BatchMatMulParams& p) noexcept {
    return first(in_range(p.batch, "batch"), in_range(p.m, "m"), in_range(p.k, "k"), in_range(p.n, "n"));
}
constexpr Violation sizes_in_range(const LayerNormParams& p) noexcept {
    return first(in_range(p.batch, "batch"), in_range(p.features, "features"));
}
constexpr Violation sizes_in_range(const ElementwiseParams& p) noexcept {
    return first(in_range(p.shape, "shape"), in_range(p.other, "other"));
}
constexpr Violation sizes_in_range(const EmbeddingParams& p) noexcept {
    return first(in_range(p.batch, "batch"), in_range(p.seq, "seq"), in_range(p.vocab, "vocab"),
                 in_range(p.features, "features"));
}
constexpr Violation sizes_in_range(const CopyParams& p) noexcept { return in_range(p.shape, "shape"); }

// ---------------------------------------------------------------------------------------
// shape_rules(): the first broken shape rule of each layer kind, or Rule::ok (sizes in range)
// ---------------------------------------------------------------------------------------

constexpr Violation shape_rules(const DenseParams& p) noexcept {
    using detail::positive;
    return detail::first(positive(p.batch, Rule::batch_positive, "batch"),
                         positive(p.seq, Rule::seq_positive, "seq"),
                         positive(p.in_features, Rule::features_positive, "in_features"),
                         positive(p.out_features, Rule::features_positive, "out_features"));
}

constexpr Violation shape_rules(const Conv2DParams& p) noexcept {
    using detail::positive;
    Violation v = detail::first(
        positive(p.batch, Rule::batch_positive, "batch"),
        positive(p.in_channels, Rule::channels_positive, "in_channels"),
        positive(p.out_channels, Rule::channels_positive, "out_channels"),
        positive(p.height, Rule::spatial_positive, "height"), positive(p.width, Rule::spatial_positive, "width"),
        positive(p.kernel.h, Rule::kernel_positive, "kernel.h"), positive(p.kernel.w, Rule::kernel_positive, "kernel.w"),
        positive(p.stride.h, Rule::stride_positive, "stride.h"), positive(p.stride.w, Rule::stride_positive, "stride.w"),
        positive(p.dilation.h, Rule::dilation_positive, "dilation.h"),
        positive(p.dilation.w, Rule::dilation_positive, "dilation.w"),
        positive(p.groups, Rule::groups_positive, "groups"));
    if (v) return v;
    if (p.padding.h < 0) return {Rule::padding_nonnegative, "padding.h", p.padding.h, 0};
    if (p.padding.w < 0) return {Rule::padding_nonnegative, "padding.w", p.padding.w, 0};
    if (p.in_channels % p.groups != 0)
        return {Rule::in_channels_divisible_by_groups, "groups", p.in_channels, p.groups};
    if (p.out_channels % p.groups != 0)
        return {Rule::out_channels_divisible_by_groups, "groups", p.out_channels, p.groups};
    const std::int64_t span_h = p.dilation.h * (p.kernel.h - 1) + 1;
    const std::int64_t span_w = p.dilation.w * (p.kernel.w - 1) + 1;
    if (span_h > p.height + 2 * p.padding.h)
        return {Rule::kernel_fits_padded_input, "kernel.h", span_h, p.height + 2 * p.padding.h};
    if (span_w > p.width + 2 * p.padding.w)
        return {Rule::kernel_fits_padded_input, "kernel.w", span_w, p.width + 2 * p.padding.w};
    return {};
}

constexpr Violation shape_rules(const Pool2DParams& p) noexcept {
    using detail::positive;
    Violation v = detail::first(positive(p.batch, Rule::batch_positive, "batch"),
                                positive(p.channels, Rule::channels_positive, "channels"),
                                positive(p.height, Rule::spatial_positive, "height"),
                                positive(p.width, Rule::spatial_positive, "width"));
    if (v || p.global) return v;
    v = detail::first(positive(p.kernel.h, Rule::kernel_positive, "kernel.h"),
                      positive(p.kernel.w, Rule::kernel_positive, "kernel.w"));
    if (v) return v;
    if (p.stride.h < 0) return {Rule::stride_positive, "stride.h", p.stride.h, 1};
    if (p.stride.w < 0) return {Rule::stride_positive, "stride.w", p.stride.w, 1};
    if (p.padding.h < 0) return {Rule::padding_nonnegative, "padding.h", p.padding.h, 0};
    if (p.padding.w < 0) return {Rule::padding_nonnegative, "padding.w", p.padding.w, 0};
    if (2 * p.padding.h > p.kernel.h)
        return {Rule::pool_padding_at_most_half_kernel, "padding.h", p.padding.h, p.kernel.h / 2};
    if (2 * p.padding.w > p.kernel.w)
        return {Rule::pool_padding_at_most_half_kernel, "padding.w", p.padding.w, p.kernel.w / 2};
    if (p.kernel.h > p.height + 2 * p.padding.h)
        return {Rule::kernel_fits_padded_input, "kernel.h", p.kernel.h, p.height + 2 * p.padding.h};
    if (p.kernel.w > p.width + 2 * p.padding.w)
        return {Rule::kernel_fits_padded_input, "kernel.w", p.kernel.w, p.width + 2 * p.padding.w};
    return {};
}

constexpr Violation shape_rules(const BatchNorm2DParams& p) noexcept {
    using detail::positive;
    return detail::first(positive(p.batch, Rule::batch_positive, "batch"),
                         positive(p.channels, Rule::channels_positive, "channels"),
                         positive(p.height, Rule::spatial_positive, "height"),
                         positive(p.width, Rule::spatial_positive, "width"));
}

constexpr Violation shape_rules(const ActivationParams& p) noexcept { return detail::shape_ok(p.shape, "shape"); }

constexpr Violation shape_rules(const AddParams& p) noexcept {
    if (Violation v = detail::shape_ok(p.shape, "shape")) return v;
    if (p.inputs < 2) return {Rule::inputs_at_least_two, "inputs", p.inputs, 2};
    return {};
}

constexpr Violation shape_rules(const ConcatParams& p) noexcept {
    using detail::positive;
    Violation v = detail::first(positive(p.batch, Rule::batch_positive, "batch"),
                                positive(p.channels, Rule::channels_positive, "channels"),
                                positive(p.height, Rule::spatial_positive, "height"),
                                positive(p.width, Rule::spatial_positive, "width"));
    if (v) return v;
    if (p.inputs < 2) return {Rule::inputs_at_least_two, "inputs", p.inputs, 2};
    if (p.channels < p.inputs) return {Rule::channels_positive, "channels", p.channels, p.inputs};
    return {};
}

constexpr Violation shape_rules(const FlattenParams& p) noexcept { return detail::shape_ok(p.input, "input"); }

constexpr Violation shape_rules(const SoftmaxParams& p) noexcept {
    using detail::positive;
    return detail::first(positive(p.batch, Rule::batch_positive, "batch"),
                         positive(p.features, Rule::features_positive, "features"));
}

constexpr Violation shape_rules(const DropoutParams& p) noexcept {
    if (Violation v = detail::shape_ok(p.shape, "shape")) return v;
    if (!(p.p >= 0.0 && p.p < 1.0))
        return {Rule::probability_in_range, "p", static_cast<std::int64_t>(p.p * 1000.0), 1000};
    return {};
}

/** @brief bmm: every size positive. */
constexpr Violation shape_rules(const BatchMatMulParams& p) noexcept {
    using detail::positive;
    return detail::first(positive(p.batch, Rule::batch_positive, "batch"),
                         positive(p.m, Rule::matrix_dims_positive, "m"),
                         positive(p.k, Rule::matrix_dims_positive, "k"),
                         positive(p.n, Rule::matrix_dims_positive, "n"));
}

constexpr Violation shape_rules(const LayerNormParams& p) noexcept {
    using detail::positive;
    return detail::first(positive(p.batch, Rule::batch_positive, "batch"),
                         positive(p.features, Rule::features_positive, "features"));
}

/**
 * @brief The other operand, when given, broadcasts to the shape; an elementwise add of two same-shaped
 * tensors is refused (it is the add layer, so each operation has one kind); where's mask is a tensor.
 */
constexpr Violation shape_rules(const ElementwiseParams& p) noexcept {
    if (Violation v = detail::shape_ok(p.shape, "shape")) return v;
    const bool broadcast = p.other.rank > 0;
    if (broadcast) {
        if (Violation v = detail::shape_ok(p.other, "other")) return v;
        if (p.scalar) return {Rule::other_broadcasts, "other", p.other.rank, 0};
        if (p.other.rank > p.shape.rank) return {Rule::other_broadcasts, "other", p.other.rank, p.shape.rank};
        for (int i = 1; i <= p.other.rank; ++i) {
            const std::int64_t o = p.other[p.other.rank - i], s = p.shape[p.shape.rank - i];
            if (o != 1 && o != s) return {Rule::other_broadcasts, "other", o, s};
        }
    }
    if (p.op == ElementwiseOp::where && p.scalar) return {Rule::where_takes_mask, "scalar", 1, 0};
    if (p.op == ElementwiseOp::add && !p.scalar && (!broadcast || p.other == p.shape))
        return {Rule::elementwise_add_takes_scalar, "scalar", 0, 1};
    return {};
}

constexpr Violation shape_rules(const EmbeddingParams& p) noexcept {
    using detail::positive;
    return detail::first(positive(p.batch, Rule::batch_positive, "batch"), positive(p.seq, Rule::seq_positive, "seq"),
                         positive(p.vocab, Rule::features_positive, "vocab"),
                         positive(p.features, Rule::features_positive, "features"));
}

constexpr Violation shape_rules(const CopyParams& p) noexcept { return detail::shape_ok(p.shape, "shape"); }

// ---------------------------------------------------------------------------------------
// work_in_range: the cost formulas themselves, evaluated in checked arithmetic
// ---------------------------------------------------------------------------------------

constexpr std::string_view count_field(Phase ph, bool flops) noexcept {
    switch (ph) {
        case Phase::forward: return flops ? "forward.flops" : "forward.bytes";
        case Phase::backward_data: return flops ? "backward_data.flops" : "backward_data.bytes";
        case Phase::backward_weights: return flops ? "backward_weights.flops" : "backward_weights.bytes";
    }
    return "?";
}

/**
 * @brief The first count of layers/cost.hpp that passes max_count: the input's and the output's
 * elements, the parameters, and the FLOPs and bytes of every phase of both passes and of a whole
 * training step, at 4 bytes an element (the widest precision, so the bytes of every precision).
 * The input is counted before the output shape is formed (flatten's divides the input's count).
 */
template <typename P>
constexpr Violation work_in_range(const P& p) noexcept {
    const auto over = [](const Count& c, std::string_view field) {
        return c.over ? Violation{Rule::work_in_range, field, c.value, max_count} : Violation{};
    };
    if (Violation v = over(input_shape(p).template elements<Count>(), "input_shape")) return v;
    if (Violation v = over(output_shape(p).template elements<Count>(), "output_shape")) return v;
    if (Violation v = over(param_count<Count>(p), "param_count")) return v;
    for (Pass pass : {Pass::inference, Pass::training}) {
        for (Phase ph : all_phases) {
            const CountCost c = cost<Count>(p, ph, DType::fp32, pass);
            if (Violation v = first(over(c.flops, count_field(ph, true)), over(c.bytes, count_field(ph, false))))
                return v;
        }
    }
    const CountCost step = pass_cost<Count>(p, Pass::training, DType::fp32);
    return first(over(step.flops, "training.flops"), over(step.bytes, "training.bytes"));
}

}  // namespace detail

// ---------------------------------------------------------------------------------------
// check(): the first broken rule of a layer, or Rule::ok
// ---------------------------------------------------------------------------------------

/**
 * @brief The first rule a layer's parameter struct breaks: its sizes first (size_in_range), so the
 * shape rules after them may add and multiply sizes; its shape rules; then its counts (work_in_range).
 */
template <typename P>
    requires requires(const P& p) { detail::shape_rules(p); }
constexpr Violation check(const P& p) noexcept {
    if (const Violation v = detail::sizes_in_range(p)) return v;
    if (const Violation v = detail::shape_rules(p)) return v;
    return detail::work_in_range(p);
}

/** @brief Throws perfcast::error naming the field when a parameter struct breaks a rule. */
template <typename P>
void validate(const P& p, std::string_view layer_name = {}) {
    if (const Violation v = check(p)) {
        std::string field(v.field);
        if (!layer_name.empty()) field = std::string(layer_name) + "." + field;
        throw error(field, std::string(to_string(kind_of<P>)) + ": " + v.describe());
    }
}

// ---------------------------------------------------------------------------------------
// Compile-time refusal: one static_assert per rule, its message the rule's sentence.
// The instantiation note names the values: refuse<Rule::kernel_fits_padded_input, 11, 7>
// reads "got 11, limit 7".
// ---------------------------------------------------------------------------------------
namespace detail {

template <auto...> inline constexpr bool always_false = false;

template <Rule R, std::int64_t Value, std::int64_t Limit>
struct refuse {
    static constexpr bool ok = true;
};

#define PERFCAST_DETAIL_REFUSE(rule, text)                                   \
    template <std::int64_t Value, std::int64_t Limit>                        \
    struct refuse<Rule::rule, Value, Limit> {                                \
        static_assert(always_false<Value, Limit>, "perfcast rule " text);    \
        static constexpr bool ok = false;                                    \
    };

PERFCAST_DETAIL_REFUSE(batch_positive, "batch_positive: batch must be >= 1")
PERFCAST_DETAIL_REFUSE(channels_positive, "channels_positive: channels must be >= 1")
PERFCAST_DETAIL_REFUSE(spatial_positive, "spatial_positive: height and width must be >= 1")
PERFCAST_DETAIL_REFUSE(features_positive, "features_positive: features must be >= 1")
PERFCAST_DETAIL_REFUSE(seq_positive, "seq_positive: seq (rows per sample) must be >= 1")
PERFCAST_DETAIL_REFUSE(kernel_positive, "kernel_positive: kernel must be >= 1")
PERFCAST_DETAIL_REFUSE(stride_positive, "stride_positive: stride must be >= 1")
PERFCAST_DETAIL_REFUSE(padding_nonnegative, "padding_nonnegative: padding must be >= 0")
PERFCAST_DETAIL_REFUSE(dilation_positive, "dilation_positive: dilation must be >= 1")
PERFCAST_DETAIL_REFUSE(groups_positive, "groups_positive: groups must be >= 1")
PERFCAST_DETAIL_REFUSE(in_channels_divisible_by_groups,
                       "in_channels_divisible_by_groups: in_channels % groups must be 0 (Value = in_channels, Limit = groups)")
PERFCAST_DETAIL_REFUSE(out_channels_divisible_by_groups,
                       "out_channels_divisible_by_groups: out_channels % groups must be 0 (Value = out_channels, Limit = groups)")
PERFCAST_DETAIL_REFUSE(kernel_fits_padded_input,
                       "kernel_fits_padded_input: the (dilated) kernel must fit the padded input, "
                       "dilation*(kernel-1)+1 <= size+2*padding (Value = dilated kernel, Limit = padded input)")
PERFCAST_DETAIL_REFUSE(pool_padding_at_most_half_kernel,
                       "pool_padding_at_most_half_kernel: pool padding must be <= kernel/2 (Value = padding, Limit = kernel/2)")
PERFCAST_DETAIL_REFUSE(inputs_at_least_two, "inputs_at_least_two: inputs must be >= 2")
PERFCAST_DETAIL_REFUSE(probability_in_range, "probability_in_range: p must be in [0, 1) (Value = p*1000)")
PERFCAST_DETAIL_REFUSE(rank_in_range, "rank_in_range: shape rank must be 1 to 4")
PERFCAST_DETAIL_REFUSE(dims_positive, "dims_positive: every dimension of the shape must be >= 1")
PERFCAST_DETAIL_REFUSE(matrix_dims_positive, "matrix_dims_positive: m, k and n must be >= 1")
PERFCAST_DETAIL_REFUSE(elementwise_add_takes_scalar,
                       "elementwise_add_takes_scalar: elementwise add takes a scalar or a broadcast operand; "
                       "a sum of same-shaped tensors is the add layer (AddParams) (Value = scalar)")
PERFCAST_DETAIL_REFUSE(other_broadcasts,
                       "other_broadcasts: other must broadcast to shape: at most its rank, each dimension (aligned at "
                       "the last) 1 or equal, and no scalar beside it (Value = other's dimension, Limit = shape's)")
PERFCAST_DETAIL_REFUSE(where_takes_mask, "where_takes_mask: where takes a tensor mask (scalar must be false)")
PERFCAST_DETAIL_REFUSE(size_in_range,
                       "size_in_range: every size of a layer must be <= 2^31-1 = 2147483647 (Value = the size)")
PERFCAST_DETAIL_REFUSE(work_in_range,
                       "work_in_range: every count of a layer (tensor elements, parameters, FLOPs and bytes of each "
                       "phase and pass) must be <= 2^62 (Value = the count, 9223372036854775807 past 64 bits)")

#undef PERFCAST_DETAIL_REFUSE

}  // namespace detail

/**
 * @brief Refusal inside constant evaluation (a network built by a constexpr NetBuilder):
 * calling one of these non-constexpr functions stops compilation, and the compiler's
 * message names the function, that is, the rule.
 */
namespace rule_broken {
// clang-format off
inline void batch_positive(std::int64_t, std::int64_t) {}
inline void channels_positive(std::int64_t, std::int64_t) {}
inline void spatial_positive(std::int64_t, std::int64_t) {}
inline void features_positive(std::int64_t, std::int64_t) {}
inline void seq_positive(std::int64_t, std::int64_t) {}
inline void kernel_positive(std::int64_t, std::int64_t) {}
inline void stride_positive(std::int64_t, std::int64_t) {}
inline void padding_nonnegative(std::int64_t, std::int64_t) {}
inline void dilation_positive(std::int64_t, std::int64_t) {}
inline void groups_positive(std::int64_t, std::int64_t) {}
inline void in_channels_divisible_by_groups(std::int64_t, std::int64_t) {}
inline void out_channels_divisible_by_groups(std::int64_t, std::int64_t) {}
inline void kernel_fits_padded_input(std::int64_t, std::int64_t) {}
inline void pool_padding_at_most_half_kernel(std::int64_t, std::int64_t) {}
inline void inputs_at_least_two(std::int64_t, std::int64_t) {}
inline void probability_in_range(std::int64_t, std::int64_t) {}
inline void rank_in_range(std::int64_t, std::int64_t) {}
inline void dims_positive(std::int64_t, std::int64_t) {}
inline void matrix_dims_positive(std::int64_t, std::int64_t) {}
inline void elementwise_add_takes_scalar(std::int64_t, std::int64_t) {}
inline void other_broadcasts(std::int64_t, std::int64_t) {}
inline void where_takes_mask(std::int64_t, std::int64_t) {}
// size_in_range and work_in_range: detail/checked.hpp, where a network's totals use them too
// clang-format on
}  // namespace rule_broken

namespace detail {

/** @brief In a constant expression, stops compilation with the broken rule's name. */
constexpr void refuse_in_constant_evaluation(const Violation& v) {
    switch (v.rule) {
        case Rule::ok: return;
        case Rule::batch_positive: rule_broken::batch_positive(v.value, v.limit); return;
        case Rule::channels_positive: rule_broken::channels_positive(v.value, v.limit); return;
        case Rule::spatial_positive: rule_broken::spatial_positive(v.value, v.limit); return;
        case Rule::features_positive: rule_broken::features_positive(v.value, v.limit); return;
        case Rule::seq_positive: rule_broken::seq_positive(v.value, v.limit); return;
        case Rule::kernel_positive: rule_broken::kernel_positive(v.value, v.limit); return;
        case Rule::stride_positive: rule_broken::stride_positive(v.value, v.limit); return;
        case Rule::padding_nonnegative: rule_broken::padding_nonnegative(v.value, v.limit); return;
        case Rule::dilation_positive: rule_broken::dilation_positive(v.value, v.limit); return;
        case Rule::groups_positive: rule_broken::groups_positive(v.value, v.limit); return;
        case Rule::in_channels_divisible_by_groups: rule_broken::in_channels_divisible_by_groups(v.value, v.limit); return;
        case Rule::out_channels_divisible_by_groups: rule_broken::out_channels_divisible_by_groups(v.value, v.limit); return;
        case Rule::kernel_fits_padded_input: rule_broken::kernel_fits_padded_input(v.value, v.limit); return;
        case Rule::pool_padding_at_most_half_kernel: rule_broken::pool_padding_at_most_half_kernel(v.value, v.limit); return;
        case Rule::inputs_at_least_two: rule_broken::inputs_at_least_two(v.value, v.limit); return;
        case Rule::probability_in_range: rule_broken::probability_in_range(v.value, v.limit); return;
        case Rule::rank_in_range: rule_broken::rank_in_range(v.value, v.limit); return;
        case Rule::dims_positive: rule_broken::dims_positive(v.value, v.limit); return;
        case Rule::matrix_dims_positive: rule_broken::matrix_dims_positive(v.value, v.limit); return;
        case Rule::elementwise_add_takes_scalar: rule_broken::elementwise_add_takes_scalar(v.value, v.limit); return;
        case Rule::other_broadcasts: rule_broken::other_broadcasts(v.value, v.limit); return;
        case Rule::where_takes_mask: rule_broken::where_takes_mask(v.value, v.limit); return;
        case Rule::size_in_range: rule_broken::size_in_range(v.value, v.limit); return;
        case Rule::work_in_range: rule_broken::work_in_range(v.value, v.limit); return;
    }
}

/** @brief True when P breaks no rule; otherwise instantiates the static_assert of the broken rule. */
template <auto P>
inline constexpr bool accepted =
    refuse<check(P).rule, check(P).value, check(P).limit>::ok;

}  // namespace detail
}  // namespace perfcast
