// Tests of features.hpp, predictor.hpp and evaluation.hpp, on synthetic data made here
// (a made-up efficiency curve over the roofline), never on measurements.
#include <doctest/doctest.h>

#include <perfcast/lab/evaluation.hpp>
#include <perfcast/runtime/features.hpp>
#include <perfcast/runtime/predictor.hpp>

#include <algorithm>  // nth_element
#include <cmath>       // log, exp, nextafter
#include <cstdint>     // uintptr_t
#include <functional>  // function: a change to a model file
#include <tuple>       // tuple: the same layer on three shapes

using namespace perfcast;

namespace {

/** Synthetic: a dense layer runs at an efficiency that grows with its size, on several devices. */
Dataset synthetic_dense_dataset(std::size_t n) {
    Dataset ds;
    ds.provenance["source"] = "synthetic, made by test_predictor.cpp";
    const char* devs[] = {"t4", "v100_pcie_32gb", "p100_pcie_16gb"};
    std::uint64_t state = 12345;
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / 9007199254740992.0;
    };
    for (std::size_t i = 0; i < n; ++i) {
        Sample s;
        DenseParams p;
        p.batch = 1 + static_cast<std::int64_t>(next() * 64);
        p.in_features = 16 + static_cast<std::int64_t>(std::exp(next() * std::log(4096.0 / 16)) * 16);
        p.out_features = 16 + static_cast<std::int64_t>(std::exp(next() * std::log(4096.0 / 16)) * 16);
        s.layer = p;
        s.device = devs[i % 3];
        const Device& d = *find_device(s.device);
        const double r = roofline_us(s.layer, Target(d, Pass::inference, DType::fp32));
        const double efficiency = 0.2 + 0.6 * (1 - std::exp(-r / 50.0));
        s.time_us = r / efficiency + 5.0;
        s.source = "synthetic";
        ds.rows.push_back(s);
    }
    return ds;
}

TrainOptions quick_options() {
    TrainOptions o;
    o.mlp.hidden = {32, 32};
    o.mlp.max_epochs = 60;
    o.mlp.patience = 0;
    o.mlp.batch_size = 64;
    o.mlp.learning_rate = 3e-3;
    o.ensemble = 1;
    return o;
}

}  // namespace

TEST_CASE("feature vectors have the names of their set, and each set adds to the one before") {
    const Layer conv = Conv2DParams{.batch = 8, .in_channels = 64, .height = 28, .width = 28, .out_channels = 64,
                                    .kernel = 3, .padding = 1};
    std::size_t last = 0;
    for (FeatureSet f : {FeatureSet::raw, FeatureSet::params, FeatureSet::analytical, FeatureSet::hardware}) {
        const auto names = feature_names(f, conv);
        std::vector<double> v;
        compute_features(f, conv, Target(devices::h100_sxm, Pass::training, DType::bf16), &v, nullptr);
        CHECK(v.size() == names.size());
        CHECK(names.size() >= last);
        last = names.size();
        for (double x : v) CHECK(std::isfinite(x));
    }
    std::vector<double> a, b;
    compute_features(FeatureSet::hardware, conv, Target(devices::h100_sxm, Pass::inference, DType::fp32), &a, nullptr);
    compute_features(FeatureSet::hardware, conv, Target(devices::t4, Pass::inference, DType::fp32), &b, nullptr);
    CHECK(a != b);  // the device shows in the features
    CHECK_THROWS_AS(parse_feature_set("everything"), error);
}

