// Tests of io/network_json.hpp: the network schema, round trips and located errors.
#include <doctest/doctest.h>

#include <perfcast/runtime/io/network_json.hpp>
#include <perfcast/core/zoo.hpp>

using namespace perfcast;

namespace {
std::string doc(const std::string& layers) {
    return "{\n \"format\": \"perfcast-network\",\n \"version\": 1,\n \"name\": \"t\",\n \"batch\": 2,\n"
           " \"layers\": [\n" + layers + "\n ]\n}";
}
error parse_error(const std::string& text) {
    try {
        parse_network(text, "net.json");
    } catch (const error& e) {
        return e;
    }
    FAIL("expected perfcast::error");
    return error("");
}
}  // namespace

TEST_CASE("every zoo network round-trips through JSON") {
    for (const Network& n : {zoo::lenet5(3), zoo::alexnet(2), zoo::vgg16(1), zoo::resnet50(4), zoo::inception_v3(2)}) {
        CAPTURE(n.name);
        const Network back = parse_network(network_to_json(n).dump(2), "x.json");
        CHECK(back.name == n.name);
        CHECK(back.batch == n.batch);
        CHECK(back.layers == n.layers);
    }
}

TEST_CASE("a hand-written network reads with defaults") {
    const Network n = parse_network(doc(R"(  {"name": "c", "kind": "conv2d", "in_channels": 3, "height": 32, "width": 32,
     "out_channels": 16, "kernel": [3, 1], "padding": [1, 0]},
  {"kind": "activation", "activation": "silu", "shape": [16, 32, 32]},
  {"kind": "pool2d", "channels": 16, "height": 32, "width": 32, "mode": "avg", "global": true},
  {"kind": "flatten", "shape": [16, 1, 1]},
  {"kind": "dense", "in_features": 16, "out_features": 4}
)"),
                                    "net.json");
    REQUIRE(n.layers.size() == 5);
    const auto& c = std::get<Conv2DParams>(n.layers[0].layer);
    CHECK(c.batch == 2);
    CHECK(c.kernel == Hw{3, 1});
    CHECK(c.stride == Hw{1});
    CHECK(c.bias);
    CHECK(n.layers[1].name == "layer1");
    CHECK(output_shape(n.layers[4].layer) == Shape::matrix(2, 4));
    CHECK(n.with_batch(8).layers[0].layer == Layer{[&] {
              auto p = c;
              p.batch = 8;
              return p;
          }()});
}

TEST_CASE("errors name the file, the line and the field") {
    error e = parse_error(doc("  {\"kind\": \"conv2d\", \"in_channels\": 3, \"height\": 8, \"width\": 8,\n"
                              "   \"out_channels\": 4, \"kernal\": 3}"));
    CHECK(e.where().file == "net.json");
    CHECK(e.where().line == 8);
    CHECK(e.field() == "layers[0].kernal");
    CHECK(std::string(e.what()).find("unknown field") != std::string::npos);

    e = parse_error(doc("  {\"kind\": \"dense\", \"in_features\": 3},\n  {\"kind\": \"dense\", \"in_features\": 3,\n"
                        "   \"out_features\": 2.5}"));
    CHECK(e.field() == "layers[0].out_features");
    CHECK(e.where().line == 7);  // a missing member: the line of its object
    CHECK(e.message() == "missing (an integer is required)");
    e = parse_error(doc("  {\"kind\": \"dense\", \"in_features\": 3, \"out_features\": 1},\n"
                        "  {\"kind\": \"dense\", \"in_features\": 3,\n   \"out_features\": 2.5}"));
    CHECK(e.field() == "layers[1].out_features");
    CHECK(e.where().line == 9);
    CHECK(e.message() == "expected an integer, got the number 2.5");

    e = parse_error(doc("  {\"kind\": \"conv2d\", \"in_channels\": 3, \"height\": 5, \"width\": 5,\n"
                        "   \"out_channels\": 4,\n   \"kernel\": 11}"));
    CHECK(e.field() == "layers[0].kernel");
    CHECK(e.where().line == 9);
    CHECK(std::string(e.what()).find("kernel must fit the padded input") != std::string::npos);

    e = parse_error(doc("  {\"kind\": \"lstm\"}"));
    CHECK(e.field() == "layers[0].kind");
    e = parse_error(doc("  {\"kind\": \"activation\", \"activation\": \"swish\", \"shape\": [3]}"));
    CHECK(e.field() == "layers[0].activation");
    e = parse_error(doc("  {\"name\": \"a\", \"kind\": \"softmax\", \"features\": 3},\n"
                        "  {\"name\": \"a\", \"kind\": \"softmax\", \"features\": 3}"));
    CHECK(std::string(e.what()).find("duplicate layer name") != std::string::npos);
    e = parse_error("{\"format\": \"perfcast-network\", \"version\": 2, \"name\": \"t\", \"layers\": []}");
    CHECK(e.field() == "version");
    e = parse_error("{\"format\": \"perfcast-network\",\n \"version\": 1,\n \"name\": \"t\" \"layers\": []}");
    CHECK(e.where().line == 3);
    CHECK(std::string(e.what()).find("invalid JSON") != std::string::npos);
}

