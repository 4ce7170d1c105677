/**
 * @file network.hpp
 * @brief Networks: the run-time perfcast::Network (a named list of layers), the
 *        compile-time perfcast::Net<Layers...> (a type list), and NetBuilder, which
 *        tracks the running shape so a network is written once, as PyTorch writes it.
 */
#pragma once

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // is_constant_evaluated
#include <utility>      // index_sequence, move
#include <vector>       // vector

#include "error.hpp"   // error
#include "layers.hpp"  // Layer, NamedLayer, the parameter structs
#include "types.hpp"   // Shape, Pass, DType

namespace perfcast {

/**
 * @brief Which part of its backward each layer of a network runs in a training step, asked in
 * execution order. Autograd computes no gradient for the network's input: the layers before the
 * first one with parameters run no backward at all, and that first one computes its parameters'
 * gradients but not its input's (PyTorch runs no backward-data kernel for a first convolution).
 */
class BackwardScope {
public:
    /** @brief The next layer's backward. */
    constexpr Backward next(const Layer& l) noexcept {
        if (m_seen_params) return Backward::full;
        if (param_count(l) == 0) return Backward::none;
        m_seen_params = true;
        return Backward::weights_only;
    }

private:
    bool m_seen_params = false;
};

namespace detail {
/** @brief Runs @p add (a network total's step); a refusal it throws names the layer @p name. */
template <class F>
void naming_layer(std::string_view name, F&& add) {
    try {
        add();
    } catch (const error& e) {
        throw error(std::string(name) + "." + e.field(), e.message());
    }
}
}  // namespace detail

/** @brief Totals over a network's layers. */
struct NetworkTotals {
    std::int64_t params = 0;
    Cost inference{};  ///< forward phase of every layer
    Cost training{};   ///< the phases a training step runs (BackwardScope)
};

/** @brief A network at run time: a name, a batch size and its layers in execution order. */
struct Network {
    std::string name;
    std::int64_t batch = 1;
    std::vector<NamedLayer> layers;

    /**
     * @brief The same network at another batch size: a layer running at a multiple of the network's
     * batch (attention's batch*heads products, batch*seq rows) keeps the multiple; a layer at a batch
     * of its own that is no multiple (a position embedding shared by the batch) keeps its batch.
     */
    Network with_batch(std::int64_t new_batch) const {
        if (new_batch < 1) throw error("batch", "batch must be >= 1 (got " + std::to_string(new_batch) + ")");
        Network out{name, new_batch, {}};
        out.layers.reserve(layers.size());
        for (const auto& l : layers) {
            const std::int64_t b = batch_of(l.layer);
            const std::int64_t nb = batch > 0 && b % batch == 0 ? detail::size_product(b / batch, new_batch) : b;
            out.layers.push_back({l.name, perfcast::with_batch(l.layer, nb)});
            // the new batch may break size_in_range or work_in_range
            perfcast::validate(out.layers.back().layer, l.name);
        }
        return out;
    }

    /** @brief Throws perfcast::error naming the layer and field of the first broken rule. */
    void validate() const {
        for (const auto& l : layers) perfcast::validate(l.layer, l.name);
    }

    /** @brief The totals, each refused past max_count (work_in_range) naming the layer that passes it. */
    NetworkTotals totals(DType t = DType::fp32) const {
        NetworkTotals s;
        BackwardScope scope;
        for (const auto& l : layers) {
            detail::naming_layer(l.name, [&] {
                s.params = detail::total_add(s.params, param_count(l.layer), "params");
                s.inference += pass_cost(l.layer, Pass::inference, t);
                s.training += pass_cost(l.layer, Pass::training, t, scope.next(l.layer));
            });
        }
        return s;
    }
};

// ---------------------------------------------------------------------------------------
// NetBuilder: usable at run time and in constant expressions
// ---------------------------------------------------------------------------------------

/**
 * @brief A layer's name without heap allocation, so networks can be built in constant
 * expressions ("layer1" + "." + 0 + ".conv1"). At most 95 characters.
 */
class LayerName {
public:
    static constexpr std::size_t capacity = 95;
    constexpr LayerName() = default;
    constexpr LayerName(const char* s) : LayerName(std::string_view(s)) {}  // NOLINT: implicit by design
    constexpr LayerName(std::string_view s) { append(s); }                  // NOLINT: implicit by design

