/**
 * @file zoo_transformers.hpp
 * @brief Transformer language models with exact shapes, as Hugging Face transformers 4.38 builds
 *        them in FP32 eager mode: BERT-large (BertLMHeadModel), GPT-2 large, GPT-3 XL and 2.7B (GPT-2
 *        architecture), OPT-1.3B, Switch (encoder-decoder, mixture of experts); parameterised by batch
 *        and sequence length, at run time and at compile time. zoo.hpp includes this file.
 *
 * Each model is the kernels its forward runs, in order, read from torch.fx traces of a one-layer copy
 * (NeuSight's labels; Switch, which has none, from Hugging Face's module code): views, permutes,
 * transposes and splits run no kernel and are no layers; `.contiguous()` of a permuted view is a Copy,
 * and so is each permuted operand of torch.matmul (its reshape to three dimensions copies) and the input
 * of an out-of-place masked_fill (ATen clones it); GPT-2's gelu_new is its eight element-wise kernels.
 * Layer names follow the Hugging Face modules (`transformer.h.0.attn.c_attn`); a functional operation
 * is named under the module that runs it (`transformer.h.0.attn.scores` for q @ k^T). What the models
 * leave out is said where they are built: integer and boolean mask preparation that has no perfcast
 * layer kind (OPT's causal (S, S) mask, its position ids' cumsum). Dropout layers stay in the network
 * (they cost nothing at inference, as PyTorch's dropout in eval mode runs no kernel).
 */
#pragma once

#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view

#include "error.hpp"    // error
#include "network.hpp"  // NetBuilder, Network, built_net, LayerName

