// Tests of layers.hpp: shapes, parameter counts, costs and the run-time rules.
#include <doctest/doctest.h>

#include <perfcast/core/layers.hpp>

#include <cstdint>      // int64_t
#include <limits>       // numeric_limits
#include <string>       // string
#include <string_view>  // string_view

using namespace perfcast;

TEST_CASE("conv2d output shape follows PyTorch's formula, dilation and asymmetric kernels included") {
    constexpr Conv2DParams p{.batch = 2, .in_channels = 3, .height = 224, .width = 224, .out_channels = 64,
                             .kernel = 7, .stride = 2, .padding = 3, .bias = false};
    CHECK(output_shape(p) == Shape::nchw(2, 64, 112, 112));
    constexpr Conv2DParams d{.batch = 1, .in_channels = 8, .height = 17, .width = 17, .out_channels = 8,
                             .kernel = Hw{1, 7}, .padding = Hw{0, 3}, .dilation = 2};
    // height: 17 - 2*(1-1) - 1 + 1 = 17; width: 17 + 6 - 2*6 - 1 + 1 = 11
    CHECK(output_shape(d) == Shape::nchw(1, 8, 17, 11));
}

TEST_CASE("conv2d parameter count and FLOPs, grouped and depthwise") {
    constexpr Conv2DParams p{.batch = 4, .in_channels = 32, .height = 10, .width = 10, .out_channels = 64,
                             .kernel = 3, .padding = 1, .groups = 4, .bias = true};
    CHECK(param_count(p) == 64 * 8 * 9 + 64);
    const std::int64_t out = 4 * 64 * 10 * 10;
    CHECK(cost(p, Phase::forward, DType::fp32).flops == 2 * out * 8 * 9 + out);
    CHECK(cost(p, Phase::backward_data, DType::fp32).flops == 2 * out * 8 * 9);
    constexpr Conv2DParams dw{.batch = 1, .in_channels = 32, .height = 8, .width = 8, .out_channels = 32,
                              .kernel = 3, .padding = 1, .groups = 32, .bias = false};
    CHECK(param_count(dw) == 32 * 9);
}

TEST_CASE("bytes scale with the precision's element size; tf32 stores fp32") {
    constexpr DenseParams p{.batch = 8, .in_features = 128, .out_features = 64};
    const Cost f32 = cost(p, Phase::forward, DType::fp32);
    CHECK(f32.bytes == 4 * (8 * 128 + 128 * 64 + 64 + 8 * 64));
    CHECK(cost(p, Phase::forward, DType::fp16).bytes * 2 == f32.bytes);
    CHECK(cost(p, Phase::forward, DType::bf16).bytes * 2 == f32.bytes);
    CHECK(cost(p, Phase::forward, DType::tf32).bytes == f32.bytes);
    CHECK(cost(p, Phase::forward, DType::fp16).flops == f32.flops);
}

TEST_CASE("dense with seq rows is a (batch*seq) x in by in x out GEMM") {
    constexpr DenseParams p{.batch = 2, .in_features = 10, .out_features = 5, .bias = false, .seq = 3};
    CHECK(output_shape(p) == Shape::matrix(6, 5));
    CHECK(cost(p, Phase::forward, DType::fp32).flops == 2 * 6 * 10 * 5);
    CHECK(param_count(p) == 50);
}

TEST_CASE("pool2d: default stride is the kernel, ceil mode, global pooling") {
    constexpr Pool2DParams p{.batch = 1, .channels = 4, .height = 7, .width = 7, .mode = PoolMode::max, .kernel = 2};
    CHECK(output_shape(p) == Shape::nchw(1, 4, 3, 3));
    constexpr Pool2DParams c{.batch = 1, .channels = 4, .height = 7, .width = 7, .kernel = 2, .ceil_mode = true};
    CHECK(output_shape(c) == Shape::nchw(1, 4, 4, 4));
    constexpr Pool2DParams g{.batch = 3, .channels = 16, .height = 7, .width = 5, .mode = PoolMode::avg, .global = true};
    CHECK(output_shape(g) == Shape::nchw(3, 16, 1, 1));
    CHECK(cost(g, Phase::forward, DType::fp32).flops == 3 * 16 * 35);
    CHECK(cost(g, Phase::backward_weights, DType::fp32, Pass::training) == Cost{});
}

