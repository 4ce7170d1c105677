/**
 * @file types.hpp
 * @brief Precisions, passes, phases and tensor shapes shared by every header.
 */
#pragma once

#include <array>        // array
#include <cstdint>      // int64_t
#include <optional>     // optional
#include <string_view>  // string_view

namespace perfcast {

/** @brief Element precision a layer runs in. tf32 means fp32 storage with TF32 tensor-core math. */
enum class DType { fp32, tf32, fp16, bf16 };

/** @brief What the user asks about: inference runs the forward phase, training all three. */
enum class Pass { inference, training };

/** @brief One of the three computations of a layer. */
enum class Phase { forward, backward_data, backward_weights };

inline constexpr std::array<DType, 4> all_dtypes{DType::fp32, DType::tf32, DType::fp16, DType::bf16};
inline constexpr std::array<Phase, 3> all_phases{Phase::forward, Phase::backward_data, Phase::backward_weights};

/** @brief Bytes one element occupies in memory (tf32 is stored as fp32). */
constexpr std::int64_t dtype_bytes(DType t) noexcept {
    return (t == DType::fp16 || t == DType::bf16) ? 2 : 4;
}

constexpr std::string_view to_string(DType t) noexcept {
    switch (t) {
        case DType::fp32: return "fp32";
        case DType::tf32: return "tf32";
        case DType::fp16: return "fp16";
        case DType::bf16: return "bf16";
    }
    return "?";
}

constexpr std::string_view to_string(Pass p) noexcept {
    return p == Pass::inference ? "inference" : "training";
}

constexpr std::string_view to_string(Phase p) noexcept {
    switch (p) {
        case Phase::forward: return "forward";
        case Phase::backward_data: return "backward_data";
        case Phase::backward_weights: return "backward_weights";
    }
    return "?";
}

constexpr std::optional<DType> parse_dtype(std::string_view s) noexcept {
    for (DType t : all_dtypes)
        if (to_string(t) == s) return t;
    return std::nullopt;
}

constexpr std::optional<Pass> parse_pass(std::string_view s) noexcept {
    if (s == "inference" || s == "forward") return Pass::inference;
    if (s == "training" || s == "train") return Pass::training;
    return std::nullopt;
}

/** @brief Does this pass run this phase? Inference runs only the forward phase. */
constexpr bool runs(Pass pass, Phase phase) noexcept {
    return pass == Pass::training || phase == Phase::forward;
}

/**
 * @brief How much of its backward a layer of a network runs in a training step (BackwardScope):
 * autograd computes no gradient for the network's input, so the layers before the first one with
 * parameters run none, and that one only its parameters' gradients.
 */
enum class Backward { full, weights_only, none };

constexpr std::string_view to_string(Backward b) noexcept {
    switch (b) {
        case Backward::full: return "full";
        case Backward::weights_only: return "weights only";
        case Backward::none: return "none";
    }
    return "?";
}

/** @brief Does this pass run this phase of a layer whose backward is `b`? */
constexpr bool runs(Pass pass, Phase phase, Backward b) noexcept {
    if (!runs(pass, phase)) return false;
    switch (phase) {
        case Phase::forward: return true;
        case Phase::backward_data: return b == Backward::full;
        case Phase::backward_weights: return b != Backward::none;
    }
    return false;
}

/** @brief A tensor shape of rank 1 to 4 (NCHW for images, N x features for dense). */
struct Shape {
    int rank = 0;
    std::array<std::int64_t, 4> dims{};

    constexpr std::int64_t operator[](int i) const noexcept { return dims[static_cast<std::size_t>(i)]; }

    /**
     * @brief Number of elements (product of the dimensions), in the integer type @p I: detail::Count
     * (detail/checked.hpp) computes it in checked arithmetic, as the rule work_in_range does.
     */
    template <typename I = std::int64_t>
    constexpr I elements() const noexcept {
        I n = 1;
        for (int i = 0; i < rank; ++i) n = n * I(dims[static_cast<std::size_t>(i)]);
        return rank == 0 ? I(0) : n;
    }

    constexpr bool operator==(const Shape&) const = default;

    static constexpr Shape nchw(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) noexcept {
        return Shape{4, {n, c, h, w}};
    }
    static constexpr Shape matrix(std::int64_t rows, std::int64_t cols) noexcept { return Shape{2, {rows, cols, 0, 0}}; }
};

}  // namespace perfcast
