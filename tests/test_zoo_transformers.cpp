// Tests of zoo_transformers.hpp: parameter counts derived by hand from the Hugging Face configurations,
// layer counts per block read from the torch.fx traces (NeuSight's labels), shapes, FLOPs, JSON, batch.
#include <doctest/doctest.h>

#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

#include <perfcast/core/optimizer.hpp>
#include <perfcast/core/zoo.hpp>
#include <perfcast/runtime/io/network_json.hpp>

using namespace perfcast;

namespace {

const NamedLayer* find_layer(const Network& n, std::string_view name) {
    for (const auto& l : n.layers)
        if (l.name == name) return &l;
    return nullptr;
}
// a pointer into a temporary network would dangle
const NamedLayer* find_layer(Network&&, std::string_view) = delete;

std::size_t count_prefix(const Network& n, std::string_view prefix) {
    std::size_t c = 0;
    for (const auto& l : n.layers)
        if (std::string_view(l.name).substr(0, prefix.size()) == prefix) ++c;
    return c;
}

}  // namespace

TEST_CASE("transformer parameter counts equal Hugging Face's") {
    // Published counts (model.num_parameters(), tied weights counted once, buffers excluded).
    CHECK(zoo::gpt2_large().totals().params == 774030080);
    CHECK(zoo::opt_13().totals().params == 1315758080);
    // BertLMHeadModel: embeddings 30522*1024 + 512*1024 + 2*1024 + LN 2*1024 = 31,782,912;
    // each layer 3*(1024*1024+1024) + (1024*1024+1024) + 2*1024 + (1024*4096+4096) + (4096*1024+1024) + 2*1024
    // = 12,596,224, x24 = 302,309,376; head: transform 1024*1024+1024 + LN 2*1024 + decoder bias 30522 = 1,082,170
    CHECK(zoo::bert_large().totals().params == 335174458);
    // GPT-3 XL (n_embd 3072, 24 layers, 2048 positions, vocab 50257):
    // wte 50257*3072 = 154,389,504; wpe 2048*3072 = 6,291,456;
    // block: ln_1 + ln_2 2*2*3072 = 12,288; c_attn 3072*9216+9216 = 28,320,768; attn.c_proj 3072*3072+3072 =
    // 9,440,256; c_fc 3072*12288+12288 = 37,761,024; mlp.c_proj 12288*3072+3072 = 37,751,808; sum 113,286,144,
    // x24 = 2,718,867,456; ln_f 6,144; lm_head tied: 0. Total 2,879,554,560.
    CHECK(zoo::gpt3_xl().totals().params == 2879554560);
    // GPT-3 2.7B (n_embd 2560, 32 layers, 2048 positions): wte 50257*2560 = 128,657,920; wpe 2048*2560 =
    // 5,242,880; block: LNs 4*2560 = 10,240; c_attn 2560*7680+7680 = 19,668,480; attn.c_proj 2560*2560+2560 =
    // 6,556,160; c_fc 2560*10240+10240 = 26,224,640; mlp.c_proj 10240*2560+2560 = 26,216,960; sum 78,676,480,
    // x32 = 2,517,647,360; ln_f 5,120. Total 2,651,553,280.
    CHECK(zoo::gpt3_27().totals().params == 2651553280);
    // Switch (switchxl4: d_model 1024, 32 heads x d_kv 128 = 4096, d_ff 16384, 4 experts, 24 + 24 blocks,
    // every second feed-forward sparse, 32 relative-position buckets, vocab 32128, tied embeddings):
    // shared table 32128*1024 = 32,899,072; an attention 4*1024*4096 = 16,777,216; an RMS norm 1,024 (weight
    // only); a dense feed-forward 2*1024*16384 = 33,554,432; a sparse one 4 experts of that + a router
    // 1024*4 = 134,221,824. Encoder: 24*(16,777,216 + 1,024) + 24*1,024 + 12*33,554,432 + 12*134,221,824 +
    // bias 32*32 + final norm 1,024 = 2,416,019,456. Decoder: 24*(2*16,777,216 + 2*1,024) + 24*1,024 +
    // 12*33,554,432 + 12*134,221,824 + 1,024 + 1,024 = 2,818,697,216. LM head tied. Total 5,267,615,744.
    CHECK(zoo::switchxl4(1, 64).totals().params == 5267615744);
    // the sequence length changes no parameter
    CHECK(zoo::gpt2_large(3, 17).totals().params == 774030080);
    CHECK(zoo::switchxl4(2, 2048).totals().params == 5267615744);
}