TEST_CASE("batch norm, dropout and flatten cost what their pass does") {
    constexpr BatchNorm2DParams bn{.batch = 2, .channels = 3, .height = 4, .width = 4};
    CHECK(param_count(bn) == 6);
    CHECK(cost(bn, Phase::forward, DType::fp32, Pass::training).flops >
          cost(bn, Phase::forward, DType::fp32, Pass::inference).flops);
    constexpr DropoutParams d{.shape = Shape::matrix(4, 100), .p = 0.5};
    CHECK(pass_cost(d, Pass::inference, DType::fp32) == Cost{});
    CHECK(pass_cost(d, Pass::training, DType::fp32).bytes > 0);
    constexpr FlattenParams f{.input = Shape::nchw(2, 3, 4, 5)};
    CHECK(output_shape(f) == Shape::matrix(2, 60));
    CHECK(pass_cost(f, Pass::training, DType::fp32) == Cost{});
}

TEST_CASE("training costs the three phases, inference only the forward one") {
    constexpr Conv2DParams p{.batch = 1, .in_channels = 4, .height = 8, .width = 8, .out_channels = 4, .kernel = 3};
    Cost sum{};
    for (Phase ph : all_phases) sum += cost(p, ph, DType::fp32, Pass::training);
    CHECK(pass_cost(p, Pass::training, DType::fp32) == sum);
    CHECK(pass_cost(p, Pass::inference, DType::fp32) == cost(p, Phase::forward, DType::fp32));
}

TEST_CASE("run-time rules name the field, the rule and the values") {
    Conv2DParams p{.batch = 1, .in_channels = 3, .height = 5, .width = 5, .out_channels = 8, .kernel = 11};
    const Violation v = check(p);
    CHECK(v.rule == Rule::kernel_fits_padded_input);
    CHECK(v.field == "kernel.h");
    CHECK(v.value == 11);
    CHECK(v.limit == 5);
    try {
        validate(p, "conv1");
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "conv1.kernel.h");
        CHECK(std::string(e.what()).find("kernel must fit the padded input") != std::string::npos);
        CHECK(std::string(e.what()).find("got 11, limit 5") != std::string::npos);
    }
    p.kernel = 3;
    p.groups = 2;
    CHECK(check(p).rule == Rule::in_channels_divisible_by_groups);
    p.groups = 1;
    p.stride = Hw{1, 0};
    CHECK(check(p).rule == Rule::stride_positive);
    CHECK(check(p).field == "stride.w");
    CHECK(check(DenseParams{.batch = 0, .in_features = 1, .out_features = 1}).rule == Rule::batch_positive);
    CHECK(check(DropoutParams{.shape = Shape::matrix(1, 2), .p = 1.0}).rule == Rule::probability_in_range);
    CHECK(check(Pool2DParams{.batch = 1, .channels = 1, .height = 8, .width = 8, .kernel = 2, .padding = 2}).rule ==
          Rule::pool_padding_at_most_half_kernel);
    CHECK(check(AddParams{.shape = Shape::matrix(2, 2), .inputs = 1}).rule == Rule::inputs_at_least_two);
    CHECK(!check(Conv2DParams{.batch = 1, .in_channels = 3, .height = 5, .width = 5, .out_channels = 8, .kernel = 5}));
}

TEST_CASE_TEMPLATE("compile-time layer types agree with the run-time Layer", T,
                   Dense<{.batch = 4, .in_features = 32, .out_features = 16}>,
                   Conv2D<{.batch = 2, .in_channels = 3, .height = 9, .width = 9, .out_channels = 4, .kernel = 3}>,
                   Pool2D<{.batch = 2, .channels = 3, .height = 9, .width = 9, .mode = PoolMode::avg, .kernel = 3}>,
                   BatchNorm2D<{.batch = 2, .channels = 3, .height = 4, .width = 4}>,
                   Activation<{.shape = Shape::nchw(2, 3, 4, 4), .kind = ActivationKind::gelu}>,
                   BatchMatMul<{.batch = 3, .m = 5, .k = 7, .n = 2}>,
                   LayerNorm<{.batch = 6, .features = 10, .affine = false}>,
                   Elementwise<{.shape = Shape::matrix(3, 4), .op = ElementwiseOp::pow, .scalar = false}>) {
    const Layer l = T::params;
    CHECK(kind(l) == T::kind);
    CHECK(output_shape(l) == T::output_shape);
    CHECK(param_count(l) == T::param_count);
    for (DType t : all_dtypes)
        for (Phase ph : all_phases) CHECK(cost(l, ph, t, Pass::training) == T::cost(ph, t, Pass::training));
}