TEST_CASE("wrong types, unknown keys and numbers out of range are refused with the path, file and line") {
    // a wrong type: the expected and the actual type
    error e = parse_error(doc("  {\"kind\": \"dense\", \"in_features\": 3,\n   \"out_features\": \"4\"}"));
    CHECK(e.field() == "layers[0].out_features");
    CHECK(e.where().line == 8);
    CHECK(e.message() == "expected an integer, got a string");
    e = parse_error(doc("  {\"kind\": \"dense\", \"in_features\": 3, \"out_features\": 4, \"bias\": 1}"));
    CHECK(e.field() == "layers[0].bias");
    CHECK(e.message() == "expected true or false, got the integer 1");
    e = parse_error(doc("  [\"dense\"]"));
    CHECK(e.field() == "layers[0]");
    CHECK(e.message() == "expected an object, got an array");
    e = parse_error("{\"format\": \"perfcast-network\", \"version\": 1, \"name\": \"t\", \"layers\": {}}");
    CHECK(e.field() == "layers");
    CHECK(e.message() == "expected an array, got an object");

    // an unknown key at the top
    e = parse_error("{\"format\": \"perfcast-network\", \"version\": 1,\n \"name\": \"t\", \"layers\": [{\"kind\": \"dense\", "
                    "\"in_features\": 4, \"out_features\": 2}],\n \"bacth\": 4}");
    CHECK(e.field() == "bacth");
    CHECK(e.where().line == 3);
    CHECK(e.message() == "unknown field");

    // numbers out of range: 1e999 overflows a double; nothing wraps into an int64
    e = parse_error(doc("  {\"kind\": \"conv2d\", \"in_channels\": 3,\n   \"height\": 1e999, \"width\": 8, \"out_channels\": 4}"));
    CHECK(e.where().file == "net.json");
    CHECK(e.field() == "layers[0].height");
    CHECK(e.where().line == 8);
    CHECK(e.message().find("out of range") != std::string::npos);
    e = parse_error(doc("  {\"kind\": \"softmax\", \"features\": 3},\n  {\"kind\": \"conv2d\", \"in_channels\": 3, \"height\": 8,"
                        " \"width\": 8, \"out_channels\": 4, \"kernel\": [3,\n 1e999]}"));
    CHECK(e.field() == "layers[1].kernel[1]");
    CHECK(e.where().line == 9);
    e = parse_error(doc("  {\"kind\": \"softmax\", \"features\": 18446744073709551615}"));
    CHECK(e.field() == "layers[0].features");
    CHECK(e.message().find("expected an integer from") == 0);
    e = parse_error(doc("  {\"kind\": \"softmax\", \"features\": -3}"));
    CHECK(e.field() == "layers[0].features");  // in range of an int64, refused by the layer's own rule
}

TEST_CASE("load_network names a missing file") {
    try {
        load_network("/nonexistent/net.json");
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.where().file == "/nonexistent/net.json");
    }
}