TEST_CASE("tied layers count only their bias and cost what untied ones do") {
    const Network g = zoo::gpt2_large(1, 8);
    const auto* head = find_layer(g, "lm_head");
    REQUIRE(head != nullptr);
    const auto& d = std::get<DenseParams>(head->layer);
    CHECK(d.tied);
    CHECK(param_count(head->layer) == 0);
    DenseParams untied = d;
    untied.tied = false;
    CHECK(param_count(untied) == 50257 * 1280);
    CHECK(pass_cost(Layer{untied}, Pass::training, DType::fp32) == pass_cost(head->layer, Pass::training, DType::fp32));
    const Network bert = zoo::bert_large(1, 8);
    const auto* decoder = find_layer(bert, "cls.predictions.decoder");
    REQUIRE(decoder != nullptr);
    CHECK(param_count(decoder->layer) == 30522);  // the bias only
    std::vector<std::int64_t> tensors;  // the optimizer updates the bias only, the weight with the embedding
    for_each_parameter_tensor(decoder->layer, [&](std::int64_t n) { tensors.push_back(n); });
    CHECK(tensors == std::vector<std::int64_t>{30522});
}

TEST_CASE("layers per block follow the traced graphs") {
    // Kernels in one block of the torch.fx traces (views, permutes, splits and size arithmetic run none;
    // torch.matmul of permuted heads copies each operand first: q and k^T, then v):
    // GPT-2: ln_1, addmm, 2 copies, matmul, truediv, where, softmax, attn_dropout, a copy, matmul_1, contiguous,
    // addmm_1, resid_dropout, add, ln_2, addmm_2, 8 gelu_new kernels, addmm_3, dropout, add = 28
    CHECK(count_prefix(zoo::gpt2_large(1, 16), "transformer.h.0.") == 28);
    CHECK(count_prefix(zoo::gpt3_xl(1, 16), "transformer.h.23.") == 28);
    // BERT: query, key, value, 2 copies, matmul, truediv, add (mask), softmax, dropout, a copy, matmul_1,
    // contiguous, attention.output.{dense, dropout, add, LayerNorm}, intermediate.{dense, gelu},
    // output.{dense, dropout, add, LayerNorm} = 23
    CHECK(count_prefix(zoo::bert_large(1, 16), "bert.encoder.layer.0.") == 23);
    // OPT: self_attn_layer_norm, q_proj, mul, k_proj, contiguous, v_proj, contiguous_1, contiguous_2, bmm, add
    // (mask), max, softmax, dropout, bmm_1, reshape (a copy), out_proj, dropout_1, add, final_layer_norm, fc1,
    // relu, fc2, dropout_2, add = 24
    CHECK(count_prefix(zoo::opt_13(1, 16), "model.decoder.layers.0.") == 24);
    // whole networks: embeddings + blocks + head
    CHECK(zoo::gpt2_large(1, 16).layers.size() == 4 + 36 * 28 + 2);
    CHECK(zoo::gpt3_27(1, 16).layers.size() == 4 + 32 * 28 + 2);
    CHECK(zoo::bert_large(1, 16).layers.size() == 2 + 7 + 24 * 23 + 4);
    // OPT's attention mask: sub, then two out-of-place masked_fills, each a clone and the fill
    CHECK(zoo::opt_13(1, 16).layers.size() == 1 + 5 + 2 + 24 * 24 + 2);
}