TEST_CASE("with_batch changes every kind of layer's batch") {
    const Layer layers[] = {Layer{DenseParams{.batch = 1, .in_features = 2, .out_features = 2}},
                            Layer{FlattenParams{.input = Shape::nchw(1, 2, 3, 3)}},
                            Layer{AddParams{.shape = Shape::nchw(1, 2, 3, 3)}},
                            Layer{SoftmaxParams{.batch = 1, .features = 10}},
                            Layer{BatchMatMulParams{.batch = 1, .m = 2, .k = 3, .n = 4}},
                            Layer{LayerNormParams{.batch = 1, .features = 8}},
                            Layer{ElementwiseParams{.shape = Shape::nchw(1, 2, 3, 3), .op = ElementwiseOp::div}}};
    for (const Layer& l : layers) {
        const Layer b = with_batch(l, 7);
        CHECK(batch_of(b) == 7);
        CHECK(output_shape(b)[0] == (kind(b) == LayerKind::dense ? 7 : 7));
    }
}

TEST_CASE("bmm: shapes, no parameters, 2bmnk FLOPs forward and both operands' gradients in backward_data") {
    constexpr BatchMatMulParams p{.batch = 3, .m = 5, .k = 7, .n = 11};
    CHECK(input_shape(p) == Shape{3, {3, 5, 7, 0}});
    CHECK(output_shape(p) == Shape{3, {3, 5, 11, 0}});
    CHECK(param_count(p) == 0);
    CHECK(kind_of<BatchMatMulParams> == LayerKind::bmm);
    const Cost f = cost(p, Phase::forward, DType::fp32);
    CHECK(f.flops == 2 * 3 * 5 * 11 * 7);
    CHECK(f.bytes == 4 * 3 * (5 * 7 + 7 * 11 + 5 * 11));
    CHECK(cost(p, Phase::forward, DType::fp16).bytes * 2 == f.bytes);
    const Cost bd = cost(p, Phase::backward_data, DType::fp32, Pass::training);
    CHECK(bd.flops == 2 * f.flops);
    // reads dC, A and B, writes dA and dB
    CHECK(bd.bytes == 4 * 3 * (5 * 11 + 2 * 5 * 7 + 2 * 7 * 11));
    CHECK(cost(p, Phase::backward_weights, DType::fp32, Pass::training) == Cost{});
    CHECK(pass_cost(p, Pass::training, DType::fp32).flops == 3 * f.flops);
}

TEST_CASE("layernorm: per-row statistics, an affine scale and shift, costed as batch norm is") {
    constexpr LayerNormParams p{.batch = 12, .features = 64};
    CHECK(input_shape(p) == Shape::matrix(12, 64));
    CHECK(output_shape(p) == Shape::matrix(12, 64));
    CHECK(param_count(p) == 128);
    const std::int64_t n = 12 * 64;
    const Cost f = cost(p, Phase::forward, DType::fp32);
    CHECK(f.flops == 7 * n);                             // mean, variance, normalise; scale and shift
    CHECK(f.bytes == 4 * (2 * n + 2 * 64 + 2 * 12));     // x, y; gamma, beta; each row's mean and deviation
    CHECK(cost(p, Phase::forward, DType::fp32, Pass::training) == f);  // no running statistics to fold
    CHECK(cost(p, Phase::backward_data, DType::fp32, Pass::training).flops == 8 * n);
    CHECK(cost(p, Phase::backward_weights, DType::fp32, Pass::training).flops == 3 * n);
    constexpr LayerNormParams plain{.batch = 12, .features = 64, .affine = false};
    CHECK(param_count(plain) == 0);
    CHECK(cost(plain, Phase::forward, DType::fp32).flops == 5 * n);
    CHECK(cost(plain, Phase::forward, DType::fp32).bytes == 4 * (2 * n + 2 * 12));
    CHECK(cost(plain, Phase::backward_weights, DType::fp32, Pass::training) == Cost{});
}