namespace perfcast::zoo {

namespace detail {

constexpr Shape shape3(std::int64_t a, std::int64_t b, std::int64_t c) noexcept { return Shape{3, {a, b, c, 0}}; }
constexpr Shape shape4(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d) noexcept {
    return Shape{4, {a, b, c, d}};
}

/** @brief Refuses a batch below 1 and a sequence outside [1, the model's maximum positions]. */
constexpr void check_batch_seq(std::string_view model, std::int64_t batch, std::int64_t seq, std::int64_t max_seq,
                               std::string_view limit = "the model's maximum positions") {
    if (batch < 1)
        throw error("batch", std::string(model) + ": batch must be >= 1 (got " + perfcast::detail::itos(batch) + ")");
    if (seq < 1 || seq > max_seq)
        throw error("seq", std::string(model) + ": seq must be 1 to " + perfcast::detail::itos(max_seq) +
                               " (" + std::string(limit) + "; got " + perfcast::detail::itos(seq) + ")");
}

/**
 * @brief `x + other` where `other` broadcasts over the batch (a (1, S, F) position embedding, T5's
 * (1, H, S, S) position bias): at batch 1 both have one shape, and the sum is the add layer.
 */
constexpr void add_broadcast(NetBuilder& b, const LayerName& name, const Shape& other) {
    if (other == b.shape()) b.add(name);
    else b.elementwise(name, ElementwiseOp::add, other);
}

/**
 * @brief The attention core on q of shape (B, H, S, D): q @ k^T, a scale, a mask, softmax, dropout,
 * @ v; the running shape ends (B, H, S, D). `mask` is added (BERT, OPT) or used in where (GPT-2).
 */
struct AttentionCore {
    bool divide = true;  ///< GPT-2 and BERT divide the scores by sqrt(D); OPT scales q before
    ElementwiseOp mask_op = ElementwiseOp::add;
    Shape mask{};
    double dropout = 0.1;
    bool clamp = false;  ///< OPT's torch.max(scores, finfo.min)
    /// torch.matmul of the heads as permuted views (BERT, GPT-2): each operand is copied to (B*H, S, D) first
    /// (its reshape to three dimensions is no view); OPT makes its heads contiguous itself and calls bmm
    bool matmul_copies = true;
};

/** @brief The copy torch.matmul makes of a permuted (B, H, S, D) operand of shape @p s, the running shape kept. */
constexpr void matmul_copy(NetBuilder& b, const LayerName& name, const Shape& s) {
    const Shape running = b.shape();
    b.set_shape(s);
    b.copy(name);
    b.set_shape(running);
}

constexpr void attention_core(NetBuilder& b, const LayerName& n, const AttentionCore& a, std::string_view dropout_name) {
    const Shape q = b.shape();
    if (a.matmul_copies) {
        matmul_copy(b, n / "q_copy", q);
        matmul_copy(b, n / "k_copy", q);  // k^T, copied: contiguous, no longer a transposed operand
    }
    b.bmm(n / "scores", q[2], false, !a.matmul_copies);
    if (a.divide) b.elementwise(n / "scale", ElementwiseOp::div, true);
    b.elementwise(n / "mask", a.mask_op, a.mask);
    // torch.max(x, a scalar tensor) has no layer kind of its own: one FLOP per element, one read and one
    // write, as a scalar element-wise add
    if (a.clamp) b.elementwise(n / "clamp", ElementwiseOp::add, true);
    b.softmax(n / "softmax");
    b.dropout(n / dropout_name, a.dropout);
    if (a.matmul_copies) matmul_copy(b, n / "v_copy", q);
    b.bmm(n / "context", q[3]);
}

/** @brief The (B, H, S, D) context back to (B, S, F): permute, `.contiguous()` (a copy), view. */
constexpr void merge_heads(NetBuilder& b, const LayerName& name) {
    const Shape c = b.shape();
    b.view(shape4(c[0], c[2], c[1], c[3]));
    b.copy(name);
    b.view(shape3(c[0], c[2], c[1] * c[3]));
}

/** @brief A GPT-2-architecture model's sizes (GPT2LMHeadModel). */
struct Gpt2Config {
    std::string_view name;
    std::int64_t vocab, positions, features, heads, layers;
};

inline constexpr Gpt2Config gpt2_large_config{"gpt2_large", 50257, 1024, 1280, 20, 36};
inline constexpr Gpt2Config gpt3_xl_config{"gpt3_xl", 50257, 2048, 3072, 24, 24};
inline constexpr Gpt2Config gpt3_27_config{"gpt3_27", 50257, 2048, 2560, 32, 32};

/** @brief GPT-2's gelu_new as its eager kernels: 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3))). */
constexpr void gelu_new(NetBuilder& b, const LayerName& n) {
    b.elementwise(n / "mul", ElementwiseOp::mul, true);    // 0.5 * x
    b.elementwise(n / "pow", ElementwiseOp::pow, true);    // x ** 3.0
    b.elementwise(n / "mul_1", ElementwiseOp::mul, true);  // 0.044715 * x^3
    b.add(n / "add");                                      // x + ...
    b.elementwise(n / "mul_2", ElementwiseOp::mul, true);  // sqrt(2 / pi) * (...)
    b.act(n / "tanh", ActivationKind::tanh);
    b.elementwise(n / "add_1", ElementwiseOp::add, true);  // 1.0 + tanh(...)
    b.elementwise(n / "mul_3", ElementwiseOp::mul, false);  // 0.5 * x * (...)
}

constexpr NetBuilder build_gpt2(const Gpt2Config& c, std::int64_t batch, std::int64_t seq) {
    check_batch_seq(c.name, batch, seq, c.positions);
    const std::int64_t F = c.features, H = c.heads, D = F / H;
    const Shape x = shape3(batch, seq, F);
    NetBuilder b(c.name, batch, Shape::matrix(batch, seq));
    const LayerName t = "transformer";
    b.embedding(t / "wte", c.vocab, F);
    b.set_shape(Shape::matrix(1, seq));  // position ids (1, S): one embedding for the whole batch
    b.embedding(t / "wpe", c.positions, F);
    b.set_shape(x);
    add_broadcast(b, t / "add", shape3(1, seq, F));
    b.dropout(t / "drop", 0.1);
    for (std::int64_t i = 0; i < c.layers; ++i) {
        const LayerName h = t / "h" / i, a = h / "attn", m = h / "mlp";
        b.layernorm(h / "ln_1");
        b.linear(a / "c_attn", 3 * F);              // Conv1D: addmm on (B*S, F)
        b.set_shape(shape4(batch, H, seq, D));      // split into q, k, v and view as heads: no kernel
        attention_core(b, a, {true, ElementwiseOp::where, shape4(1, 1, seq, seq), 0.1, false},
                       "attn_dropout");
        merge_heads(b, a / "merge_heads");
        b.linear(a / "c_proj", F);
        b.dropout(a / "resid_dropout", 0.1);
        b.add(h / "attn_residual");
        b.layernorm(h / "ln_2");
        b.linear(m / "c_fc", 4 * F);
        gelu_new(b, m / "act");
        b.linear(m / "c_proj", F);
        b.dropout(m / "dropout", 0.1);
        b.add(h / "mlp_residual");
    }
    b.layernorm(t / "ln_f");
    b.linear("lm_head", c.vocab, false, true);  // tied to transformer.wte
    return b;
}

}  // namespace detail

/** @brief GPT-2 large (GPT2LMHeadModel, 36 layers, 1280 features, 20 heads, 1024 positions): 774,030,080 parameters. */
constexpr NetBuilder build_gpt2_large(std::int64_t batch, std::int64_t seq = 1024) {
    return detail::build_gpt2(detail::gpt2_large_config, batch, seq);
}
/** @brief GPT-3 XL as NeuSight configures it (GPT-2 architecture, 24 layers, 3072 features, 24 heads, 2048 positions). */
constexpr NetBuilder build_gpt3_xl(std::int64_t batch, std::int64_t seq = 2048) {
    return detail::build_gpt2(detail::gpt3_xl_config, batch, seq);
}
/** @brief GPT-3 2.7B (GPT-2 architecture, 32 layers, 2560 features, 32 heads, 2048 positions). */
constexpr NetBuilder build_gpt3_27(std::int64_t batch, std::int64_t seq = 2048) {
    return detail::build_gpt2(detail::gpt3_27_config, batch, seq);
}

/**
 * @brief BERT-large with its LM head (BertLMHeadModel: no pooler; 24 layers, 1024 features, 16 heads,
 * 512 positions; the decoder's weight tied to the word embeddings): 335,174,458 parameters.
 */
constexpr NetBuilder build_bert_large(std::int64_t batch, std::int64_t seq = 512) {
    constexpr std::int64_t V = 30522, P = 512, F = 1024, H = 16, D = F / H, I = 4096, L = 24;
    detail::check_batch_seq("bert_large", batch, seq, P);
    const Shape x = detail::shape3(batch, seq, F);
    NetBuilder b("bert_large", batch, detail::shape4(batch, 1, 1, seq));
    // the extended attention mask, (1.0 - mask) * finfo.min on (B, 1, 1, S)
    b.elementwise("bert.attention_mask.sub", ElementwiseOp::sub, true);
    b.elementwise("bert.attention_mask.mul", ElementwiseOp::mul, true);
    const LayerName e = "bert.embeddings";
    b.set_shape(Shape::matrix(batch, seq));
    b.embedding(e / "word_embeddings", V, F);
    b.set_shape(Shape::matrix(batch, seq));  // token type ids (zeros), one per token
    b.embedding(e / "token_type_embeddings", 2, F);
    b.add(e / "add");
    b.set_shape(Shape::matrix(1, seq));  // position ids (1, S)
    b.embedding(e / "position_embeddings", P, F);
    b.set_shape(x);
    detail::add_broadcast(b, e / "add_1", detail::shape3(1, seq, F));
    b.layernorm(e / "LayerNorm");
    b.dropout(e / "dropout", 0.1);
    for (std::int64_t i = 0; i < L; ++i) {
        const LayerName l = LayerName("bert.encoder.layer") / i, s = l / "attention" / "self",
                        o = l / "attention" / "output";
        b.linear(s / "query", F);
        b.set_shape(x);
        b.linear(s / "key", F);
        b.set_shape(x);
        b.linear(s / "value", F);
        b.set_shape(detail::shape4(batch, H, seq, D));  // transpose_for_scores: a view
        detail::attention_core(
            b, s, {true, ElementwiseOp::add, detail::shape4(batch, 1, 1, seq), 0.1, false}, "dropout");
        detail::merge_heads(b, s / "merge_heads");
        b.linear(o / "dense", F);
        b.dropout(o / "dropout", 0.1);
        b.add(o / "residual");
        b.layernorm(o / "LayerNorm");
        b.linear(l / "intermediate" / "dense", I);
        b.act(l / "intermediate" / "intermediate_act_fn", ActivationKind::gelu);
        b.linear(l / "output" / "dense", F);
        b.dropout(l / "output" / "dropout", 0.1);
        b.add(l / "output" / "residual");
        b.layernorm(l / "output" / "LayerNorm");
    }
    const LayerName p = "cls.predictions";
    b.linear(p / "transform" / "dense", F);
    b.act(p / "transform" / "transform_act_fn", ActivationKind::gelu);
    b.layernorm(p / "transform" / "LayerNorm");
    b.linear(p / "decoder", V, true, true);  // weight tied to the word embeddings; the bias is cls.predictions.bias
    return b;
}

/**
 * @brief OPT-1.3B (OPTForCausalLM, 24 layers, 2048 features, 32 heads, 8192 FFN, 2048 positions; the
 * LM head tied to the token embedding): 1,315,758,080 parameters.
 *
 * Left out, having no perfcast layer kind: the (S, S) causal mask's construction (full, arange, lt,
 * masked_fill_), the boolean cast of the padding mask and the position ids' integer arithmetic (cumsum
 * over (B, S)); all O(S^2) or smaller, against the O(H S^2) attention per layer.
 */
constexpr NetBuilder build_opt_13(std::int64_t batch, std::int64_t seq = 2048) {
    constexpr std::int64_t V = 50272, P = 2048, F = 2048, H = 32, D = F / H, I = 8192, L = 24;
    detail::check_batch_seq("opt_13", batch, seq, P);
    const Shape x = detail::shape3(batch, seq, F), heads = detail::shape4(batch, H, seq, D);
    NetBuilder b("opt_13", batch, Shape::matrix(batch, seq));
    const LayerName d = "model.decoder";
    b.embedding(d / "embed_tokens", V, F);
    // the padding mask expanded to (B, 1, S, S) and merged with the causal mask
    b.set_shape(detail::shape4(batch, 1, seq, seq));
    b.elementwise(d / "attention_mask" / "sub", ElementwiseOp::sub, true);  // 1.0 - expanded
    // two out-of-place masked_fills (fill with finfo.min): ATen clones the input, then fills the clone in place
    b.copy(d / "attention_mask" / "masked_fill" / "clone");
    b.elementwise(d / "attention_mask" / "masked_fill", ElementwiseOp::where, false);
    b.copy(d / "attention_mask" / "masked_fill_1" / "clone");
    b.elementwise(d / "attention_mask" / "masked_fill_1", ElementwiseOp::where, false);
    b.set_shape(Shape::matrix(batch, seq));  // position ids (B, S), offset by 2: a table of P + 2 rows
    b.embedding(d / "embed_positions", P + 2, F);
    b.add(d / "add");
    for (std::int64_t i = 0; i < L; ++i) {
        const LayerName l = d / "layers" / i, s = l / "self_attn";
        b.layernorm(l / "self_attn_layer_norm");
        b.linear(s / "q_proj", F);
        b.elementwise(s / "scaling", ElementwiseOp::mul, true);  // q * D^-0.5
        b.set_shape(x);
        b.linear(s / "k_proj", F);
        b.view(heads).copy(s / "k_contiguous");
        b.set_shape(x);
        b.linear(s / "v_proj", F);
        b.view(heads).copy(s / "v_contiguous");
        b.set_shape(heads);
        b.copy(s / "q_contiguous");
        detail::attention_core(
            b, s, {false, ElementwiseOp::add, detail::shape4(batch, 1, seq, seq), 0.0, true, false}, "dropout");
        detail::merge_heads(b, s / "merge_heads");  // transpose(1, 2).reshape(B, S, F): a copy
        b.linear(s / "out_proj", F);
        b.dropout(l / "dropout", 0.1);
        b.add(l / "attn_residual");
        b.layernorm(l / "final_layer_norm");
        b.linear(l / "fc1", I);
        b.act(l / "activation_fn", ActivationKind::relu);
        b.linear(l / "fc2", F);
        b.dropout(l / "dropout_1", 0.1);
        b.add(l / "mlp_residual");
    }
    b.layernorm(d / "final_layer_norm");
    b.linear("lm_head", V, false, true);  // tied to model.decoder.embed_tokens; logits are contiguous already
    return b;
}

namespace detail {

/** @brief A Switch Transformers model's sizes (SwitchTransformersForConditionalGeneration). */
struct SwitchConfig {
    std::string_view name;
    std::int64_t vocab, features, heads, head_features, ff, layers, experts, capacity, sparse_step, buckets;
};

/** @brief NeuSight's switchxl4 (model_configs/switchxl4.json). */
inline constexpr SwitchConfig switchxl4_config{"switchxl4", 32128, 1024, 32, 128, 16384, 24, 4, 64, 2, 32};

/** @brief The longest sequence the zoo builds a Switch model for (relative positions have no maximum). */
inline constexpr std::int64_t switch_max_seq = 8192;

/**
 * @brief T5's RMS norm as its eager kernels on (B, S, F): x.pow(2), .mean(-1, keepdim) (a reduction,
 * costed as a global average pool of (B, S, F, 1)), + eps and rsqrt on (B, S, 1) (rsqrt as a pow),
 * x * that, weight * x.
 */
constexpr void t5_layer_norm(NetBuilder& b, const LayerName& n) {
    const Shape x = b.shape();
    b.elementwise(n / "pow", ElementwiseOp::pow, true);
    b.view(shape4(x[0], x[1], x[2], 1));
    b.global_pool(n / "mean", PoolMode::avg);
    b.view(shape3(x[0], x[1], 1));
    b.elementwise(n / "add", ElementwiseOp::add, true);
    b.elementwise(n / "rsqrt", ElementwiseOp::pow, true);
    b.set_shape(x);
    b.elementwise(n / "mul", ElementwiseOp::mul, shape3(x[0], x[1], 1));
    b.elementwise(n / "weight", ElementwiseOp::mul, shape3(1, 1, x[2]), true);  // the norm's F parameters
}

/**
 * @brief T5's relative position bias of the first layer of a stack, (B, H, Sq, Sk) at the end:
 * compute_bias's integer arithmetic on the (Sq, Sk) positions (each kernel of
 * _relative_position_bucket costed as a scalar element-wise operation of that shape: the int64 and
 * bool tensors are costed as FP32 ones), the (buckets x heads) embedding, then `+ mask`, costed as an
 * add of (1, H, Sq, Sk) to a (B, H, Sq, Sk) tensor.
 */
constexpr void relative_position_bias(NetBuilder& b, const LayerName& n, std::int64_t batch, std::int64_t heads,
                                      std::int64_t sq, std::int64_t sk, std::int64_t buckets, bool bidirectional) {
    b.set_shape(shape4(1, 1, sq, sk));
    // memory_position - context_position, then the bucket: bidirectional (the encoder) or causal (the decoder)
    constexpr std::string_view both[] = {"sub", "gt", "to_long", "mul", "add", "abs", "lt", "to_float", "div",
                                         "log", "div_1", "mul_1", "to_long_1", "add_1", "full_like", "min",
                                         "where", "add_2"};
    constexpr std::string_view causal[] = {"sub", "zeros_like", "min", "neg", "lt", "to_float", "div", "log",
                                           "div_1", "mul", "to_long", "add", "full_like", "min_1", "where", "add_1"};
    const LayerName bucket = n / "relative_position_bucket";
    if (bidirectional)
        for (std::string_view op : both) b.elementwise(bucket / op, ElementwiseOp::add, true);
    else
        for (std::string_view op : causal) b.elementwise(bucket / op, ElementwiseOp::add, true);
    // one bucket id per (query, key) pair, shared by the batch: (1, Sq*Sk) ids gather (1, Sq*Sk, H) biases,
    // viewed and permuted to (1, H, Sq, Sk)
    b.set_shape(Shape::matrix(1, perfcast::detail::size_product(sq, sk)));
    b.embedding(n / "relative_attention_bias", buckets, heads);
    b.set_shape(shape4(batch, heads, sq, sk));
    add_broadcast(b, n / "mask", shape4(1, heads, sq, sk));
}

/**
 * @brief T5 attention (self or cross) of `x` (B, Sq, F) over `kv` (B, Sk, F): q, k, v without bias,
 * q @ k^T (no scaling), `scores += position_bias` (the stack's, (B, H, Sq, Sk)), softmax, dropout,
 * @ v, the heads merged (a copy), o. The running shape ends (B, Sq, F).
 */
constexpr void t5_attention(NetBuilder& b, const LayerName& n, const Shape& x, const Shape& kv, std::int64_t heads,
                            std::int64_t head_features) {
    const std::int64_t inner = perfcast::detail::size_product(heads, head_features);
    b.set_shape(x);
    b.linear(n / "q", inner, false);
    b.set_shape(kv);
    b.linear(n / "k", inner, false);
    b.set_shape(kv);
    b.linear(n / "v", inner, false);
    // the heads are views transposed to (B, H, S, D): torch.matmul copies each operand to (B*H, S, D) first
    const Shape q = shape4(x[0], heads, x[1], head_features), k = shape4(kv[0], heads, kv[1], head_features);
    matmul_copy(b, n / "q_copy", q);
    matmul_copy(b, n / "k_copy", k);
    b.set_shape(q);
    b.bmm(n / "scores", kv[1], false, false);
    b.add(n / "position_bias");
    b.softmax(n / "softmax");
    b.dropout(n / "dropout", 0.1);
    matmul_copy(b, n / "v_copy", k);
    b.bmm(n / "context", head_features);
    merge_heads(b, n / "unshape");
    b.linear(n / "o", x[2], false);
}

/** @brief An attention sublayer (SwitchTransformersLayerSelfAttention or ...CrossAttention): the RMS
 * norm, t5_attention, dropout and the residual add. */
constexpr void t5_attention_sublayer(NetBuilder& b, const LayerName& n, std::string_view attention, const Shape& x,
                                     const Shape& kv, std::int64_t heads, std::int64_t head_features) {
    t5_layer_norm(b, n / "layer_norm");
    t5_attention(b, n / attention, x, kv, heads, head_features);
    b.dropout(n / "dropout", 0.1);
    b.add(n / "residual");
}

/** @brief A stack's all-ones padding mask of (B, S) extended to (B, 1, 1, S) as (1.0 - mask) * finfo.min. */
constexpr void t5_padding_mask(NetBuilder& b, const LayerName& n, std::int64_t batch, std::int64_t seq) {
    b.set_shape(Shape::matrix(batch, seq));
    b.elementwise(n / "ones", ElementwiseOp::mul, true);
    b.set_shape(shape4(batch, 1, 1, seq));
    b.elementwise(n / "sub", ElementwiseOp::sub, true);
    b.elementwise(n / "mul", ElementwiseOp::mul, true);
}

/** @brief Tokens of one sequence that expert `e` of `experts` processes: an equal share, at most `capacity`. */
constexpr std::int64_t expert_tokens(std::int64_t seq, std::int64_t experts, std::int64_t capacity, std::int64_t e) {
    const std::int64_t share = seq / experts + (e < seq % experts ? 1 : 0);
    return share < capacity ? share : capacity;
}

/**
 * @brief A feed-forward sublayer (SwitchTransformersLayerFF) on (B, S, F): the RMS norm, then the dense
 * relu MLP or, in a sparse layer, the top-1 router and its experts; dropout and the residual add.
 *
 * The router's kernels on (B, S, E): the classifier (no bias), softmax, argmax, one_hot, cumsum over the
 * sequence, `<= capacity`, the mask's product, max (each a scalar element-wise operation of (B, S, E) but
 * the first two); then SparseMLP: argmax, a clone of the states, and per expert the boolean mask's
 * column, the gather of its tokens, wi, relu, dropout, wo and the scatter back (index_put_), and the
 * states scaled by the router's probability. Routing is taken as balanced: expert e gets an equal share
 * of each sequence, at most `expert_capacity` tokens (the cumsum's cut); the rest pass unchanged.
 */
constexpr void switch_ff(NetBuilder& b, const LayerName& n, const SwitchConfig& c, bool sparse) {
    const Shape x = b.shape();
    t5_layer_norm(b, n / "layer_norm");
    const LayerName m = n / "mlp";
    if (!sparse) {
        b.linear(m / "wi", c.ff, false);
        b.act(m / "act", ActivationKind::relu);
        b.dropout(m / "dropout", 0.1);
        b.linear(m / "wo", c.features, false);
    } else {
        const LayerName r = m / "router";
        b.linear(r / "classifier", c.experts, false);
        b.softmax(r / "softmax");
        for (std::string_view op : {"argmax", "one_hot", "cumsum", "le", "mul", "max"})
            b.elementwise(r / op, ElementwiseOp::add, true);
        b.elementwise(m / "argmax", ElementwiseOp::add, true);
        b.set_shape(x);
        b.copy(m / "clone");
        for (std::int64_t e = 0; e < c.experts; ++e) {
            LayerName ex = m / "experts" / "expert_";
            ex.append(e);
            b.set_shape(Shape::matrix(x[0], x[1]));
            b.elementwise(ex / "mask", ElementwiseOp::add, true);  // router_mask[:, :, e].bool()
            const std::int64_t t = expert_tokens(x[1], c.experts, c.capacity, e);
            if (t == 0) continue;
            b.set_shape(shape3(x[0], t, x[2]));
            b.copy(ex / "gather");
            b.linear(ex / "wi", c.ff, false);
            b.act(ex / "act", ActivationKind::relu);
            b.dropout(ex / "dropout", 0.1);
            b.linear(ex / "wo", c.features, false);
            b.copy(ex / "scatter");
        }
        b.set_shape(x);
        b.elementwise(m / "scale", ElementwiseOp::mul, shape3(x[0], x[1], 1));  // router_probs * next_states
    }
    b.dropout(n / "dropout", 0.1);
    b.add(n / "residual");
}

/** @brief Whether layer `i` of a stack is sparse (Hugging Face: i % sparse_step == 1). */
constexpr bool switch_sparse(const SwitchConfig& c, std::int64_t i) {
    return c.sparse_step == 1 || (c.sparse_step > 1 && i % c.sparse_step == 1);
}

constexpr NetBuilder build_switch(const SwitchConfig& c, std::int64_t batch, std::int64_t seq) {
    check_batch_seq(c.name, batch, seq, switch_max_seq, "the zoo's limit: relative positions have no maximum");
    const std::int64_t F = c.features, H = c.heads;
    const Shape x = shape3(batch, seq, F);
    NetBuilder b(c.name, batch, Shape::matrix(batch, seq));

    const LayerName enc = "encoder";
    t5_padding_mask(b, enc / "attention_mask", batch, seq);
    b.set_shape(Shape::matrix(batch, seq));
    b.embedding(enc / "embed_tokens", c.vocab, F);  // the model's shared table
    b.dropout(enc / "dropout", 0.1);
    for (std::int64_t i = 0; i < c.layers; ++i) {
        const LayerName l = enc / "block" / i, a = l / "layer" / 0;
        if (i == 0) {
            relative_position_bias(b, a / "SelfAttention", batch, H, seq, seq, c.buckets, true);
            b.set_shape(x);
        }
        t5_attention_sublayer(b, a, "SelfAttention", x, x, H, c.head_features);
        switch_ff(b, l / "layer" / 1, c, switch_sparse(c, i));
    }
    t5_layer_norm(b, enc / "final_layer_norm");
    b.dropout(enc / "dropout_1", 0.1);

    // the decoder, on decoder input ids of the encoder's length: its causal mask (ones, the causal
    // comparison repeated over the batch, cast, times the padding mask, then (1.0 - m) * finfo.min on
    // (B, 1, S, S)) and the encoder's mask for the cross-attention ((B, 1, 1, S), as the encoder's)
    const LayerName dec = "decoder";
    b.set_shape(Shape::matrix(batch, seq));
    b.elementwise(dec / "attention_mask" / "ones", ElementwiseOp::mul, true);
    b.set_shape(shape3(batch, seq, seq));
    b.copy(dec / "causal_mask" / "repeat");
    b.elementwise(dec / "causal_mask" / "le", ElementwiseOp::add, true);
    b.elementwise(dec / "causal_mask" / "to", ElementwiseOp::add, true);
    b.set_shape(shape4(batch, 1, seq, seq));
    b.elementwise(dec / "causal_mask" / "mul", ElementwiseOp::mul, shape4(batch, 1, 1, seq));
    b.elementwise(dec / "causal_mask" / "sub", ElementwiseOp::sub, true);
    b.elementwise(dec / "causal_mask" / "mul_1", ElementwiseOp::mul, true);
    t5_padding_mask(b, dec / "encoder_attention_mask", batch, seq);
    b.set_shape(Shape::matrix(batch, seq));
    b.embedding(dec / "embed_tokens", c.vocab, F, true);  // the shared table, counted by the encoder's
    b.dropout(dec / "dropout", 0.1);
    for (std::int64_t i = 0; i < c.layers; ++i) {
        const LayerName l = dec / "block" / i, a = l / "layer" / 0, ca = l / "layer" / 1;
        if (i == 0) {
            relative_position_bias(b, a / "SelfAttention", batch, H, seq, seq, c.buckets, false);
            // the cross-attention's bias: torch.zeros((1, H, S, S)) + the encoder's mask
            b.set_shape(shape4(1, H, seq, seq));
            b.elementwise(ca / "EncDecAttention" / "zeros", ElementwiseOp::mul, true);
            b.set_shape(shape4(batch, H, seq, seq));
            add_broadcast(b, ca / "EncDecAttention" / "mask", shape4(1, H, seq, seq));
            b.set_shape(x);
        }
        t5_attention_sublayer(b, a, "SelfAttention", x, x, H, c.head_features);
        // keys and values: the encoder's output
        t5_attention_sublayer(b, ca, "EncDecAttention", x, x, H, c.head_features);
        switch_ff(b, l / "layer" / 2, c, switch_sparse(c, i));
    }
    t5_layer_norm(b, dec / "final_layer_norm");
    b.dropout(dec / "dropout_1", 0.1);
    b.elementwise("scale", ElementwiseOp::mul, true);  // sequence_output * model_dim ** -0.5 (tied embeddings)
    b.linear("lm_head", c.vocab, false, true);         // tied to the shared table
    return b;
}

}  // namespace detail

/**
 * @brief Switch Transformers with 4 experts as NeuSight configures it (switchxl4:
 * SwitchTransformersForConditionalGeneration, 24 encoder and 24 decoder blocks of 1024 features, 32
 * heads of 128, feed-forward 16,384, every second feed-forward a top-1 mixture of 4 experts with an
 * expert capacity of 64 tokens per sequence; the token table shared by both stacks and the LM head):
 * 5,267,615,744 parameters. The decoder reads ids of the encoder's length.
 *
 * Left out: the router losses forward computes when it returns the router logits
 * (output_router_logits: a z-loss and a load-balancing loss over the (B, 12 S, 4) logits, a few dozen
 * small kernels) and the host synchronisation of boolean-mask indexing (nonzero). Routing is taken as
 * balanced (switch_ff).
 */
constexpr NetBuilder build_switchxl4(std::int64_t batch, std::int64_t seq = 512) {
    return detail::build_switch(detail::switchxl4_config, batch, seq);
}

// Run-time networks ------------------------------------------------------------------------

inline Network bert_large(std::int64_t batch = 1, std::int64_t seq = 512) { return build_bert_large(batch, seq).build(); }
inline Network gpt2_large(std::int64_t batch = 1, std::int64_t seq = 1024) { return build_gpt2_large(batch, seq).build(); }
inline Network gpt3_xl(std::int64_t batch = 1, std::int64_t seq = 2048) { return build_gpt3_xl(batch, seq).build(); }
inline Network gpt3_27(std::int64_t batch = 1, std::int64_t seq = 2048) { return build_gpt3_27(batch, seq).build(); }
inline Network opt_13(std::int64_t batch = 1, std::int64_t seq = 2048) { return build_opt_13(batch, seq).build(); }
inline Network switchxl4(std::int64_t batch = 1, std::int64_t seq = 512) { return build_switchxl4(batch, seq).build(); }

// Compile-time networks --------------------------------------------------------------------

namespace detail {
template <std::int64_t B, std::int64_t S> struct bert_large_holder {
    static constexpr NetBuilder build() { return build_bert_large(B, S); }
};
template <std::int64_t B, std::int64_t S> struct gpt2_large_holder {
    static constexpr NetBuilder build() { return build_gpt2_large(B, S); }
};
template <std::int64_t B, std::int64_t S> struct gpt3_xl_holder {
    static constexpr NetBuilder build() { return build_gpt3_xl(B, S); }
};
template <std::int64_t B, std::int64_t S> struct gpt3_27_holder {
    static constexpr NetBuilder build() { return build_gpt3_27(B, S); }
};
template <std::int64_t B, std::int64_t S> struct opt_13_holder {
    static constexpr NetBuilder build() { return build_opt_13(B, S); }
};
template <std::int64_t B, std::int64_t S> struct switchxl4_holder {
    static constexpr NetBuilder build() { return build_switchxl4(B, S); }
};
}  // namespace detail

/** @brief Compile-time BERT-large (BertLMHeadModel) at batch B and sequence S. */
template <std::int64_t B = 1, std::int64_t S = 512>
using BertLarge = typename built_net<detail::bert_large_holder<B, S>>::type;
/** @brief Compile-time GPT-2 large at batch B and sequence S. */
template <std::int64_t B = 1, std::int64_t S = 1024>
using GPT2Large = typename built_net<detail::gpt2_large_holder<B, S>>::type;
/** @brief Compile-time GPT-3 XL at batch B and sequence S. */
template <std::int64_t B = 1, std::int64_t S = 2048>
using GPT3XL = typename built_net<detail::gpt3_xl_holder<B, S>>::type;
/** @brief Compile-time GPT-3 2.7B at batch B and sequence S. */
template <std::int64_t B = 1, std::int64_t S = 2048>
using GPT3_27 = typename built_net<detail::gpt3_27_holder<B, S>>::type;
/** @brief Compile-time OPT-1.3B at batch B and sequence S. */
template <std::int64_t B = 1, std::int64_t S = 2048>
using OPT13 = typename built_net<detail::opt_13_holder<B, S>>::type;
/** @brief Compile-time Switch (switchxl4) at batch B and sequence S. */
template <std::int64_t B = 1, std::int64_t S = 512>
using SwitchXL4 = typename built_net<detail::switchxl4_holder<B, S>>::type;

}  // namespace perfcast::zoo
