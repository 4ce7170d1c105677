/**
 * @file bench/harness/sampler.hpp
 * @brief Which layer configurations the timing harness measures: the seed thesis' grid
 *        and log-uniform random draws, under FLOP and memory caps, deterministic in a seed.
 *
 * Two ways to draw one configuration (`Sampling`):
 *  - grid:   every parameter from the seed's value lists (image sizes 5..256 in powers of
 *            two plus 28, 112, 224; batch 1..64 in powers of two; odd kernels 1..11;
 *            channels, filters, strides and dense widths from LeNet, AlexNet, VGG-16,
 *            ResNet-50 and InceptionV3);
 *  - random: integers drawn log-uniformly in the ranges of `SamplerOptions`
 *            (P(v) proportional to log((v+1)/v)), kernels and strides uniformly;
 *  - mixed:  each configuration is a grid draw with probability `grid_fraction`, else random.
 * A draw that breaks a shape rule (perfcast::check), exceeds `max_flops` (forward FLOPs) or
 * `max_bytes` (tensors and their gradients), or repeats an earlier configuration is drawn
 * again, so the caps condition the distributions rather than clip them.
 *
 * The list is a pure function of the options: configuration i depends only on the seed and
 * on the draws before it (prefix-stable), so `--count 12` extends `--count 6` and a resumed
 * sweep sees the same list. The generator is splitmix64 and the integer/real conversions are
 * written out here (no std:: distributions, whose output differs between standard libraries).
 */
#pragma once

#include <array>          // array
#include <cmath>          // exp2, log2, floor
#include <cstdint>        // int64_t, uint64_t
#include <stdexcept>      // invalid_argument
#include <string>         // string
#include <string_view>    // string_view
#include <type_traits>    // remove_cvref_t, is_same_v
#include <unordered_set>  // unordered_set
#include <variant>        // visit, get_if
#include <vector>         // vector

#include <perfcast/runtime/dataset.hpp>  // detail::layer_cells (the dedup key)
#include <perfcast/core/layers.hpp>   // Layer, the parameter structs, check, cost

namespace perfcast::harness {

/** @brief splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and the same everywhere. */
class SplitMix64 {
public:
    explicit constexpr SplitMix64(std::uint64_t seed) noexcept : m_state(seed) {}