    constexpr std::string_view view() const noexcept { return {m_buf.data(), m_len}; }
    constexpr std::string str() const { return std::string(view()); }

    constexpr LayerName& append(std::string_view s) {
        if (m_len + s.size() > capacity) throw error("name", "layer name longer than 95 characters");
        for (char c : s) m_buf[m_len++] = c;
        return *this;
    }
    constexpr LayerName& append(std::int64_t v) {
        char digits[20]{};
        std::size_t n = 0;
        std::uint64_t u = v < 0 ? static_cast<std::uint64_t>(-(v + 1)) + 1 : static_cast<std::uint64_t>(v);
        do {
            digits[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
            u /= 10;
        } while (u > 0);
        if (v < 0) append("-");
        while (n > 0) append(std::string_view(&digits[--n], 1));
        return *this;
    }
    /** @brief "layer1" / 0 / "conv1" reads "layer1.0.conv1". */
    friend constexpr LayerName operator/(LayerName a, std::string_view b) { return a.append(".").append(b); }
    friend constexpr LayerName operator/(LayerName a, std::int64_t i) { return a.append(".").append(i); }
    friend constexpr LayerName operator/(LayerName a, int i) { return a.append(".").append(std::int64_t{i}); }

private:
    std::array<char, capacity + 1> m_buf{};
    std::size_t m_len = 0;
};

namespace detail {
constexpr std::string itos(std::int64_t v) {
    if (v == 0) return "0";
    std::string s;
    const bool neg = v < 0;
    std::uint64_t u = neg ? static_cast<std::uint64_t>(-(v + 1)) + 1 : static_cast<std::uint64_t>(v);
    while (u > 0) {
        s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
        u /= 10;
    }
    return neg ? "-" + s : s;
}
}  // namespace detail

/**
 * @brief Appends layers while tracking the current output shape, the way a PyTorch
 * forward() reads. Branches: save shape(), build the branch, restore with set_shape();
 * join with add() or concat().
 */
class NetBuilder {
public:
    constexpr NetBuilder(std::string_view name, std::int64_t batch, Shape input)
        : m_name(name), m_batch(batch), m_shape(input) {}

    constexpr const Shape& shape() const noexcept { return m_shape; }
    constexpr void set_shape(const Shape& s) noexcept { m_shape = s; }
    constexpr std::int64_t batch() const noexcept { return m_batch; }

