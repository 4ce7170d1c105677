/**
 * @file estimate.hpp
 * @brief Whole-network estimates: per-layer breakdown, total and throughput, with the
 *        roofline and PALEO beside whichever method made the estimate.
 */
#pragma once

#include <algorithm>    // stable_sort
#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint64_t
#include <memory>       // shared_ptr, make_shared, unique_ptr, make_unique
#include <ostream>      // ostream
#include <string>       // string
#include <string_view>  // string_view
#include <utility>      // pair
#include <vector>       // vector

#include "../core/analytical.hpp"    // roofline_us, paleo_us, analytical_time, Analytical, PaleoOptions
#include "../core/devices.hpp"       // Device
#include "../core/inference.hpp"     // embedded::Coverage, coverage
#include "../core/method.hpp"        // Method, LayerTime
#include "../core/network.hpp"       // Network
#include "../core/network_time.hpp"  // walk_network: the one rule of a network's time
#include "../core/optimizer.hpp"     // Optimizer
#include "../core/target.hpp"        // Target
#include "predictor.hpp"             // Predictor

namespace perfcast {

/**
 * @brief A layer's name in an estimate, owned: held inline up to `inline_capacity` characters, so
 * that an estimate of a network of hundreds of layers allocates nothing per layer (a heap
 * allocation and its release cost more than the estimate of a repeated layer), on the heap beyond.
 */
class EstimateName {
public:
    static constexpr std::size_t inline_capacity = 63;

    EstimateName() = default;
    EstimateName(std::string_view s) { assign(s); }                   // NOLINT: implicit by design
    EstimateName(const std::string& s) : EstimateName(std::string_view(s)) {}  // NOLINT: implicit by design
    EstimateName(const char* s) : EstimateName(std::string_view(s)) {}        // NOLINT: implicit by design
    /// in place: the characters are copied once, straight into this name
    EstimateName& operator=(std::string_view s) {
        assign(s);
        return *this;
    }
    EstimateName& operator=(const std::string& s) { return *this = std::string_view(s); }
    EstimateName& operator=(const char* s) { return *this = std::string_view(s); }

    std::string_view view() const noexcept {
        return m_long.empty() ? std::string_view(m_inline.data(), m_size) : std::string_view(m_long);
    }
    operator std::string_view() const noexcept { return view(); }  // NOLINT: implicit by design
    std::string str() const { return std::string(view()); }
    std::size_t size() const noexcept { return view().size(); }
    bool empty() const noexcept { return view().empty(); }

    friend bool operator==(const EstimateName& a, const EstimateName& b) noexcept { return a.view() == b.view(); }
    friend bool operator==(const EstimateName& a, std::string_view b) noexcept { return a.view() == b; }
    friend bool operator==(const EstimateName& a, const std::string& b) noexcept { return a.view() == b; }
    friend bool operator==(const EstimateName& a, const char* b) noexcept { return a.view() == b; }
    friend std::ostream& operator<<(std::ostream& os, const EstimateName& n) { return os << n.view(); }
    friend std::string operator+(std::string a, const EstimateName& b) { return a.append(b.view()); }
    friend std::string operator+(const EstimateName& a, std::string_view b) { return a.str().append(b); }

private:
    void assign(std::string_view s) {
        if (s.size() > inline_capacity) {
            m_long.assign(s);
            m_size = 0;
            return;
        }
        m_long.clear();
        s.copy(m_inline.data(), s.size());
        m_size = static_cast<unsigned char>(s.size());
    }