TEST_CASE("an element-wise layer's batch feature counts a sequence tensor's tokens, a feature map's batch") {
    const auto feature = [](const Layer& l, std::string_view name) {
        std::vector<double> v;
        std::vector<std::string> names;
        compute_features(FeatureSet::hardware, l, Target(devices::a100_pcie_40gb), &v, &names);
        for (std::size_t i = 0; i < names.size(); ++i)
            if (names[i] == name) return v[i];
        FAIL("no feature " << name);
        return 0.0;
    };
    const Shape tokens{3, {8, 2048, 2560, 0}};
    const Shape rows = Shape::matrix(8 * 2048, 2560);
    const Shape map = Shape::nchw(8, 64, 56, 56);
    for (const auto& [seq, flat, fmap] :
         {std::tuple<Layer, Layer, Layer>{AddParams{.shape = tokens}, AddParams{.shape = rows}, AddParams{.shape = map}},
          {ActivationParams{.shape = tokens, .kind = ActivationKind::gelu},
           ActivationParams{.shape = rows, .kind = ActivationKind::gelu},
           ActivationParams{.shape = map, .kind = ActivationKind::gelu}},
          {ElementwiseParams{.shape = tokens, .op = ElementwiseOp::pow, .scalar = true},
           ElementwiseParams{.shape = rows, .op = ElementwiseOp::pow, .scalar = true},
           ElementwiseParams{.shape = map, .op = ElementwiseOp::pow, .scalar = true}}}) {
        INFO(to_string(kind(seq)));
        CHECK(feature(seq, "batch") == doctest::Approx(std::log(8.0 * 2048)).epsilon(1e-12));
        CHECK(feature(seq, "batch") == feature(flat, "batch"));
        CHECK(feature(seq, "elements") == feature(flat, "elements"));
        CHECK(feature(seq, "rank") == 3.0);
        CHECK(feature(fmap, "batch") == doctest::Approx(std::log(8.0)).epsilon(1e-12));  // N of NCHW
    }
}

TEST_CASE("held_out is a stable function of the row, not of its position or time") {
    const Dataset ds = synthetic_dense_dataset(2000);
    std::size_t held = 0;
    for (const Sample& s : ds.rows) {
        Sample copy = s;
        copy.time_us *= 2;
        CHECK(held_out(s, 0.1, 1) == held_out(copy, 0.1, 1));
        held += held_out(s, 0.1, 1) ? 1 : 0;
    }
    CHECK(held > 120);
    CHECK(held < 280);
    CHECK(!held_out(ds.rows[0], 0.0, 1));
}

