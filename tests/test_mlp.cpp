/**
 * @file test_mlp.cpp
 * @brief Tests of the MLP regressor: scaler, target transforms, backprop against
 * finite differences, training on synthetic data, determinism, early stopping and
 * JSON save/load. All data here is synthetic.
 */
#include <doctest/doctest.h>  // TEST_CASE, CHECK, REQUIRE

#include <algorithm>   // max, min, equal, set_intersection, count
#include <array>       // array: tensor shapes
#include <cmath>       // sin, exp, abs, sqrt, pow, isnan, isfinite, nan
#include <cstddef>     // size_t
#include <chrono>      // steady_clock: a unique temporary file name
#include <cstdint>     // uint64_t
#include <filesystem>  // temp_directory_path, remove
#include <fstream>     // ofstream
#include <iterator>    // back_inserter
#include <limits>      // numeric_limits: infinity
#include <span>        // span
#include <string>      // string
#include <utility>     // pair
#include <vector>      // vector

#include <perfcast/runtime/mlp.hpp>  // the code under test

namespace {

using perfcast::MlpActivation;
using perfcast::MlpConfig;
using perfcast::MlpLoss;
using perfcast::TargetKind;
using perfcast::TargetTransform;
using perfcast::TrainedRegressor;
using Matrix = xt::xtensor<double, 2>;
using Vector = xt::xtensor<double, 1>;

/** Synthetic features uniform in [lo, hi) from our own generator. */
Matrix synthetic_uniform(std::size_t rows, std::size_t cols, double lo, double hi, std::uint64_t seed) {
    perfcast::detail::mlp::Xoshiro256 rng(seed);
    Matrix X(std::array<std::size_t, 2>{rows, cols});
    for (double& v : X) v = lo + (hi - lo) * rng.uniform();
    return X;
}

/** Synthetic smooth target y = x0 * x1 + sin(x2). */
Vector synthetic_smooth_target(const Matrix& X) {
    Vector y(std::array<std::size_t, 1>{X.shape()[0]});
    for (std::size_t r = 0; r < X.shape()[0]; ++r) y(r) = X(r, 0) * X(r, 1) + std::sin(X(r, 2));
    return y;
}

double rmse(const Vector& a, const Vector& b) {
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) s += (a(i) - b(i)) * (a(i) - b(i));
    return std::sqrt(s / static_cast<double>(a.size()));
}

/** A small, fast config for tests. */
MlpConfig small_config() {
    MlpConfig c;
    c.hidden = {16, 16};
    c.batch_size = 32;
    c.max_epochs = 10;
    c.learning_rate = 3e-3;
    c.seed = 7;
    return c;
}

/** Naive reference for detail::gemm. */
void naive_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
                const double* b, double beta, double* c) {
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            double s = 0.0;
            for (std::size_t p = 0; p < k; ++p)
                s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
            c[i * n + j] = alpha * s + beta * c[i * n + j];
        }
}

}  // namespace

TEST_CASE("mlp: xoshiro256** is deterministic and its normal draw is standard") {
    perfcast::detail::mlp::Xoshiro256 a(123), b(123), c(124);
    bool all_same = true, any_diff = false;
    for (int i = 0; i < 100; ++i) {
        const auto va = a.next();
        all_same = all_same && va == b.next();
        any_diff = any_diff || va != c.next();
    }
    CHECK(all_same);
    CHECK(any_diff);

    perfcast::detail::mlp::Xoshiro256 rng(1);
    const int n = 200000;
    double sum = 0.0, sq = 0.0;
    for (int i = 0; i < n; ++i) {
        const double z = rng.normal();
        sum += z;
        sq += z * z;
    }
    const double mean = sum / n;
    CHECK(std::abs(mean) < 0.01);
    CHECK(std::abs(sq / n - mean * mean - 1.0) < 0.02);

    for (int i = 0; i < 1000; ++i) {
        const auto k = rng.below(7);
        REQUIRE(k < 7);
    }
}

TEST_CASE("mlp: detail::gemm matches a naive product for every transpose") {
    perfcast::detail::mlp::Xoshiro256 rng(5);
    for (const std::size_t m : {std::size_t{1}, std::size_t{5}}) {
        const std::size_t n = 4, k = 3;
        for (const bool ta : {false, true})
            for (const bool tb : {false, true}) {
                std::vector<double> A(m * k), B(k * n), C(m * n), R(m * n);
                for (double& v : A) v = rng.normal();
                for (double& v : B) v = rng.normal();
                for (std::size_t i = 0; i < C.size(); ++i) C[i] = R[i] = rng.normal();
                perfcast::detail::mlp::gemm(ta, tb, m, n, k, 0.5, A.data(), B.data(), 2.0, C.data());
                naive_gemm(ta, tb, m, n, k, 0.5, A.data(), B.data(), 2.0, R.data());
                for (std::size_t i = 0; i < C.size(); ++i) CHECK(C[i] == doctest::Approx(R[i]).epsilon(1e-13));
            }
    }
}