    std::array<char, inline_capacity> m_inline{};
    unsigned char m_size = 0;  ///< the inline name's length
    std::string m_long;        ///< a name longer than inline_capacity (empty otherwise)
};

/** @brief One layer's share of a network estimate. */
struct LayerEstimate {
    EstimateName name;
    LayerKind kind = LayerKind::dense;
    Shape output{};
    std::int64_t params = 0;
    Cost cost{};                      ///< FLOPs and bytes of the pass
    /// the estimate of the method used, the call overhead included: the layer's time in the network, its
    /// kernels in a stream (in_stream_us; on a GPU under a learned model, less than alone_us)
    double us = 0;
    double alone_us = 0;              ///< the layer's kernels each timed alone, as the operator data time them
    Method method = Method::roofline;  ///< which method estimated this layer
    double overhead_us = 0;           ///< the part of `us` that is the framework's cost of the call (CallOverhead)
    double roofline_us = 0;           ///< the roofline, for comparison
    double paleo_us = 0;              ///< PALEO, for comparison
    Backward backward = Backward::full;  ///< training: the part of its backward the layer runs (BackwardScope)
    /// a learned layer (method mlp): whether its device and its shape lie inside the model's training data;
    /// null otherwise. Shared by the equal layers of a network (one Coverage per distinct layer), immutable.
    std::shared_ptr<const embedded::Coverage> coverage;
};

/** @brief A network's estimate on one target. */
struct NetworkEstimate {
    std::string network;
    std::string device;
    Method method = Method::roofline;  ///< the estimator: the learned model (mlp), roofline or PALEO
    Pass pass = Pass::inference;
    DType dtype = DType::fp32;
    std::int64_t batch = 1;
    std::vector<LayerEstimate> layers;
    double total_us = 0;
    double alone_total_us = 0;     ///< the sum of the layers' alone_us: the network's kernels each timed alone
    double overhead_total_us = 0;  ///< the layers' call overheads, included in total_us
    double roofline_total_us = 0;
    double paleo_total_us = 0;
    Cost total_cost{};

