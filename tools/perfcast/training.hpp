// The training options `perfcast train` and `perfcast study` share, declared once, and the
// TrainOptions and the rows they give.
#pragma once

#include <algorithm>  // any_of, find
#include <cstdint>    // uint64_t
#include <string>     // string
#include <thread>     // hardware_concurrency
#include <vector>     // vector

#include <perfcast/perfcast.hpp>           // the library
#include <perfcast/runtime/predictor.hpp>  // TrainOptions, MlpConfig

#include "cli.hpp"  // Option, Args

namespace perfcast::cli {

/** @brief The largest --seed and --split-salt: 2^53 - 1, the integers a JSON reader anywhere reads exactly. */
inline constexpr std::int64_t max_seed = (std::int64_t{1} << 53) - 1;

/** @brief The training options; their defaults are TrainOptions'. */
inline std::vector<Option> training_options() {
    const TrainOptions d;
    std::string hidden;
    for (std::size_t w : d.mlp.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(w);
    return {
        {.name = "features", .value = "raw|params|analytical|hardware",
         .help = "the input features of the models of the training devices", .fallback = std::string(to_string(d.features))},
        {.name = "no-portable", .help = "no portable tier (the models that answer GPUs outside the training data)"},
        {.name = "absolute", .help = "learn the time itself, not its ratio to the roofline"},
        {.name = "no-kernel-floor",
         .help = "the training GPUs' models learn time / roofline, without their machines' kernel floors"},
        number_option({.name = "holdout", .value = "X", .help = "share of the rows kept out of training for evaluation",
                       .fallback = shortest(d.holdout)},
                      {0, 1, false, true}),
        integer_option({.name = "split-salt", .value = "N", .help = "chooses which rows are held out",
                        .fallback = std::to_string(d.split_salt)},
                       0, max_seed),
        {.name = "config", .value = "MLP.json", .help = "MLP settings from a file; the options below override it"},
        integer_option({.name = "epochs", .value = "N", .help = "at most this many epochs",
                        .fallback = std::to_string(d.mlp.max_epochs)},
                       1, 100'000),
        integer_option({.name = "patience", .value = "N", .help = "stop after this many epochs without improvement (0: never)",
                        .fallback = std::to_string(d.mlp.patience)},
                       0, 100'000),
        integer_option({.name = "batch-size", .value = "N", .help = "rows per step", .fallback = std::to_string(d.mlp.batch_size)},
                       1, 1 << 20),
        integer_option({.name = "seed", .value = "N", .help = "seed of the initialisation and the shuffling",
                        .fallback = std::to_string(d.mlp.seed)},
                       0, max_seed),
        integer_option({.name = "ensemble", .value = "N", .help = "MLPs per layer kind, averaged",
                        .fallback = std::to_string(d.ensemble)},
                       1, 64),
        number_option({.name = "lr", .value = "X", .help = "peak learning rate", .fallback = shortest(d.mlp.learning_rate)},
                      {0, 10, true, false}),
        integers_option({.name = "hidden", .value = "N,N,...", .help = "hidden layer widths", .fallback = hidden}, 1, 4096),
        {.name = "transform", .value = "log|sqrt|identity", .help = "the target's transform before learning",
         .fallback = std::string(to_string(d.mlp.target_transform.kind()))},
        {.name = "loss", .value = "mse|relative", .help = "training objective",
         .fallback = std::string(to_string(d.mlp.loss))},
        {.name = "activation", .value = "relu|tanh|silu|gelu", .help = "hidden nonlinearity",
         .fallback = std::string(to_string(d.mlp.activation))},
        integer_option({.name = "memory-epochs", .value = "N",
                        .help = "--epochs of the training devices' models of the memory-bound kinds (default: "
                                "the same as the others')"},
                       1, 100'000),
        integer_option({.name = "memory-patience", .value = "N", .help = "their --patience"}, 0, 100'000),
        number_option({.name = "memory-lr", .value = "X", .help = "their --lr"}, {0, 10, true, false}),
        integers_option({.name = "memory-hidden", .value = "N,N,...", .help = "their --hidden"}, 1, 4096),
        integer_option({.name = "portable-epochs", .value = "N",
                        .help = "--epochs of the portable tier's models, which answer GPUs outside the data "
                                "(default: the same as the others')"},
                       1, 100'000),
        integer_option({.name = "portable-patience", .value = "N", .help = "their --patience"}, 0, 100'000),
        number_option({.name = "portable-lr", .value = "X", .help = "their --lr"}, {0, 10, true, false}),
        integers_option({.name = "portable-hidden", .value = "N,N,...", .help = "their --hidden"}, 1, 4096),
        {.name = "kinds", .value = "KIND,...",
         .help = "train only these layer kinds (" + kind_names(learned_kinds) + "; default: every one the data has)"},
        {.name = "only-device", .value = "ID,...", .help = "keep only the rows of these devices"},
        {.name = "exclude-source", .value = "PREFIX",
         .help = "leave out of training the rows whose source column begins with PREFIX (a sweep measured unlike the "
                 "rest), recorded in the model",
         .repeat = true},
        integer_option({.name = "threads", .value = "N", .help = "models trained at once (default: the machine's cores)"},
                       1, 1024),
    };
}



/** @brief Keeps the rows of the devices named by --only-device (all rows without it). */
inline Dataset only_devices(Dataset ds, const Args& a, const DeviceRegistry& reg) {
    if (!a.has("only-device")) return ds;
    std::vector<std::string> keep;
    for (const auto& d : split_list(a.get("only-device"))) keep.emplace_back(reg.get(d).id);
    std::erase_if(ds.rows, [&](const Sample& s) { return std::find(keep.begin(), keep.end(), s.device) == keep.end(); });
    if (ds.rows.empty()) throw error("--only-device", "no rows of these devices in the data");
    return ds;
}

/**
 * @brief The rows' sources to leave out of training (--exclude-source), each checked against the data: a
 * prefix that no measured row's source begins with is refused (a typo would leave the sweep in, silently).
 */
inline std::vector<std::string> excluded_sources(const Args& a, const Dataset& ds) {
    std::vector<std::string> out;
    for (const std::string& prefix : a.all("exclude-source")) {
        if (prefix.empty()) throw error("--exclude-source", "expected the beginning of a source, not \"\"");
        const bool matches = std::any_of(ds.rows.begin(), ds.rows.end(), [&](const Sample& s) {
            return s.measured() && s.source.starts_with(prefix);
        });
        if (!matches) throw error("--exclude-source", "no measured row's source begins with " + quoted(prefix));
        out.push_back(prefix);
    }
    return out;
}

/** @brief The TrainOptions of the training options (--config first, then each option given). */
inline TrainOptions train_options(const Args& a) {
    TrainOptions o;
    o.features = parse_feature_set(a.get("features"));
    if (o.features == FeatureSet::portable)
        throw error("--features", "the portable models are trained beside the others on GPU data (--no-portable "
                                  "leaves them out); --features chooses the training devices' models");
    o.relative_to_roofline = !a.flag("absolute");
    o.holdout = a.number("holdout");
    o.split_salt = static_cast<std::uint64_t>(a.integer("split-salt"));
    if (a.has("config")) o.mlp = MlpConfig::load(a.get("config"));
    if (a.has("epochs")) o.mlp.max_epochs = static_cast<std::size_t>(a.integer("epochs"));
    if (a.has("patience")) o.mlp.patience = static_cast<std::size_t>(a.integer("patience"));
    if (a.has("batch-size")) o.mlp.batch_size = static_cast<std::size_t>(a.integer("batch-size"));
    if (a.has("seed")) o.mlp.seed = static_cast<std::uint64_t>(a.integer("seed"));
    if (a.has("ensemble")) o.ensemble = static_cast<std::size_t>(a.integer("ensemble"));
    if (a.has("lr")) o.mlp.learning_rate = a.number("lr");
    if (a.has("hidden")) {
        o.mlp.hidden.clear();
        for (const std::int64_t w : a.integers("hidden")) o.mlp.hidden.push_back(static_cast<std::size_t>(w));
    }
    if (a.has("loss")) o.mlp.loss = parse_mlp_loss(a.get("loss"), "--loss");
    if (a.has("activation")) o.mlp.activation = parse_mlp_activation(a.get("activation"), "--activation");
    if (a.has("transform")) {
        const std::string tr = a.get("transform");
        if (tr == "log") o.mlp.target_transform = TargetTransform(TargetKind::log);
        else if (tr == "sqrt") o.mlp.target_transform = TargetTransform(TargetKind::sqrt, 1.0);
        else if (tr == "identity") o.mlp.target_transform = TargetTransform(TargetKind::identity);
        else throw error("--transform", "expected log, sqrt or identity (got " + quoted(tr) + ")");
    }
    // a group of models with settings of its own (--GROUP-epochs, --GROUP-patience, --GROUP-lr, --GROUP-hidden
    // over mlp's)
    const auto group = [&](const std::string& g) -> std::optional<MlpConfig> {
        const std::string epochs = g + "-epochs", patience = g + "-patience", lr = g + "-lr", hidden = g + "-hidden";
        if (!a.has(epochs) && !a.has(patience) && !a.has(lr) && !a.has(hidden)) return std::nullopt;
        MlpConfig c = o.mlp;
        if (a.has(epochs)) c.max_epochs = static_cast<std::size_t>(a.integer(epochs));
        if (a.has(patience)) c.patience = static_cast<std::size_t>(a.integer(patience));
        if (a.has(lr)) c.learning_rate = a.number(lr);
        if (a.has(hidden)) {
            c.hidden.clear();
            for (const std::int64_t w : a.integers(hidden)) c.hidden.push_back(static_cast<std::size_t>(w));
        }
        return c;
    };
    o.memory_mlp = group("memory");
    o.portable_mlp = group("portable");
    for (const auto& k : split_list(a.get("kinds"))) {
        const auto kk = parse_layer_kind(k);
        if (!kk || std::find(learned_kinds.begin(), learned_kinds.end(), *kk) == learned_kinds.end())
            throw error("--kinds", "expected one of " + kind_names(learned_kinds) + " (got " + quoted(k) + ")");
        o.kinds.push_back(*kk);
    }
    o.portable = !a.flag("no-portable");
    if (!o.portable && o.portable_mlp)
        throw error(a.has("portable-epochs")     ? "--portable-epochs"
                    : a.has("portable-patience") ? "--portable-patience"
                    : a.has("portable-lr")       ? "--portable-lr"
                                                 : "--portable-hidden",
                    "there is no portable tier to train with --no-portable");
    o.kernel_floor = !a.flag("no-kernel-floor");
    o.threads = std::max(1u, std::thread::hardware_concurrency());
    if (a.has("threads")) o.threads = static_cast<std::size_t>(a.integer("threads"));
    if (o.threads > 1) single_threaded_blas();  // see TrainOptions::threads
    o.mlp.validate("train");
    return o;
}

}  // namespace perfcast::cli