TEST_CASE("mlp: FeatureScaler standardises columns and floors zero variance") {
    Matrix X = synthetic_uniform(500, 3, -1.0, 1.0, 11);
    for (std::size_t r = 0; r < 500; ++r) {
        X(r, 0) = 1e6 + 1e3 * X(r, 0);  // large offset and scale
        X(r, 2) = 4.25;                 // constant column
    }
    perfcast::FeatureScaler scaler;
    CHECK_FALSE(scaler.fitted());
    scaler.fit(X);
    REQUIRE(scaler.size() == 3);
    CHECK(scaler.stddev()(2) == 1.0);
    const Matrix Xs = scaler.transform(X);
    for (std::size_t c = 0; c < 2; ++c) {
        double sum = 0.0, sq = 0.0;
        for (std::size_t r = 0; r < 500; ++r) sum += Xs(r, c);
        const double mean = sum / 500.0;
        for (std::size_t r = 0; r < 500; ++r) sq += (Xs(r, c) - mean) * (Xs(r, c) - mean);
        CHECK(std::abs(mean) < 1e-10);
        CHECK(std::sqrt(sq / 500.0) == doctest::Approx(1.0).epsilon(1e-10));
    }
    for (std::size_t r = 0; r < 500; ++r) REQUIRE(Xs(r, 2) == 0.0);

    // transform_row agrees with transform exactly.
    std::vector<double> out(3);
    scaler.transform_row(std::span<const double>(X.data() + 7 * 3, 3), out);
    for (std::size_t c = 0; c < 3; ++c) CHECK(out[c] == Xs(7, c));

    // Fitting on a subset uses those rows only.
    perfcast::FeatureScaler subset;
    const std::vector<std::size_t> rows{0, 1};
    subset.fit(X, rows);
    CHECK(subset.mean()(1) == doctest::Approx((X(0, 1) + X(1, 1)) / 2.0));

    CHECK_THROWS_AS(scaler.transform(synthetic_uniform(2, 4, 0, 1, 1)), perfcast::error);
    CHECK_THROWS_AS(scaler.transform_row(std::span<const double>(out.data(), 2), out), perfcast::error);

    const auto back = perfcast::FeatureScaler::from_json(nlohmann::json::parse(scaler.to_json().dump()));
    CHECK(back == scaler);
}

TEST_CASE("mlp: target transforms invert and reject values outside their domain") {
    const TargetTransform identity;
    const TargetTransform root(TargetKind::sqrt, 1000.0);
    const TargetTransform logt(TargetKind::log);
    for (const double t : {1e-6, 0.37, 1.0, 12.5, 3.3e4, 8.1e7}) {
        CHECK(identity.inverse(identity.forward(t)) == t);
        CHECK(root.forward(t) == std::sqrt(1000.0 * t));
        CHECK(root.inverse(root.forward(t)) == doctest::Approx(t).epsilon(1e-15));
        CHECK(logt.inverse(logt.forward(t)) == doctest::Approx(t).epsilon(1e-15));
    }
    CHECK(root.forward(0.0) == 0.0);
    CHECK(root.inverse(-2.0) < 0.0);  // monotonic for negative network outputs
    CHECK_THROWS_AS((void)logt.forward(0.0), perfcast::error);
    CHECK_THROWS_AS((void)logt.forward(-1.0), perfcast::error);
    CHECK_THROWS_AS((void)root.forward(-1e-9), perfcast::error);
    CHECK_THROWS_AS((void)identity.forward(std::nan("")), perfcast::error);
    CHECK_THROWS_AS(TargetTransform(TargetKind::sqrt, 0.0), perfcast::error);

    // inverse_derivative agrees with a finite difference.
    for (const TargetTransform& tr : {identity, root, logt}) {
        const double z = 1.3, h = 1e-6;
        CHECK(tr.inverse_derivative(z) ==
              doctest::Approx((tr.inverse(z + h) - tr.inverse(z - h)) / (2 * h)).epsilon(1e-7));
        CHECK(TargetTransform::from_json(tr.to_json()) == tr);
    }
    try {
        (void)TargetTransform::from_json(nlohmann::json{{"kind", "cube"}});
        FAIL("expected an error");
    } catch (const perfcast::error& e) {
        CHECK(e.field() == "target_transform.kind");
    }
}