    /** @brief Samples (images) per second at this batch size. */
    double throughput() const noexcept { return total_us > 0 ? static_cast<double>(batch) / (total_us * 1e-6) : 0.0; }
};

/** @brief What a whole-network estimate includes besides the layers. */
struct EstimateOptions {
    PaleoOptions paleo{};
    /// training: the optimizer update after the backward pass, one more entry in the breakdown
    /// ("optimizer.<name>"), each of its kernels estimated as an add of the parameter tensor's size
    Optimizer optimizer = Optimizer::sgd_momentum;
};

namespace detail {

/**
 * @brief estimate_with, and where each distinct layer was: @p on_distinct(query, estimate) is called
 * for the first layer of each distinct (layer, pass, backward), `query` counting time_of's calls from 0
 * (the one that answered it), and every later equal layer copies that one's breakdown (its time,
 * roofline, PALEO, cost and whatever on_distinct set, such as its coverage). time_of is called once per
 * distinct (layer, target), grouped by layer kind (a learned model's queries one model after another,
 * its weights still in the caches), before the breakdown is built.
 */
template <class TimeOf, class OnDistinct>
NetworkEstimate estimate_walk(const Network& net, const Target& t, Method method, const TimeOf& time_of,
                              const EstimateOptions& options, OnDistinct&& on_distinct) {
    NetworkEstimate e;
    e.network = net.name;
    e.device = std::string(t.device().name);
    e.method = method;
    e.pass = t.pass();
    e.dtype = t.dtype();
    e.batch = net.batch;
    e.layers.reserve(net.layers.size() + 1);  // the layers and the optimizer's update
    // The distinct queries: a learned model spends microseconds per query, and a network repeats its
    // layers. Each is filed under a key made of the layer's kind, pass, parameter count and output shape,
    // so that most of the layers compared are compared by the key.
    struct Asked {
        Layer layer;
        Pass pass;
        LayerTime time;
        std::size_t query = 0;               // time_of's call that answered it
        std::size_t first = 0;               // the first network layer with it, once it has one
        Backward backward = Backward::full;  // that layer's backward
        bool has_first = false;
    };
    std::vector<Asked> asked;
    std::vector<std::uint64_t> keys;  // asked[i]'s key
    // the entries by key, open addressing, at most half full: an entry's index + 1 (0: empty), at the
    // key's Fibonacci hash (its top `bits` bits after a multiply) or the first empty slot after it
    int bits = 8;
    std::vector<std::uint32_t> table(std::size_t{1} << bits);
    const auto home = [&bits](std::uint64_t key) {
        return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> (64 - bits));
    };
    // walk_network's questions in the order it asks them, each as its entry in `asked`: a first walk
    // files them (answering nothing), the second reads the answers back in the same order
    std::vector<std::uint32_t> order;
    order.reserve(net.layers.size());
    const auto file = [&](const Layer& l, const Target& at) -> LayerTime {
        std::uint64_t h = 0x9e3779b97f4a7c15ULL * (l.index() + 1) ^ static_cast<std::uint64_t>(at.pass());
        const auto mix = [&h](std::int64_t v) {
            h ^= static_cast<std::uint64_t>(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        };
        mix(param_count(l));
        const Shape out = output_shape(l);
        for (int i = 0; i < out.rank; ++i) mix(out[i]);
        const std::size_t mask = table.size() - 1;
        std::size_t at_slot = home(h);
        for (; table[at_slot] != 0; at_slot = (at_slot + 1) & mask) {
            const std::size_t i = table[at_slot] - 1;
            if (keys[i] == h && asked[i].pass == at.pass() && asked[i].layer == l) {
                order.push_back(static_cast<std::uint32_t>(i));
                return {};
            }
        }
        asked.push_back({l, at.pass(), {}});
        keys.push_back(h);
        order.push_back(static_cast<std::uint32_t>(asked.size() - 1));
        table[at_slot] = static_cast<std::uint32_t>(asked.size());
        if (2 * asked.size() > table.size()) {  // grow: twice the slots, every entry placed again
            ++bits;
            table.assign(std::size_t{1} << bits, 0);
            for (std::size_t i = 0; i < keys.size(); ++i) {
                std::size_t j = home(keys[i]);
                while (table[j] != 0) j = (j + 1) & (table.size() - 1);
                table[j] = static_cast<std::uint32_t>(i + 1);
            }
        }
        return {};
    };
    walk_network(net.layers, t, options.optimizer, options.paleo, file,
                 [](std::size_t, Backward, const LayerTime&, const LayerTime&, double) {},
                 [](const Layer&, int, const LayerTime&, double) {});
    {  // the answers, grouped by kind (stable: in the network's order within a kind)
        std::vector<std::uint32_t> by_kind(asked.size());
        for (std::size_t i = 0; i < by_kind.size(); ++i) by_kind[i] = static_cast<std::uint32_t>(i);
        std::stable_sort(by_kind.begin(), by_kind.end(), [&asked](std::uint32_t a, std::uint32_t b) {
            return asked[a].layer.index() < asked[b].layer.index();
        });
        std::size_t query = 0;
        for (const std::uint32_t i : by_kind) {
            Asked& a = asked[i];
            a.time = time_of(a.layer, a.pass == t.pass() ? t : t.with(a.pass));
            a.query = query++;
        }
    }
    std::size_t next = 0;  // the second walk's next question
    std::size_t slot = 0;  // the entry ask answered last
    const auto ask = [&](const Layer&, const Target&) -> LayerTime {
        slot = order[next++];
        return asked[slot].time;
    };
    LayerEstimate update;
    update.name = "optimizer." + std::string(to_string(options.optimizer));
    update.kind = LayerKind::add;
    bool updates = false;
    walk_network(
        net.layers, t, options.optimizer, options.paleo, ask,
        [&](std::size_t i, Backward b, const LayerTime&, const LayerTime& step, double in_network) {
            const NamedLayer& nl = net.layers[i];
            Asked& a = asked[slot];
            LayerEstimate& le = e.layers.emplace_back();  // in place: reserved, no reallocation
            if (a.has_first && a.backward == b) {  // an equal layer came before: its breakdown
                const LayerEstimate& f = e.layers[a.first];
                le.kind = f.kind;
                le.output = f.output;
                le.params = f.params;
                le.cost = f.cost;
                le.roofline_us = f.roofline_us;
                le.paleo_us = f.paleo_us;
                le.coverage = f.coverage;
            } else {
                le.kind = kind(nl.layer);
                le.output = output_shape(nl.layer);
                le.params = param_count(nl.layer);
                le.cost = pass_cost(nl.layer, t.pass(), t.dtype(), b);
                le.roofline_us = roofline_us(nl.layer, t, b);
                le.paleo_us = paleo_us(nl.layer, t, options.paleo, b);
            }
            le.name = nl.name;
            le.backward = b;
            le.us = in_network;
            le.alone_us = step.us;
            le.method = step.method;
            le.overhead_us = step.overhead_us;
            e.total_us += le.us;
            e.alone_total_us += le.alone_us;
            e.overhead_total_us += le.overhead_us;
            e.roofline_total_us += le.roofline_us;
            e.paleo_total_us += le.paleo_us;
            detail::naming_layer(le.name, [&] { e.total_cost += le.cost; });
            if (!(a.has_first && a.backward == b)) {
                on_distinct(a.query, le);
                if (!a.has_first) {
                    a.first = i;
                    a.backward = b;
                    a.has_first = true;
                }
            }
        },
        [&](const Layer& kernel, int kernels, const LayerTime& asked_time, double us) {
            const Target at = t.with(Pass::inference);
            update.us += us;
            update.alone_us += kernels * (asked_time.us - asked_time.overhead_us);
            update.roofline_us += kernels * roofline_us(kernel, at);
            update.paleo_us += kernels * paleo_us(kernel, at, options.paleo);
            const Cost c = pass_cost(kernel, Pass::inference, t.dtype());
            detail::naming_layer(update.name, [&] {  // checked: work_in_range
                for (int k = 0; k < kernels; ++k) update.cost += c;
                const std::int64_t n = output_shape(kernel)[1];
                update.output = Shape::matrix(1, update.output.rank ? total_add(update.output[1], n, "params") : n);
            });
            update.method = asked_time.method;
            updates = true;
        });
    if (updates && (update.us > 0 || update.roofline_us > 0)) {
        e.total_us += update.us;
        e.alone_total_us += update.alone_us;
        e.roofline_total_us += update.roofline_us;
        e.paleo_total_us += update.paleo_us;
        detail::naming_layer(update.name, [&] { e.total_cost += update.cost; });
        e.layers.push_back(std::move(update));
    }
    return e;
}

}  // namespace detail

/**
 * @brief estimate() with any layer time function: `time_of(layer, target)` gives a layer's time for
 * the whole pass (LayerTime); walk_network adds the partial backward and the optimizer's update.
 * time_of is asked once per distinct layer and target (so it must be a function of them alone), the
 * distinct layers grouped by kind rather than in the network's order: identical layers (a network's
 * repeated blocks, the optimizer's updates of same-sized tensors) share its answer and their
 * breakdown. It is not kept beyond the call. @p method names the estimator
 * (NetworkEstimate::method).
 */
template <class TimeOf>
NetworkEstimate estimate_with(const Network& net, const Target& t, Method method, const TimeOf& time_of,
                              const EstimateOptions& options = {}) {
    return detail::estimate_walk(net, t, method, time_of, options, [](std::size_t, LayerEstimate&) {});
}

/**
 * @brief Estimates every layer of a network with a learned model and sums them (the seed's
 * T_b = sum T(l), each layer's kernels in a stream: in_stream_us; alone_total_us sums them each timed
 * alone), with the roofline and PALEO totals beside it; a training step adds the optimizer's update
 * (EstimateOptions::optimizer). Each layer names its method (Predictor::layer_time).
 */
inline NetworkEstimate estimate(const Network& net, const Target& t, const Predictor& model,
                                const EstimateOptions& options = {}) {
    // where each learned layer lies, from the features of its prediction, shared by the equal layers: each
    // query's Coverage is written once, straight into chunks of 16 owned by one block that every
    // LayerEstimate shares (a shared_ptr aliasing into it): an allocation per 16 learned layers, not one per
    // layer; a query the learned model did not answer gives its slot back to the next one
    constexpr std::size_t chunk = 16;
    struct Chunks {
        std::vector<std::unique_ptr<embedded::Coverage[]>> chunks;
        std::size_t used = chunk;  // in the last chunk
    };
    const auto block = std::make_shared<Chunks>();
    std::vector<const embedded::Coverage*> where;  // per query of time_of: its coverage, null if none
    where.reserve(net.layers.size());
    return detail::estimate_walk(
        net, t, Method::mlp,
        [&model, &where, &block](const Layer& l, const Target& at) {
            if (block->used == chunk) {
                block->chunks.push_back(std::make_unique<embedded::Coverage[]>(chunk));
                block->used = 0;
            }
            embedded::Coverage* c = &block->chunks.back()[block->used];
            const LayerTime lt = model.layer_time(l, at, c);
            const bool learned = lt.method == Method::mlp;
            where.push_back(learned ? c : nullptr);
            if (learned) ++block->used;
            return lt;
        },
        options, [&where, &block](std::size_t query, LayerEstimate& le) {
            if (where[query]) le.coverage = std::shared_ptr<const embedded::Coverage>(block, where[query]);
        });
}

/** @brief An analytical estimate (roofline or PALEO, with EstimateOptions::paleo). */
inline NetworkEstimate estimate(const Network& net, const Target& t, Analytical method,
                                const EstimateOptions& options = {}) {
    return estimate_with(
        net, t, method_of(method),
        [method, &options](const Layer& l, const Target& at) { return analytical_time(method, l, at, options.paleo); },
        options);
}

}  // namespace perfcast