    constexpr NetBuilder& conv(LayerName name, std::int64_t out_channels, Hw kernel, Hw stride = 1, Hw padding = 0,
                               bool bias = true, std::int64_t groups = 1, Hw dilation = 1) {
        require_rank(4, name);
        return push(name, Conv2DParams{m_shape[0], m_shape[1], m_shape[2], m_shape[3], out_channels, kernel,
                                                  stride, padding, dilation, groups, bias});
    }
    constexpr NetBuilder& batchnorm(LayerName name) {
        require_rank(4, name);
        return push(name, BatchNorm2DParams{m_shape[0], m_shape[1], m_shape[2], m_shape[3], true});
    }
    constexpr NetBuilder& act(LayerName name, ActivationKind kind = ActivationKind::relu) {
        return push(name, ActivationParams{m_shape, kind});
    }
    constexpr NetBuilder& pool(LayerName name, PoolMode mode, Hw kernel, Hw stride = 0, Hw padding = 0,
                               bool ceil_mode = false, bool count_include_pad = true) {
        require_rank(4, name);
        return push(name, Pool2DParams{m_shape[0], m_shape[1], m_shape[2], m_shape[3], mode, kernel, stride,
                                                  padding, ceil_mode, false, count_include_pad});
    }
    constexpr NetBuilder& global_pool(LayerName name, PoolMode mode = PoolMode::avg) {
        require_rank(4, name);
        return push(name,
                    Pool2DParams{m_shape[0], m_shape[1], m_shape[2], m_shape[3], mode, Hw{1}, Hw{1}, Hw{0}, false, true});
    }
    /** @brief PyTorch's AdaptiveAvgPool2d, for outputs that divide the input (a plain average pool). */
    constexpr NetBuilder& adaptive_avg_pool(LayerName name, std::int64_t out_h, std::int64_t out_w) {
        require_rank(4, name);
        if (out_h < 1 || out_w < 1 || m_shape[2] % out_h != 0 || m_shape[3] % out_w != 0)
            throw error(std::string(name.view()), "adaptive_avg_pool: output " + detail::itos(out_h) + "x" + detail::itos(out_w) +
                                  " must divide the input " + detail::itos(m_shape[2]) + "x" + detail::itos(m_shape[3]));
        if (out_h == 1 && out_w == 1) return global_pool(name, PoolMode::avg);
        const Hw k{m_shape[2] / out_h, m_shape[3] / out_w};
        return pool(name, PoolMode::avg, k, k);
    }
    constexpr NetBuilder& flatten(LayerName name) { return push(name, FlattenParams{m_shape}); }
    constexpr NetBuilder& dense(LayerName name, std::int64_t out_features, bool bias = true) {
        require_rank(2, name);
        return push(name, DenseParams{m_shape[0], m_shape[1], out_features, bias, 1});
    }
    constexpr NetBuilder& dropout(LayerName name, double p = 0.5) {
        return push(name, DropoutParams{m_shape, p});
    }
    /**
     * @brief Softmax over the last dimension of the running shape (any rank): the rows are every
     * leading dimension flattened, (batch, heads, seq, seq) attention scores included. The shape is unchanged.
     */
    constexpr NetBuilder& softmax(LayerName name) {
        const Shape s = m_shape;
        const std::int64_t rows = leading(s);
        return push(name, SoftmaxParams{rows, s[s.rank - 1]}, s);
    }
    /** @brief Layer norm over the last dimension of the running shape (any rank); the shape is unchanged. */
    constexpr NetBuilder& layernorm(LayerName name, bool affine = true) {
        const Shape s = m_shape;
        const std::int64_t rows = leading(s);
        return push(name, LayerNormParams{rows, s[s.rank - 1], affine}, s);
    }
    /**
     * @brief torch.matmul/bmm of the running shape (..., m, k), rank 3 or 4, by a (..., k, n) operand of
     * the same leading dimensions: the leading dimensions (batch, or batch and heads) are the product's
     * batch, and the shape becomes (..., m, n). `transpose_a`/`transpose_b` say an operand is a
     * transposed view (q @ k.transpose(-1, -2): the running shape is q's, `transpose_b` true).
     */
    constexpr NetBuilder& bmm(LayerName name, std::int64_t n, bool transpose_a = false, bool transpose_b = false) {
        if (m_shape.rank != 3 && m_shape.rank != 4)
            throw error(name.str(), "bmm expects a rank-3 (batch, m, k) or rank-4 (batch, heads, m, k) input, the "
                                    "running shape has rank " + detail::itos(m_shape.rank));
        Shape out = m_shape;
        out.dims[static_cast<std::size_t>(out.rank - 1)] = n;
        const std::int64_t m = m_shape[m_shape.rank - 2], k = m_shape[m_shape.rank - 1];
        std::int64_t batch = m_shape[0];
        if (m_shape.rank == 4) batch = detail::size_product(batch, m_shape[1]);
        return push(name, BatchMatMulParams{batch, m, k, n, transpose_a, transpose_b}, out);
    }
    /** @brief A binary element-wise operation of the running shape with a tensor of that shape or a scalar. */
    constexpr NetBuilder& elementwise(LayerName name, ElementwiseOp op, bool scalar) {
        return push(name, ElementwiseParams{m_shape, op, scalar});
    }
    /**
     * @brief A binary element-wise operation of the running shape with a tensor `other` that broadcasts
     * to it (a (1, 1, S, S) causal mask in where, a (B, 1, 1, S) attention mask added to the scores).
     * `parameter`: `other` is a learned tensor (T5's norm weight), counted as the layer's parameters.
     */
    constexpr NetBuilder& elementwise(LayerName name, ElementwiseOp op, const Shape& other, bool parameter = false) {
        return push(name, ElementwiseParams{m_shape, op, false, other, parameter});
    }
    /**
     * @brief A token embedding: the running shape is the (batch, seq) token ids and becomes
     * (batch, seq, features). A position embedding shared by the batch starts from set_shape({1, seq}).
     * `tied`: the table is another layer's (counted there), as linear()'s.
     */
    constexpr NetBuilder& embedding(LayerName name, std::int64_t vocab, std::int64_t features, bool tied = false) {
        require_rank(2, name);
        return push(name, EmbeddingParams{m_shape[0], m_shape[1], vocab, features, tied});
    }
    /**
     * @brief nn.Linear on a (batch, seq, features) running shape: a DenseParams of batch*seq rows; the
     * shape becomes (batch, seq, out_features). `tied`: the weight matrix is another layer's (an LM head
     * sharing the token embedding's), so only the bias counts as this layer's parameters.
     */
    constexpr NetBuilder& linear(LayerName name, std::int64_t out_features, bool bias = true, bool tied = false) {
        require_rank(3, name);
        return push(name, DenseParams{m_shape[0], m_shape[2], out_features, bias, m_shape[1], tied},
                    Shape{3, {m_shape[0], m_shape[1], out_features, 0}});
    }
    /**
     * @brief A view, reshape of a contiguous tensor, permute or transpose: no kernel, so no layer; the
     * running shape becomes `to`, which must hold as many elements.
     */
    constexpr NetBuilder& view(const Shape& to) {
        if (to.rank < 1 || to.rank > 4) throw error("view", "a view has rank 1 to 4 (got " + detail::itos(to.rank) + ")");
        if (const Violation v = detail::in_range(to, "view")) {
            if (std::is_constant_evaluated()) detail::refuse_in_constant_evaluation(v);
            throw error("view", v.describe());
        }
        const detail::Count from = m_shape.elements<detail::Count>(), into = to.elements<detail::Count>();
        if (from.over || into.over) {
            const Violation v{Rule::work_in_range, "view", from.over ? from.value : into.value, max_count};
            if (std::is_constant_evaluated()) detail::refuse_in_constant_evaluation(v);
            throw error("view", v.describe());
        }
        if (into.value != from.value)
            throw error("view", "a view keeps the element count (rank 1 to 4): " + detail::itos(from.value) +
                                    " elements cannot be viewed as " + detail::itos(into.value));
        m_shape = to;
        return *this;
    }
    /**
     * @brief The copy `.contiguous()` makes of a permuted view (or a reshape of one): call view() with
     * the permuted shape first; the shape is unchanged.
     */
    constexpr NetBuilder& copy(LayerName name) { return push(name, CopyParams{m_shape}, m_shape); }
    /** @brief Sums `inputs` tensors of the current shape (the shape is unchanged). */
    constexpr NetBuilder& add(LayerName name, std::int64_t inputs = 2) {
        return push(name, AddParams{m_shape, inputs});
    }
    /** @brief Concatenates branches along channels; `channels` lists each branch's channel count. */
    constexpr NetBuilder& concat(LayerName name, std::initializer_list<std::int64_t> channels) {
        require_rank(4, name);
        std::int64_t total = 0;
        for (std::int64_t c : channels)  // past 64 bits: refused by size_in_range
            if (__builtin_add_overflow(total, c, &total)) total = detail::saturated;
        return push(name, ConcatParams{m_shape[0], total, m_shape[2], m_shape[3],
                                                  static_cast<std::int64_t>(channels.size())});
    }