TEST_CASE("mlp: backprop gradients match finite differences") {
    // Tiny synthetic problem; every activation and loss, with a non-trivial output map.
    perfcast::detail::mlp::Xoshiro256 rng(99);
    const std::size_t rows = 6, inputs = 3;
    std::vector<double> x(rows * inputs), t(rows), z(rows);
    for (double& v : x) v = rng.normal();
    struct Case {
        MlpActivation act;
        MlpLoss loss;
        TargetTransform transform;
    };
    const std::vector<Case> cases{
        {MlpActivation::tanh, MlpLoss::mse, TargetTransform{}},
        {MlpActivation::silu, MlpLoss::mse, TargetTransform{}},
        {MlpActivation::gelu, MlpLoss::mse, TargetTransform{}},
        {MlpActivation::relu, MlpLoss::mse, TargetTransform{}},
        {MlpActivation::tanh, MlpLoss::relative, TargetTransform(TargetKind::log)},
        {MlpActivation::gelu, MlpLoss::relative, TargetTransform(TargetKind::sqrt, 4.0)},
        {MlpActivation::silu, MlpLoss::relative, TargetTransform{}},
    };
    for (const Case& c : cases) {
        CAPTURE(perfcast::to_string(c.act));
        CAPTURE(perfcast::to_string(c.loss));
        CAPTURE(perfcast::to_string(c.transform.kind()));
        const std::vector<std::size_t> hidden{5, 4};
        perfcast::Mlp net(inputs, hidden, c.act, 3);
        const double offset = 1.5, scale = 0.7;
        net.set_output_affine(offset, scale);
        for (std::size_t r = 0; r < rows; ++r) {
            t[r] = 2.0 + rng.uniform();  // > 0 for every transform
            z[r] = c.transform.forward(t[r]);
        }
        const double factor = perfcast::detail::mlp::objective_factor(c.loss, scale);
        perfcast::detail::mlp::Backprop pass(net, rows);
        auto objective = [&]() {
            const double* o = pass.forward(net, x.data(), rows);
            return factor *
                   perfcast::detail::mlp::loss_rows(c.loss, c.transform, offset, scale, o, z.data(), t.data(), rows,
                                                    nullptr, 1.0) /
                   static_cast<double>(rows);
        };
        std::vector<double> d_out(rows);
        const double* o = pass.forward(net, x.data(), rows);
        perfcast::detail::mlp::loss_rows(c.loss, c.transform, offset, scale, o, z.data(), t.data(), rows, d_out.data(),
                                         static_cast<double>(rows));
        pass.backward(net, x.data(), rows, d_out.data());
        const auto grad_w = pass.grad_weights();  // copies: objective() reruns forward
        const auto grad_b = pass.grad_biases();

        double worst = 0.0;
        auto compare = [&](double& param, double analytic) {
            const double h = 1e-6;
            const double saved = param;
            param = saved + h;
            const double up = objective();
            param = saved - h;
            const double down = objective();
            param = saved;
            const double numeric = (up - down) / (2 * h);
            worst =
                std::max(worst, std::abs(numeric - analytic) / std::max(1e-6, std::abs(numeric) + std::abs(analytic)));
        };
        auto layers = net.layers();
        for (std::size_t l = 0; l < layers.size(); ++l) {
            for (std::size_t i = 0; i < layers[l].weights.size(); ++i)
                compare(layers[l].weights.data()[i], grad_w[l].data()[i]);
            for (std::size_t i = 0; i < layers[l].bias.size(); ++i)
                compare(layers[l].bias.data()[i], grad_b[l].data()[i]);
        }
        CHECK(worst < 1e-6);
    }
}

TEST_CASE("mlp: training learns a synthetic smooth function") {
    const Matrix X = synthetic_uniform(2000, 3, -2.0, 2.0, 21);
    const Vector y = synthetic_smooth_target(X);
    MlpConfig config;
    config.hidden = {32, 32};
    config.activation = MlpActivation::tanh;
    config.batch_size = 32;
    config.max_epochs = 60;
    config.learning_rate = 3e-3;
    config.patience = 0;
    config.seed = 3;
    const TrainedRegressor model = perfcast::train_mlp(X, y, config);

    const Matrix X_test = synthetic_uniform(1000, 3, -2.0, 2.0, 22);
    const Vector y_test = synthetic_smooth_target(X_test);
    const Vector pred = model.predict(X_test);
    double sd = 0.0, mean = 0.0;
    for (const double v : y_test) mean += v / 1000.0;
    for (const double v : y_test) sd += (v - mean) * (v - mean) / 1000.0;
    const double err = rmse(pred, y_test);
    MESSAGE("synthetic smooth function: test RMSE " << err << " vs target std " << std::sqrt(sd));
    CHECK(err < 0.1);
    CHECK(err < 0.1 * std::sqrt(sd));

    const auto& h = model.history();
    REQUIRE(h.epochs.size() == 60);
    CHECK(h.epochs.back().train_loss < h.epochs.front().train_loss / 10.0);
    CHECK(h.stop_reason == perfcast::StopReason::max_epochs);
    CHECK(h.train_rows == 1800);
    CHECK(h.validation_rows == 200);

    // predict_one agrees with the batched (BLAS) path up to summation order.
    for (std::size_t r = 0; r < 20; ++r) {
        const double one = model.predict_one(std::span<const double>(X_test.data() + r * 3, 3));
        CHECK(one == doctest::Approx(pred(r)).epsilon(1e-12));
    }
    std::vector<double> scratch(model.scratch_size());
    CHECK(model.predict_one(std::span<const double>(X_test.data(), 3), scratch) ==
          model.predict_one(std::span<const double>(X_test.data(), 3)));
    CHECK_THROWS_AS((void)model.predict_one(std::span<const double>(X_test.data(), 2)), perfcast::error);
}

