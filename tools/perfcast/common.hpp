// The options several perfcast commands take (--devices, --format, --model, --dtype, --pass,
// --optimizer, --data, --seq), declared once here, and the functions that read them.
#pragma once

#include <cstdint>  // int64_t
#include <cstdlib>  // getenv
#include <string>   // string

#include <perfcast/perfcast.hpp>  // the library

#include "cli.hpp"  // Option, Args

#ifndef PERFCAST_DEFAULT_MODEL
#define PERFCAST_DEFAULT_MODEL "models/neusight-fp32.json"
#endif

namespace perfcast::cli {

/** @brief The model used when a command is given no --model: $PERFCAST_MODEL, else the source tree's. */
inline std::string default_model_path() {
    if (const char* env = std::getenv("PERFCAST_MODEL")) return env;
    return PERFCAST_DEFAULT_MODEL;
}

/** @brief The largest --batch: 2^24 samples, far beyond any GPU's memory for a real network. */
inline constexpr std::int64_t max_batch = std::int64_t{1} << 24;
/** @brief The largest --seq: 2^20 tokens. */
inline constexpr std::int64_t max_seq = std::int64_t{1} << 20;

namespace opt {

inline Option devices() {
    return {.name = "devices",
            .value = "FILE.json",
            .help = "more devices, a perfcast-devices file as `perfcast devices --format json` writes",
            .repeat = true};
}
inline Option format() {
    return word_option({.name = "format", .value = "table|json", .help = "output format", .fallback = "table"});
}
inline Option model() {
    return {.name = "model",
            .value = "MODEL.json",
            .help = "a learned model, as perfcast train writes",
            .fallback = default_model_path()};
}
inline Option dtype() {
    return word_option({.name = "dtype", .value = "fp32|tf32|fp16|bf16", .help = "precision of the layers", .fallback = "fp32"});
}
inline Option pass() {
    return {.name = "pass",
            .value = "inference|training",
            .help = "a forward pass, or a training step: forward, backward and the optimizer's update",
            .fallback = "inference"};
}
inline Option optimizer() {
    return word_option({.name = "optimizer",
                        .value = "sgd_momentum|sgd|adam|none",
                        .help = "the update a training step ends with, one more entry; none leaves it out",
                        .fallback = "sgd_momentum"});
}
inline Option data() {
    return {.name = "data", .value = "DATASET.csv", .help = "one or more dataset files", .repeat = true, .required = true};
}
/** @brief --device of commands comparing with timings, whose rows name their device. */
inline Option timings_device() {
    return {.name = "device", .value = "DEVICE", .help = "the device of the timings (default: each row's device column)"};
}

}  // namespace opt

/** @brief --devices: adds the devices of each file to the registry. */
inline void load_devices(DeviceRegistry& reg, const Args& a) {
    for (const auto& f : a.all("devices")) reg.load(f);
}

/** @brief --format table|json. */
inline std::string format_arg(const Args& a) {
    const std::string f = a.get("format");
    if (f != "table" && f != "json") throw error("--format", "expected table or json (got " + quoted(f) + ")");
    return f;
}

inline DType dtype_arg(const Args& a) {
    const std::string s = a.get("dtype");
    if (auto t = parse_dtype(s)) return *t;
    throw error("--dtype", "expected fp32, tf32, fp16 or bf16 (got " + quoted(s) + ")");
}

inline Pass pass_arg(const Args& a) {
    const std::string s = a.get("pass");
    if (auto p = parse_pass(s)) return *p;
    throw error("--pass", "expected inference or training (got " + quoted(s) + ")");
}

inline Optimizer optimizer_arg(const Args& a) {
    const std::string opt = a.get("optimizer");
    if (const auto o = parse_optimizer(opt)) return *o;
    throw error("--optimizer", "expected none, sgd, sgd_momentum or adam (got " + quoted(opt) + ")");
}

namespace opt {
/** @brief --seq of the commands that take a network: a transformer's sequence length. */
inline Option seq() {
    return integer_option({.name = "seq",
                           .value = "S",
                           .help = "sequence length of a zoo transformer (default: the model's maximum positions; switchxl4: 512)"},
                          1, max_seq);
}
/** @brief --batch of `network`: one batch size. */
inline Option batch() {
    return integer_option(
        {.name = "batch", .value = "N", .help = "batch size; a network file keeps its own without it", .fallback = "1"}, 1,
        max_batch);
}
/** @brief --batch of `predict`: a batch size, or several for a sweep. */
inline Option batches() {
    return integers_option({.name = "batch",
                            .value = "N|N,N,...",
                            .help = "batch size, or several for a sweep; a network file keeps its own without it",
                            .fallback = "1"},
                           1, max_batch);
}
}  // namespace opt

/** @brief The zoo's transformers, comma-separated: for messages. */
inline std::string transformer_names() {
    std::string out;
    for (auto n : zoo::names)
        if (zoo::is_transformer(n)) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
}

/** @brief --seq, checked against the network it is for: 0 when not given. */
inline std::int64_t seq_arg(const std::string& what, const Args& a) {
    if (!a.has("seq")) return 0;
    const std::int64_t s = a.integer("seq");
    if (!zoo::is_transformer(what))
        throw error("--seq", quoted(what) + " takes no sequence length: --seq is for the zoo's transformers (" +
                                 transformer_names() + ")");
    return s;
}

/**
 * @brief A zoo network at `batch` (a transformer at --seq), or a network file (at `batch` when --batch
 * is given, else its own).
 */
inline Network load_net(const std::string& what, const Args& a, std::int64_t batch) {
    const std::int64_t seq = seq_arg(what, a);
    if (auto z = zoo::find(what, batch, seq)) return *z;
    if (what.find(".json") != std::string::npos || what.find('/') != std::string::npos) {
        Network n = load_network(what);
        return a.has("batch") ? n.with_batch(batch) : n;
    }
    std::string known;
    for (auto n : zoo::names) known += (known.empty() ? "" : ", ") + std::string(n);
    throw error("network", "unknown network " + quoted(what) + " (zoo: " + known + "; or a .json file)");
}

/** @brief The help line of a NAME|FILE.json argument: the zoo's networks, or a network file. */
inline std::string network_argument_help() {
    std::string known;
    for (auto n : zoo::names) known += (known.empty() ? "" : ", ") + std::string(n);
    return "a zoo network (" + known + "; the transformers take --seq) or a network file (perfcast network export)";
}

/** @brief {2, 64, 56, 56} -> "2x64x56x56". */
inline std::string shape_str(const Shape& s) {
    std::string out;
    for (int i = 0; i < s.rank; ++i) out += (i ? "x" : "") + std::to_string(s[i]);
    return out;
}

}  // namespace perfcast::cli