    constexpr std::uint64_t next() noexcept {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    /** @brief Uniform in [0, 1) with 53 random bits. */
    constexpr double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /** @brief Uniform integer in [lo, hi] (modulo bias below 2^-40 for the ranges used here). */
    constexpr std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept {
        if (hi <= lo) return lo;
        const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
        return lo + static_cast<std::int64_t>(next() % span);
    }
    /** @brief Integer in [lo, hi], log-uniform: floor of a log-uniform real in [lo, hi + 1). */
    std::int64_t log_uniform(std::int64_t lo, std::int64_t hi) noexcept {
        if (lo < 1) lo = 1;
        if (hi <= lo) return lo;
        const double a = std::log2(static_cast<double>(lo)), b = std::log2(static_cast<double>(hi) + 1.0);
        const auto v = static_cast<std::int64_t>(std::floor(std::exp2(a + (b - a) * uniform())));
        return v < lo ? lo : v > hi ? hi : v;
    }
    template <typename T, std::size_t N>
    constexpr const T& pick(const std::array<T, N>& values) noexcept {
        return values[static_cast<std::size_t>(between(0, static_cast<std::int64_t>(N) - 1))];
    }
    constexpr bool chance(double p) noexcept { return uniform() < p; }

private:
    std::uint64_t m_state;
};

/** @brief The seed thesis' grid (section 3.4) and the layer sizes of its five networks. */
namespace grid {
/// Image sizes: powers of two from 5x5 to 256x256 (5 is the stated lower end) plus 28, 112, 224.
inline constexpr std::array<std::int64_t, 10> image{5, 8, 16, 28, 32, 64, 112, 128, 224, 256};
inline constexpr std::array<std::int64_t, 7> batch{1, 2, 4, 8, 16, 32, 64};
inline constexpr std::array<std::int64_t, 6> kernel{1, 3, 5, 7, 9, 11};
/// Convolution input channels of LeNet-5 (1, 6), AlexNet (3, 64, 192, 384, 256), VGG-16
/// (3..512), ResNet-50 (64..2048) and InceptionV3 (32, 48, 64, 80, 96, 160, 192, 288, 448, 768, 1280, 2048).
inline constexpr std::array<std::int64_t, 21> in_channels{1,   3,   6,   16,  32,  48,  64,  80,  96,   128, 160,
                                                          192, 256, 288, 384, 448, 512, 768, 1024, 1280, 2048};
/// Convolution filters (output channels) of the same networks.
inline constexpr std::array<std::int64_t, 17> filters{6,   16,  32,  48,  64,  80,  96,   128, 160,
                                                      192, 256, 320, 384, 448, 512, 1024, 2048};
inline constexpr std::array<std::int64_t, 3> stride{1, 2, 4};  ///< 1 everywhere, 2 ResNet/Inception, 4 AlexNet
/// Dense widths: LeNet 400-120-84-10, AlexNet 9216-4096-4096-1000, VGG-16 25088-4096-4096-1000,
/// ResNet-50/InceptionV3 2048-1000 (Inception's auxiliary head 768), plus powers of two between.
inline constexpr std::array<std::int64_t, 11> in_features{84, 120, 256, 400, 512, 768, 1024, 2048, 4096, 9216, 25088};
inline constexpr std::array<std::int64_t, 9> out_features{10, 84, 120, 256, 512, 1000, 1024, 2048, 4096};
/// Pooling windows of the networks: 2x2/2 (LeNet, VGG), 3x3/2 (AlexNet, ResNet, Inception), 3x3/1 pad 1 (Inception).
inline constexpr std::array<std::int64_t, 2> pool_kernel{2, 3};
inline constexpr std::array<std::int64_t, 2> pool_stride{1, 2};
/// Transformer sizes (not the thesis'): sequence lengths, attention head widths and model widths
/// (BERT 768/1024, GPT-2 768..1600, GPT-3 XL 2048, ...) for bmm and layernorm.
inline constexpr std::array<std::int64_t, 7> seq{16, 32, 64, 128, 256, 512, 1024};
inline constexpr std::array<std::int64_t, 4> head_dim{32, 64, 80, 128};
inline constexpr std::array<std::int64_t, 3> heads{1, 8, 16};  ///< bmm's batch is batch x heads
inline constexpr std::array<std::int64_t, 8> width{256, 512, 768, 1024, 1280, 1600, 2048, 4096};
}  // namespace grid

enum class Sampling { grid, random, mixed };

inline std::string_view to_string(Sampling s) noexcept {
    return s == Sampling::grid ? "grid" : s == Sampling::random ? "random" : "mixed";
}

/** @brief An inclusive integer range for random draws. */
struct Range {
    std::int64_t lo = 1;
    std::int64_t hi = 1;
};

/** @brief What to draw and within which limits (element-wise kinds and batch norm draw feature maps from
 *  batch, image and in_channels, matrices from batch and features, softmax from batch and features; bmm
 *  its batch from batch and m, k, n from features; layernorm its rows from batch times 1 to 512 tokens and
 *  its width from features). The defaults are documented in bench/README.md. */
struct SamplerOptions {
    std::vector<LayerKind> kinds{LayerKind::conv2d, LayerKind::dense, LayerKind::pool2d};
    /// Relative weight of each kind in `kinds` (the thesis measured ~55k conv, ~10k dense, ~0.8k pool).
    std::vector<double> weights{0.6, 0.25, 0.15};
    Sampling sampling = Sampling::mixed;
    double grid_fraction = 0.5;  ///< mixed: share of grid draws
    std::uint64_t seed = 1;
    std::size_t count = 1000;
    double max_flops = 2e9;           ///< forward FLOPs (a multiply-add counts two)
    double min_flops = 0;             ///< forward FLOPs at least (0: no floor)
    double max_bytes = 1024.0 * 1024 * 1024;  ///< input, output and weights, and their gradients
    DType dtype = DType::fp32;        ///< element size for max_bytes
    double group_fraction = 0.0;      ///< random conv draws: share of grouped/depthwise convolutions
    double global_pool_fraction = 0.1;  ///< pool draws: share of global pooling
    Range batch{1, 64};
    Range image{4, 256};
    Range in_channels{1, 2048};
    Range out_channels{1, 2048};
    Range features{1, 16384};
    Range kernel{1, 11};      ///< conv: odd kernels in this range
    Range stride{1, 4};
    Range pool_kernel{2, 7};
    std::int64_t max_vector = 1 << 24;  ///< element-wise kinds: flat vectors (parameter tensors) up to this length
    std::size_t max_attempts = 100000;  ///< draws per configuration before giving up
};

/** @brief One configuration to measure, with its position in the full list. */
struct Config {
    std::size_t index = 0;
    Layer layer;
    bool from_grid = false;
};

/** @brief The key that identifies a layer (its dataset cells), used to drop repeats. */
inline std::string layer_key(const Layer& l) {
    std::string key;
    for (const auto& [column, value] : detail::layer_cells(l)) {
        key += column;
        key += '=';
        key += value;
        key += ';';
    }
    return key;
}

/** @brief Tensors and their gradients, in bytes: 2 x (input + output + parameters) x element size; bmm's
 *  second operand and an elementwise operation's tensor operand count as inputs too. */
inline double footprint_bytes(const Layer& l, DType t) {
    double elems = static_cast<double>(input_shape(l).elements()) + static_cast<double>(output_shape(l).elements()) +
                   static_cast<double>(param_count(l));
    if (const auto* b = std::get_if<BatchMatMulParams>(&l)) elems += static_cast<double>(b->batch * b->k * b->n);
    if (const auto* e = std::get_if<ElementwiseParams>(&l); e && !e->scalar)
        elems += static_cast<double>(e->shape.elements());
    return 2.0 * elems * static_cast<double>(dtype_bytes(t));
}

/** @brief Forward FLOPs (a multiply-add counts two). */
inline double forward_flops(const Layer& l) {
    return static_cast<double>(cost(l, Phase::forward, DType::fp32).flops);
}

namespace detail_sampler {

inline Conv2DParams conv_grid(SplitMix64& g) {
    Conv2DParams p;
    p.batch = g.pick(grid::batch);
    p.height = p.width = g.pick(grid::image);
    p.in_channels = g.pick(grid::in_channels);
    p.out_channels = g.pick(grid::filters);
    p.kernel = Hw{g.pick(grid::kernel)};
    p.stride = Hw{g.pick(grid::stride)};
    p.padding = Hw{g.chance(0.5) ? p.kernel.h / 2 : 0};  // "same" or "valid", as the networks do
    return p;
}

inline Conv2DParams conv_random(SplitMix64& g, const SamplerOptions& o) {
    Conv2DParams p;
    p.batch = g.log_uniform(o.batch.lo, o.batch.hi);
    p.height = p.width = g.log_uniform(o.image.lo, o.image.hi);
    p.in_channels = g.log_uniform(o.in_channels.lo, o.in_channels.hi);
    p.out_channels = g.log_uniform(o.out_channels.lo, o.out_channels.hi);
    const std::int64_t klo = (o.kernel.lo - 1) / 2, khi = (o.kernel.hi - 1) / 2;
    p.kernel = Hw{2 * g.between(klo, khi) + 1};
    p.stride = Hw{g.between(o.stride.lo, o.stride.hi)};
    p.padding = Hw{g.between(0, p.kernel.h / 2)};
    if (o.group_fraction > 0 && g.chance(o.group_fraction)) {
        if (g.chance(0.5)) {  // depthwise (MobileNet-style), channel multiplier 1 or 2
            p.groups = p.in_channels;
            p.out_channels = p.in_channels * g.between(1, 2);
        } else {  // grouped (ResNeXt-style): channels rounded up to a multiple of the groups
            static constexpr std::array<std::int64_t, 4> groups{2, 4, 8, 32};
            p.groups = g.pick(groups);
            p.in_channels = (p.in_channels + p.groups - 1) / p.groups * p.groups;
            p.out_channels = (p.out_channels + p.groups - 1) / p.groups * p.groups;
        }
    }
    return p;
}

inline DenseParams dense_grid(SplitMix64& g) {
    DenseParams p;
    p.batch = g.pick(grid::batch);
    p.in_features = g.pick(grid::in_features);
    p.out_features = g.pick(grid::out_features);
    return p;
}

inline DenseParams dense_random(SplitMix64& g, const SamplerOptions& o) {
    DenseParams p;
    p.batch = g.log_uniform(o.batch.lo, o.batch.hi);
    p.in_features = g.log_uniform(o.features.lo, o.features.hi);
    p.out_features = g.log_uniform(o.features.lo, o.features.hi);
    return p;
}

inline Pool2DParams pool_grid(SplitMix64& g, const SamplerOptions& o) {
    Pool2DParams p;
    p.batch = g.pick(grid::batch);
    p.height = p.width = g.pick(grid::image);
    p.channels = g.pick(grid::in_channels);
    p.mode = g.chance(0.5) ? PoolMode::max : PoolMode::avg;
    if (g.chance(o.global_pool_fraction)) {
        p.global = true;
        return p;
    }
    p.kernel = Hw{g.pick(grid::pool_kernel)};
    p.stride = Hw{g.pick(grid::pool_stride)};
    p.padding = Hw{p.kernel.h == 3 && g.chance(0.5) ? 1 : 0};
    return p;
}

inline Pool2DParams pool_random(SplitMix64& g, const SamplerOptions& o) {
    Pool2DParams p;
    p.batch = g.log_uniform(o.batch.lo, o.batch.hi);
    p.height = p.width = g.log_uniform(o.image.lo, o.image.hi);
    p.channels = g.log_uniform(o.in_channels.lo, o.in_channels.hi);
    p.mode = g.chance(0.5) ? PoolMode::max : PoolMode::avg;
    if (g.chance(o.global_pool_fraction)) {
        p.global = true;
        return p;
    }
    p.kernel = Hw{g.between(o.pool_kernel.lo, o.pool_kernel.hi)};
    p.stride = Hw{g.between(1, p.kernel.h)};
    p.padding = Hw{g.between(0, p.kernel.h / 2)};
    return p;
}

/// Activations drawn besides ReLU (the zoo's networks use ReLU only; other models use the rest).
inline constexpr std::array<ActivationKind, 6> other_activations{ActivationKind::relu6, ActivationKind::tanh,
                                                                 ActivationKind::sigmoid, ActivationKind::gelu,
                                                                 ActivationKind::silu, ActivationKind::hardswish};

/** @brief An NCHW feature map as the networks' conv layers produce them (grid) or log-uniform (random). */
inline Shape feature_map(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    if (use_grid) {
        const std::int64_t hw = g.pick(grid::image);
        return Shape::nchw(g.pick(grid::batch), g.pick(grid::filters), hw, hw);
    }
    const std::int64_t hw = g.log_uniform(o.image.lo, o.image.hi);
    return Shape::nchw(g.log_uniform(o.batch.lo, o.batch.hi), g.log_uniform(o.in_channels.lo, o.in_channels.hi), hw, hw);
}

/** @brief A batch x features matrix (dense layers' outputs) or, with batch 1, a flat vector (a parameter tensor). */
inline Shape matrix(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    if (use_grid) return Shape::matrix(g.pick(grid::batch), g.pick(grid::out_features));
    if (g.chance(0.5)) return Shape::matrix(1, g.log_uniform(1, o.max_vector));
    return Shape::matrix(g.log_uniform(o.batch.lo, o.batch.hi), g.log_uniform(o.features.lo, o.features.hi));
}

/** @brief Element-wise kinds: 70% feature maps, 30% matrices and vectors. */
inline Shape elementwise_shape(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    return g.chance(0.7) ? feature_map(g, o, use_grid) : matrix(g, o, use_grid);
}

inline BatchNorm2DParams batchnorm(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    const Shape s = feature_map(g, o, use_grid);
    return BatchNorm2DParams{s[0], s[1], s[2], s[3], true};
}

inline ActivationParams activation(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    ActivationParams p;
    p.shape = elementwise_shape(g, o, use_grid);
    p.kind = g.chance(0.7) ? ActivationKind::relu : g.pick(other_activations);
    return p;
}

inline AddParams add(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    return AddParams{elementwise_shape(g, o, use_grid), 2};
}

inline ConcatParams concat(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    const Shape s = feature_map(g, o, use_grid);
    ConcatParams p{s[0], s[1], s[2], s[3], g.between(2, 4)};
    if (p.channels < p.inputs) p.channels = p.inputs * g.between(1, 8);
    return p;
}

inline SoftmaxParams softmax(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    if (use_grid) return SoftmaxParams{g.pick(grid::batch), g.pick(grid::out_features)};
    return SoftmaxParams{g.log_uniform(o.batch.lo, o.batch.hi), g.log_uniform(o.features.lo, o.features.hi)};
}

/** @brief bmm: grid from attention's shapes (batch x heads, sequence, head width), random log-uniform. */
inline BatchMatMulParams bmm(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    if (use_grid) {
        // Q K^T: (seq x d) by (d x seq); softmax(.) V: (seq x seq) by (seq x d)
        const std::int64_t b = g.pick(grid::batch) * g.pick(grid::heads);
        const std::int64_t sq = g.pick(grid::seq), d = g.pick(grid::head_dim);
        return g.chance(0.5) ? BatchMatMulParams{b, sq, d, sq} : BatchMatMulParams{b, sq, sq, d};
    }
    return BatchMatMulParams{g.log_uniform(o.batch.lo, o.batch.hi), g.log_uniform(o.features.lo, o.features.hi),
                             g.log_uniform(o.features.lo, o.features.hi), g.log_uniform(o.features.lo, o.features.hi)};
}

/** @brief layernorm over batch x tokens rows of a transformer's width (grid) or log-uniform sizes. */
inline LayerNormParams layernorm(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    if (use_grid) return LayerNormParams{g.pick(grid::batch) * g.pick(grid::seq), g.pick(grid::width), true};
    return LayerNormParams{g.log_uniform(o.batch.lo, o.batch.hi) * g.log_uniform(1, 512),
                           g.log_uniform(o.features.lo, o.features.hi), g.chance(0.9)};
}

/** @brief A binary element-wise operation on the element-wise kinds' shapes, with a tensor or a scalar. */
inline ElementwiseParams elementwise(SplitMix64& g, const SamplerOptions& o, bool use_grid) {
    static constexpr std::array<ElementwiseOp, 5> ops{ElementwiseOp::add, ElementwiseOp::sub, ElementwiseOp::mul,
                                                      ElementwiseOp::div, ElementwiseOp::pow};
    ElementwiseParams p;
    p.shape = elementwise_shape(g, o, use_grid);
    p.op = g.pick(ops);
    p.scalar = p.op == ElementwiseOp::add || g.chance(0.5);  // a sum of tensors is the add kind
    return p;
}

}  // namespace detail_sampler

/** @brief The kinds the sampler draws: conv2d, dense, pool2d, bmm and the memory-bound kinds (flatten is a
 *  view, dropout has no primitive in the harness' libraries). */
constexpr bool sampled(LayerKind k) noexcept { return k != LayerKind::flatten && k != LayerKind::dropout; }

/** @brief The default relative weight of a kind in `--kinds` (the thesis' proportions for the first three). */
constexpr double default_weight(LayerKind k) noexcept {
    return k == LayerKind::conv2d ? 0.6 : k == LayerKind::dense ? 0.25 : k == LayerKind::pool2d ? 0.15 : 0.2;
}

/** @brief Checks the options; throws std::invalid_argument naming the bad one. */
inline void validate(const SamplerOptions& o) {
    if (o.kinds.empty()) throw std::invalid_argument("sampler: no layer kinds");
    if (o.weights.size() != o.kinds.size()) throw std::invalid_argument("sampler: one weight per kind is needed");
    for (LayerKind k : o.kinds)
        if (!sampled(k))
            throw std::invalid_argument("sampler: kind " + std::string(to_string(k)) +
                                        " is not sampled (flatten is a view; dropout has no library primitive)");
    for (const Range* r : {&o.batch, &o.image, &o.in_channels, &o.out_channels, &o.features, &o.kernel, &o.stride,
                           &o.pool_kernel})
        if (r->lo < 1 || r->hi < r->lo) throw std::invalid_argument("sampler: a range must satisfy 1 <= lo <= hi");
    if (o.max_vector < 1) throw std::invalid_argument("sampler: max_vector must be >= 1");
    if (!(o.max_flops > 0) || !(o.max_bytes > 0)) throw std::invalid_argument("sampler: caps must be > 0");
}

/** @brief One configuration drawn from `g` that passes check(), the caps and `seen`; false when none was found. */
inline bool draw_one(SplitMix64& g, const SamplerOptions& o, std::unordered_set<std::string>& seen, Config& out) {
    double total = 0;
    for (double w : o.weights) total += w;
    for (std::size_t attempt = 0; attempt < o.max_attempts; ++attempt) {
        // kind
        double u = g.uniform() * total;
        std::size_t k = 0;
        while (k + 1 < o.kinds.size() && u >= o.weights[k]) u -= o.weights[k++];
        const bool use_grid =
            o.sampling == Sampling::grid || (o.sampling == Sampling::mixed && g.chance(o.grid_fraction));
        Layer l;
        namespace ds = detail_sampler;
        switch (o.kinds[k]) {
            case LayerKind::conv2d: l = use_grid ? ds::conv_grid(g) : ds::conv_random(g, o); break;
            case LayerKind::dense: l = use_grid ? ds::dense_grid(g) : ds::dense_random(g, o); break;
            case LayerKind::pool2d: l = use_grid ? ds::pool_grid(g, o) : ds::pool_random(g, o); break;
            case LayerKind::batchnorm2d: l = ds::batchnorm(g, o, use_grid); break;
            case LayerKind::activation: l = ds::activation(g, o, use_grid); break;
            case LayerKind::add: l = ds::add(g, o, use_grid); break;
            case LayerKind::concat: l = ds::concat(g, o, use_grid); break;
            case LayerKind::bmm: l = ds::bmm(g, o, use_grid); break;
            case LayerKind::layernorm: l = ds::layernorm(g, o, use_grid); break;
            case LayerKind::elementwise: l = ds::elementwise(g, o, use_grid); break;
            default: l = ds::softmax(g, o, use_grid); break;
        }
        if (check(l)) continue;
        const double flops = forward_flops(l);
        if (flops > o.max_flops || flops < o.min_flops) continue;
        if (footprint_bytes(l, o.dtype) > o.max_bytes) continue;
        if (!seen.insert(layer_key(l)).second) continue;
        out.layer = l;
        out.from_grid = use_grid;
        return true;
    }
    return false;
}

/**
 * @brief The first `o.count` configurations of the seed's stream (fewer only when the caps
 * leave too few distinct configurations to find within `max_attempts` draws).
 */
inline std::vector<Config> sample(const SamplerOptions& o) {
    validate(o);
    SplitMix64 g(o.seed);
    std::unordered_set<std::string> seen;
    std::vector<Config> out;
    out.reserve(o.count);
    for (std::size_t i = 0; i < o.count; ++i) {
        Config c;
        c.index = i;
        if (!draw_one(g, o, seen, c)) break;
        out.push_back(std::move(c));
    }
    return out;
}

/** @brief The configurations of shard `i` of `n` (every n-th, starting at i): disjoint, and together all. */
inline std::vector<Config> shard(const std::vector<Config>& all, std::size_t i, std::size_t n) {
    if (n == 0 || i >= n) throw std::invalid_argument("shard: expected i/n with 0 <= i < n");
    std::vector<Config> out;
    for (const Config& c : all)
        if (c.index % n == i) out.push_back(c);
    return out;
}

/** @brief A short readable name: "conv2d/n8/c64/56x56/o128/k3s1p1", "dense/n32/1024x1000". */
inline std::string short_name(const Layer& l) {
    auto s = [](std::int64_t v) { return std::to_string(v); };
    return std::visit(
        [&](const auto& p) -> std::string {
            using P = std::remove_cvref_t<decltype(p)>;
            if constexpr (std::is_same_v<P, Conv2DParams>) {
                return "conv2d/n" + s(p.batch) + "/c" + s(p.in_channels) + "/" + s(p.height) + "x" + s(p.width) + "/o" +
                       s(p.out_channels) + "/k" + s(p.kernel.h) + "s" + s(p.stride.h) + "p" + s(p.padding.h) +
                       (p.groups > 1 ? "g" + s(p.groups) : std::string());
            } else if constexpr (std::is_same_v<P, DenseParams>) {
                return "dense/n" + s(p.batch * p.seq) + "/" + s(p.in_features) + "x" + s(p.out_features);
            } else if constexpr (std::is_same_v<P, Pool2DParams>) {
                const std::string head = "pool2d/" + std::string(to_string(p.mode)) + "/n" + s(p.batch) + "/c" +
                                         s(p.channels) + "/" + s(p.height) + "x" + s(p.width);
                return p.global ? head + "/global"
                                : head + "/k" + s(p.kernel.h) + "s" + s(effective_stride(p).h) + "p" + s(p.padding.h);
            } else if constexpr (std::is_same_v<P, BatchNorm2DParams>) {
                return "batchnorm2d/n" + s(p.batch) + "/c" + s(p.channels) + "/" + s(p.height) + "x" + s(p.width);
            } else if constexpr (std::is_same_v<P, ActivationParams> || std::is_same_v<P, AddParams>) {
                std::string dims;
                for (int i = 0; i < p.shape.rank; ++i) dims += (i ? "x" : "") + s(p.shape[i]);
                if constexpr (std::is_same_v<P, ActivationParams>)
                    return "activation/" + std::string(to_string(p.kind)) + "/" + dims;
                else
                    return "add/" + dims;
            } else if constexpr (std::is_same_v<P, ConcatParams>) {
                return "concat/n" + s(p.batch) + "/c" + s(p.channels) + "/" + s(p.height) + "x" + s(p.width) + "/in" +
                       s(p.inputs);
            } else if constexpr (std::is_same_v<P, SoftmaxParams>) {
                return "softmax/n" + s(p.batch) + "/" + s(p.features);
            } else if constexpr (std::is_same_v<P, BatchMatMulParams>) {
                return "bmm/b" + s(p.batch) + "/" + s(p.m) + "x" + s(p.k) + "x" + s(p.n);
            } else if constexpr (std::is_same_v<P, LayerNormParams>) {
                return "layernorm/n" + s(p.batch) + "/" + s(p.features) + (p.affine ? "" : "/noaffine");
            } else if constexpr (std::is_same_v<P, ElementwiseParams>) {
                std::string dims;
                for (int i = 0; i < p.shape.rank; ++i) dims += (i ? "x" : "") + s(p.shape[i]);
                return "elementwise/" + std::string(to_string(p.op)) + (p.scalar ? "_scalar/" : "/") + dims;
            } else {
                return std::string(to_string(kind_of<P>));
            }
        },
        l);
}

}  // namespace perfcast::harness