TEST_CASE("mlp: predict_one agrees with the batched path for every width, activation and instruction set") {
    // Widths that take every block size of the single-row kernel (16, 8, 4, 1 outputs) and more
    // inputs than it compacts at once (256); synthetic random weights.
    const std::size_t inputs = 300, rows = 8;
    const Matrix X = synthetic_uniform(rows, inputs, -2.0, 2.0, 41);
    for (const MlpActivation act : {MlpActivation::relu, MlpActivation::tanh, MlpActivation::gelu}) {
        CAPTURE(perfcast::to_string(act));
        const std::vector<std::size_t> hidden{37, 16, 5};
        perfcast::Mlp net(inputs, hidden, act, 7);
        net.set_output_affine(0.25, 1.5);
        const Vector batched = net.predict(X);
        for (std::size_t r = 0; r < rows; ++r) {
            const std::span<const double> row(X.data() + r * inputs, inputs);
            CHECK(net.predict_one(row) == doctest::Approx(batched(r)).epsilon(1e-12).scale(1.0));
        }
    }
#ifdef PERFCAST_MLP_X86_DISPATCH
    // The AVX2 + FMA kernel and the build's own agree up to rounding (FMA rounds once).
    if (perfcast::detail::mlp::cpu_has_avx2_fma()) {
        perfcast::detail::mlp::Xoshiro256 rng(5);
        // 29 outputs: blocks of 16, 8, 4 and 1; 70: of 32 (AVX2 only), 4 and 1. 270 inputs: a whole and a
        // partial batch of 256, compacted four at a time and one by one
        const std::size_t n_in = 270;
        for (const std::size_t n_out : {std::size_t{29}, std::size_t{70}}) {
            CAPTURE(n_out);
            std::vector<double> w(n_in * n_out), bias(n_out), in(n_in), a(n_out), b(n_out);
            for (double& v : w) v = rng.normal();
            for (double& v : bias) v = rng.normal();
            for (std::size_t i = 0; i < n_in; ++i) in[i] = i % 3 == 0 ? 0.0 : rng.normal();  // zeros are skipped
            for (const bool relu : {true, false}) {
                const perfcast::detail::mlp::RowLayer layer{w.data(), bias.data(), n_in, n_out, relu,
                                                            MlpActivation::relu, true};
                perfcast::detail::mlp::forward_row_layer_generic(layer, in.data(), a.data());
                perfcast::detail::mlp::forward_row_layer_avx2(layer, in.data(), b.data());
                for (std::size_t o = 0; o < n_out; ++o) {
                    double exact = bias[o];
                    for (std::size_t i = 0; i < n_in; ++i) exact += in[i] * w[i * n_out + o];
                    if (relu) exact = std::max(exact, 0.0);
                    CHECK(a[o] == doctest::Approx(exact).epsilon(1e-12).scale(1.0));
                    CHECK(b[o] == doctest::Approx(exact).epsilon(1e-12).scale(1.0));
                }
            }
        }
    }
#endif
}

TEST_CASE("mlp: the relative loss with a log target learns positive times") {
    Matrix X = synthetic_uniform(1200, 2, -1.0, 1.0, 31);
    Vector y(std::array<std::size_t, 1>{1200});
    for (std::size_t r = 0; r < 1200; ++r) y(r) = 50.0 * std::exp(2.0 * X(r, 0) + X(r, 1));  // ~7 to ~1000
    MlpConfig config = small_config();
    config.loss = MlpLoss::relative;
    config.target_transform = TargetTransform(TargetKind::log);
    config.max_epochs = 80;
    const TrainedRegressor model = perfcast::train_mlp(X, y, config);
    const double mre = model.history().epochs[model.history().best_epoch - 1].val_mean_relative_error;
    MESSAGE("synthetic exp target, relative loss: validation mean relative error " << mre);
    CHECK(mre < 0.05);
}

TEST_CASE("mlp: training is deterministic in the seed") {
    const Matrix X = synthetic_uniform(300, 3, -1.0, 1.0, 41);
    const Vector y = synthetic_smooth_target(X);
    const MlpConfig config = small_config();
    const TrainedRegressor a = perfcast::train_mlp(X, y, config);
    const TrainedRegressor b = perfcast::train_mlp(X, y, config);
    CHECK(a.mlp() == b.mlp());
    CHECK(a.scaler() == b.scaler());
    const Vector pa = a.predict(X), pb = b.predict(X);
    CHECK(std::equal(pa.begin(), pa.end(), pb.begin()));

    MlpConfig other = config;
    other.seed = config.seed + 1;
    const TrainedRegressor c = perfcast::train_mlp(X, y, other);
    CHECK_FALSE(a.mlp() == c.mlp());

    // Same seed, same split; different seed, different split.
    const auto s1 = perfcast::train_validation_split(300, config), s2 = perfcast::train_validation_split(300, config);
    const auto s3 = perfcast::train_validation_split(300, other);
    CHECK(s1.validation == s2.validation);
    CHECK(s1.validation != s3.validation);
    REQUIRE(s1.validation.size() == 30);
    REQUIRE(s1.train.size() == 270);
    std::vector<std::size_t> common;
    std::set_intersection(s1.train.begin(), s1.train.end(), s1.validation.begin(), s1.validation.end(),
                          std::back_inserter(common));
    CHECK(common.empty());
}