TEST_CASE("softmax: a row held in registers moves its tensor twice, a longer row three times; the backward three") {
    const auto bytes = [](std::int64_t features, DType t) {
        return cost(SoftmaxParams{.batch = 6, .features = features}, Phase::forward, t).bytes;
    };
    CHECK(bytes(1024, DType::fp32) == 2 * 6 * 1024 * 4);  // 4,096 bytes: in registers
    CHECK(bytes(1025, DType::fp32) == 3 * 6 * 1025 * 4);  // one element past the limit
    CHECK(bytes(1024, DType::fp16) == 2 * 6 * 1024 * 2);
    CHECK(bytes(2048, DType::fp16) == 3 * 6 * 2048 * 2);  // 4,096 bytes, but past the element limit
    static_assert(cost(SoftmaxParams{.batch = 6, .features = 512}, Phase::forward, DType::fp32).bytes == 2 * 6 * 512 * 4);
    const Cost back = cost(SoftmaxParams{.batch = 6, .features = 512}, Phase::backward_data, DType::fp32, Pass::training);
    CHECK(back.bytes == 3 * 6 * 512 * 4);  // reads the output and its gradient, writes the input's gradient
    CHECK(back.flops == 4 * 6 * 512);
}

TEST_CASE("elementwise: one FLOP per element (pow: a log, a multiply and an exp), a tensor or a scalar operand") {
    const Shape s = Shape::nchw(2, 3, 4, 5);
    const std::int64_t n = s.elements();
    constexpr auto e = [](Shape sh, ElementwiseOp op, bool scalar) { return ElementwiseParams{sh, op, scalar}; };
    CHECK(output_shape(e(s, ElementwiseOp::mul, false)) == s);
    CHECK(param_count(e(s, ElementwiseOp::mul, false)) == 0);
    CHECK(cost(e(s, ElementwiseOp::mul, false), Phase::forward, DType::fp32) == Cost{n, 4 * 3 * n});
    CHECK(cost(e(s, ElementwiseOp::mul, true), Phase::forward, DType::fp32) == Cost{n, 4 * 2 * n});
    CHECK(cost(e(s, ElementwiseOp::div, true), Phase::forward, DType::fp16) == Cost{n, 2 * 2 * n});
    CHECK(cost(e(s, ElementwiseOp::pow, false), Phase::forward, DType::fp32).flops == op_constants::pow_flops * n);
    CHECK(op_constants::pow_flops > op_constants::activation_flops(ActivationKind::relu));
    // backward: a scalar's add or sub hands dy on (no kernel); a tensor's mul computes both gradients
    CHECK(cost(e(s, ElementwiseOp::add, true), Phase::backward_data, DType::fp32, Pass::training) == Cost{});
    CHECK(cost(e(s, ElementwiseOp::sub, true), Phase::backward_data, DType::fp32, Pass::training) == Cost{});
    CHECK(cost(e(s, ElementwiseOp::sub, false), Phase::backward_data, DType::fp32, Pass::training) == Cost{n, 4 * 2 * n});
    CHECK(cost(e(s, ElementwiseOp::mul, false), Phase::backward_data, DType::fp32, Pass::training) ==
          Cost{2 * n, 4 * 5 * n});
    CHECK(cost(e(s, ElementwiseOp::mul, true), Phase::backward_data, DType::fp32, Pass::training) == Cost{n, 4 * 2 * n});
    for (ElementwiseOp op : {ElementwiseOp::sub, ElementwiseOp::mul, ElementwiseOp::div, ElementwiseOp::pow})
        CHECK(cost(e(s, op, false), Phase::backward_weights, DType::fp32, Pass::training) == Cost{});
}