TEST_CASE("sha256 gives the FIPS 180-4 test vectors") {
    CHECK(detail::sha256().hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(detail::sha256().update("abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // two blocks; and the same text given in pieces
    const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(detail::sha256().update(two).hex() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(detail::sha256().update("abcdbcdecdefdefgefghfghighij").update("hijkijkljklmklmnlmnomnopnopq").hex() ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("a model file's digest covers every parameter and its metadata; references are required") {
    DeviceRegistry reg;
    const Predictor p = train_predictor(synthetic_dense_dataset(600), reg, quick_options());
    const nlohmann::json good = p.to_json();
    REQUIRE(good.contains("digest"));
    CHECK(good["digest"] == p.digest());
    CHECK(good["digest"].get<std::string>().rfind("sha256:", 0) == 0);
    // a good file loads, and writing it again gives the same digest (the canonical form survives the text)
    const Predictor q = Predictor::parse(good.dump(1), "good.json");
    CHECK(q.digest() == p.digest());
    CHECK(Predictor::parse(good.dump(), "compact.json").digest() == p.digest());

    const auto refused = [](const nlohmann::json& bad, const std::string& field, const std::string& words) {
        try {
            (void)Predictor::parse(bad.dump(1), "bad.json");
            FAIL("accepted, expected a refusal at " << field);
        } catch (const error& e) {
            CHECK(e.field() == field);
            CHECK(e.where().file == "bad.json");
            CHECK(e.where().line > 0);
            CHECK_MESSAGE(std::string(e.what()).find(words) != std::string::npos, e.what());
        }
    };
    const auto digest_refuses = [&](const std::function<void(nlohmann::json&)>& change) {
        nlohmann::json j = good;
        change(j);
        REQUIRE(j != good);
        refused(j, "digest", "where the file records " + good["digest"].get<std::string>());
    };
    SUBCASE("one weight, one scaler value, the target transform, a feature range, each bit") {
        digest_refuses([](nlohmann::json& j) {
            auto& w = j["models"]["dense"]["regressor"]["mlp"]["layers"][1]["weights"][3];
            w = std::nextafter(w.get<double>(), 1e300);  // one ulp: no reference query could see it
        });
        digest_refuses([](nlohmann::json& j) {
            auto& m = j["models"]["dense"]["regressor"]["scaler"]["mean"][0];
            m = m.get<double>() * 1.0001;
        });
        digest_refuses([](nlohmann::json& j) { j["models"]["dense"]["regressor"]["mlp"]["output_offset"] = 0.125; });
        digest_refuses([](nlohmann::json& j) {
            auto& x = j["models"]["dense"]["feature_max"][0];
            x = x.get<double>() * 2;
        });
    }
    SUBCASE("metadata: the memory fit, the training devices, a note in the metrics") {
        REQUIRE_FALSE(good.contains("memory_fit"));  // dense rows only: no memory fit; one is added
        digest_refuses([](nlohmann::json& j) { j["memory_fit"] = {{"latency_us", 5.0}, {"efficiency", 0.5}, {"rows", 10}}; });
        digest_refuses([](nlohmann::json& j) { j["training"]["rows"] = j["training"]["rows"].get<std::size_t>() + 1; });
        digest_refuses([](nlohmann::json& j) { j["training"]["metrics"]["note"] = "edited"; });
        digest_refuses([](nlohmann::json& j) { j["name"] = "renamed"; });
    }
    SUBCASE("a file without references or without a digest is refused, naming the field") {
        nlohmann::json j = good;
        j.erase("references");
        j["digest"] = model_digest(j);
        refused(j, "references", "missing");
        j["references"] = nlohmann::json::array();
        j["digest"] = model_digest(j);
        refused(j, "references", "at least one reference query");
        j = good;
        j.erase("digest");
        refused(j, "digest", "missing");
        // a file written before digests: read unverified, checked by its references, saved with its digest
        const Predictor old = Predictor::parse(j.dump(1), "old.json", false);
        old.verify("old.json");
        CHECK(old.to_json() == good);
        j = good;
        j["digest"] = "fnv1a64:0123";
        refused(j, "digest", "sha256");
        j = good;  // nested too deep to digest (the metrics hold any JSON)
        nlohmann::json deep = nlohmann::json::array();
        for (int i = 0; i < 100; ++i) deep = nlohmann::json::array({deep});
        j["training"]["metrics"]["deep"] = deep;
        refused(j, "digest", "deeper than 64 levels");
    }
    SUBCASE("metadata out of range is refused even when the digest is recomputed") {
        const auto resigned = [&](const std::function<void(nlohmann::json&)>& change, const std::string& field,
                                  const std::string& words) {
            nlohmann::json j = good;
            change(j);
            j["digest"] = model_digest(j);
            refused(j, field, words);
        };
        const nlohmann::json fit = {{"latency_us", 5.0}, {"efficiency", 0.5}, {"rows", 10}};
        resigned([&](nlohmann::json& j) { (j["memory_fit"] = fit)["efficiency"] = 1e9; }, "memory_fit.efficiency", "(0, 100]");
        resigned([&](nlohmann::json& j) { (j["memory_fit"] = fit)["latency_us"] = 1e12; }, "memory_fit.latency_us",
                 "microseconds");
        resigned([&](nlohmann::json& j) { (j["memory_fit"] = fit)["rows"] = 1u << 30; }, "memory_fit.rows", "training rows");
        resigned([](nlohmann::json& j) { j["training"]["devices"].push_back("h100_sxm"); }, "training.devices[3]",
                 "no description");
        resigned([](nlohmann::json& j) { j["training"]["devices"].push_back("t4"); }, "training.devices[3]", "twice");
        resigned([](nlohmann::json& j) { j["training"]["dtypes"] = {"fp8"}; }, "training.dtypes[0]", "unknown");
        resigned([](nlohmann::json& j) { j["training"]["passes"] = nlohmann::json::array(); }, "training.passes",
                 "at least one");
        resigned([](nlohmann::json& j) { j["training"]["test_rows"] = j["training"]["rows"].get<std::size_t>() + 1; },
                 "training.test_rows", "at most");
        resigned([](nlohmann::json& j) { j["models"]["dense"]["devices"].push_back("l4"); }, "models.dense.devices[3]",
                 "not among training.devices");
        resigned([](nlohmann::json& j) { j["models"]["dense"]["feature_max"][0] = -1e6; },
                 "models.dense.feature_max[0]", "below feature_min[0]");
        resigned([](nlohmann::json& j) { j["references"][0]["predicted_us"] = -1.0; }, "references[0].predicted_us",
                 "finite time > 0");
        resigned([](nlohmann::json& j) { j["models"]["dense"]["regressor"]["config"]["hidden"] = {16, 32}; },
                 "models.dense.regressor.config.hidden", "widths");
    }
    SUBCASE("a huge declared layer width is refused from the sizes, before anything is allocated") {
        nlohmann::json j = good;
        j["models"]["dense"]["regressor"]["mlp"]["layers"][0]["outputs"] = 4294967296;
        refused(j, "models.dense.regressor.mlp.layers[0].outputs", "expected 1 to 65536");
        j = good;
        j["models"]["dense"]["regressor"]["mlp"]["inputs"] = std::uint64_t{1} << 62;
        refused(j, "models.dense.regressor.mlp.inputs", "expected 1 to 65536");
        j = good;  // a width within the bound but not the arrays' size
        j["models"]["dense"]["regressor"]["mlp"]["layers"][0]["outputs"] = 60000;
        refused(j, "models.dense.regressor.mlp.layers[0].weights", "values, got");
    }
}

TEST_CASE("a predictor learns synthetic timings, saves, reloads and verifies itself") {
    const Dataset ds = synthetic_dense_dataset(1500);
    DeviceRegistry reg;
    const Predictor p = train_predictor(ds, reg, quick_options());
    CHECK(p.covers(LayerKind::dense));
    CHECK(!p.covers(LayerKind::conv2d));
    CHECK(p.trained_for(Pass::inference, DType::fp32));
    CHECK(!p.trained_for(Pass::training, DType::fp32));
    CHECK(p.info().devices.size() == 3);
    CHECK(p.info().data_hash.rfind("fnv1a64:", 0) == 0);
    CHECK(p.info().test_rows > 0);
    CHECK(p.references().size() == 4);  // three of the dense model's rows, one of its portable tier on a new GPU
    CHECK(p.portable_models().size() == 1);

    std::vector<const Sample*> test;
    for (const Sample& s : ds.rows)
        if (held_out(s, p.info().holdout, p.info().split_salt)) test.push_back(&s);
    const auto stats = evaluate_rows(test, reg, [&](const Sample& s, const Device& d) {
        return p.predict_us(s.layer, Target(d, s.pass, s.dtype));
    });
    const auto paleo = evaluate_rows(test, reg, paleo_predictor());
    for (std::size_t i = 0; i < stats.size(); ++i) {
        CAPTURE(stats[i].device);
        CHECK(stats[i].mean_rel_error < 0.10);
        CHECK(stats[i].mean_rel_error < paleo[i].mean_rel_error);
    }

    const std::string text = p.to_json().dump(1);
    const Predictor q = Predictor::parse(text, "m.json");
    const Layer l = DenseParams{.batch = 16, .in_features = 512, .out_features = 256};
    CHECK(q.predict_us(l, Target(devices::t4, Pass::inference, DType::fp32)) ==
          p.predict_us(l, Target(devices::t4, Pass::inference, DType::fp32)));
    // a GPU it never saw still gets a finite, positive answer from its hardware features
    const double h100 = q.predict_us(l, Target(devices::h100_sxm, Pass::inference, DType::fp32));
    CHECK(std::isfinite(h100));
    CHECK(h100 > 0);
    CHECK_THROWS_AS(q.predict_us(Conv2DParams{.batch = 1, .in_channels = 1, .height = 4, .width = 4, .out_channels = 1}, Target(devices::t4, Pass::inference, DType::fp32)),
                    error);

    SUBCASE("a tampered reference is refused on load: by the digest, and re-signed, by the re-run") {
        nlohmann::json j = nlohmann::json::parse(text);
        j["references"][1]["predicted_us"] = j["references"][1]["predicted_us"].get<double>() * 1.01;
        try {
            Predictor::parse(j.dump(1), "tampered.json");
            FAIL("expected perfcast::error");
        } catch (const error& e) {
            CHECK(e.field() == "digest");
            CHECK(e.where().file == "tampered.json");
        }
        j["digest"] = model_digest(j);  // a forger who recomputes the digest still meets the reference queries
        try {
            Predictor::parse(j.dump(1), "tampered.json");
            FAIL("expected perfcast::error");
        } catch (const error& e) {
            CHECK(e.field() == "references[1]");
            CHECK(e.where().file == "tampered.json");
        }
        CHECK_NOTHROW(Predictor::parse(j.dump(1), "tampered.json", false));
    }
    SUBCASE("tampered weights are caught by the references") {
        nlohmann::json j = nlohmann::json::parse(text);
        auto& w = j["models"]["dense"]["regressor"]["mlp"]["layers"][0]["bias"];
        REQUIRE(w.is_array());
        w[0] = w[0].get<double>() + 0.5;
        CHECK_THROWS_AS(Predictor::parse(j.dump(1), "w.json"), error);
    }
    SUBCASE("a model for other features is refused") {
        nlohmann::json j = nlohmann::json::parse(text);
        j["models"]["dense"]["feature_names"][0] = "something_else";
        try {
            Predictor::parse(j.dump(1), "f.json");
            FAIL("expected perfcast::error");
        } catch (const error& e) {
            CHECK(e.field() == "models.dense.feature_names");
        }
        j = nlohmann::json::parse(text);
        j["feature_schema_version"] = 99;
        CHECK_THROWS_AS(Predictor::parse(j.dump(1), "v.json"), error);
        j["feature_schema_version"] = 0;
        CHECK_THROWS_AS(Predictor::parse(j.dump(1), "v.json"), error);
    }
    SUBCASE("an older schema loads only where the sets its models use have not changed since") {
        static_assert(feature_set_since(FeatureSet::portable) > 1 && feature_set_since(FeatureSet::hardware) == 1);
        nlohmann::json j = nlohmann::json::parse(text);
        REQUIRE(j["feature_schema_version"] == feature_schema_version);
        j["feature_schema_version"] = 1;  // before the portable set's last change
        j["digest"] = model_digest(j);
        try {
            Predictor::parse(j.dump(1), "old.json");
            FAIL("expected perfcast::error");
        } catch (const error& e) {
            CHECK(e.field() == "portable_models[0].features");
            CHECK(std::string(e.what()).find("retrain") != std::string::npos);
        }
        j.erase("portable_models");  // the hardware set is the same as in schema 1
        j["digest"] = model_digest(j);
        const Predictor old = Predictor::parse(j.dump(1), "old.json", false);
        CHECK(old.portable_models().empty());
        CHECK(old.to_json()["feature_schema_version"] == 1);  // written back as it was trained
        CHECK(embedded::schema_matches(old.view()));
        embedded::Model newer = old.view();
        newer.feature_schema_version = feature_schema_version + 1;
        CHECK_FALSE(embedded::schema_matches(newer));
    }
    SUBCASE("wrong types, values out of range and unknown keys are refused at their path and line") {
        const auto refused_at = [&](nlohmann::json j, const std::string& field) {
            const std::string bad = j.dump(1);
            try {
                (void)Predictor::parse(bad, "bad.json");
                FAIL("accepted: " << field);
            } catch (const error& e) {
                CHECK(e.field() == field);
                CHECK(e.where().file == "bad.json");
                CHECK(e.where().line > 0);
            }
        };
        nlohmann::json j = nlohmann::json::parse(text);
        j["trainning"] = 1;  // a typo of a key
        refused_at(j, "trainning");
        j = nlohmann::json::parse(text);
        j["training"]["rows"] = "many";
        refused_at(j, "training.rows");
        j = nlohmann::json::parse(text);
        j["training"]["rows"] = -3;
        refused_at(j, "training.rows");
        j = nlohmann::json::parse(text);
        j["models"]["dense"]["relative_to_roofline"] = 1;
        refused_at(j, "models.dense.relative_to_roofline");
        j = nlohmann::json::parse(text);
        j["models"]["dense"]["regressor"]["mlp"]["layers"][0]["bias"][2] = "x";
        refused_at(j, "models.dense.regressor.mlp.layers[0].bias[2]");
        j = nlohmann::json::parse(text);
        j["references"][0]["pass"] = "sideways";
        refused_at(j, "references[0].pass");
        j = nlohmann::json::parse(text);
        j["references"][0]["layer"]["in_features"] = 0;
        refused_at(j, "references[0].layer.in_features");
    }
}

TEST_CASE("a source left out of training is neither trained on nor held out, and the model file says so") {
    // synthetic: the t4's rows come from a sweep that ran three times slower than the rest (a throttled card)
    Dataset ds = synthetic_dense_dataset(900);
    for (std::size_t i = 0; i < ds.rows.size(); ++i)
        if (Sample& s = ds.rows[i]; s.device == "t4") {
            s.time_us *= 3;
            s.source = "synthetic:slow-t4.csv:" + std::to_string(i);
        }
    TrainOptions o = quick_options();
    o.exclude_sources = {"synthetic:slow-t4.csv:"};
    const Predictor p = train_predictor(ds, DeviceRegistry{}, o);
    CHECK(p.info().rows == 900);
    CHECK(p.info().excluded_rows == 300);
    CHECK(p.info().devices == std::vector<std::string>{"p100_pcie_16gb", "v100_pcie_32gb"});
    std::size_t held = 0;
    for (const Sample& s : ds.rows) held += s.device != "t4" && held_out(s, o.holdout, o.split_salt) ? 1 : 0;
    CHECK(p.info().test_rows == held);
    // the t4 is a device the model never saw: its portable tier answers it, at the other GPUs' pace (a
    // third of the slow rows' times); a model trained on those rows fits them
    const auto median_ratio = [&](const Predictor& m) {
        std::vector<double> ratio;
        for (const Sample& s : ds.rows)
            if (excluded_source(s, o.exclude_sources))
                ratio.push_back(m.predict_us(s.layer, Target(devices::t4, s.pass, s.dtype)) / s.time_us);
        REQUIRE(ratio.size() == 300);
        std::nth_element(ratio.begin(), ratio.begin() + 150, ratio.end());
        return ratio[150];
    };
    CHECK(median_ratio(p) < 0.65);
    CHECK(median_ratio(train_predictor(ds, DeviceRegistry{}, quick_options())) > 0.85);
    // the file records the sources and their rows, and a count without its sources is refused
    const nlohmann::json j = p.to_json();
    CHECK(j["training"]["exclude_sources"] == nlohmann::json::array({"synthetic:slow-t4.csv:"}));
    CHECK(j["training"]["excluded_rows"] == 300);
    const Predictor q = Predictor::parse(j.dump(1), "m.json");
    CHECK(q.info().exclude_sources == o.exclude_sources);
    CHECK(q.info().excluded_rows == 300);
    nlohmann::json bad = j;
    bad["training"].erase("exclude_sources");
    bad["digest"] = model_digest(bad);
    try {
        Predictor::parse(bad.dump(1), "bad.json");
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "training.excluded_rows");
        CHECK(e.where().file == "bad.json");
    }
    // a model trained without the option records nothing
    CHECK(!train_predictor(synthetic_dense_dataset(300), DeviceRegistry{}, quick_options()).to_json()["training"].contains(
        "exclude_sources"));
}

TEST_CASE("a loaded model's weights and biases start on a cache line, for the single-row kernel") {
    const Predictor p = Predictor::parse(train_predictor(synthetic_dense_dataset(300), DeviceRegistry{}, quick_options())
                                             .to_json()
                                             .dump(1),
                                         "m.json");
    const auto address = [](const double* d) { return reinterpret_cast<std::uintptr_t>(d); };
    std::size_t arrays = 0;
    for (const embedded::KindModel& k : p.view().kinds)
        for (const embedded::DenseLayer& l : k.layers) {
            CHECK(address(l.weights.data()) % detail::row_kernel_alignment == 0);
            CHECK(address(l.bias.data()) % detail::row_kernel_alignment == 0);
            arrays += 2;
        }
    CHECK(arrays >= 12);  // the dense model and its portable tier, three layers each
}

TEST_CASE("an ensemble averages its members' log-time predictions and saves them all") {
    const Dataset ds = synthetic_dense_dataset(600);
    DeviceRegistry reg;
    TrainOptions o = quick_options();
    o.mlp.max_epochs = 20;
    o.ensemble = 3;
    const Predictor p = train_predictor(ds, reg, o);
    const KindEnsemble& m = p.models().at(LayerKind::dense);
    REQUIRE(m.members.size() == 3);
    CHECK(p.info().metrics["dense"]["members"] == 3);
    // member i is the single network of seed mlp.seed + i
    o.ensemble = 1;
    const Predictor single = train_predictor(ds, reg, o);
    const Layer l = DenseParams{.batch = 8, .in_features = 1024, .out_features = 300};
    std::vector<double> x;
    compute_features(m.features, l, Target(devices::t4, Pass::inference, DType::fp32), &x, nullptr);
    const double r = roofline_us(l, Target(devices::t4, Pass::inference, DType::fp32));
    CHECK(single.models().at(LayerKind::dense).members.front().predict_one(x) == m.members[0].predict_one(x));
    CHECK(m.members[0].predict_one(x) != m.members[1].predict_one(x));
    // the log target: the ensemble's time ratio is the geometric mean of the members'
    double log_sum = 0;
    for (const TrainedRegressor& member : m.members) log_sum += std::log(member.predict_one(x));
    const double want = std::max(std::exp(log_sum / 3) * r,
                                 min_compute_fraction(LayerKind::dense) *
                                     pass_roofline(l, Target(devices::t4, Pass::inference, DType::fp32)).compute_us);
    CHECK(p.predict_us(l, Target(devices::t4, Pass::inference, DType::fp32)) == doctest::Approx(want).epsilon(1e-12));

    const std::string text = p.to_json().dump(1);
    nlohmann::json j = nlohmann::json::parse(text);
    CHECK(j["models"]["dense"]["ensemble"].size() == 3);
    CHECK_FALSE(j["models"]["dense"].contains("regressor"));
    const Predictor q = Predictor::parse(text, "e.json");
    CHECK(q.predict_us(l, Target(devices::t4, Pass::inference, DType::fp32)) ==
          p.predict_us(l, Target(devices::t4, Pass::inference, DType::fp32)));
    CHECK(nlohmann::json::parse(single.to_json().dump())["models"]["dense"].contains("regressor"));

    auto refused = [&](const nlohmann::json& bad, const std::string& field) {
        try {
            Predictor::parse(bad.dump(1), "bad.json", false);
            FAIL("expected perfcast::error");
        } catch (const error& e) {
            CHECK(e.field() == field);
            CHECK(e.where().file == "bad.json");
        }
    };
    nlohmann::json both = j;
    both["models"]["dense"]["regressor"] = both["models"]["dense"]["ensemble"][0];
    refused(both, "models.dense");
    nlohmann::json empty = j;
    empty["models"]["dense"]["ensemble"] = nlohmann::json::array();
    refused(empty, "models.dense.ensemble");
    nlohmann::json broken = j;
    broken["models"]["dense"]["ensemble"][2]["mlp"]["layers"][0]["bias"] = "x";
    refused(broken, "models.dense.ensemble[2].mlp.layers[0].bias");
    nlohmann::json mixed = j;
    mixed["models"]["dense"]["ensemble"][1]["target_transform"] = {{"kind", "identity"}};
    refused(mixed, "models.dense.ensemble[1]");

    o.ensemble = 0;
    CHECK_THROWS_AS(train_predictor(ds, reg, o), error);
}

TEST_CASE("beyond its training data a model without a kernel floor holds the roofline ratio of the data's edge") {
    const Dataset ds = synthetic_dense_dataset(400);
    DeviceRegistry reg;
    TrainOptions o = quick_options();
    o.mlp.max_epochs = 10;
    const Predictor p = train_predictor(ds, reg, o);
    const KindEnsemble& m = p.models().at(LayerKind::dense);
    REQUIRE(m.feature_min.size() == m.feature_names.size());
    REQUIRE(m.feature_max.size() == m.feature_names.size());
    for (std::size_t i = 0; i < m.feature_min.size(); ++i) CHECK(m.feature_min[i] <= m.feature_max[i]);
    // two layers far beyond every training row (batch <= 64, widths <= 4096): every size feature is
    // clamped to the same edge, so both run at the same fraction of their roofline. (Powers of two 16x
    // apart, so that the bounded features, tile efficiency, alignment and the wave tail on the T4's 40
    // SMs, are equal too.) No GEMM is cut to the rows' sizes here: the rows have no small memory-bound
    // calls to take a kernel floor from, and without one a piece's fixed cost cannot be told from its
    // work (test_portable.cpp has the cut).
    REQUIRE(p.info().kernel_floors_us.empty());
    const Layer big = DenseParams{.batch = 1 << 13, .in_features = 1 << 14, .out_features = 1 << 13};
    const Layer bigger = DenseParams{.batch = 1 << 17, .in_features = 1 << 18, .out_features = 1 << 17};
    const Device& d = devices::t4;
    const double r1 = p.predict_us(big, Target(d, Pass::inference, DType::fp32)) / roofline_us(big, Target(d, Pass::inference));
    const double r2 = p.predict_us(bigger, Target(d, Pass::inference, DType::fp32)) / roofline_us(bigger, Target(d, Pass::inference));
    CHECK(r1 == doctest::Approx(r2).epsilon(1e-9));
    // the ranges travel in the model file
    const Predictor q = Predictor::parse(p.to_json().dump(), "m.json");
    CHECK(q.models().at(LayerKind::dense).feature_max == m.feature_max);
    CHECK(q.predict_us(big, Target(d, Pass::inference, DType::fp32)) == p.predict_us(big, Target(d, Pass::inference, DType::fp32)));
    nlohmann::json j = p.to_json();
    j["models"]["dense"]["feature_min"].erase(0);
    CHECK_THROWS_AS(Predictor::parse(j.dump(), "short.json"), error);
}

TEST_CASE("the learned time function falls back to the roofline where the model has no kind") {
    const Dataset ds = synthetic_dense_dataset(300);
    DeviceRegistry reg;
    TrainOptions o = quick_options();
    o.mlp.max_epochs = 5;
    const Predictor p = train_predictor(ds, reg, o);
    const auto fn = [&m = p](const Layer& l, const Device& dev, Pass pass, DType dt) {
        return m.layer_time(l, Target(dev, pass, dt));
    };
    const Layer fc = DenseParams{.batch = 4, .in_features = 64, .out_features = 64};
    const Layer relu = ActivationParams{.shape = Shape::matrix(4, 64)};
    CHECK(fn(fc, devices::t4, Pass::inference, DType::fp32).method == Method::mlp);
    CHECK(fn(relu, devices::t4, Pass::inference, DType::fp32).method == Method::roofline);
    // trained on forward passes only: a training step is its phases' kernels, each learned as a forward
    const LayerTime step = fn(fc, devices::t4, Pass::training, DType::fp32);
    CHECK(step.method == Method::mlp);
    const LayerTime forward = fn(fc, devices::t4, Pass::inference, DType::fp32);
    CHECK(step.us > forward.us);
    CHECK(fn(relu, devices::t4, Pass::training, DType::fp32).method == Method::roofline);
    // no bf16 rows: the ratio learned in fp32, with bf16's baseline (half the bytes, the T4's FP32 rate:
    // it has no BF16 unit); the kinds without a model keep the roofline
    const LayerTime bf16 = fn(fc, devices::t4, Pass::inference, DType::bf16);
    CHECK(bf16.method == Method::mlp);
    CHECK(bf16.us <= forward.us);
    CHECK(bf16.us >= physical_bound_us(fc, Target(devices::t4, Pass::inference, DType::bf16)));
    CHECK(fn(fc, devices::t4, Pass::training, DType::bf16).method == Method::mlp);
    CHECK(fn(relu, devices::t4, Pass::inference, DType::bf16).method == Method::roofline);
}

TEST_CASE("error statistics follow the seed's definitions") {
    const ErrorStats s = error_stats({0.05, 0.15, 0.25, 0.01});
    CHECK(s.n == 4);
    CHECK(s.mean_rel_error == doctest::Approx(0.115));
    CHECK(s.median_rel_error == doctest::Approx(0.10));
    CHECK(s.max_rel_error == doctest::Approx(0.25));
    CHECK(s.within_10 == doctest::Approx(0.5));
    CHECK(s.within_20 == doctest::Approx(0.75));
    CHECK(error_stats({}).n == 0);
}
