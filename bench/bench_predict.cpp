// How fast perfcast predicts: one layer, a batch of rows, ResNet-50 whole, and how long
// training on the whole NeuSight set takes. Run from the repository root (it reads
// models/neusight-fp32.json and data/neusight/, or $PERFCAST_MODEL).
#include <cstdlib>  // getenv
#include <string>   // string
#include <vector>   // vector

#include <benchmark/benchmark.h>  // BENCHMARK, State

#include <perfcast/perfcast.hpp>   // zoo, devices, estimate
#include <perfcast/runtime/predictor.hpp>  // Predictor, train_predictor

namespace {

using namespace perfcast;

const Predictor& model() {
    static const Predictor p = Predictor::load(std::getenv("PERFCAST_MODEL") ? std::getenv("PERFCAST_MODEL")
                                                                             : "models/neusight-fp32.json");
    return p;
}

void BM_PredictOneConvLayer(benchmark::State& state) {
    const Layer conv = Conv2DParams{.batch = 32, .in_channels = 256, .height = 14, .width = 14, .out_channels = 256,
                                    .kernel = 3, .padding = 1, .bias = false};
    const Predictor& p = model();
    for (auto _ : state) benchmark::DoNotOptimize(p.predict_us(conv, Target(devices::t4, Pass::inference, DType::fp32)));
}
BENCHMARK(BM_PredictOneConvLayer);

void BM_PredictOneDenseLayer(benchmark::State& state) {
    const Layer fc = DenseParams{.batch = 64, .in_features = 2048, .out_features = 1000};
    const Predictor& p = model();
    for (auto _ : state) benchmark::DoNotOptimize(p.predict_us(fc, Target(devices::h100_sxm, Pass::inference, DType::fp32)));
}
BENCHMARK(BM_PredictOneDenseLayer);

void BM_PredictRowsBatched(benchmark::State& state) {
    const Predictor& p = model();
    const KindEnsemble& m = p.models().at(LayerKind::conv2d);
    const std::size_t rows = static_cast<std::size_t>(state.range(0));
    xt::xtensor<double, 2> X = xt::xtensor<double, 2>::from_shape({rows, m.feature_names.size()});
    std::vector<double> v;
    for (std::size_t i = 0; i < rows; ++i) {
        v.clear();
        const Layer l = Conv2DParams{.batch = 1 + static_cast<std::int64_t>(i % 64), .in_channels = 64, .height = 28,
                                     .width = 28, .out_channels = 128, .kernel = 3, .padding = 1};
        compute_features(m.features, l, Target(devices::v100_pcie_32gb, Pass::inference, DType::fp32), &v, nullptr);
        for (std::size_t c = 0; c < v.size(); ++c) X(i, c) = v[c];
    }
    for (auto _ : state) benchmark::DoNotOptimize(m.members.front().predict(X));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_PredictRowsBatched)->Arg(1024)->Arg(16384);

void BM_ResNet50Learned(benchmark::State& state) {
    const Network n = zoo::resnet50(32);
    const Predictor& m = model();
    const Target t(devices::v100_pcie_32gb, Pass::inference, DType::fp32);
    for (auto _ : state) {
        double total = 0;
        for (const auto& l : n.layers) total += m.layer_time(l.layer, t).us;
        benchmark::DoNotOptimize(total);
    }
}
BENCHMARK(BM_ResNet50Learned)->Unit(benchmark::kMicrosecond);

void BM_ResNet50EstimateWithBreakdown(benchmark::State& state) {
    const Network n = zoo::resnet50(32);
    for (auto _ : state)
        benchmark::DoNotOptimize(estimate(n, Target(devices::v100_pcie_32gb, Pass::inference, DType::fp32), model()));
}
BENCHMARK(BM_ResNet50EstimateWithBreakdown)->Unit(benchmark::kMicrosecond);

// A whole transformer: GPT-3 2.7B at sequence length 2048 (about 850 layers, the block repeated 32 times),
// every layer with its estimate, method, roofline, PALEO and data coverage; state.range(0): 1 = training
void BM_GPT3_27Seq2048Estimate(benchmark::State& state) {
    const Network n = *zoo::find("gpt3_27", 1, 2048);
    const Target t(devices::h100_sxm, state.range(0) ? Pass::training : Pass::inference, DType::fp32);
    for (auto _ : state) benchmark::DoNotOptimize(estimate(n, t, model()));
    state.SetLabel(std::to_string(n.layers.size()) + " layers");
}
BENCHMARK(BM_GPT3_27Seq2048Estimate)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_ResNet50Paleo(benchmark::State& state) {
    const Network n = zoo::resnet50(32);
    for (auto _ : state) {
        double total = 0;
        for (const auto& l : n.layers) total += paleo_us(l.layer, Target(devices::h100_sxm, Pass::inference));
        benchmark::DoNotOptimize(total);
    }
}
BENCHMARK(BM_ResNet50Paleo)->Unit(benchmark::kMicrosecond);

void BM_TrainWholeNeuSight(benchmark::State& state) {
    DeviceRegistry reg;
    const Dataset ds = load_datasets({"data/neusight/conv.csv", "data/neusight/linear.csv", "data/neusight/bmm.csv",
                                      "data/neusight/elementwise.csv", "data/neusight/softmax.csv",
                                      "data/neusight/layernorm.csv", "data/gpu/h200/ops.csv"},
                                     reg);
    // the default model's rows (NeuSight's five GPUs but the P4's linear sweep, and the H200's) and options
    // (models/README.md): both tiers, one network each, two at once
    TrainOptions o;
    o.ensemble = 1;
    o.mlp.max_epochs = 40;
    o.mlp.patience = 8;
    o.mlp.batch_size = 512;
    o.memory_mlp = o.mlp;  // the memory-bound kinds' models of the training devices train longer
    o.memory_mlp->max_epochs = 100;
    o.memory_mlp->patience = 15;
    o.memory_mlp->learning_rate = 1e-2;
    o.threads = 2;
    o.exclude_sources = {"neusight:linear/Tesla_P4.csv:"};
    single_threaded_blas();
    for (auto _ : state) benchmark::DoNotOptimize(train_predictor(ds, reg, o));
    state.counters["rows"] = static_cast<double>(ds.rows.size());
}
BENCHMARK(BM_TrainWholeNeuSight)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