TEST_CASE("the new kinds' rules: positive sizes, and an add of two tensors is the add layer") {
    Violation v = check(BatchMatMulParams{.batch = 2, .m = 3, .k = 0, .n = 4});
    CHECK(v.rule == Rule::matrix_dims_positive);
    CHECK(v.field == "k");
    CHECK(check(BatchMatMulParams{.batch = 0, .m = 3, .k = 2, .n = 4}).rule == Rule::batch_positive);
    CHECK(check(BatchMatMulParams{.batch = 1, .m = 1, .k = 1, .n = -1}).field == "n");
    CHECK(!check(BatchMatMulParams{.batch = 1, .m = 1, .k = 1, .n = 1}));
    CHECK(check(LayerNormParams{.batch = 4, .features = 0}).rule == Rule::features_positive);
    CHECK(check(LayerNormParams{.batch = 0, .features = 8}).rule == Rule::batch_positive);
    CHECK(check(ElementwiseParams{.shape = Shape::matrix(2, 0), .op = ElementwiseOp::mul}).rule == Rule::dims_positive);
    CHECK(check(ElementwiseParams{.shape = Shape{}, .op = ElementwiseOp::mul}).rule == Rule::rank_in_range);
    CHECK(!check(ElementwiseParams{.shape = Shape::matrix(2, 3), .op = ElementwiseOp::add, .scalar = true}));
    try {
        validate(ElementwiseParams{.shape = Shape::matrix(2, 3), .op = ElementwiseOp::add, .scalar = false}, "x");
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "x.scalar");
        const std::string what = e.what();
        CHECK(what.find("elementwise:") != std::string::npos);
        CHECK(what.find("a sum of same-shaped tensors is the add layer (AddParams)") != std::string::npos);
    }
    try {
        validate(BatchMatMulParams{.batch = 2, .m = 0, .k = 1, .n = 1});
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "m");
        CHECK(std::string(e.what()).find("bmm: m, k and n must be >= 1 (got 0, limit 1)") != std::string::npos);
    }
}

TEST_CASE("every kind has a name that parses back, and the element-wise operations too") {
    for (LayerKind k : all_layer_kinds) CHECK(parse_layer_kind(to_string(k)) == k);
    CHECK(parse_layer_kind("bmm") == LayerKind::bmm);
    CHECK(parse_layer_kind("layernorm") == LayerKind::layernorm);
    CHECK(parse_layer_kind("elementwise") == LayerKind::elementwise);
    CHECK(!parse_layer_kind("ln"));
    for (ElementwiseOp op : {ElementwiseOp::add, ElementwiseOp::sub, ElementwiseOp::mul, ElementwiseOp::div, ElementwiseOp::pow})
        CHECK(parse_elementwise_op(to_string(op)) == op);
    CHECK(!parse_elementwise_op("mod"));
    CHECK(kind_names(std::array{LayerKind::bmm, LayerKind::layernorm}) == "bmm, layernorm");
    for (LayerKind k : all_layer_kinds) CHECK(kind(detail::example_layer(k)) == k);
}

TEST_CASE("transformer layers: embedding, copy, broadcast and where operands, gelu_tanh, transposed bmm") {
    constexpr EmbeddingParams emb{.batch = 4, .seq = 1024, .vocab = 50257, .features = 1280};
    static_assert(Embedding<emb>::param_count == 50257 * 1280);
    static_assert(Embedding<emb>::output_shape == Shape{3, {4, 1024, 1280, 0}});
    CHECK(cost(emb, Phase::forward, DType::fp32) == Cost{0, 4 * 1024 * 8 + 2 * 4 * 1024 * 1280 * 4});
    CHECK(cost(emb, Phase::backward_data, DType::fp32, Pass::training) == Cost{});  // token ids have no gradient
    CHECK(cost(emb, Phase::backward_weights, DType::fp32, Pass::training).bytes >= 50257 * 1280 * 4);
    CHECK(check(EmbeddingParams{.batch = 1, .seq = 0, .vocab = 2, .features = 2}).rule == Rule::seq_positive);

    constexpr CopyParams cp{Shape::nchw(4, 1024, 20, 64)};
    static_assert(Copy<cp>::kind == LayerKind::copy);
    CHECK(cost(cp, Phase::forward, DType::fp16) == Cost{0, 2 * cp.shape.elements() * 2});
    CHECK(cost(cp, Phase::backward_data, DType::fp32, Pass::training).bytes == 2 * cp.shape.elements() * 4);

    // a broadcast operand is read once at its own size; its gradient is reduced to it
    const Shape s = Shape::nchw(2, 16, 512, 512);
    const Shape mask = Shape::nchw(2, 1, 1, 512);
    const ElementwiseParams add{.shape = s, .op = ElementwiseOp::add, .scalar = false, .other = mask};
    CHECK(!check(add));
    CHECK(cost(add, Phase::forward, DType::fp32) == Cost{s.elements(), (2 * s.elements() + mask.elements()) * 4});
    CHECK(cost(add, Phase::backward_data, DType::fp32, Pass::training).bytes == (s.elements() + mask.elements()) * 4);
    // the same shape as an explicit operand costs what the implicit one does
    const ElementwiseParams mul{.shape = s, .op = ElementwiseOp::mul, .scalar = false, .other = s};
    CHECK(cost(mul, Phase::forward, DType::fp32) == cost(ElementwiseParams{s, ElementwiseOp::mul, false}, Phase::forward, DType::fp32));
    CHECK(check(ElementwiseParams{.shape = s, .op = ElementwiseOp::mul, .other = Shape::nchw(2, 3, 1, 512)}).rule ==
          Rule::other_broadcasts);
    CHECK(check(ElementwiseParams{.shape = Shape::matrix(4, 8), .op = ElementwiseOp::mul, .other = Shape{3, {1, 4, 8, 0}}})
              .rule == Rule::other_broadcasts);
    // where: the mask is one byte per element
    const ElementwiseParams where{.shape = s, .op = ElementwiseOp::where, .scalar = false, .other = Shape::nchw(1, 1, 512, 512)};
    CHECK(cost(where, Phase::forward, DType::fp32) == Cost{s.elements(), 2 * s.elements() * 4 + 512 * 512});
    CHECK(check(ElementwiseParams{.shape = s, .op = ElementwiseOp::where, .scalar = true}).rule == Rule::where_takes_mask);
    CHECK(parse_elementwise_op("where") == ElementwiseOp::where);

    CHECK(parse_activation_kind("gelu_tanh") == ActivationKind::gelu_tanh);
    CHECK(op_constants::activation_flops(ActivationKind::gelu_tanh) > op_constants::activation_flops(ActivationKind::gelu));

    // transposed operands change nothing of the count: the BLAS call reads them with its flags
    const BatchMatMulParams qk{.batch = 32, .m = 512, .k = 64, .n = 512};
    BatchMatMulParams qkt = qk;
    qkt.transpose_b = true;
    CHECK(cost(qkt, Phase::forward, DType::fp32) == cost(qk, Phase::forward, DType::fp32));
    CHECK(!(Layer{qkt} == Layer{qk}));
}

