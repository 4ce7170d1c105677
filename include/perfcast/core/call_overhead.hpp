/**
 * @file call_overhead.hpp
 * @brief The framework's cost of calling a layer inside a running network, beside its kernel's
 *        time: per layer kind, a constant and a cost per byte the layer moves, fitted to layers
 *        timed in place and back to back.
 *
 * The layer sweeps time an operator back to back on the same tensors: its code, its data and its
 * address translations stay in the caches, and no framework code runs between the calls. In a
 * network each call is the framework's whole path (a Python module call, the dispatcher, the
 * allocator) after other layers have streamed megabytes through the caches, on an input another
 * layer wrote. For a long convolution that difference is noise; for short memory-bound layers
 * (batch norms, activations, adds) it can be a large share of their time in place
 * (docs/accuracy.md has the measurements).
 *
 * The model adds to each layer's forward call
 *
 *     us[kind] + us_per_mb[kind] x min(bytes, last-level cache) / 1e6
 *
 * (`bytes`: what the layer's forward moves, as the roofline counts it; the cache: the device entry's
 * `l2_mb`: data the back-to-back calls found in the caches and the network's did not is at most what
 * fits there). fit_call_overhead (tools/lab/perfcast/lab/layer_validation.hpp) fits the two constants
 * per kind, both at least 0, to operations of networks timed node by node
 * (`tools/measure_torch.py --layers`): those that minimise the kind's mean |isolated + overhead -
 * in place| / in place. A kind with fewer than `min_rows` operations gets none.
 *
 * A training step calls each layer's forward the same way, so it gets the same overhead (of the
 * forward's bytes) once per layer; the backward runs in autograd's engine without a per-layer call
 * from the framework's front end, and gets none.
 *
 * The same calibration may carry a **level** per kind: the kind's kernels on that device in place,
 * summed, over the model's kernel times of the same layers (fit_levels, same file as the overhead's fit;
 * `perfcast calibrate --level`). It multiplies each kernel of a layer of the kind, forward and backward,
 * that the model times (its learned or memory-bound models: the precisions it was trained for; the
 * roofline of the others stays as it is), and never takes a kernel below its physical bound
 * (physical_bound_us). It is for a device whose own
 * conditions the training rows did not see: a card that ran its sweep in another clock state than
 * it runs networks in, or a GPU outside the training data, timed once through one network.
 */
#pragma once

#include <algorithm>  // min
#include <array>      // array
#include <cstddef>    // size_t

#include "devices.hpp"  // Device
#include "layers.hpp"   // LayerKind, Layer, pass_cost
#include "target.hpp"   // Target
#include "types.hpp"    // Pass, DType

namespace perfcast {

/** @brief The number of layer kinds (LayerKind's enumerators). */
inline constexpr std::size_t layer_kind_count = all_layer_kinds.size();
static_assert(static_cast<std::size_t>(all_layer_kinds.back()) + 1 == layer_kind_count,
              "all_layer_kinds lists every LayerKind, in order");

/**
 * @brief Does a kind get a call overhead? Every kind but conv2d and dense: their layer sweeps read
 * the weights cold (`--cold-weights`: a gigabyte of copies in turn), which leaves the call's own code
 * and data out of the caches as a network does, so their learned times hold that cost already.
 */
constexpr bool takes_call_overhead(LayerKind k) noexcept { return k != LayerKind::conv2d && k != LayerKind::dense; }

/**
 * @brief The fitted call overhead per layer kind: the cost of calling a layer's forward in a network,
 * in either pass, and the device's level per kind (see the file's comment). Unfitted: no kind has rows,
 * and every layer gets 0 and level 1.
 */
struct CallOverhead {
    std::array<double, layer_kind_count> us{};         ///< per kind, microseconds per call
    std::array<double, layer_kind_count> us_per_mb{};  ///< per kind, microseconds per 1e6 bytes moved, up to the cache
    std::array<std::size_t, layer_kind_count> rows{};  ///< the operations each kind's constants were fitted to
    /// per kind, the device's level: in-place kernel time over the model's (see the file's comment); used where
    /// level_rows > 0
    std::array<double, layer_kind_count> level{};
    std::array<std::size_t, layer_kind_count> level_rows{};  ///< the operations each kind's level was fitted to

    static constexpr std::size_t min_rows = 5;  ///< a kind with fewer operations gets no constant and no level
    static constexpr double max_level = 100.0;  ///< a level is in (1 / max_level, max_level]

    /** @brief Has any kind a fitted constant or level? */
    constexpr bool fitted() const noexcept {
        for (std::size_t i = 0; i < layer_kind_count; ++i)
            if (rows[i] > 0 || level_rows[i] > 0) return true;
        return false;
    }
    /** @brief Was this kind's constant fitted? */
    constexpr bool fitted(LayerKind k) const noexcept { return rows[static_cast<std::size_t>(k)] > 0; }
    /** @brief Was this kind's level fitted? */
    constexpr bool level_fitted(LayerKind k) const noexcept { return level_rows[static_cast<std::size_t>(k)] > 0; }
    /** @brief The level of this kind: the fitted one, else 1. */
    constexpr double level_of(LayerKind k) const noexcept {
        return level_fitted(k) ? level[static_cast<std::size_t>(k)] : 1.0;
    }
    /** @brief The overhead of one call of a layer of this kind whose forward moves `bytes`, on a device
        whose last-level cache holds `cache_bytes`, microseconds. */
    constexpr double at(LayerKind k, double bytes, double cache_bytes) const noexcept {
        const auto i = static_cast<std::size_t>(k);
        return us[i] + us_per_mb[i] * std::min(bytes, cache_bytes) / 1e6;
    }
    /** @brief The overhead of calling this layer on the target's device in its precision, microseconds:
        its forward's call, the same in an inference pass and in a training step. */
    constexpr double at(const Layer& l, const Target& t) const noexcept {
        return at(kind(l), static_cast<double>(pass_cost(l, Pass::inference, t.dtype()).bytes), cache_bytes(t.device()));
    }
    /** @brief The device's last-level cache in bytes (its entry's `l2_mb`, MiB). */
    static constexpr double cache_bytes(const Device& d) noexcept { return d.l2_mb * 1048576.0; }
};

}  // namespace perfcast