TEST_CASE("mlp: early stopping keeps the best validation epoch") {
    // Synthetic pure noise: the network can only overfit, so validation loss rises.
    const Matrix X = synthetic_uniform(80, 4, -1.0, 1.0, 51);
    perfcast::detail::mlp::Xoshiro256 rng(52);
    Vector y(std::array<std::size_t, 1>{80});
    for (double& v : y) v = rng.normal();
    MlpConfig config;
    config.hidden = {64, 64};
    config.batch_size = 16;
    config.max_epochs = 300;
    config.patience = 10;
    config.learning_rate = 1e-2;
    config.validation_fraction = 0.25;
    config.lr_schedule = perfcast::LrSchedule::constant;
    config.seed = 5;
    const TrainedRegressor model = perfcast::train_mlp(X, y, config);
    const auto& h = model.history();
    CHECK(h.stop_reason == perfcast::StopReason::early_stopping);
    CHECK(h.epochs.size() < config.max_epochs);
    REQUIRE(h.best_epoch >= 1);
    CHECK(h.epochs.size() == h.best_epoch + config.patience);
    double lowest = h.epochs[0].val_loss;
    for (const auto& e : h.epochs) lowest = std::min(lowest, e.val_loss);
    CHECK(h.best_val_loss == lowest);
    CHECK(h.epochs[h.best_epoch - 1].val_loss == lowest);

    // The kept weights are the best epoch's: recompute the validation loss.
    const auto split = perfcast::train_validation_split(80, config);
    Matrix Xv(std::array<std::size_t, 2>{split.validation.size(), 4});
    Vector yv(std::array<std::size_t, 1>{split.validation.size()});
    for (std::size_t i = 0; i < split.validation.size(); ++i) {
        for (std::size_t c = 0; c < 4; ++c) Xv(i, c) = X(split.validation[i], c);
        yv(i) = y(split.validation[i]);
    }
    const double mse = std::pow(rmse(model.predict(Xv), yv), 2);
    CHECK(mse == doctest::Approx(h.best_val_loss).epsilon(1e-10));
    CHECK(mse < h.epochs.back().val_loss);
}

TEST_CASE("mlp: the progress callback sees every epoch and can stop training") {
    const Matrix X = synthetic_uniform(200, 3, -1.0, 1.0, 61);
    const Vector y = synthetic_smooth_target(X);
    std::vector<std::size_t> seen;
    const TrainedRegressor model =
        perfcast::train_mlp(X, y, small_config(), [&](std::size_t epoch, double train_loss, double val_loss) {
            CHECK(std::isfinite(train_loss));
            CHECK(std::isfinite(val_loss));
            seen.push_back(epoch);
            return epoch < 3;
        });
    CHECK(seen == std::vector<std::size_t>{1, 2, 3});
    CHECK(model.history().epochs.size() == 3);
    CHECK(model.history().stop_reason == perfcast::StopReason::callback);

    // Without validation the last epoch is kept and val_loss is NaN.
    MlpConfig no_val = small_config();
    no_val.validation_fraction = 0.0;
    no_val.max_epochs = 2;
    const TrainedRegressor m2 = perfcast::train_mlp(X, y, no_val);
    CHECK(m2.history().best_epoch == 2);
    CHECK(std::isnan(m2.history().epochs[0].val_loss));
    CHECK(m2.history().validation_rows == 0);
}

TEST_CASE("mlp: bad data and config are refused naming the field") {
    const Matrix X = synthetic_uniform(20, 2, 0.5, 1.0, 71);
    Vector y = xt::ones<double>({20});
    auto field_of = [](auto&& f) -> std::string {
        try {
            f();
        } catch (const perfcast::error& e) {
            return e.field();
        }
        return "(no error)";
    };
    MlpConfig logc = small_config();
    logc.target_transform = TargetTransform(TargetKind::log);
    y(3) = 0.0;
    CHECK(field_of([&] { (void)perfcast::train_mlp(X, y, logc); }) == "y[3]");
    MlpConfig rel = small_config();
    rel.loss = MlpLoss::relative;
    y(3) = -2.0;
    CHECK(field_of([&] { (void)perfcast::train_mlp(X, y, rel); }) == "y[3]");
    y(3) = 1.0;
    Matrix Xbad = X;
    Xbad(4, 1) = std::nan("");
    CHECK(field_of([&] { (void)perfcast::train_mlp(Xbad, y, small_config()); }) == "X[4][1]");
    CHECK(field_of([&] { (void)perfcast::train_mlp(X, Vector(xt::ones<double>({19})), small_config()); }) == "y");
    MlpConfig bad = small_config();
    bad.batch_size = 0;
    CHECK(field_of([&] { (void)perfcast::train_mlp(X, y, bad); }) == "config.batch_size");
    bad = small_config();
    bad.hidden = {8, 0};
    CHECK(field_of([&] { bad.validate(); }) == "config.hidden[1]");
    bad = small_config();
    bad.validation_fraction = 1.0;
    CHECK(field_of([&] { bad.validate(); }) == "config.validation_fraction");
}