TEST_CASE("size_in_range: every size up to 2^31-1 is accepted, one past it refused naming the rule and the field") {
    static_assert(max_size == 2147483647);
    constexpr std::int64_t at = max_size, past = max_size + 1;
    // at the limit: accepted (and its counts stay below 2^62)
    CHECK(!check(DenseParams{.batch = at, .in_features = 1, .out_features = 1}));
    CHECK(!check(SoftmaxParams{.batch = 1, .features = at}));
    CHECK(!check(ActivationParams{.shape = Shape::matrix(1, at)}));
    // one past: refused, the field named
    const auto refused = [](const Violation& v, std::string_view field) {
        CHECK(v.rule == Rule::size_in_range);
        CHECK(v.field == field);
        CHECK(v.limit == max_size);
    };
    refused(check(DenseParams{.batch = past, .in_features = 1, .out_features = 1}), "batch");
    refused(check(DenseParams{.batch = 1, .in_features = 1, .out_features = 1, .seq = past}), "seq");
    refused(check(Conv2DParams{.batch = 1, .in_channels = 1, .height = 4, .width = 4, .out_channels = 1,
                               .padding = Hw{0, past}}),
            "padding.w");
    refused(check(Conv2DParams{.batch = 1, .in_channels = 1, .height = 4, .width = 4, .out_channels = 1,
                               .kernel = 3, .dilation = past}),
            "dilation.h");
    refused(check(Pool2DParams{.batch = 1, .channels = 1, .height = 4, .width = 4, .stride = past}), "stride.h");
    refused(check(AddParams{.shape = Shape::matrix(1, 2), .inputs = past}), "inputs");
    refused(check(ElementwiseParams{.shape = Shape::matrix(2, 2), .op = ElementwiseOp::add, .other = Shape::matrix(1, past)}),
            "other");
    refused(check(EmbeddingParams{.batch = 1, .seq = 1, .vocab = past, .features = 1}), "vocab");
    refused(check(BatchMatMulParams{.batch = 1, .m = 1, .k = past, .n = 1}), "k");
    // the sizes are checked before the rules that add and multiply them: padding and dilation near 2^62
    // used to overflow kernel_fits_padded_input itself
    refused(check(Conv2DParams{.batch = 1, .in_channels = 1, .height = 4, .width = 4, .out_channels = 1,
                               .padding = std::int64_t{1} << 62}),
            "padding.h");
    refused(check(Conv2DParams{.batch = 1, .in_channels = 1, .height = 4, .width = 4, .out_channels = 1, .kernel = 3,
                               .dilation = std::int64_t{1} << 62}),
            "dilation.h");
    try {
        validate(DenseParams{.batch = 1, .in_features = std::int64_t{1} << 50, .out_features = 1}, "fc");
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "fc.in_features");
        CHECK(std::string(e.what()).find("size_in_range") != std::string::npos);
        CHECK(std::string(e.what()).find("got 1125899906842624, limit 2147483647") != std::string::npos);
    }
}