TEST_CASE("Switch: blocks as Hugging Face's SwitchTransformers modules run them") {
    const Network n = zoo::switchxl4(2, 512);
    // a dense encoder block: self-attention (RMS norm: pow, mean, add, rsqrt, mul, weight = 6; q, k, v,
    // q_copy, k_copy, scores, position_bias, softmax, dropout, v_copy, context, unshape, o = 13; dropout,
    // residual) = 21, and the feed-forward (norm 6; wi, relu, dropout, wo; dropout, residual) = 12
    CHECK(count_prefix(n, "encoder.block.2.") == 33);
    // a sparse one: the feed-forward is the norm 6, router 8 (classifier, softmax, argmax, one_hot,
    // cumsum, le, mul, max), argmax and clone 2, 4 experts x 7 (mask, gather, wi, relu, dropout, wo,
    // scatter), the probability's product, dropout, residual = 47
    CHECK(count_prefix(n, "encoder.block.1.") == 21 + 47);
    CHECK(count_prefix(n, "encoder.block.1.layer.1.mlp.experts.expert_3.") == 7);
    // the first block also computes the relative position bias (18 bucket kernels, the embedding, + mask)
    CHECK(count_prefix(n, "encoder.block.0.") == 33 + 20);
    // decoder blocks add the cross-attention; its first the causal bias (16 + 2) and the cross bias (2)
    CHECK(count_prefix(n, "decoder.block.2.") == 21 + 21 + 12);
    CHECK(count_prefix(n, "decoder.block.3.") == 21 + 21 + 47);
    CHECK(count_prefix(n, "decoder.block.0.") == 54 + 20);
    CHECK(n.layers.size() == 2785 + 3 * 72);  // 72 attention sublayers, three copies each
    const auto layer = [&](std::string_view name) {
        const auto* l = find_layer(n, name);
        REQUIRE_MESSAGE(l != nullptr, name);
        return l->layer;
    };
    // an expert takes an equal share of each sequence, at most its capacity of 64 tokens
    CHECK(std::get<DenseParams>(layer("encoder.block.1.layer.1.mlp.experts.expert_0.wi")) ==
          DenseParams{2, 1024, 16384, false, 64, false});
    const Network small = zoo::switchxl4(1, 100);
    const auto* e0 = find_layer(small, "decoder.block.1.layer.2.mlp.experts.expert_1.wo");
    REQUIRE(e0 != nullptr);
    CHECK(std::get<DenseParams>(e0->layer).seq == 25);
    // two tokens for four experts: the last two get none and run nothing
    const Network two = zoo::switchxl4(1, 2);
    CHECK(find_layer(two, "encoder.block.1.layer.1.mlp.experts.expert_1.wi") != nullptr);
    CHECK(find_layer(two, "encoder.block.1.layer.1.mlp.experts.expert_2.wi") == nullptr);
    CHECK(find_layer(two, "encoder.block.1.layer.1.mlp.experts.expert_2.mask") != nullptr);
    // T5 attention: inner 4096 = 32 x 128, no scaling of the scores, the stack's bias added to them
    CHECK(std::get<BatchMatMulParams>(layer("decoder.block.5.layer.1.EncDecAttention.scores")) ==
          BatchMatMulParams{64, 512, 128, 512, false, false});  // k^T copied first
    for (const char* c : {"q_copy", "k_copy", "v_copy"})
        CHECK(std::get<CopyParams>(layer(std::string("decoder.block.5.layer.1.EncDecAttention.") + c)).shape ==
              Shape::nchw(2, 32, 512, 128));
    CHECK(std::holds_alternative<AddParams>(layer("encoder.block.7.layer.0.SelfAttention.position_bias")));
    CHECK(std::get<ElementwiseParams>(layer("encoder.block.0.layer.0.SelfAttention.mask")).other ==
          Shape::nchw(1, 32, 512, 512));
    CHECK(std::get<EmbeddingParams>(layer("encoder.block.0.layer.0.SelfAttention.relative_attention_bias")) ==
          EmbeddingParams{1, 512 * 512, 32, 32, false});
    // the RMS norm's weight is its only parameter; the decoder reads the encoder's token table
    CHECK(param_count(layer("decoder.final_layer_norm.weight")) == 1024);
    CHECK(param_count(layer("decoder.final_layer_norm.pow")) == 0);
    CHECK(std::get<EmbeddingParams>(layer("decoder.embed_tokens")).tied);
    CHECK(param_count(layer("decoder.embed_tokens")) == 0);
    CHECK(param_count(layer("encoder.embed_tokens")) == 32128 * 1024);
    CHECK(output_shape(n.layers.back().layer) == Shape::matrix(2 * 512, 32128));
    // an untied lookup costs the same
    EmbeddingParams untied = std::get<EmbeddingParams>(layer("decoder.embed_tokens"));
    untied.tied = false;
    CHECK(pass_cost(Layer{untied}, Pass::training, DType::fp32) ==
          pass_cost(layer("decoder.embed_tokens"), Pass::training, DType::fp32));
}

