// perfcast devices: the devices perfcast knows, with their peak rates.
#include <cstdlib>   // EXIT_SUCCESS
#include <iostream>  // cout
#include <string>    // string

#include "commands.hpp"
#include "common.hpp"  // opt::, load_devices, format_arg

namespace perfcast::cli {
namespace {

int run(const Args& a) {
    DeviceRegistry reg;
    load_devices(reg, a);
    if (format_arg(a) == "json") {
        std::cout << devices_to_json(reg.all()).dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    Table t({"id", "name", "arch", "cc", "units", "MHz", "FP32", "TF32", "FP16", "BF16", "GB/s", "L2 MB", "GB"});
    auto tf = [](double v) { return v > 0 ? cli::fixed(v, v < 10 ? 2 : 1) : std::string("-"); };
    for (const Device& d : reg.all())
        t.row({std::string(d.id), std::string(d.name), std::string(d.architecture),
               d.kind == DeviceKind::gpu ? std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor) : "cpu",
               std::to_string(d.units), cli::fixed(d.boost_mhz, 0), tf(d.fp32_tflops), tf(d.tf32_tflops),
               tf(d.fp16_tflops), tf(d.bf16_tflops), cli::fixed(d.bandwidth_gbs, 0), cli::fixed(d.l2_mb, 2),
               cli::fixed(d.memory_gb, 0)});
    t.print(std::cout);
    std::cout << "\nPeaks in TFLOP/s, dense, at the boost clock; '-' runs at the FP32 rate. "
                 "`--format json` gives each entry's source.\n";
    return EXIT_SUCCESS;
}

}  // namespace

const Command& devices_command() {
    static const Command c{
        .name = "devices",
        .summary = "lists the devices perfcast knows, with their peak rates",
        .options = {opt::format(), opt::devices()},
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