TEST_CASE("bmm, layernorm and elementwise layers read, take the network's batch and round-trip") {
    const Network n = parse_network(doc(R"(  {"name": "qk", "kind": "bmm", "m": 128, "k": 64, "n": 128},
  {"name": "ln", "kind": "layernorm", "features": 768},
  {"name": "ln2", "kind": "layernorm", "features": 768, "affine": false},
  {"name": "scale", "kind": "elementwise", "op": "div", "scalar": true, "shape": [12, 128]},
  {"name": "gate", "kind": "elementwise", "op": "mul", "shape": [3072]}
)"),
                                    "net.json");
    REQUIRE(n.layers.size() == 5);
    CHECK(n.layers[0].layer == Layer{BatchMatMulParams{.batch = 2, .m = 128, .k = 64, .n = 128}});
    CHECK(n.layers[1].layer == Layer{LayerNormParams{.batch = 2, .features = 768, .affine = true}});
    CHECK(n.layers[2].layer == Layer{LayerNormParams{.batch = 2, .features = 768, .affine = false}});
    CHECK(n.layers[3].layer ==
          Layer{ElementwiseParams{.shape = Shape{3, {2, 12, 128, 0}}, .op = ElementwiseOp::div, .scalar = true}});
    CHECK(n.layers[4].layer == Layer{ElementwiseParams{.shape = Shape::matrix(2, 3072), .op = ElementwiseOp::mul}});
    const Network back = parse_network(network_to_json(n).dump(1), "back.json");
    CHECK(back.layers == n.layers);
    CHECK(std::get<BatchMatMulParams>(n.with_batch(5).layers[0].layer).batch == 5);
}

TEST_CASE("bad bmm, layernorm and elementwise fields are refused with file, line and field") {
    error e = parse_error(doc("  {\"kind\": \"bmm\", \"m\": 4, \"k\": 8,\n   \"n\": 0}"));
    CHECK(e.where().file == "net.json");
    CHECK(e.where().line == 8);
    CHECK(e.field() == "layers[0].n");
    CHECK(e.message().find("m, k and n must be >= 1") != std::string::npos);
    e = parse_error(doc("  {\"kind\": \"bmm\", \"m\": 4, \"k\": 8}"));
    CHECK(e.field() == "layers[0].n");
    CHECK(e.message() == "missing (an integer is required)");
    e = parse_error(doc("  {\"kind\": \"layernorm\", \"features\": 8,\n   \"eps\": 1e-5}"));
    CHECK(e.field() == "layers[0].eps");
    CHECK(e.where().line == 8);
    CHECK(e.message() == "unknown field");
    e = parse_error(doc("  {\"kind\": \"layernorm\", \"features\": 8, \"affine\": 1}"));
    CHECK(e.field() == "layers[0].affine");
    e = parse_error(doc("  {\"kind\": \"elementwise\",\n   \"op\": \"mod\", \"shape\": [4]}"));
    CHECK(e.field() == "layers[0].op");
    CHECK(e.where().line == 8);
    CHECK(e.message().find("unknown element-wise operation \"mod\"") != std::string::npos);
    // an add of two tensors is the add kind: the layer is refused, naming the rule
    e = parse_error(doc("  {\"kind\": \"elementwise\", \"op\": \"add\", \"scalar\": false, \"shape\": [4]}"));
    CHECK(e.field() == "layers[0].scalar");
    CHECK(e.message().find("a sum of same-shaped tensors is the add layer") != std::string::npos);
}