TEST_CASE("shapes follow the trace of GPT-2 large at batch 4, sequence 1024") {
    const Network g = zoo::gpt2_large(4, 1024);
    const auto layer = [&](std::string_view name) {
        const auto* l = find_layer(g, name);
        REQUIRE_MESSAGE(l != nullptr, name);
        return l->layer;
    };
    CHECK(output_shape(layer("transformer.wte")) == Shape{3, {4, 1024, 1280, 0}});
    CHECK(output_shape(layer("transformer.wpe")) == Shape{3, {1, 1024, 1280, 0}});
    CHECK(std::get<ElementwiseParams>(layer("transformer.add")).other == Shape{3, {1, 1024, 1280, 0}});
    CHECK(output_shape(layer("transformer.h.0.attn.c_attn")) == Shape::matrix(4096, 3840));
    // torch.matmul copies the permuted heads first (q, k^T; v before the context): the product reads copies
    const auto scores = std::get<BatchMatMulParams>(layer("transformer.h.0.attn.scores"));
    CHECK(scores == BatchMatMulParams{80, 1024, 64, 1024, false, false});
    for (const char* c : {"q_copy", "k_copy", "v_copy"})
        CHECK(std::get<CopyParams>(layer(std::string("transformer.h.0.attn.") + c)).shape ==
              Shape::nchw(4, 20, 1024, 64));
    CHECK(std::get<BatchMatMulParams>(layer("transformer.h.0.attn.context")) ==
          BatchMatMulParams{80, 1024, 1024, 64, false, false});
    const auto mask = std::get<ElementwiseParams>(layer("transformer.h.0.attn.mask"));
    CHECK(mask.op == ElementwiseOp::where);
    CHECK(mask.shape == Shape::nchw(4, 20, 1024, 1024));
    CHECK(mask.other == Shape::nchw(1, 1, 1024, 1024));
    CHECK(std::get<ElementwiseParams>(layer("transformer.h.0.attn.scale")).scalar);
    CHECK(std::get<SoftmaxParams>(layer("transformer.h.0.attn.softmax")) == SoftmaxParams{4 * 20 * 1024, 1024});
    CHECK(std::get<CopyParams>(layer("transformer.h.0.attn.merge_heads")).shape == Shape::nchw(4, 1024, 20, 64));
    CHECK(std::get<LayerNormParams>(layer("transformer.h.35.ln_2")) == LayerNormParams{4096, 1280, true});
    CHECK(output_shape(layer("transformer.h.0.mlp.c_fc")) == Shape::matrix(4096, 5120));
    CHECK(std::get<ElementwiseParams>(layer("transformer.h.0.mlp.act.pow")).op == ElementwiseOp::pow);
    CHECK(output_shape(g.layers.back().layer) == Shape::matrix(4096, 50257));

    // OPT's attention mask is (B, 1, S, S), BERT's (B, 1, 1, S), both added to the scores
    const Network o = zoo::opt_13(2, 2048);
    for (const char* fill : {"model.decoder.attention_mask.masked_fill", "model.decoder.attention_mask.masked_fill_1"}) {
        const auto* clone = find_layer(o, std::string(fill) + ".clone");
        REQUIRE(clone != nullptr);
        CHECK(std::get<CopyParams>(clone->layer).shape == Shape::nchw(2, 1, 2048, 2048));
        CHECK(std::get<ElementwiseParams>(find_layer(o, fill)->layer).op == ElementwiseOp::where);
    }
    const auto* om = find_layer(o, "model.decoder.layers.0.self_attn.mask");
    REQUIRE(om != nullptr);
    CHECK(std::get<ElementwiseParams>(om->layer).other == Shape::nchw(2, 1, 2048, 2048));
    CHECK(std::get<BatchMatMulParams>(find_layer(o, "model.decoder.layers.0.self_attn.scores")->layer).batch == 64);
    // OPT's heads are contiguous copies already (k_contiguous, ...) and bmm reads k transposed: no matmul copies
    CHECK(std::get<BatchMatMulParams>(find_layer(o, "model.decoder.layers.0.self_attn.scores")->layer).transpose_b);
    CHECK(find_layer(o, "model.decoder.layers.0.self_attn.q_copy") == nullptr);
    const Network b = zoo::bert_large(8, 512);
    CHECK(std::get<ElementwiseParams>(find_layer(b, "bert.encoder.layer.0.attention.self.mask")->layer).other ==
          Shape::nchw(8, 1, 1, 512));
    CHECK(output_shape(b.layers.back().layer) == Shape::matrix(8 * 512, 30522));
}

