// Tests of the compile-time model: constexpr_math.hpp, feature_kernel.hpp, constexpr_model.hpp,
// compile_time.hpp and embed.hpp. The constexpr path must give what the run-time Predictor gives,
// for the committed model and for small models trained here on synthetic data.
#include <doctest/doctest.h>

#include <perfcast/core/compile_time.hpp>     // predict_us<>, predict_layers<>, embedded::default_model
#include <perfcast/core/constexpr_model.hpp>  // embedded::predict_us, layer_time, network_us, verify
#include <perfcast/core/detail/constexpr_math.hpp>  // cmath::log, exp, tanh, sqrt, floor, ceil
#include <perfcast/core/feature_kernel.hpp>  // features_kernel::compute
#include <perfcast/lab/embed.hpp>            // embed_model_header, is_identifier
#include <perfcast/runtime/estimate.hpp>         // estimate
#include <perfcast/runtime/features.hpp>         // compute_features
#include <perfcast/runtime/predictor.hpp>        // Predictor, train_predictor, Predictor::layer_time
#include <perfcast/core/zoo.hpp>              // zoo::resnet50, zoo::ResNet50<>, zoo::find

#include <algorithm>   // max
#include <array>       // array: a model's precisions
#include <bit>         // bit_cast
#include <charconv>    // from_chars
#include <cmath>       // log, exp, tanh, sqrt, floor, ceil, nextafter, fabs
#include <cstdint>     // uint64_t, int64_t
#include <filesystem>  // path
#include <fstream>     // ifstream
#include <limits>      // numeric_limits
#include <sstream>     // ostringstream
#include <string>      // string
#include <vector>      // vector

using namespace perfcast;
namespace cm = perfcast::detail::cmath;
namespace fk = perfcast::detail::features_kernel;

namespace {

/** A small deterministic generator (the tests must not depend on <random>'s distributions). */
class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next() {
        m_state = m_state * 6364136223846793005ULL + 1442695040888963407ULL;
        std::uint64_t z = m_state;
        z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
        return z ^ (z >> 33);
    }
    double uniform() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }  // [0, 1)
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /** An integer in [lo, hi], log-uniform (sizes span orders of magnitude). */
    std::int64_t log_int(std::int64_t lo, std::int64_t hi) {
        const double v = std::exp(uniform(std::log(static_cast<double>(lo)), std::log(static_cast<double>(hi) + 1)));
        return std::clamp(static_cast<std::int64_t>(v), lo, hi);
    }
    std::int64_t pick(std::initializer_list<std::int64_t> v) { return *(v.begin() + next() % v.size()); }
    bool coin() { return (next() & 1) != 0; }

private:
    std::uint64_t m_state;
};

/** Distance in units in the last place of @p expected. */
double ulps(double got, double expected) {
    if (got == expected) return 0.0;
    const double e = std::fabs(expected);
    const double ulp = std::nextafter(e, std::numeric_limits<double>::infinity()) - e;
    return std::fabs(got - expected) / ulp;
}

double relative_difference(double got, double expected) {
    return expected == 0 ? std::fabs(got) : std::fabs(got - expected) / std::fabs(expected);
}

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

Layer random_conv(Rng& r) {
    for (;;) {
        Conv2DParams p;
        p.batch = r.log_int(1, 64);
        p.in_channels = r.log_int(1, 1024);
        p.height = r.log_int(4, 224);
        p.width = r.coin() ? p.height : r.log_int(4, 224);
        p.out_channels = r.log_int(1, 1024);
        const std::int64_t k = r.pick({1, 1, 3, 3, 3, 5, 7, 11});
        p.kernel = r.coin() ? Hw{k} : Hw{k, r.pick({1, 3})};
        p.stride = Hw{r.pick({1, 1, 1, 2, 4})};
        p.padding = Hw{r.pick({0, 1, 2, 3})};
        p.dilation = Hw{r.pick({1, 1, 1, 2})};
        p.groups = r.pick({1, 1, 1, 2, 4, 32});
        if (r.uniform() < 0.1) {  // depthwise
            p.groups = p.in_channels;
            p.out_channels = p.in_channels;
        }
        p.bias = r.coin();
        if (!check(Layer{p})) return p;
    }
}

Layer random_dense(Rng& r) {
    DenseParams p;
    p.batch = r.log_int(1, 512);
    p.in_features = r.log_int(1, 16384);
    p.out_features = r.log_int(1, 16384);
    p.bias = r.coin();
    p.seq = r.uniform() < 0.3 ? r.log_int(1, 2048) : 1;
    return p;
}

Layer random_pool(Rng& r) {
    for (;;) {
        Pool2DParams p;
        p.batch = r.log_int(1, 64);
        p.channels = r.log_int(1, 1024);
        p.height = r.log_int(2, 224);
        p.width = r.coin() ? p.height : r.log_int(2, 224);
        p.mode = r.coin() ? PoolMode::max : PoolMode::avg;
        p.kernel = Hw{r.pick({2, 3, 5})};
        p.stride = Hw{r.pick({0, 1, 2})};
        p.padding = Hw{r.pick({0, 0, 1})};
        p.ceil_mode = r.uniform() < 0.2;
        p.global = r.uniform() < 0.15;
        if (!check(Layer{p})) return p;
    }
}

/** Any kind, the element-wise ones included (their features are the generic batch/elements pair). */
Layer random_layer(Rng& r) {
    const Shape s = Shape::nchw(r.log_int(1, 64), r.log_int(1, 512), r.log_int(1, 112), r.log_int(1, 112));
    switch (r.next() % 10) {
        case 0: return random_dense(r);
        case 1: return random_conv(r);
        case 2: return random_pool(r);
        case 3: return BatchNorm2DParams{s[0], s[1], s[2], s[3], r.coin()};
        case 4: return ActivationParams{s, ActivationKind::gelu};
        case 5: return AddParams{s, r.log_int(2, 4)};
        case 6: return ConcatParams{s[0], s[1] * 2, s[2], s[3], 2};
        case 7: return FlattenParams{s};
        case 8: return SoftmaxParams{s[0], r.log_int(1, 100000)};
        default: return DropoutParams{s, 0.25};
    }
}

const Device& random_device(Rng& r) { return *devices::builtin[r.next() % devices::builtin.size()]; }
Pass random_pass(Rng& r) { return r.coin() ? Pass::inference : Pass::training; }
DType random_dtype(Rng& r) { return all_dtypes[r.next() % all_dtypes.size()]; }

