// perfcast network: a network's layers, shapes, parameters and FLOPs, or the network as JSON.
#include <cstdlib>   // EXIT_SUCCESS
#include <iostream>  // cout
#include <string>    // string

#include "commands.hpp"
#include "common.hpp"  // opt::, load_net, dtype_arg, format_arg, shape_str

namespace perfcast::cli {
namespace {

nlohmann::json shape_json(const Shape& s) {
    nlohmann::json j = nlohmann::json::array();
    for (int i = 0; i < s.rank; ++i) j.push_back(s[i]);
    return j;
}

int run(const Args& a) {
    const auto& pos = a.positional();
    const Network n = load_net(pos[1], a, a.integer("batch"));
    if (pos[0] == "export") {
        std::cout << network_to_json(n).dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    const DType t = dtype_arg(a);
    const NetworkTotals tot = n.totals(t);
    if (format_arg(a) == "json") {
        nlohmann::json j;
        j["name"] = n.name;
        j["batch"] = n.batch;
        j["dtype"] = std::string(to_string(t));
        j["layers"] = nlohmann::json::array();
        for (const auto& l : n.layers) {
            nlohmann::json o;
            o["name"] = l.name;
            o["kind"] = std::string(to_string(kind(l.layer)));
            o["input_shape"] = shape_json(input_shape(l.layer));
            o["output_shape"] = shape_json(output_shape(l.layer));
            o["params"] = param_count(l.layer);
            o["flops"] = cost(l.layer, Phase::forward, t).flops;
            o["flops_backward_data"] = cost(l.layer, Phase::backward_data, t, Pass::training).flops;
            o["flops_backward_weights"] = cost(l.layer, Phase::backward_weights, t, Pass::training).flops;
            o["bytes"] = cost(l.layer, Phase::forward, t).bytes;
            o["layer"] = layer_to_json(l, n.batch);
            j["layers"].push_back(o);
        }
        j["totals"] = {{"layers", n.layers.size()},
                       {"params", tot.params},
                       {"flops_forward", tot.inference.flops},
                       {"bytes_forward", tot.inference.bytes},
                       {"flops_training", tot.training.flops},
                       {"bytes_training", tot.training.bytes}};
        std::cout << j.dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    Table tab({"layer", "kind", "output", "params", "FLOPs fwd", "bytes fwd"});
    for (const auto& l : n.layers) {
        const Cost c = cost(l.layer, Phase::forward, t);
        tab.row({l.name, std::string(to_string(kind(l.layer))), shape_str(output_shape(l.layer)),
                 cli::grouped(param_count(l.layer)), cli::si(static_cast<double>(c.flops)),
                 cli::si(static_cast<double>(c.bytes))});
    }
    tab.print(std::cout);
    std::cout << "\n" << n.name << ", batch " << n.batch << ", " << to_string(t) << ": " << n.layers.size()
              << " layers, " << cli::grouped(tot.params) << " parameters, "
              << cli::si(static_cast<double>(tot.inference.flops)) << "FLOP forward, "
              << cli::si(static_cast<double>(tot.training.flops)) << "FLOP per training step\n";
    return EXIT_SUCCESS;
}

}  // namespace

const Command& network_command() {
    static const Command c{
        .name = "network",
        .summary = "shows a network's layers, shapes, parameters and FLOPs, or exports it as JSON",
        .positionals = {{.name = "show|export", .help = "a table (or --format json) of the layers, or the network file",
                         .word = true},
                        {.name = "NAME|FILE.json", .help = network_argument_help()}},
        .options = {opt::batch(),
                    opt::seq(),
                    with_help(opt::dtype(), "precision of the layers (show)"),
                    with_help(opt::format(), "output format (show)")},
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