TEST_CASE("forward FLOPs are 2 x (non-embedding params + LM head) x tokens plus attention") {
    struct Case {
        Network net;
        std::int64_t params, embedding, vocab, features, layers, heads;
    };
    const std::int64_t B = 2, S = 256, T = B * S;
    const Case cases[] = {
        {zoo::gpt2_large(B, S), 774030080, (50257 + 1024) * 1280, 50257, 1280, 36, 20},
        {zoo::gpt3_xl(B, S), 2879554560, (50257 + 2048) * 3072, 50257, 3072, 24, 24},
        {zoo::opt_13(B, S), 1315758080, (50272 + 2050) * 2048, 50272, 2048, 24, 32},
        {zoo::bert_large(B, S), 335174458, (30522 + 512 + 2) * 1024, 30522, 1024, 24, 16},
    };
    for (const auto& c : cases) {
        CAPTURE(c.net.name);
        // GEMMs: every weight once per token (the tied head's too); attention: q k^T and p v, 2*S*S*F each
        const double gemm = 2.0 * static_cast<double>((c.params - c.embedding + c.vocab * c.features) * T);
        const double attention = static_cast<double>(c.layers * 2 * 2 * B * S * S * c.features);
        const double flops = static_cast<double>(c.net.totals().inference.flops);
        // the element-wise layers (softmax, layer norm, GELU...) add a few FLOPs per element: under 2 %
        CHECK(flops >= gemm + attention);
        CHECK(flops <= 1.02 * (gemm + attention));
    }
    // Switch at batch 2, sequence 256 (encoder and decoder both of 256 tokens): per token 24 attentions of
    // 4 projections and 24 of 8 (self and cross), 24 dense feed-forwards of 2, 24 routers, the LM head; each
    // sparse layer's 4 experts take min(64, 256/4) = 64 tokens of each sequence; q k^T and p v in 72 attentions
    const double F = 1024, HD = 4096, FF = 16384, E = 4, V = 32128;
    const double expert_tokens = static_cast<double>(B) * 4 * 64;
    const double gemm = 2.0 * (static_cast<double>(T) * (288 * F * HD + 48 * F * FF + 24 * F * E + F * V) +
                               24 * expert_tokens * 2 * F * FF);
    const double attention = 72.0 * 4 * static_cast<double>(B * S * S) * HD;
    const double flops = static_cast<double>(zoo::switchxl4(B, S).totals().inference.flops);
    CHECK(flops >= gemm + attention);
    CHECK(flops <= 1.02 * (gemm + attention));
}