TEST_CASE("work_in_range: the cost formulas' counts up to 2^62 are accepted, past it refused naming the count") {
    static_assert(max_count == std::int64_t{1} << 62);
    // (2^31-1) rows of 2^31-1 features: just under 2^62 elements, accepted; 5 FLOPs an element pass 2^62
    const LayerNormParams big{.batch = max_size, .features = max_size, .affine = false};
    Violation v = check(big);
    CHECK(v.rule == Rule::work_in_range);
    CHECK(v.field == "forward.flops");
    CHECK(v.limit == max_count);
    // a count exactly at the limit is in range, one past it is not
    CHECK(detail::Count{max_count}.over == false);
    CHECK(detail::Count{max_count + 1}.over == true);
    CHECK((detail::Count{max_count} + 1).over == true);
    CHECK((detail::Count{std::int64_t{1} << 31} * (std::int64_t{1} << 31)).value == max_count);
    CHECK(!(detail::Count{std::int64_t{1} << 31} * (std::int64_t{1} << 31)).over);
    // past 64 bits the count saturates and stays flagged
    const detail::Count wrapped = detail::Count{max_count} * 4 * 4;
    CHECK(wrapped.over);
    CHECK(wrapped.value == std::numeric_limits<std::int64_t>::max());
    CHECK(((wrapped - max_count) / 2).over);
    // bmm: 2*b*m*n*k formed in checked arithmetic (it is 2^125 here: 64 bits overflow, refused, not wrapped)
    v = check(BatchMatMulParams{.batch = max_size, .m = max_size, .k = max_size, .n = max_size});
    CHECK(v.rule == Rule::work_in_range);
    CHECK(v.field == "input_shape");
    CHECK(v.describe().find("got more than 2^63-1") != std::string::npos);
    // the largest dense layer whose every count stays in range is accepted, and its cost is exact
    const DenseParams d{.batch = 1 << 20, .in_features = 1 << 20, .out_features = 1 << 19, .bias = false};
    CHECK(!check(d));
    CHECK(cost(d, Phase::forward, DType::fp32).flops == std::int64_t{1} << 60);
    // twice the output features: each phase's GEMM is 2^61 FLOPs (in range), a training step's 3 * 2^61 is not
    DenseParams d2 = d;
    d2.out_features = 1 << 20;
    v = check(d2);
    CHECK(v.rule == Rule::work_in_range);
    CHECK(v.field == "training.flops");
    // a count the bound covers is the same in both integer types
    const Conv2DParams c{.batch = 8, .in_channels = 64, .height = 56, .width = 56, .out_channels = 64, .kernel = 3,
                         .padding = 1};
    for (Phase ph : all_phases) {
        CHECK(cost<detail::Count>(c, ph, DType::fp16).flops.value == cost(c, ph, DType::fp16).flops);
        CHECK(cost<detail::Count>(c, ph, DType::fp16).bytes.value == cost(c, ph, DType::fp16).bytes);
    }
    CHECK(param_count<detail::Count>(c).value == param_count(c));
    // every kind's rule refuses through the layer variant too
    CHECK(check(Layer{ActivationParams{.shape = Shape::nchw(max_size, max_size, max_size, 1)}}).rule ==
          Rule::work_in_range);
    CHECK(check(Layer{FlattenParams{.input = Shape::nchw(max_size, max_size, max_size, max_size)}}).field ==
          "input_shape");
}

TEST_CASE("a layer's pass sum and a network-style total refuse past 2^62 with the rule") {
    Cost total{max_count, 0};
    try {
        total += Cost{1, 0};
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "flops");
        CHECK(std::string(e.what()).find("work_in_range") != std::string::npos);
    }
    Cost ok{max_count - 1, 0};
    ok += Cost{1, 0};
    CHECK(ok.flops == max_count);
}