std::filesystem::path repo_root() { return std::filesystem::path(__FILE__).parent_path().parent_path(); }

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const Predictor& default_predictor() {
    static const Predictor p = Predictor::load((repo_root() / "models/neusight-fp32.json").string());
    return p;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// constexpr math
// ---------------------------------------------------------------------------------------

TEST_CASE("constexpr log, exp and sqrt are within 1 ulp of <cmath>, tanh within 4 (glibc's own tanh is off by 2)") {
    Rng r(7);
    double worst_log = 0, worst_exp = 0, worst_sqrt = 0, worst_tanh = 0, worst_expm1 = 0;
    for (int i = 0; i < 200000; ++i) {
        const double x = std::exp(r.uniform(-700, 700));
        worst_log = std::max(worst_log, ulps(cm::log(x), std::log(x)));
        worst_sqrt = std::max(worst_sqrt, ulps(cm::sqrt(x), std::sqrt(x)));
        const double near1 = 1.0 + r.uniform(-1e-3, 1e-3);
        worst_log = std::max(worst_log, ulps(cm::log(near1), std::log(near1)));
        const double e = r.uniform(-740, 709);
        worst_exp = std::max(worst_exp, ulps(cm::exp(e), std::exp(e)));
        const double t = r.uniform(-25, 25) * (i % 3 == 0 ? 1e-3 : 1.0);
        worst_tanh = std::max(worst_tanh, ulps(cm::tanh(t), std::tanh(t)));
        const double m = r.uniform(-3, 3);
        worst_expm1 = std::max(worst_expm1, ulps(cm::expm1(m), std::expm1(m)));
    }
    MESSAGE("worst ulps against glibc: log " << worst_log << ", exp " << worst_exp << ", sqrt " << worst_sqrt
                                             << ", tanh " << worst_tanh << ", expm1 " << worst_expm1);
    CHECK(worst_log <= 1.0);
    CHECK(worst_exp <= 1.0);
    CHECK(worst_sqrt <= 1.0);
    CHECK(worst_tanh <= 4.0);
    CHECK(worst_expm1 <= 4.0);
}

TEST_CASE("constexpr math: special values, subnormals and the extremes are those of <cmath>") {
    constexpr double inf = std::numeric_limits<double>::infinity();
    constexpr double tiny = std::numeric_limits<double>::denorm_min();
    CHECK(cm::log(0.0) == -inf);
    CHECK(cm::log(inf) == inf);
    CHECK(cm::isnan(cm::log(-1.0)));
    CHECK(cm::isnan(cm::log(std::numeric_limits<double>::quiet_NaN())));
    CHECK(ulps(cm::log(tiny), std::log(tiny)) <= 1.0);
    CHECK(ulps(cm::log(3e-310), std::log(3e-310)) <= 1.0);
    CHECK(ulps(cm::log(std::numeric_limits<double>::max()), std::log(std::numeric_limits<double>::max())) <= 1.0);
    CHECK(cm::exp(710.0) == inf);
    CHECK(cm::exp(-inf) == 0.0);
    CHECK(cm::exp(inf) == inf);
    CHECK(cm::exp(0.0) == 1.0);
    CHECK(same_bits(cm::exp(-745.0), std::exp(-745.0)));  // the smallest subnormal
    CHECK(ulps(cm::exp(-720.5), std::exp(-720.5)) <= 1.0);
    CHECK(ulps(cm::exp(709.7), std::exp(709.7)) <= 1.0);
    CHECK(cm::tanh(30.0) == 1.0);
    CHECK(cm::tanh(-30.0) == -1.0);
    CHECK(same_bits(cm::tanh(-0.0), -0.0));
    CHECK(cm::sqrt(0.0) == 0.0);
    CHECK(cm::sqrt(inf) == inf);
    CHECK(cm::isnan(cm::sqrt(-4.0)));
    CHECK(cm::sqrt(tiny) == std::sqrt(tiny));
}

TEST_CASE("constexpr floor and ceil are exact") {
    Rng r(11);
    for (int i = 0; i < 100000; ++i) {
        const double scale = std::exp(r.uniform(-5, 60));
        const double x = r.uniform(-1, 1) * scale;
        const double h = std::floor(x) + 0.5;  // halves, integers and their neighbours
        for (const double v : {x, h, std::floor(x), std::nextafter(std::floor(x), 0.0)}) {
            CHECK(same_bits(cm::floor(v), std::floor(v)));
            CHECK(same_bits(cm::ceil(v), std::ceil(v)));
        }
    }
    CHECK(same_bits(cm::floor(-0.0), -0.0));
    CHECK(same_bits(cm::ceil(-0.5), -0.0));
    CHECK(cm::floor(1e300) == 1e300);
    CHECK(cm::ceil(-std::numeric_limits<double>::infinity()) == -std::numeric_limits<double>::infinity());
}

// ---------------------------------------------------------------------------------------
// the feature kernel
// ---------------------------------------------------------------------------------------

TEST_CASE("the feature kernel gives compute_features' names and values for every set, kind, device, pass, precision") {
    Rng r(3);
    double worst = 0;
    std::size_t compared = 0;
    for (int i = 0; i < 3000; ++i) {
        const Layer l = random_layer(r);
        const Device& d = random_device(r);
        const Pass pass = random_pass(r);
        const DType t = random_dtype(r);
        for (FeatureSet set : {FeatureSet::raw, FeatureSet::params, FeatureSet::analytical, FeatureSet::hardware}) {
            std::vector<double> values;
            std::vector<std::string> names;
            compute_features(set, l, Target(d, pass, t), &values, &names);
            fk::feature_buffer with_std, with_own;
            fk::compute<fk::std_math>(with_std, set, l, Target(d, pass, t));
            fk::compute<fk::constexpr_math>(with_own, set, l, Target(d, pass, t));
            REQUIRE(with_std.size == values.size());
            REQUIRE(with_own.size == values.size());
            for (std::size_t c = 0; c < values.size(); ++c) {
                INFO("feature " << names[c] << " of a " << to_string(kind(l)) << " layer on " << d.id);
                CHECK(with_std.names[c] == names[c]);
                CHECK(with_own.names[c] == names[c]);
                CHECK(same_bits(with_std.values[c], values[c]));  // the same code with <cmath>: bit for bit
                const double diff = std::fabs(with_own.values[c] - values[c]);
                worst = std::max(worst, diff / std::max(1.0, std::fabs(values[c])));
                CHECK(diff <= 1e-15 * std::max(1.0, std::fabs(values[c])));
                ++compared;
            }
        }
    }
    MESSAGE(compared << " feature values; worst difference of the constexpr math " << worst
                     << " (relative, absolute below 1)");
}

// ---------------------------------------------------------------------------------------
// the embedded default model
// ---------------------------------------------------------------------------------------

TEST_CASE("the embedded default model holds exactly what models/neusight-fp32.json holds") {
    const Predictor& p = default_predictor();
    const embedded::Model& want = p.view();
    const embedded::Model& got = embedded::default_model;
    CHECK(got.name == p.name());
    CHECK(got.data_hash == p.info().data_hash);
    CHECK(got.feature_schema_version == feature_schema_version);
    std::vector<std::pair<const KindEnsemble*, const TrainedRegressor*>> members;  // in embedding order
    for (const auto& [k, km] : p.models())
        for (const TrainedRegressor& r : km.members) members.emplace_back(&km, &r);
    for (const KindEnsemble& km : p.portable_models())
        for (const TrainedRegressor& r : km.members) members.emplace_back(&km, &r);
    REQUIRE(got.kinds.size() == members.size());
    REQUIRE(want.kinds.size() == members.size());
    for (std::size_t k = 0; k < got.kinds.size(); ++k) {
        const embedded::KindModel& g = got.kinds[k];
        const embedded::KindModel& w = want.kinds[k];
        const KindEnsemble& src = *members[k].first;
        const TrainedRegressor& reg = *members[k].second;
        REQUIRE(src.kind == g.kind);
        INFO("kind " << to_string(g.kind));
        CHECK(g.kind == w.kind);
        CHECK(g.features == src.features);
        CHECK(g.relative_to_roofline == src.relative_to_roofline);
        REQUIRE(g.feature_names.size() == src.feature_names.size());
        for (std::size_t i = 0; i < g.feature_names.size(); ++i) CHECK(g.feature_names[i] == src.feature_names[i]);
        REQUIRE(g.mean.size() == reg.scaler().mean().size());
        for (std::size_t i = 0; i < g.mean.size(); ++i) {
            CHECK(same_bits(g.mean[i], reg.scaler().mean()(i)));
            CHECK(same_bits(g.stddev[i], reg.scaler().stddev()(i)));
        }
        const auto& layers = reg.mlp().layers();
        REQUIRE(g.layers.size() == layers.size());
        for (std::size_t l = 0; l < layers.size(); ++l) {
            REQUIRE(g.layers[l].inputs == layers[l].inputs());
            REQUIRE(g.layers[l].outputs == layers[l].outputs());
            const double* wsrc = layers[l].weights.data();
            std::size_t differ = 0;
            for (std::size_t i = 0; i < g.layers[l].weights.size(); ++i)
                differ += same_bits(g.layers[l].weights[i], wsrc[i]) ? 0 : 1;
            for (std::size_t i = 0; i < g.layers[l].bias.size(); ++i)
                differ += same_bits(g.layers[l].bias[i], layers[l].bias(i)) ? 0 : 1;
            CHECK(differ == 0);
        }
        CHECK(g.activation == reg.mlp().activation());
        CHECK(same_bits(g.output_offset, reg.mlp().output_offset()));
        CHECK(same_bits(g.output_scale, reg.mlp().output_scale()));
        CHECK(g.transform == reg.target_transform().kind());
        CHECK(same_bits(g.transform_c, reg.target_transform().constant()));
        CHECK(g.min_compute_fraction == min_compute_fraction(g.kind));
        CHECK(same_bits(g.latency_us, src.latency_us));
        REQUIRE(g.serves.size() == src.serves.size());
        for (std::size_t i = 0; i < g.serves.size(); ++i) CHECK(g.serves[i] == src.serves[i]);
    }
    REQUIRE(got.passes.size() == p.info().passes.size());
    REQUIRE(got.dtypes.size() == p.info().dtypes.size());
    REQUIRE(got.devices.size() == p.info().devices.size());
    for (std::size_t i = 0; i < got.devices.size(); ++i) CHECK(got.devices[i] == p.info().devices[i]);
    REQUIRE(got.kernel_floors_us.size() == p.info().kernel_floors_us.size());
    for (std::size_t i = 0; i < got.kernel_floors_us.size(); ++i)
        CHECK(same_bits(got.kernel_floors_us[i], p.info().kernel_floors_us[i]));
    // each training GPU's floor is known at compile time too, and a device outside the data takes the median
    constexpr const embedded::Model& m = embedded::default_model;
    constexpr std::size_t portable_dense = m.index_of(LayerKind::dense, devices::l4);
    static_assert(m.kinds[portable_dense].portable());
    static_assert(m.kernel_floor_us(m.kinds[portable_dense], devices::a100_pcie_40gb) == m.kernel_floors_us[0]);
    static_assert(m.kernel_floor_us(m.kinds[portable_dense], devices::l4) == m.kinds[portable_dense].latency_us);
    CHECK(m.devices[0] == "a100_pcie_40gb");
    CHECK(got.trained_for(Pass::inference, DType::fp32) == p.trained_for(Pass::inference, DType::fp32));
    CHECK(got.trained_for(Pass::training, DType::fp32) == p.trained_for(Pass::training, DType::fp32));
    CHECK(got.trained_for(Pass::inference, DType::bf16) == p.trained_for(Pass::inference, DType::bf16));
    CHECK(got.trained_on(devices::t4) == p.trained_on(devices::t4));
    CHECK(got.trained_on(devices::h100_sxm) == p.trained_on(devices::h100_sxm));
    CHECK(got.trained_on(devices::h200_sxm) == p.trained_on(devices::h200_sxm));
    REQUIRE(got.references.size() == p.references().size());
    for (std::size_t i = 0; i < got.references.size(); ++i) {
        CHECK(got.references[i].layer == p.references()[i].layer);
        CHECK(got.references[i].device.id == want.references[i].device.id);
        CHECK(same_bits(got.references[i].device.fp32_tflops, want.references[i].device.fp32_tflops));
        CHECK(same_bits(got.references[i].predicted_us, p.references()[i].predicted_us));
    }
}

TEST_CASE("the committed header is what `perfcast embed` writes for the committed model (regenerate it if this fails)") {
    const std::string fresh = embed_model_header(default_predictor(), "neusight_fp32", "models/neusight-fp32.json");
    const std::string committed = read_text(repo_root() / "include/perfcast/core/models/neusight_fp32.hpp");
    std::size_t line = 1, at = 0;  // the first line that differs, for the message
    while (at < fresh.size() && at < committed.size() && fresh[at] == committed[at])
        line += fresh[at++] == '\n' ? 1 : 0;
    const bool same = fresh == committed;
    CHECK_MESSAGE(same, "include/perfcast/core/models/neusight_fp32.hpp differs from line "
                            << line
                            << " on: run `perfcast embed --model models/neusight-fp32.json"
                               " --out include/perfcast/core/models/neusight_fp32.hpp`");
    CHECK(fresh.rfind("// generated by `perfcast embed` from models/neusight-fp32.json; do not edit.\n", 0) == 0);
}

TEST_CASE("compile-time inference gives the run-time Predictor's predictions (hundreds of random layers)") {
    const Predictor& p = default_predictor();
    const embedded::Model& m = embedded::default_model;
    Rng r(2024);
    double worst = 0;
    int n = 0;
    for (int i = 0; i < 800; ++i) {
        const Layer l = i % 2 ? random_conv(r) : random_dense(r);
        const Device& d = random_device(r);
        // mostly what the model was trained for, but any pass and precision must agree too
        const Pass pass = i % 4 == 3 ? Pass::training : Pass::inference;
        const DType t = i % 5 == 4 ? random_dtype(r) : DType::fp32;
        const double runtime = p.predict_us(l, Target(d, pass, t));
        const double compile_time = embedded::predict_us(m, l, Target(d, pass, t));
        const double diff = relative_difference(compile_time, runtime);
        worst = std::max(worst, diff);
        INFO(to_string(kind(l)) << " on " << d.id << ": run time " << runtime << " us, constexpr " << compile_time);
        CHECK(diff <= 1e-6);
        ++n;
    }
    MESSAGE(n << " layers: largest relative difference constexpr vs run time " << worst);
    CHECK(worst <= 1e-12);  // measured ~1e-15: only the own log/exp differ from libm's, by an ulp
}

TEST_CASE("the reference queries reproduce, the schema matches, and kinds without a model are refused") {
    const embedded::Model& m = embedded::default_model;
    CHECK(embedded::schema_matches(m));
    CHECK(embedded::max_reference_error(m) <= 1e-12);
    CHECK(embedded::verify(m));
    const Layer flatten = FlattenParams{Shape::nchw(8, 64, 7, 7)};  // a view: no model has it
    CHECK_FALSE(m.covers(LayerKind::flatten));
    CHECK_THROWS_AS(embedded::predict_us(m, flatten, Target(devices::t4, Pass::inference, DType::fp32)), error);
    CHECK_THROWS_AS(default_predictor().predict_us(flatten, Target(devices::t4, Pass::inference, DType::fp32)), error);

    // a model whose schema version or feature names differ is not verified
    embedded::Model old = m;
    old.feature_schema_version = feature_schema_version + 1;
    CHECK_FALSE(embedded::schema_matches(old));
    old.feature_schema_version = feature_set_since(FeatureSet::portable) - 1;  // its portable tier's set changed since
    CHECK_FALSE(embedded::schema_matches(old));
    std::vector<embedded::KindModel> kinds(m.kinds.begin(), m.kinds.end());
    std::vector<std::string_view> names(kinds[0].feature_names.begin(), kinds[0].feature_names.end());
    names[1] = "renamed";
    kinds[0].feature_names = names;
    embedded::Model renamed = m;
    renamed.kinds = kinds;
    CHECK_FALSE(embedded::schema_matches(renamed));
    // and one whose reference prediction was altered fails verification
    std::vector<embedded::Reference> refs(m.references.begin(), m.references.end());
    refs[0].predicted_us *= 1.001;
    embedded::Model altered = m;
    altered.references = refs;
    CHECK(embedded::max_reference_error(altered) == doctest::Approx(0.001 / 1.001).epsilon(1e-6));
    CHECK_FALSE(embedded::verify(altered));
}

TEST_CASE("the embedded model records its file's digest; coverage names the features outside, at compile time too") {
    CHECK(models::neusight_fp32::digest == default_predictor().digest());
    const nlohmann::json file = nlohmann::json::parse(read_text(repo_root() / "models/neusight-fp32.json"));
    CHECK(file["digest"] == std::string(models::neusight_fp32::digest));
    // the example: 8,192 channels at batch 4,096 on a T4, far beyond the training shapes
    constexpr Layer conv = Conv2DParams{.batch = 4096, .in_channels = 8192, .height = 14, .width = 14,
                                        .out_channels = 8192, .kernel = 3, .padding = 1};
    constexpr embedded::Coverage c = embedded::coverage(embedded::default_model, conv, Target(devices::t4));
    static_assert(c.device && !c.shape && c.outside_count > 0, "the layer lies beyond the training data");
    static_assert(c.outside_features().front().value > c.outside_features().front().max ||
                      c.outside_features().front().value < c.outside_features().front().min,
                  "a feature listed outside lies outside its range");
    const embedded::Coverage r = embedded::coverage<detail::std_math>(default_predictor().view(), conv, Target(devices::t4));
    REQUIRE(r.outside_count == c.outside_count);
    bool batch_named = false;
    for (std::size_t i = 0; i < r.outside_features().size(); ++i) {
        CHECK(r.outside_features()[i].name == c.outside_features()[i].name);
        CHECK(r.outside_features()[i].value == doctest::Approx(c.outside_features()[i].value).epsilon(1e-12));
        batch_named = batch_named || r.outside_features()[i].name == "batch";
    }
    CHECK(batch_named);
    // inside (a reference query is a training row): nothing named
    constexpr embedded::Reference ref = embedded::default_model.references[0];
    constexpr embedded::Coverage in =
        embedded::coverage(embedded::default_model, ref.layer, Target(ref.device, ref.pass, ref.dtype));
    static_assert(in.device && in.shape && in.outside_count == 0 && in.outside_features().empty());
}

TEST_CASE("a GPU of a training GPU's chip is answered by that GPU's models, with its own memory and kernel floor") {
    // the chip: architecture, compute capability, SMs, lanes, clock and peaks; memory and host may differ
    static_assert(devices::h100_sxm.same_chip(devices::h200_sxm) && devices::h200_sxm.same_chip(devices::h100_sxm));
    static_assert(devices::a100_pcie_80gb.same_chip(devices::a100_pcie_40gb) &&
                  devices::a100_sxm4_80gb.same_chip(devices::a100_pcie_40gb));
    static_assert(!devices::h100_pcie.same_chip(devices::h100_sxm), "114 SMs at 1,755 MHz: another configuration");
    static_assert(!devices::v100_sxm2.same_chip(devices::v100_pcie_32gb), "another clock and peak");
    static_assert(!devices::l4.same_chip(devices::t4) && !devices::xeon_spr_2c.same_chip(devices::xeon_spr_2c));

    constexpr const embedded::Model& m = embedded::default_model;
    static_assert(m.trained_on(devices::h200_sxm) && !m.trained_on(devices::h100_sxm), "the H200 is a training GPU");
    constexpr Layer dense = DenseParams{.batch = 1, .in_features = 1536, .out_features = 1024, .seq = 2048};
    constexpr Layer bmm = BatchMatMulParams{.batch = 96, .m = 384, .k = 64, .n = 384};
    constexpr Layer conv = Conv2DParams{.batch = 16, .in_channels = 128, .height = 28, .width = 28,
                                        .out_channels = 128, .kernel = 3, .padding = 1};
    constexpr Layer softmax = SoftmaxParams{.batch = 3072, .features = 1024};
    // the H100 SXM takes the H200's device-specific models; the L4 (no chip in the data) the portable tier;
    // the A100 80GB the A100 40GB's, but for convolutions, which NeuSight did not measure on the A100
    for (const Layer& l : {dense, bmm, conv, softmax}) {
        CAPTURE(to_string(kind(l)));
        const std::size_t i = m.index_of(kind(l), devices::h100_sxm);
        REQUIRE(i < m.kinds.size());
        CHECK(i == m.index_of(kind(l), devices::h200_sxm));
        CHECK_FALSE(m.kinds[i].portable());
        CHECK(&m.feature_device(m.kinds[i], devices::h100_sxm) == &devices::h200_sxm);
        CHECK(m.kinds[m.index_of(kind(l), devices::l4)].portable());
        CHECK(m.kinds[m.index_of(kind(l), devices::a100_pcie_80gb)].portable() == (kind(l) == LayerKind::conv2d));
        CHECK(&m.feature_device(m.kinds[m.index_of(kind(l), devices::l4)], devices::l4) == &devices::l4);
    }
    // coverage says which chip answered, at compile time too
    constexpr embedded::Coverage c = embedded::coverage(m, dense, Target(devices::h100_sxm));
    static_assert(!c.device && c.same_chip == "h200_sxm" && c.shape);
    constexpr embedded::Coverage own = embedded::coverage(m, dense, Target(devices::h200_sxm));
    static_assert(own.device && own.same_chip.empty());
    static_assert(embedded::coverage(m, dense, Target(devices::l4)).same_chip.empty());
    static_assert(embedded::coverage(m, conv, Target(devices::a100_pcie_80gb)).same_chip.empty());
    static_assert(embedded::coverage(m, dense, Target(devices::a100_pcie_80gb)).same_chip == "a100_pcie_40gb");
    // the answer is the training chip's ratio to its baseline times the device's own baseline (its floor: the
    // training machines' median, not the H200 host's; its roofline: its memory's), the same at compile time
    const Predictor& p = default_predictor();
    for (const auto& [twin, trained] : {std::pair{&devices::h100_sxm, &devices::h200_sxm},
                                        std::pair{&devices::a100_pcie_80gb, &devices::a100_pcie_40gb}})
        for (const Layer& l : {dense, bmm, softmax}) {
            CAPTURE(twin->id);
            CAPTURE(to_string(kind(l)));
            const Target tt(*twin), tr(*trained);
            const embedded::KindModel& k = m.kinds[m.index_of(kind(l), *twin)];
            const double floor_twin = m.kernel_floor_us(k, *twin), floor_trained = m.kernel_floor_us(k, *trained);
            CHECK(floor_twin == k.latency_us);
            const double ratio_twin = p.predict_us(l, tt) / pass_roofline(l, tt).baseline_us(floor_twin);
            const double ratio_trained = p.predict_us(l, tr) / pass_roofline(l, tr).baseline_us(floor_trained);
            CHECK(ratio_twin == doctest::Approx(ratio_trained).epsilon(1e-12));
            CHECK(embedded::predict_us(m, l, tt) == doctest::Approx(p.predict_us(l, tt)).epsilon(1e-12));
        }
    // a memory-bound layer runs faster on the faster memory of the same chip, a GEMM at the same rate
    const double sm_h100 = p.predict_us(softmax, Target(devices::h100_sxm));
    const double sm_h200 = p.predict_us(softmax, Target(devices::h200_sxm));
    CHECK(sm_h100 > sm_h200);
    static_assert(embedded::predict_us(m, bmm, Target(devices::h100_sxm)) !=
                      embedded::predict_us(m, bmm, Target(devices::l4)),
                  "the twin is not the portable answer");
}

TEST_CASE("an estimate's coverage of each learned layer is coverage() of the layer, from the prediction's own features") {
    const Predictor& p = default_predictor();
    // inference on a training device and on an unseen one; a training step timed as its forward kernels;
    // a transformer with its element-wise, softmax and bmm kinds, far beyond the sweeps at sequence 2048
    const std::vector<std::pair<Network, Target>> cases{
        {zoo::resnet50(32), Target(devices::v100_pcie_32gb)},
        {zoo::resnet50(256), Target(devices::h100_sxm)},  // the same chip as a training GPU (the H200)
        {zoo::resnet50(16), Target(devices::l4)},         // a GPU of no training chip
        {zoo::resnet50(8), Target(devices::t4, Pass::training)},
        {*zoo::find("gpt3_xl", 1, 2048), Target(devices::a100_pcie_40gb, Pass::training)},
    };
    for (const auto& [net, t] : cases) {
        CAPTURE(net.name);
        CAPTURE(t.device().name);
        const NetworkEstimate e = estimate(net, t, p);
        REQUIRE(e.layers.size() >= net.layers.size());
        std::size_t learned = 0, outside = 0;
        for (std::size_t i = 0; i < net.layers.size(); ++i) {
            const LayerEstimate& le = e.layers[i];
            CAPTURE(le.name);
            if (le.method != Method::mlp) {
                CHECK(le.coverage == nullptr);
                continue;
            }
            ++learned;
            REQUIRE(le.coverage != nullptr);
            const embedded::Coverage want = embedded::coverage<detail::std_math>(p.view(), net.layers[i].layer, t);
            CHECK(le.coverage->device == want.device);
            CHECK(le.coverage->same_chip == want.same_chip);
            CHECK(le.coverage->shape == want.shape);
            REQUIRE(le.coverage->outside_count == want.outside_count);
            outside += want.outside_count;
            for (std::size_t j = 0; j < want.outside_features().size(); ++j) {
                CHECK(le.coverage->outside_features()[j].name == want.outside_features()[j].name);
                CHECK(le.coverage->outside_features()[j].value == want.outside_features()[j].value);
                CHECK(le.coverage->outside_features()[j].min == want.outside_features()[j].min);
                CHECK(le.coverage->outside_features()[j].max == want.outside_features()[j].max);
            }
            // and so does a layer asked alone
            embedded::Coverage alone;
            const LayerTime lt = p.layer_time(net.layers[i].layer, t, &alone);
            if (le.backward == Backward::full) CHECK(lt.us == le.alone_us);  // else a part of it (step_time)
            CHECK(alone.shape == want.shape);
            CHECK(alone.outside_count == want.outside_count);
        }
        CHECK(learned > 0);
        if (net.name.find("gpt3") != std::string::npos) CHECK(outside > 0);  // sequence 2048: some lie outside
    }
}

TEST_CASE("the default model times a sequence tensor's element-wise op as its (tokens, features) view, at compile time too") {
    // its element-wise sweeps are all (rows, features): rank lies in [2, 2], so with the batch feature
    // counting tokens a (batch, seq, features) operand is the matrix it is laid out as
    constexpr Target a100(devices::a100_pcie_40gb);
    constexpr Layer seq = AddParams{.shape = Shape{3, {8, 2048, 2560, 0}}};
    constexpr Layer flat = AddParams{.shape = Shape::matrix(8 * 2048, 2560)};
    static_assert(embedded::predict_us(embedded::default_model, seq, a100) ==
                  embedded::predict_us(embedded::default_model, flat, a100));
    const Predictor& p = default_predictor();
    CHECK(p.predict_us(seq, a100) == p.predict_us(flat, a100));
    const Layer gelu = ActivationParams{.shape = Shape{3, {4, 1024, 5120, 0}}, .kind = ActivationKind::gelu};
    const Layer gelu_flat = ActivationParams{.shape = Shape::matrix(4 * 1024, 5120), .kind = ActivationKind::gelu};
    CHECK(p.predict_us(gelu, a100) == p.predict_us(gelu_flat, a100));
}

TEST_CASE("a precision outside the training data keeps the ratio learned in fp32, with its own baseline, at compile time too") {
    const embedded::Model& m = embedded::default_model;
    const Predictor& p = default_predictor();
    // the default model holds FP32 rows only
    static_assert(embedded::default_model.learned_precision(DType::fp32) == DType::fp32);
    static_assert(embedded::default_model.learned_precision(DType::tf32) == DType::fp32);
    CHECK(m.learned_precision(DType::bf16) == DType::fp32);
    CHECK(m.learned_precision(DType::fp16) == DType::fp32);
    constexpr Target fp32(devices::h200_sxm, Pass::inference, DType::fp32);
    constexpr Target tf32 = fp32.with(DType::tf32);
    // TF32 is the precision tensor cores multiply in: a layer norm, an activation, a pooling run their FP32 kernels
    constexpr Layer norm = LayerNormParams{.batch = 8192, .features = 1024};
    static_assert(embedded::layer_time(embedded::default_model, norm, tf32).us ==
                  embedded::layer_time(embedded::default_model, norm, fp32).us);
    const Layer gelu = ActivationParams{.shape = Shape::matrix(8192, 4096), .kind = ActivationKind::gelu};
    CHECK(p.predict_us(gelu, tf32) == p.predict_us(gelu, fp32));
    // a GEMM keeps its ratio to the baseline (the machine's floor plus the roofline) and takes TF32's
    constexpr Layer dense = DenseParams{.batch = 1, .in_features = 1024, .out_features = 4096, .seq = 2048};
    const double floor = m.kernel_floor_us(m.kinds[m.index_of(LayerKind::dense, devices::h200_sxm)], devices::h200_sxm);
    const double at_fp32 = p.predict_us(dense, fp32), at_tf32 = p.predict_us(dense, tf32);
    CHECK(at_tf32 == doctest::Approx(at_fp32 * pass_roofline(dense, tf32).baseline_us(floor) /
                                     pass_roofline(dense, fp32).baseline_us(floor))
                         .epsilon(1e-12));
    CHECK(at_tf32 < at_fp32);
    CHECK(at_tf32 >= physical_bound_us(dense, tf32));
    CHECK(at_tf32 == doctest::Approx(embedded::predict_us(m, dense, tf32)).epsilon(1e-12));  // own math vs libm
    static_assert(embedded::predict_us(embedded::default_model, dense, tf32) <
                  embedded::predict_us(embedded::default_model, dense, fp32));
    // 16 bits halve the bytes: a memory-bound layer keeps its ratio and takes the smaller roofline
    constexpr Target bf16 = fp32.with(DType::bf16);
    const double norm_floor = m.kernel_floor_us(m.kinds[m.index_of(LayerKind::layernorm, devices::h200_sxm)], devices::h200_sxm);
    CHECK(p.predict_us(norm, bf16) == doctest::Approx(p.predict_us(norm, fp32) *
                                                      pass_roofline(norm, bf16).baseline_us(norm_floor) /
                                                      pass_roofline(norm, fp32).baseline_us(norm_floor))
                                          .epsilon(1e-12));
    CHECK(p.predict_us(norm, bf16) < p.predict_us(norm, fp32));
    // a GPU without TF32 units runs TF32 at its FP32 rate: the same times
    const Target t4(devices::t4, Pass::inference, DType::tf32);
    const Layer conv = Conv2DParams{.batch = 16, .in_channels = 128, .height = 28, .width = 28, .out_channels = 128,
                                    .kernel = 3, .padding = 1};
    CHECK(p.predict_us(conv, t4) == p.predict_us(conv, t4.with(DType::fp32)));
    // a training step of TF32 layers: the forward kernels of each phase, each in TF32
    const Target step(devices::h200_sxm, Pass::training, DType::tf32);
    const LayerTime trained = embedded::layer_time(m, dense, step);
    CHECK(trained.method == Method::mlp);
    CHECK(trained.us < embedded::layer_time(m, dense, step.with(DType::fp32)).us);
    // coverage names the precision the answer's ratio was learned in
    const embedded::Coverage c = embedded::coverage(m, dense, tf32);
    CHECK_FALSE(c.precision_trained());
    CHECK(c.precision == DType::tf32);
    CHECK(c.learned_precision == DType::fp32);
    CHECK(embedded::coverage(m, dense, fp32).precision_trained());
    embedded::Coverage from_time;
    (void)embedded::layer_time(m, dense, step, &from_time);
    CHECK_FALSE(from_time.precision_trained());
}

TEST_CASE("the default model times a GEMM beyond its training rows as copies of a piece of their size, at compile time too") {
    // NeuSight's linear rows are one sample of up to 8,192 tokens (batch 1), its bmm rows at most 1,025
    // products: a dense layer's rows are batch x seq either way, and a larger one is two pieces of 8,192
    constexpr Target a100(devices::a100_pcie_40gb);
    constexpr Layer batched = DenseParams{.batch = 8, .in_features = 2560, .out_features = 10240, .seq = 2048};
    constexpr Layer flat = DenseParams{.batch = 1, .in_features = 2560, .out_features = 10240, .seq = 16384};
    static_assert(embedded::predict_us(embedded::default_model, batched, a100) ==
                  embedded::predict_us(embedded::default_model, flat, a100));
    const Predictor& p = default_predictor();
    const embedded::Model& m = embedded::default_model;
    CHECK(p.predict_us(batched, a100) == p.predict_us(flat, a100));
    const Layer half = DenseParams{.batch = 1, .in_features = 2560, .out_features = 10240, .seq = 8192};
    // the A100 (its own model), the L4 (the portable tier, cut where the kind's rows end) and the H100 (the
    // H200's model: the same chip), each with its machine's fixed cost per call once
    for (const Device& d : {devices::a100_pcie_40gb, devices::l4, devices::h100_sxm}) {
        CAPTURE(d.id);
        const Target t(d);
        const double floor = m.kernel_floor_us(m.kinds[m.index_of(LayerKind::dense, d)], d);
        CHECK(p.predict_us(flat, t) == doctest::Approx(floor + 2 * (p.predict_us(half, t) - floor)).epsilon(1e-12));
        const Layer products = BatchMatMulParams{.batch = 4096, .m = 128, .k = 128, .n = 128};
        const Layer piece = BatchMatMulParams{.batch = 1024, .m = 128, .k = 128, .n = 128};
        const double bmm_floor = m.kernel_floor_us(m.kinds[m.index_of(LayerKind::bmm, d)], d);
        const double whole = p.predict_us(products, t);
        CHECK(whole == doctest::Approx(bmm_floor + 4 * (p.predict_us(piece, t) - bmm_floor)).epsilon(1e-12));
        CHECK(whole == doctest::Approx(embedded::predict_us(m, products, t)).epsilon(1e-12));  // own math vs libm
        CHECK(whole >= physical_bound_us(pass_roofline(products, t), min_compute_fraction(LayerKind::bmm), d));
        // a thin product deeper than the rows, whose pieces would be less work than a call's fixed cost:
        // not cut (copies of a latency-bound piece would count its latency once per copy, 8x here)
        const Layer thin = BatchMatMulParams{.batch = 5, .m = 1, .k = 12028, .n = 2};
        const Layer thin_piece = BatchMatMulParams{.batch = 5, .m = 1, .k = 1003, .n = 2};
        CHECK(p.predict_us(thin, t) < 2 * p.predict_us(thin_piece, t));
        if (d.id == "a100_pcie_40gb") {  // the layer itself lies outside the rows, and coverage says so
            CHECK_FALSE(embedded::coverage(m, products, t).shape);
            CHECK(embedded::coverage(m, piece, t).shape);
        }
    }
}

TEST_CASE("a dense layer's batch moved into its tokens is the GEMM the rows cover: coverage says so, at compile time too") {
    // NeuSight's linear rows are one sample each: a transformer's [8, 512, 1024] -> 4096 linear layer is the
    // GEMM of 4,096 rows they measured, which the model answers (the same time as that GEMM's); only a
    // layer whose rows exceed theirs, cut into pieces, lies outside
    constexpr Target t4(devices::t4);
    const embedded::Model& m = embedded::default_model;
    constexpr Layer batched = DenseParams{.batch = 8, .in_features = 1024, .out_features = 4096, .seq = 512};
    constexpr Layer flat = DenseParams{.batch = 1, .in_features = 1024, .out_features = 4096, .seq = 4096};
    static_assert(embedded::coverage(embedded::default_model, flat, t4).shape);
    static_assert(embedded::coverage(embedded::default_model, batched, t4).shape, "the same GEMM as the flat one");
    static_assert(embedded::coverage(embedded::default_model, batched, t4).outside_count == 0);
    const Predictor& p = default_predictor();
    CHECK(p.predict_us(batched, t4) == p.predict_us(flat, t4));
    embedded::Coverage alone;
    p.layer_time(batched, t4, &alone);
    CHECK(alone.shape);
    CHECK(alone.outside_count == 0);
    // its training step: the gradient GEMMs of the same rows, named as the flat layer's are (their missing
    // bias lies outside the rows, which all had one) and none by its rows
    const embedded::Coverage step = embedded::coverage(m, batched, Target(devices::t4, Pass::training));
    const embedded::Coverage flat_step = embedded::coverage(m, flat, Target(devices::t4, Pass::training));
    REQUIRE(step.outside_count == flat_step.outside_count);
    for (std::size_t i = 0; i < step.outside_features().size(); ++i) {
        CAPTURE(step.outside_features()[i].name);
        CHECK(step.outside_features()[i].name == flat_step.outside_features()[i].name);
        CHECK(step.outside_features()[i].value == flat_step.outside_features()[i].value);
        CHECK(step.outside_features()[i].name != "batch");
        CHECK(step.outside_features()[i].name != "seq");
    }
    // 16 x 2,048 rows are twice the rows' 8,192: cut, and named outside by the layer's own batch
    constexpr Layer beyond = DenseParams{.batch = 16, .in_features = 1024, .out_features = 4096, .seq = 2048};
    const embedded::Coverage c = embedded::coverage(m, beyond, t4);
    CHECK_FALSE(c.shape);
    REQUIRE(c.outside_count > 0);
    CHECK(c.outside_features().front().name == "batch");
    embedded::Coverage beyond_alone;
    p.layer_time(beyond, t4, &beyond_alone);
    CHECK_FALSE(beyond_alone.shape);
    CHECK(beyond_alone.outside_count == c.outside_count);
}

TEST_CASE("an element-wise layer on a sequence tensor lies where its (tokens, features) matrix lies, at compile time too") {
    // the sweeps are all matrices (rank in [2, 2]): a (4, 1024, 1280) residual add or GELU is the kernel of the
    // (4096, 1280) matrix, which the model answers; a broadcast operand keeps its own shape
    constexpr Target a100(devices::a100_pcie_40gb);
    const embedded::Model& m = embedded::default_model;
    const Predictor& p = default_predictor();
    const std::vector<std::pair<Layer, Layer>> pairs{
        {AddParams{.shape = Shape{3, {4, 1024, 1280, 0}}}, AddParams{.shape = Shape::matrix(4096, 1280)}},
        {ActivationParams{.shape = Shape{3, {4, 1024, 1280, 0}}, .kind = ActivationKind::gelu},
         ActivationParams{.shape = Shape::matrix(4096, 1280), .kind = ActivationKind::gelu}},
        {ElementwiseParams{.shape = Shape{3, {4, 1024, 1280, 0}}, .op = ElementwiseOp::mul, .scalar = true},
         ElementwiseParams{.shape = Shape::matrix(4096, 1280), .op = ElementwiseOp::mul, .scalar = true}},
    };
    for (const auto& [seq, flat] : pairs) {
        const std::string name(to_string(kind(seq)));
        CAPTURE(name);
        CHECK(p.predict_us(seq, a100) == p.predict_us(flat, a100));
        const embedded::Coverage cs = embedded::coverage(m, seq, a100), cf = embedded::coverage(m, flat, a100);
        CHECK(cf.shape);
        CHECK(cs.shape);
        CHECK(cs.outside_count == 0);
        embedded::Coverage alone;
        p.layer_time(seq, a100, &alone);
        CHECK(alone.shape);
        CHECK(alone.outside_count == 0);
    }
    static_assert(embedded::coverage(embedded::default_model, AddParams{.shape = Shape{3, {4, 1024, 1280, 0}}}, a100).shape);
    // (B, 1, S) broadcast into (B, S, S): not the matrix's kernel, and its rank is named
    const Layer mask = ElementwiseParams{.shape = Shape{3, {4, 1024, 1024, 0}}, .op = ElementwiseOp::add,
                                         .other = Shape{3, {4, 1, 1024, 0}}};
    const embedded::Coverage cm = embedded::coverage(m, mask, a100);
    bool rank_named = false;
    for (const auto& f : cm.outside_features()) rank_named = rank_named || f.name == "rank";
    CHECK(rank_named);
}

// ---------------------------------------------------------------------------------------
// whole networks and the policy
// ---------------------------------------------------------------------------------------

TEST_CASE("network_us applies the run-time predictor's policy and sums to estimate()'s total") {
    const Predictor& p = default_predictor();
    const embedded::Model& m = embedded::default_model;
    const Network nets[] = {zoo::resnet50(8), zoo::vgg16(1), zoo::inception_v3(2), zoo::alexnet(16), zoo::lenet5(64)};
    std::size_t learned = 0, fallback = 0;
    for (const Network& net : nets) {
        std::vector<Layer> layers;
        for (const NamedLayer& nl : net.layers) layers.push_back(nl.layer);
        for (const Device* d : {&devices::h100_sxm, &devices::t4, &devices::l4})
            for (Pass pass : {Pass::inference, Pass::training})
                for (DType t : {DType::fp32, DType::bf16}) {
                    const NetworkEstimate e = estimate(net, Target(*d, pass, t), p);
                    INFO(net.name << " on " << d->id << ", " << to_string(pass) << ", " << to_string(t));
                    CHECK(relative_difference(embedded::network_us(m, layers, Target(*d, pass, t)), e.total_us) <= 1e-12);
                    for (std::size_t i = 0; i < layers.size(); ++i) {
                        const Target at(*d, pass, t);
                        const LayerTime lt =
                            step_time(embedded::layer_time(m, layers[i], at), layers[i], at, e.layers[i].backward);
                        CHECK(lt.learned() == (e.layers[i].method == Method::mlp));
                        CHECK(relative_difference(lt.us, e.layers[i].alone_us) <= 1e-12);
                        CHECK(relative_difference(in_stream_us(lt), e.layers[i].us) <= 1e-12);
                        (lt.learned() ? learned : fallback) += 1;
                    }
                }
    }
    CHECK(learned > 500);  // the policy really took both branches: bf16 through the ratio learned in fp32,
    CHECK(fallback > 50);  // and the layers that run no kernel (flatten; dropout at inference)
}

TEST_CASE("a network's GPU kernels run as a stream: each one's fixed cost overlapped, never under its bound or over alone") {
    // the rule, on made-up times (microseconds): a kernel of 100 with a floor of 25 is its GPU time, 100 less
    // the floor plus the gap between kernels; a kernel of 27 is the host's dispatch, the floor less the events
    const double f = 25.0;
    const auto lt = [f](double us, double kernels, double bound, double overhead = 0.0) {
        LayerTime t{us, Method::mlp, overhead};
        t.floor_us = f;
        t.kernels = kernels;
        t.bound_us = bound;
        return t;
    };
    CHECK(in_stream_us(lt(100, 1, 10)) == doctest::Approx(100 - f + stream_gap_us));
    CHECK(in_stream_us(lt(27, 1, 1)) == doctest::Approx(f - stream_event_us));
    CHECK(in_stream_us(lt(60, 2, 1)) == doctest::Approx(2 * (f - stream_event_us)));    // two kernels' dispatch
    CHECK(in_stream_us(lt(30, 1, 28)) == doctest::Approx(28));                          // never under the bound
    CHECK(in_stream_us(lt(110, 1, 10, 10)) == doctest::Approx(100 - f + stream_gap_us + 10));  // the call overhead kept
    CHECK(in_stream_us(lt(15, 1, 1)) == doctest::Approx(15));  // never more than alone (a time under the floor)
    LayerTime none{100, Method::roofline, 0};  // no floor (analytical, a CPU): its own time
    CHECK(in_stream_us(none) == 100);
    none.kernels = 3;
    CHECK(in_stream_us(none) == 100);

    // a network: each layer's time in the network under its kernels alone; the totals sum them
    const Predictor& p = default_predictor();
    for (Pass pass : {Pass::inference, Pass::training}) {
        const Target t4(devices::t4, pass, DType::fp32);
        const NetworkEstimate e = estimate(zoo::resnet50(4), t4, p);
        double alone = 0, in_network = 0;
        std::size_t overlapped = 0;
        for (const LayerEstimate& l : e.layers) {
            INFO(l.name << ", " << to_string(pass));
            CHECK(l.us <= l.alone_us);
            if (l.method != Method::no_kernel) CHECK(l.us >= 0.25 * l.roofline_us);  // (the bound's least share)
            overlapped += l.us < l.alone_us ? 1 : 0;
            alone += l.alone_us;
            in_network += l.us;
        }
        CHECK(overlapped * 10 >= e.layers.size() * 8);  // most kernels take longer alone than their fixed cost
        CHECK(relative_difference(alone, e.alone_total_us) <= 1e-12);
        CHECK(relative_difference(in_network, e.total_us) <= 1e-12);
        CHECK(e.total_us < 0.95 * e.alone_total_us);
    }
    // a layer alone is what the predictor times it, with the machine's floor and its kernel
    const Target t4(devices::t4, Pass::inference, DType::fp32);
    const Layer conv1 = zoo::resnet50(4).layers[0].layer;
    const LayerTime c1 = p.layer_time(conv1, t4);
    CHECK(relative_difference(c1.us, estimate(zoo::resnet50(4), t4, p).layers[0].alone_us) <= 1e-12);
    CHECK(c1.floor_us > 0);
    CHECK(c1.floor_us == p.view().kernel_floor_us(p.view().kinds[0], devices::t4));
    CHECK(c1.kernels == 1);
    CHECK(c1.bound_us == doctest::Approx(physical_bound_us(conv1, t4)));
    // the analytical estimates have no fixed cost to overlap
    const NetworkEstimate r = estimate(zoo::resnet50(4), Target(devices::t4, Pass::inference, DType::fp32), Analytical::roofline);
    CHECK(r.total_us == r.alone_total_us);
}

TEST_CASE("predict_us<Net, Device>() is a constant equal to the run-time estimate") {
    constexpr double r50 = predict_us<zoo::ResNet50<32>, devices::h100_sxm>();
    constexpr double r50_training = predict_us<zoo::ResNet50<32>, devices::h100_sxm, Pass::training>();
    constexpr auto per_layer = predict_layers<zoo::ResNet50<32>, devices::h100_sxm>();
    const Predictor& p = default_predictor();
    const NetworkEstimate e =
        estimate(zoo::resnet50(32), Target(devices::h100_sxm, Pass::inference, DType::fp32), p);
    const NetworkEstimate t =
        estimate(zoo::resnet50(32), Target(devices::h100_sxm, Pass::training, DType::fp32), p);
    MESSAGE("ResNet-50, batch 32, H100: " << r50 << " us at compile time, " << e.total_us << " us at run time");
    CHECK(relative_difference(r50, e.total_us) <= 1e-12);
    CHECK(relative_difference(r50_training, t.total_us) <= 1e-12);
    // the model was trained on forward passes only: every layer's training step is its kernels, each learned
    // as a forward one (phase_kernels), and so is the optimizer's update
    for (const LayerEstimate& l : t.layers)
        CHECK(l.method == (l.kind == LayerKind::flatten ? Method::no_kernel : Method::mlp));
    REQUIRE(per_layer.size() == e.layers.size());
    double sum = 0;
    for (std::size_t i = 0; i < per_layer.size(); ++i) {
        CHECK(per_layer[i].learned() == (e.layers[i].method == Method::mlp));
        CHECK(relative_difference(per_layer[i].us, e.layers[i].alone_us) <= 1e-12);  // each layer alone
        sum += in_stream_us(per_layer[i]);                                            // and in the network
    }
    CHECK(relative_difference(sum, r50) <= 1e-12);

    using Conv = Conv2D<{.batch = 32, .in_channels = 64, .height = 56, .width = 56, .out_channels = 64, .kernel = 3,
                         .padding = 1, .bias = false}>;
    constexpr double conv = predict_us<Conv, devices::t4>();
    CHECK(relative_difference(conv, p.predict_us(Conv::params, Target(devices::t4, Pass::inference, DType::fp32))) <= 1e-12);
}

// ---------------------------------------------------------------------------------------
// other models: activations, target transforms, feature sets, pool2d, absolute targets
// ---------------------------------------------------------------------------------------

namespace {

/** Synthetic rows: a made-up efficiency over the roofline, for three kinds, two passes, two precisions. */
Dataset synthetic_dataset(std::uint64_t seed) {
    Dataset ds;
    Rng r(seed);
    const char* devs[] = {"t4", "v100_pcie_32gb", "a100_sxm4_80gb"};
    for (int i = 0; i < 360; ++i) {
        Sample s;
        s.layer = i % 3 == 0 ? random_conv(r) : i % 3 == 1 ? random_dense(r) : random_pool(r);
        s.device = devs[i % 3];
        s.pass = i % 4 == 0 ? Pass::training : Pass::inference;
        s.dtype = i % 5 == 0 ? DType::fp16 : DType::fp32;
        const double roof = roofline_us(s.layer, Target(*find_device(s.device), s.pass, s.dtype));
        s.time_us = roof / (0.2 + 0.6 * (1 - std::exp(-roof / 40.0))) + 4.0;
        s.source = "synthetic";
        ds.rows.push_back(s);
    }
    return ds;
}

}  // namespace

TEST_CASE("constexpr inference matches the run time for every activation, target, feature set and pool2d") {
    struct Variant {
        MlpActivation activation;
        TargetTransform target;
        FeatureSet features;
        bool relative;
    };
    const Variant variants[] = {
        {MlpActivation::relu, TargetTransform(TargetKind::log), FeatureSet::hardware, true},
        {MlpActivation::tanh, TargetTransform(TargetKind::sqrt, 1000.0), FeatureSet::analytical, false},
        {MlpActivation::silu, TargetTransform(TargetKind::identity), FeatureSet::params, true},
        {MlpActivation::gelu, TargetTransform(TargetKind::log), FeatureSet::raw, false},
    };
    const DeviceRegistry reg;
    const Dataset ds = synthetic_dataset(99);
    Rng r(5);
    double worst = 0;
    for (const Variant& v : variants) {
        TrainOptions o;
        // ensembles of 3 for the log and identity targets: the members are averaged in the target's space
        o.ensemble = v.target.kind() == TargetKind::sqrt || v.activation == MlpActivation::gelu ? 1 : 3;
        o.mlp.hidden = {12, 8};
        o.mlp.activation = v.activation;
        o.mlp.target_transform = v.target;
        o.mlp.max_epochs = 15;
        o.mlp.patience = 0;
        o.mlp.batch_size = 32;
        o.features = v.features;
        o.relative_to_roofline = v.relative;
        const Predictor p = train_predictor(ds, reg, o);
        REQUIRE(p.covers(LayerKind::pool2d));
        const embedded::Model& m = p.view();
        INFO("activation " << to_string(v.activation) << ", target " << to_string(v.target.kind()) << ", features "
                           << to_string(v.features));
        CHECK(embedded::verify(m, 1e-12));
        CHECK(m.trained_for(Pass::training, DType::fp16));
        CHECK_FALSE(m.trained_for(Pass::training, DType::bf16));
        // rows of fp32 and fp16: each answers its own, the others take fp32's ratios; without fp32 rows, the first's
        CHECK(m.learned_precision(DType::fp16) == DType::fp16);
        CHECK(m.learned_precision(DType::bf16) == DType::fp32);
        CHECK(m.learned_precision(DType::tf32) == DType::fp32);
        embedded::Model half = m;
        const std::array<DType, 1> only{DType::fp16};
        half.dtypes = only;
        CHECK(half.learned_precision(DType::fp32) == DType::fp16);
        CHECK(half.learned_precision(DType::bf16) == DType::fp16);
        for (int i = 0; i < 150; ++i) {
            const Layer l = i % 3 == 0 ? random_conv(r) : i % 3 == 1 ? random_dense(r) : random_pool(r);
            const Device& d = random_device(r);
            const Pass pass = random_pass(r);
            const DType t = random_dtype(r);
            const double runtime = p.predict_us(l, Target(d, pass, t));
            const double constexpr_path = embedded::predict_us(m, l, Target(d, pass, t));
            // identity and sqrt targets can predict about 0: compare against the scale of the times
            const double diff = std::fabs(constexpr_path - runtime) / std::max(std::fabs(runtime), 1e-3);
            worst = std::max(worst, diff);
            CHECK(diff <= 1e-9);
        }
        // a training step's first convolution, learned and run without its input gradient, the same at
        // compile time as at run time
        const Network net = zoo::alexnet(2);
        std::vector<Layer> layers;
        for (const NamedLayer& nl : net.layers) layers.push_back(nl.layer);
        const NetworkEstimate e = estimate(net, Target(devices::t4, Pass::training, DType::fp32), p,
                                           EstimateOptions{{}, Optimizer::none});
        REQUIRE(e.layers[0].method == Method::mlp);
        CHECK(e.layers[0].backward == Backward::weights_only);
        CHECK(e.layers[0].us < p.predict_us(layers[0], Target(devices::t4, Pass::training, DType::fp32)));
        CHECK(relative_difference(embedded::network_us(m, layers, Target(devices::t4, Pass::training, DType::fp32), Optimizer::none),
                                  e.total_us) <= 1e-9);
    }
    MESSAGE("largest difference over the variants: " << worst);
}

// ---------------------------------------------------------------------------------------
// the generator
// ---------------------------------------------------------------------------------------

TEST_CASE("embed: names must be identifiers; numbers round-trip; the output is deterministic") {
    CHECK(embedded::is_identifier("neusight_fp32"));
    CHECK(embedded::is_identifier("_m2"));
    CHECK_FALSE(embedded::is_identifier(""));
    CHECK_FALSE(embedded::is_identifier("2model"));
    CHECK_FALSE(embedded::is_identifier("my-model"));
    CHECK_FALSE(embedded::is_identifier("class"));
    CHECK_FALSE(embedded::is_identifier("model"));  // the header declares `model` itself
    CHECK_FALSE(embedded::is_identifier("__x"));
    CHECK(embedded::identifier_from("neusight-fp32") == "neusight_fp32");
    CHECK(embedded::identifier_from("3x") == "model_3x");
    CHECK(embedded::is_identifier(embedded::identifier_from("class")));
    CHECK_THROWS_AS(embed_model_header(default_predictor(), "not a name"), error);

    Rng r(17);
    for (int i = 0; i < 20000; ++i) {
        double x = std::bit_cast<double>(r.next());
        if (!std::isfinite(x)) continue;
        if (i % 2) x = r.uniform(-10, 10);
        const std::string s = embedded::detail::literal(x);
        double back = 0;
        const auto res = std::from_chars(s.data(), s.data() + s.size(), back);
        REQUIRE(res.ec == std::errc{});
        CHECK(same_bits(back, x));
        CHECK(s.find_first_of(".e") != std::string::npos);  // a double literal, never an int one
    }
    CHECK(embedded::detail::literal(-0.0) == "-0.0");
    CHECK(embedded::detail::literal(3.0) == "3.0");
    CHECK_THROWS_AS(embedded::detail::literal(std::numeric_limits<double>::infinity()), error);
    CHECK(embedded::detail::quoted("a\"b\\c\n") == "\"a\\\"b\\\\c\\012\"");

    const std::string a = embed_model_header(default_predictor(), "other_name");
    const std::string b = embed_model_header(default_predictor(), "other_name");
    CHECK(a == b);
    CHECK(a.find("namespace perfcast::models::other_name {") != std::string::npos);
    CHECK(a.rfind("// generated by `perfcast embed`; do not edit.\n", 0) == 0);
}