TEST_CASE("transformers survive a JSON round trip, tied heads included") {
    for (const Network& n : {zoo::bert_large(2, 64), zoo::gpt2_large(2, 64), zoo::gpt3_xl(1, 32), zoo::gpt3_27(1, 32),
                             zoo::opt_13(3, 16), zoo::switchxl4(2, 32)}) {
        CAPTURE(n.name);
        const Network back = parse_network(network_to_json(n).dump());
        CHECK(back.name == n.name);
        CHECK(back.batch == n.batch);
        CHECK(back.layers == n.layers);
        CHECK(back.totals().params == n.totals().params);
    }
    const std::string head = network_to_json(zoo::gpt2_large(1, 4))["layers"].back().dump();
    CHECK(head.find("\"tied\":true") != std::string::npos);
    const Network plain = parse_network(R"({"format": "perfcast-network", "version": 1, "name": "n", "batch": 2,
        "layers": [{"name": "fc", "kind": "dense", "in_features": 4, "out_features": 3, "tied": true}]})");
    CHECK(std::get<DenseParams>(plain.layers[0].layer).tied);
    CHECK(plain.totals().params == 3);
    // a tied embedding and a parameter operand (T5's norm weight) read back; a parameter needs `other`
    const Network t5 = parse_network(R"({"format": "perfcast-network", "version": 1, "name": "n", "batch": 2,
        "layers": [{"name": "emb", "kind": "embedding", "seq": 8, "vocab": 100, "features": 16, "tied": true},
                   {"name": "w", "kind": "elementwise", "op": "mul", "shape": [8, 16], "other": [1, 1, 16],
                    "parameter": true}]})");
    CHECK(std::get<EmbeddingParams>(t5.layers[0].layer).tied);
    CHECK(std::get<ElementwiseParams>(t5.layers[1].layer).parameter);
    CHECK(t5.totals().params == 16);
    CHECK_THROWS_WITH_AS(parse_network(R"({"format": "perfcast-network", "version": 1, "name": "n", "batch": 2,
        "layers": [{"name": "w", "kind": "elementwise", "op": "mul", "shape": [8, 16], "parameter": true}]})"),
                         doctest::Contains("parameter"), error);
}

TEST_CASE("with_batch of a transformer gives the network built at that batch") {
    CHECK(zoo::gpt2_large(2, 64).with_batch(8).layers == zoo::gpt2_large(8, 64).layers);
    CHECK(zoo::bert_large(2, 64).with_batch(5).layers == zoo::bert_large(5, 64).layers);
    CHECK(zoo::opt_13(2, 64).with_batch(4).layers == zoo::opt_13(4, 64).layers);
    CHECK(zoo::switchxl4(2, 64).with_batch(6).layers == zoo::switchxl4(6, 64).layers);
    // the position embedding stays shared by the batch
    const Network g = zoo::gpt2_large(2, 64).with_batch(8);
    CHECK(batch_of(find_layer(g, "transformer.wpe")->layer) == 1);
}

TEST_CASE("batch and sequence length are checked against the model") {
    CHECK(zoo::gpt2_large(1, 1024).layers.size() == 1014);
    CHECK_THROWS_WITH_AS(zoo::gpt2_large(1, 1025), doctest::Contains("seq must be 1 to 1024"), error);
    CHECK_THROWS_AS(zoo::bert_large(1, 513), error);
    CHECK_THROWS_AS(zoo::opt_13(1, 0), error);
    CHECK_THROWS_AS(zoo::gpt3_xl(0, 8), error);
    CHECK_NOTHROW(zoo::gpt3_27(1, 2048));
    CHECK_THROWS_WITH_AS(zoo::switchxl4(1, 8193), doctest::Contains("relative positions have no maximum"), error);
}