    constexpr std::size_t size() const noexcept { return m_layers.size(); }
    constexpr const Layer& layer(std::size_t i) const noexcept { return m_layers[i].layer; }
    constexpr std::string_view name(std::size_t i) const noexcept { return m_layers[i].name.view(); }

    /** @brief The run-time network. */
    Network build() const {
        Network n{std::string(m_name), m_batch, {}};
        n.layers.reserve(m_layers.size());
        for (const auto& l : m_layers) n.layers.push_back(NamedLayer{l.name.str(), l.layer});
        return n;
    }

private:
    struct Entry {
        LayerName name;
        Layer layer;
    };

    constexpr void require_rank(int rank, const LayerName& name) const {
        if (m_shape.rank != rank)
            throw error(name.str(), "expects a rank-" + detail::itos(rank) + " input, the running shape has rank " +
                                  detail::itos(m_shape.rank));
    }
    /** @brief Rows of a tensor normalised over its last dimension: every leading dimension flattened. */
    static constexpr std::int64_t leading(const Shape& s) {
        if (s.rank < 1) throw error("shape", "normalising over the last dimension needs a rank >= 1 running shape");
        std::int64_t rows = 1;
        for (int i = 0; i + 1 < s.rank; ++i) rows = detail::size_product(rows, s[i]);  // refused by size_in_range
        return rows;
    }
    /** @brief Appends a layer; the running shape becomes its output shape. */
    constexpr NetBuilder& push(LayerName name, Layer layer) {
        push(name, layer, Shape{});
        m_shape = output_shape(m_layers.back().layer);
        return *this;
    }
    /** @brief Appends a layer; the running shape becomes `next` (a layer that flattens the leading dimensions). */
    constexpr NetBuilder& push(LayerName name, Layer layer, const Shape& next) {
        const Violation v = check(layer);
        if (v && std::is_constant_evaluated()) detail::refuse_in_constant_evaluation(v);
        if (v)
            throw error(name.str() + "." + std::string(v.field), std::string(to_string(kind(layer))) + ": " +
                                                              std::string(rule_text(v.rule)) + " (got " +
                                                              detail::itos(v.value) + ", limit " +
                                                              detail::itos(v.limit) + ")");
        m_shape = next;
        m_layers.push_back(Entry{name, layer});
        return *this;
    }