TEST_CASE("mlp: MlpConfig JSON takes defaults for missing fields and refuses unknown ones") {
    MlpConfig c = small_config();
    c.activation = MlpActivation::gelu;
    c.loss = MlpLoss::relative;
    c.target_transform = TargetTransform(TargetKind::sqrt, 250.0);
    c.lr_schedule = perfcast::LrSchedule::step;
    c.seed = 0xFFFFFFFFFFFFFFFFULL;
    CHECK(MlpConfig::from_json(nlohmann::json::parse(c.to_json().dump())) == c);

    const MlpConfig partial = MlpConfig::from_json(nlohmann::json{{"batch_size", 64}, {"hidden", {32}}});
    CHECK(partial.batch_size == 64);
    CHECK(partial.hidden == std::vector<std::size_t>{32});
    CHECK(partial.learning_rate == MlpConfig{}.learning_rate);

    auto field_of = [](const nlohmann::json& j) -> std::string {
        try {
            (void)MlpConfig::from_json(j);
        } catch (const perfcast::error& e) {
            return e.field();
        }
        return "(no error)";
    };
    CHECK(field_of({{"batchsize", 64}}) == "config.batchsize");
    CHECK(field_of({{"batch_size", -1}}) == "config.batch_size");
    CHECK(field_of({{"batch_size", 0}}) == "config.batch_size");
    CHECK(field_of({{"learning_rate", "fast"}}) == "config.learning_rate");
    CHECK(field_of({{"activation", "sigmoid"}}) == "config.activation");
    CHECK(field_of({{"hidden", {64, "x"}}}) == "config.hidden[1]");
}

TEST_CASE("mlp: learning-rate schedules") {
    MlpConfig c;
    c.learning_rate = 1e-2;
    c.max_epochs = 11;
    c.lr_min_fraction = 0.1;
    c.lr_schedule = perfcast::LrSchedule::cosine;
    CHECK(c.learning_rate_at(0) == 1e-2);
    CHECK(c.learning_rate_at(10) == doctest::Approx(1e-3));
    CHECK(c.learning_rate_at(5) == doctest::Approx(5.5e-3));
    c.lr_schedule = perfcast::LrSchedule::step;
    c.lr_step_epochs = 4;
    c.lr_step_gamma = 0.5;
    CHECK(c.learning_rate_at(3) == 1e-2);
    CHECK(c.learning_rate_at(4) == 5e-3);
    CHECK(c.learning_rate_at(9) == 2.5e-3);
}

TEST_CASE("mlp: JSON round trip is bit-exact") {
    const Matrix X = synthetic_uniform(300, 3, 0.0, 5.0, 81);
    Vector y = synthetic_smooth_target(X);
    for (double& v : y) v = std::abs(v) + 0.1;
    MlpConfig config = small_config();
    config.target_transform = TargetTransform(TargetKind::sqrt, 1e3);
    config.activation = MlpActivation::silu;
    const TrainedRegressor model = perfcast::train_mlp(X, y, config);

    const std::string text = model.to_json().dump();
    const TrainedRegressor back = TrainedRegressor::from_json(nlohmann::json::parse(text));
    CHECK(back == model);
    CHECK(back.to_json().dump() == text);
    const Vector p1 = model.predict(X), p2 = back.predict(X);
    CHECK(std::equal(p1.begin(), p1.end(), p2.begin()));
    for (std::size_t r = 0; r < 10; ++r) {
        const std::span<const double> row(X.data() + r * 3, 3);
        CHECK(model.predict_one(row) == back.predict_one(row));
    }
    // nlohmann ADL hooks.
    const nlohmann::json j = model;
    CHECK(j.get<TrainedRegressor>() == model);
}