TEST_CASE("transformer layers read: heads, a layer's own batch, shapes over the last dimension, broadcasts") {
    const Network n = parse_network(doc(R"(  {"name": "wte", "kind": "embedding", "seq": 128, "vocab": 50257, "features": 768},
  {"name": "wpe", "kind": "embedding", "batch": 1, "seq": 128, "vocab": 1024, "features": 768},
  {"name": "pos", "kind": "elementwise", "op": "add", "shape": [128, 768], "other": [1, 128, 768]},
  {"name": "qk", "kind": "bmm", "heads": 12, "m": 128, "k": 64, "n": 128, "transpose_b": true},
  {"name": "mask", "kind": "elementwise", "op": "where", "shape": [12, 128, 128], "other": [1, 1, 128, 128]},
  {"name": "sm", "kind": "softmax", "shape": [12, 128, 128]},
  {"name": "ln", "kind": "layernorm", "shape": [128, 768]},
  {"name": "merge", "kind": "copy", "shape": [128, 12, 64]},
  {"name": "gelu", "kind": "activation", "activation": "gelu_tanh", "shape": [128, 3072]}
)"),
                                    "net.json");
    REQUIRE(n.layers.size() == 9);
    CHECK(n.layers[0].layer == Layer{EmbeddingParams{.batch = 2, .seq = 128, .vocab = 50257, .features = 768}});
    CHECK(n.layers[1].layer == Layer{EmbeddingParams{.batch = 1, .seq = 128, .vocab = 1024, .features = 768}});
    CHECK(n.layers[2].layer == Layer{ElementwiseParams{.shape = Shape{3, {2, 128, 768, 0}}, .op = ElementwiseOp::add,
                                                       .scalar = false, .other = Shape{3, {1, 128, 768, 0}}}});
    CHECK(n.layers[3].layer ==
          Layer{BatchMatMulParams{.batch = 24, .m = 128, .k = 64, .n = 128, .transpose_a = false, .transpose_b = true}});
    CHECK(std::get<ElementwiseParams>(n.layers[4].layer).other == Shape::nchw(1, 1, 128, 128));
    CHECK(n.layers[5].layer == Layer{SoftmaxParams{.batch = 2 * 12 * 128, .features = 128}});
    CHECK(n.layers[6].layer == Layer{LayerNormParams{.batch = 256, .features = 768, .affine = true}});
    CHECK(n.layers[7].layer == Layer{CopyParams{Shape::nchw(2, 128, 12, 64)}});
    CHECK(std::get<ActivationParams>(n.layers[8].layer).kind == ActivationKind::gelu_tanh);
    // the writer gives a layer its own batch where it is not the network's; the round trip is exact
    const nlohmann::json j = network_to_json(n);
    CHECK(!j["layers"][0].contains("batch"));
    CHECK(j["layers"][1]["batch"] == 1);
    CHECK(j["layers"][3]["batch"] == 24);
    const Network back = parse_network(j.dump(1), "back.json");
    CHECK(back.layers == n.layers);
    // another batch keeps the multiples (heads, rows) and a batch of its own that is no multiple
    const Network b5 = n.with_batch(5);
    CHECK(std::get<EmbeddingParams>(b5.layers[0].layer).batch == 5);
    CHECK(std::get<EmbeddingParams>(b5.layers[1].layer).batch == 1);  // no multiple of 2: a batch of its own
    CHECK(std::get<BatchMatMulParams>(b5.layers[3].layer).batch == 60);
    CHECK(std::get<SoftmaxParams>(b5.layers[5].layer).batch == 5 * 12 * 128);
    CHECK(std::get<ElementwiseParams>(b5.layers[2].layer).other == Shape{3, {1, 128, 768, 0}});
    b5.validate();
}

TEST_CASE("bad transformer fields are refused with the rule: broadcasts, heads, where's mask, shape with features") {
    error e = parse_error(doc("  {\"kind\": \"elementwise\", \"op\": \"mul\", \"shape\": [4, 8],\n \"other\": [2, 3, 8]}"));
    CHECK(e.field() == "layers[0].other");
    CHECK(e.message().find("other must broadcast to shape") != std::string::npos);
    e = parse_error(doc("  {\"kind\": \"elementwise\", \"op\": \"add\", \"shape\": [4], \"other\": [2, 4]}"));
    CHECK(e.message().find("a sum of same-shaped tensors is the add layer") != std::string::npos);
    e = parse_error(doc("  {\"kind\": \"elementwise\", \"op\": \"where\", \"scalar\": true, \"shape\": [4]}"));
    CHECK(e.message().find("where takes a tensor mask") != std::string::npos);
    e = parse_error(doc("  {\"kind\": \"bmm\", \"heads\": 0, \"m\": 4, \"k\": 8, \"n\": 2}"));
    CHECK(e.field() == "layers[0].heads");
    e = parse_error(doc("  {\"kind\": \"softmax\", \"shape\": [4, 8], \"features\": 8}"));
    CHECK(e.field() == "layers[0].features");
    e = parse_error(doc("  {\"kind\": \"embedding\", \"seq\": 4, \"vocab\": 0, \"features\": 8}"));
    CHECK(e.field() == "layers[0].vocab");
    e = parse_error(doc("  {\"kind\": \"copy\", \"batch\": 0, \"shape\": [4]}"));
    CHECK(e.field() == "layers[0].batch");
}