    std::string_view m_name;
    std::int64_t m_batch;
    Shape m_shape;
    std::vector<Entry> m_layers;
};

// ---------------------------------------------------------------------------------------
// Compile-time networks
// ---------------------------------------------------------------------------------------

/**
 * @brief A network as a type list of compile-time layers.
 * @tparam Layers compile-time layer types (Conv2D<...>, Dense<...>, ...)
 */
template <typename... Layers>
struct Net {
    static constexpr std::size_t size = sizeof...(Layers);
    static constexpr std::array<Layer, sizeof...(Layers)> layers{Layer{Layers::params}...};
    static constexpr std::int64_t param_count = [] {
        std::int64_t n = 0;
        ((n = detail::total_add(n, Layers::param_count, "params")), ...);
        return n;
    }();

    /** @brief The network's cost for a pass (a training step's backward as BackwardScope says), checked (Cost::operator+=). */
    static constexpr Cost pass_cost(Pass pass, DType t = DType::fp32) {
        Cost c{};
        BackwardScope scope;
        for (const Layer& l : layers) c += perfcast::pass_cost(l, pass, t, scope.next(l));
        return c;
    }

    /** @brief The run-time twin: the same layers, named by position ("0", "1", ...). */
    static Network to_network(std::string name = "net") {
        Network n{name, size == 0 ? 1 : batch_of(layers[0]), {}};
        for (std::size_t i = 0; i < size; ++i) n.layers.push_back({detail::itos(static_cast<std::int64_t>(i)), layers[i]});
        return n;
    }
};

namespace detail {

template <typename Holder, std::size_t I>
using layer_at = layer_type_t<std::get<Holder::layers[I].index()>(Holder::layers[I])>;

template <typename Holder, std::size_t... I>
auto make_net(std::index_sequence<I...>) -> Net<layer_at<Holder, I>...>;

/** @brief Copies the layers of a constexpr-built network into an array (names are dropped). */
template <std::size_t N, typename BuildFn>
constexpr std::array<Layer, N> layers_array(BuildFn build) {
    std::array<Layer, N> out{};
    const NetBuilder b = build();
    for (std::size_t i = 0; i < N; ++i) out[i] = b.layer(i);
    return out;
}

}  // namespace detail

/**
 * @brief The compile-time Net of a network written with NetBuilder.
 * @tparam Holder a type with `static constexpr NetBuilder build()`
 */
template <typename Holder>
struct built_net {
    struct layers_holder {
        static constexpr std::size_t count = Holder::build().size();
        static constexpr std::array<Layer, count> layers = detail::layers_array<count>([] { return Holder::build(); });
    };
    using type = decltype(detail::make_net<layers_holder>(std::make_index_sequence<layers_holder::count>{}));
};

}  // namespace perfcast