TEST_CASE("mlp: malformed model JSON throws perfcast::error naming the field") {
    const Matrix X = synthetic_uniform(100, 3, 0.0, 1.0, 91);
    const Vector y = synthetic_smooth_target(X);
    MlpConfig config = small_config();
    config.hidden = {8, 4};
    config.max_epochs = 1;
    const nlohmann::json good = perfcast::train_mlp(X, y, config).to_json();

    auto error_of = [](const nlohmann::json& j) -> std::pair<std::string, std::string> {
        try {
            (void)TrainedRegressor::from_json(j);
        } catch (const perfcast::error& e) {
            return {e.field(), e.what()};
        }
        return {"(no error)", ""};
    };
    {
        nlohmann::json j = good;
        j["mlp"]["layers"][1]["weights"].erase(0);
        const auto [field, what] = error_of(j);
        CHECK(field == "mlp.layers[1].weights");
        CHECK(what == std::string("mlp.layers[1].weights: expected 8x4 = 32 values, got 31"));
    }
    {
        nlohmann::json j = good;
        j["mlp"]["layers"][2]["bias"][0] = nullptr;
        CHECK(error_of(j).first == "mlp.layers[2].bias[0]");
    }
    {
        nlohmann::json j = good;
        j["mlp"]["layers"][1]["inputs"] = 9;
        CHECK(error_of(j).first == "mlp.layers[1].inputs");
    }
    {
        nlohmann::json j = good;
        j["mlp"]["layers"].erase(2);  // last layer now has 4 outputs
        CHECK(error_of(j).first == "mlp.layers[1].outputs");
    }
    {
        nlohmann::json j = good;
        j["scaler"].erase("std");
        const auto [field, what] = error_of(j);
        CHECK(field == "scaler.std");
        CHECK(what == std::string("scaler.std: missing"));
    }
    {
        nlohmann::json j = good;
        j["scaler"]["std"][1] = 0.0;
        CHECK(error_of(j).first == "scaler.std[1]");
    }
    {
        nlohmann::json j = good;
        j["mlp"]["activation"] = 3;
        CHECK(error_of(j).first == "mlp.activation");
    }
    {
        nlohmann::json j = good;
        j["target_transform"] = {{"kind", "log"}, {"c", 2.0}};
        CHECK(error_of(j).first == "target_transform.c");
    }
    {
        nlohmann::json j = good;
        j["version"] = 2;
        CHECK(error_of(j).first == "version");
    }
    {
        nlohmann::json j = good;
        j["extra"] = true;
        CHECK(error_of(j).first == "extra");
    }
    {
        nlohmann::json j = good;
        j["history"]["best_epoch"] = 5;
        CHECK(error_of(j).first == "history.best_epoch");
    }
    {
        nlohmann::json j = good;
        j["scaler"]["mean"].push_back(1.0);  // 4 means, 3 stds
        CHECK(error_of(j).first == "scaler.std");
        j["scaler"]["std"].push_back(1.0);  // 4 columns vs a 3-input network
        CHECK(error_of(j).first == "scaler.mean");
    }
    {
        nlohmann::json j = good;
        j["mlp"]["layers"][0]["bias"] = "zero";
        try {
            (void)TrainedRegressor::from_json(j, "models[2].regressor");
            FAIL("expected an error");
        } catch (const perfcast::error& e) {
            CHECK(e.field() == "models[2].regressor.mlp.layers[0].bias");
        }
    }
    // The root has no path: the message says what it is.
    CHECK(error_of(nlohmann::json::array()) ==
          std::pair<std::string, std::string>{"", "expected an object, got an array"});
}

TEST_CASE("mlp: the JSON reader refuses wrong types, unknown keys and numbers out of range, naming the path") {
    const Matrix X = synthetic_uniform(100, 3, 0.0, 1.0, 93);
    const Vector y = synthetic_smooth_target(X);
    MlpConfig config = small_config();
    config.hidden = {8, 4};
    config.max_epochs = 2;
    const TrainedRegressor model = perfcast::train_mlp(X, y, config);
    const nlohmann::json good = model.to_json();

    auto error_of = [](const nlohmann::json& j, const std::string& path = "") -> std::pair<std::string, std::string> {
        try {
            (void)TrainedRegressor::from_json(j, path);
        } catch (const perfcast::error& e) {
            return {e.field(), e.message()};
        }
        return {"(no error)", ""};
    };
    using field_message = std::pair<std::string, std::string>;
    {  // a wrong type: the expected and the actual type
        nlohmann::json j = good;
        j["mlp"]["output_scale"] = "big";
        CHECK(error_of(j) == field_message{"mlp.output_scale", "expected a number, got a string"});
        j = good;
        j["history"]["epochs"][1]["epoch"] = 2.5;
        CHECK(error_of(j) == field_message{"history.epochs[1].epoch", "expected an integer, got the number 2.5"});
        j = good;
        j["config"] = nlohmann::json::array();
        CHECK(error_of(j, "models.conv2d.ensemble[2]") ==
              field_message{"models.conv2d.ensemble[2].config", "expected an object, got an array"});
    }
    {  // an unknown key, at any depth
        nlohmann::json j = good;
        j["mlp"]["layers"][0]["wieghts"] = nlohmann::json::array();
        CHECK(error_of(j) == field_message{"mlp.layers[0].wieghts", "unknown field"});
        j = good;
        j["history"]["epochs"][0]["note"] = "x";
        CHECK(error_of(j) == field_message{"history.epochs[0].note", "unknown field"});
    }
    {  // numbers out of range: no silent wrap, no infinity
        nlohmann::json j = good;
        j["history"]["train_rows"] = -5;
        CHECK(error_of(j) == field_message{"history.train_rows", "expected a non-negative integer, got -5"});
        j = good;
        j["mlp"]["layers"][1]["outputs"] = -4;
        CHECK(error_of(j).first == "mlp.layers[1].outputs");
        j = good;
        j["scaler"]["mean"][2] = std::numeric_limits<double>::infinity();
        CHECK(error_of(j).first == "scaler.mean[2]");
        CHECK(error_of(j).second.find("expected a finite number") == 0);
        try {
            (void)MlpConfig::from_json(nlohmann::json{{"seed", -1}});
            FAIL("expected an error");
        } catch (const perfcast::error& e) {
            CHECK(e.field() == "config.seed");
            CHECK(e.message() == "expected a non-negative integer, got -1");
        }
    }
}