TEST_CASE("sizes past 2^31-1 and counts past 2^62 are refused with the file, line, path and the rule") {
    // channels 2^50: size_in_range at the field
    error e = parse_error(doc("  {\"kind\": \"conv2d\", \"in_channels\": 3, \"height\": 8, \"width\": 8,\n"
                              "   \"out_channels\": 1125899906842624}"));
    CHECK(e.where().file == "net.json");
    CHECK(e.where().line == 8);
    CHECK(e.field() == "layers[0].out_channels");
    CHECK(e.message().find("size_in_range") != std::string::npos);
    CHECK(e.message().find("got 1125899906842624, limit 2147483647") != std::string::npos);
    // padding near 2^62: refused by its range, before kernel_fits_padded_input adds it
    e = parse_error(doc("  {\"kind\": \"conv2d\", \"in_channels\": 3, \"height\": 8, \"width\": 8, \"out_channels\": 4,\n"
                        "   \"padding\": [1, 4611686018427387904]}"));
    CHECK(e.field() == "layers[0].padding");
    CHECK(e.message().find("size_in_range") != std::string::npos);
    // the network's batch, a layer's own batch, and heads, which multiplies it
    e = parse_error("{\"format\": \"perfcast-network\", \"version\": 1, \"name\": \"t\", \"batch\": 2147483648,\n"
                    " \"layers\": []}");
    CHECK(e.field() == "batch");
    CHECK(e.message().find("size_in_range") != std::string::npos);
    e = parse_error(doc("  {\"kind\": \"bmm\", \"heads\": 4294967296, \"m\": 4, \"k\": 8, \"n\": 2}"));
    CHECK(e.field() == "layers[0].heads");
    CHECK(e.message().find("size_in_range") != std::string::npos);
    e = parse_error(doc("  {\"kind\": \"bmm\", \"heads\": 2147483647, \"m\": 4, \"k\": 8, \"n\": 2}"));  // batch 2 * heads
    CHECK(e.message().find("size_in_range") != std::string::npos);
    CHECK(e.message().find("got 4294967294") != std::string::npos);
    // every size in range, a count past 2^62: the layer is located, the count named
    e = parse_error(doc("  {\"kind\": \"dense\", \"in_features\": 3, \"out_features\": 4},\n"
                        "  {\"kind\": \"dense\",\n   \"in_features\": 2147483647, \"out_features\": 2147483647}"));
    CHECK(e.where().line == 8);
    CHECK(e.field() == "layers[1]");
    CHECK(e.message().find("work_in_range") != std::string::npos);
    CHECK(e.message().find("forward.flops: dense \"layer1\"") == 0);
    // rows of a shape's leading dimensions: formed without overflow, refused by the rule
    e = parse_error(doc("  {\"kind\": \"softmax\", \"shape\": [2147483647, 2147483647, 8]}"));
    CHECK(e.field() == "layers[0]");
    CHECK(e.message().find("size_in_range") != std::string::npos);
    // a size that is not an integer, or past 64 bits, is refused by the reader with the path
    e = parse_error(doc("  {\"kind\": \"dense\", \"in_features\": 3, \"out_features\": 1e3}"));
    CHECK(e.field() == "layers[0].out_features");
    e = parse_error(doc("  {\"kind\": \"dense\", \"in_features\": 3, \"out_features\": 18446744073709551616}"));
    CHECK(e.field() == "layers[0].out_features");
}