TEST_CASE("zoo::find takes the transformer names, aliases and a sequence length") {
    for (std::string_view name : {"bert_large", "gpt2_large", "gpt3_xl", "gpt3_27", "opt_13", "switchxl4"}) {
        const auto n = zoo::find(name, 2, 8);
        REQUIRE_MESSAGE(n.has_value(), name);
        CHECK(n->name == name);
        CHECK(n->batch == 2);
    }
    // seq 0: the model's maximum positions
    CHECK(std::get<EmbeddingParams>(zoo::find("gpt2_large")->layers[0].layer).seq == 1024);
    CHECK(std::get<EmbeddingParams>(zoo::find("opt_13", 1, 0)->layers[0].layer).seq == 2048);
    CHECK(zoo::find("switchxl4", 1, 0)->layers == zoo::switchxl4(1, 512).layers);  // its default: 512
    CHECK(zoo::is_transformer("Switch-XL4"));
    CHECK(zoo::find("gpt2-large", 1, 16)->layers == zoo::gpt2_large(1, 16).layers);
    CHECK(zoo::find("OPT-1.3B", 1, 16)->name == "opt_13");
    CHECK(zoo::find("gpt3-2.7b", 1, 16)->name == "gpt3_27");
    CHECK(zoo::find("BERT-large", 1, 16)->name == "bert_large");
    CHECK_THROWS_WITH_AS(zoo::find("resnet50", 1, 128), doctest::Contains("takes no sequence length"), error);
    CHECK_THROWS_AS(zoo::find("gpt2_large", 1, 4096), error);
    CHECK_THROWS_AS(zoo::find("gpt2_large", 1, -1), error);
    CHECK(zoo::find("resnet50", 1, 0).has_value());
    CHECK(zoo::is_transformer("gpt2-large"));
    CHECK(!zoo::is_transformer("resnet50"));
}

TEST_CASE("the NetBuilder transformer methods check the running shape") {
    NetBuilder b("t", 2, Shape::matrix(2, 8));
    CHECK_THROWS_WITH_AS(b.linear("fc", 4), doctest::Contains("rank-3"), error);  // token ids, not features
    b.embedding("emb", 100, 16);
    CHECK(b.shape() == Shape{3, {2, 8, 16, 0}});
    CHECK_THROWS_AS(b.embedding("emb2", 100, 16), error);  // needs (batch, seq) ids
    CHECK_THROWS_WITH_AS(b.view(Shape::nchw(2, 4, 8, 5)), doctest::Contains("element count"), error);
    CHECK_THROWS_WITH_AS(b.linear("zero", 0), doctest::Contains("features must be >= 1"), error);
    b.linear("fc", 32).layernorm("ln").view(Shape::nchw(2, 8, 4, 8)).view(Shape::nchw(2, 4, 8, 8));
    b.bmm("qk", 8, false, true).elementwise("mask", ElementwiseOp::where, Shape::nchw(1, 1, 8, 8)).softmax("sm");
    CHECK(b.shape() == Shape::nchw(2, 4, 8, 8));
    CHECK_THROWS_WITH_AS(b.elementwise("bad", ElementwiseOp::add, Shape::nchw(1, 3, 8, 8)),
                         doctest::Contains("broadcast"), error);
    b.bmm("pv", 8).copy("merge");
    const Network n = b.build();
    CHECK(std::get<BatchMatMulParams>(n.layers[3].layer) == BatchMatMulParams{8, 8, 8, 8, false, true});
    CHECK(std::get<SoftmaxParams>(n.layers[5].layer) == SoftmaxParams{64, 8});
    CHECK(std::get<LayerNormParams>(n.layers[2].layer) == LayerNormParams{16, 32, true});
    CHECK(std::get<DenseParams>(n.layers[1].layer) == DenseParams{2, 16, 32, true, 8, false});
    NetBuilder flat("f", 2, Shape::matrix(2, 8));
    CHECK_THROWS_WITH_AS(flat.bmm("x", 4), doctest::Contains("rank-3"), error);
}

TEST_CASE("a compile-time transformer equals its run-time twin") {
    using Bert = zoo::BertLarge<2, 128>;
    static_assert(Bert::param_count == 335174458);
    const Network rt = zoo::bert_large(2, 128);
    const Network ct = Bert::to_network("bert_large");
    REQUIRE(rt.layers.size() == ct.layers.size());
    for (std::size_t i = 0; i < rt.layers.size(); ++i) CHECK(rt.layers[i].layer == ct.layers[i].layer);
    CHECK(Bert::pass_cost(Pass::training).flops == rt.totals().training.flops);
}