TEST_CASE("mlp: save and load model and config files; errors name file, line and field") {
    const Matrix X = synthetic_uniform(100, 3, 0.0, 1.0, 101);
    const Vector y = synthetic_smooth_target(X);
    MlpConfig config = small_config();
    config.hidden = {8, 4};
    config.max_epochs = 3;
    const TrainedRegressor model = perfcast::train_mlp(X, y, config);

    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    const std::filesystem::path dir = std::filesystem::temp_directory_path();
    const std::string file = (dir / ("perfcast_test_mlp_" + std::to_string(stamp) + ".json")).string();
    model.save(file);
    CHECK(TrainedRegressor::load(file) == model);

    // One line per layer: break layers[1] and expect its line in the error.
    const std::string text = model.to_json_text();
    std::size_t layer1_line = 0, seen = 0, line = 1;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 9, "{\"bias\":[") == 0 && ++seen == 2) layer1_line = line;
        if (text[i] == '\n') ++line;
    }
    REQUIRE(layer1_line > 0);
    nlohmann::json broken = model.to_json();
    broken["mlp"]["layers"][1]["weights"].push_back(0.5);
    std::string broken_text;
    perfcast::detail::mlp::write_json(broken, 0, broken_text);
    std::ofstream(file, std::ios::binary) << broken_text;
    try {
        (void)TrainedRegressor::load(file);
        FAIL("expected an error");
    } catch (const perfcast::error& e) {
        CHECK(e.field() == "mlp.layers[1].weights");
        CHECK(e.where().file == file);
        CHECK(e.where().line == layer1_line);
    }

    std::ofstream(file, std::ios::binary) << "{\"batch_size\": 64,\n \"activation\": \"sigmoid\"}\n";
    try {
        (void)MlpConfig::load(file);
        FAIL("expected an error");
    } catch (const perfcast::error& e) {
        CHECK(e.field() == "activation");
        CHECK(e.where().line == 2);
    }
    // From a file, every refusal also names the file and the line of the value.
    struct located_error {
        std::string field, message;
        std::size_t line;
    };
    auto config_error = [&](const std::string& config_text) -> located_error {
        std::ofstream(file, std::ios::binary) << config_text;
        try {
            (void)MlpConfig::load(file);
        } catch (const perfcast::error& e) {
            CHECK(e.where().file == file);
            return {e.field(), e.message(), e.where().line};
        }
        return {"(no error)", "", 0};
    };
    located_error c = config_error("{\"batch_size\": 64,\n \"hidden\": [64,\n  -3]}");  // a negative size
    CHECK(c.field == "hidden[1]");
    CHECK(c.message == "expected a non-negative integer, got -3");
    CHECK(c.line == 3);
    c = config_error("{\"batch_size\": 64,\n \"learning_rate\": \"fast\"}");  // a wrong type
    CHECK(c.field == "learning_rate");
    CHECK(c.message == "expected a number, got a string");
    CHECK(c.line == 2);
    c = config_error("{\"seed\": 1,\n \"max_epochs\": 5,\n \"sede\": 2}");  // an unknown key
    CHECK(c.field == "sede");
    CHECK(c.message == "unknown field");
    CHECK(c.line == 3);
    c = config_error("{\"seed\": 1,\n \"learning_rate\": 1e999}");  // a number out of range of a double
    CHECK(c.field == "learning_rate");
    CHECK(c.message.find("out of range") != std::string::npos);
    CHECK(c.line == 2);
    c = config_error("{\"seed\": 1,\n \"max_epochs\": 0}");  // a rule of validate(), placed in the file
    CHECK(c.field == "max_epochs");
    CHECK(c.message == "expected at least 1");
    CHECK(c.line == 2);

    // 1e999 deep in a model: the path and line of the number.
    const std::string model_text = model.to_json_text();
    const std::size_t at = model_text.find("\"output_scale\": ");
    REQUIRE(at != std::string::npos);
    const std::size_t value = at + std::string("\"output_scale\": ").size();
    const std::string huge = model_text.substr(0, value) + "1e999" + model_text.substr(model_text.find_first_of(",\n", value));
    std::ofstream(file, std::ios::binary) << huge;
    try {
        (void)TrainedRegressor::load(file);
        FAIL("expected an error");
    } catch (const perfcast::error& e) {
        CHECK(e.field() == "mlp.output_scale");
        CHECK(e.where().file == file);
        CHECK(e.where().line == 1 + static_cast<std::size_t>(std::count(model_text.begin(), model_text.begin() +
                                                                            static_cast<std::ptrdiff_t>(at), '\n')));
    }

    std::ofstream(file, std::ios::binary) << "{\"batch_size\": 64, \"hidden\": [32]}";
    CHECK(MlpConfig::load(file).batch_size == 64);
    std::filesystem::remove(file);
    CHECK_THROWS_AS((void)TrainedRegressor::load(file), perfcast::error);
}
