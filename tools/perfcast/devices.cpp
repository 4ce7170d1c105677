// perfcast devices: the devices perfcast knows, with their peak rates.
#include <cstdlib>   // EXIT_SUCCESS
#include <iostream>  // cout
#include <string>    // string
#include <vector>    // vector

#include "commands.hpp"
#include "common.hpp"  // opt::, load_devices, format_arg

namespace perfcast::cli {
namespace {

int run(const Args& a) {
    DeviceRegistry reg;
    load_devices(reg, a);
    std::vector<Device> list(reg.all().begin(), reg.all().end());
    const bool floors = a.has("floor-from");
    if (floors) {
        // the GPUs of the datasets, each with the kernel floor measured in them
        list.clear();
        for (const auto& [id, us] : kernel_floors(load_datasets(a.all("floor-from"), reg), reg)) {
            Device d = reg.get(id);
            d.kernel_floor_us = us;
            list.push_back(d);
        }
        if (list.empty())
            throw error("--floor-from", "no GPU with at least " + std::to_string(min_floor_rows) +
                                            " measured forward rows of one memory-bound kind (activation, add, "
                                            "softmax, ...) under 1 us of roofline in the data");
    }
    if (format_arg(a) == "json") {
        std::cout << devices_to_json(list).dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    Table t({"id", "name", "arch", "cc", "units", "MHz", "FP32", "TF32", "FP16", "BF16", "GB/s", "L2 MB", "GB",
             "floor us"});
    auto tf = [](double v) { return v > 0 ? cli::fixed(v, v < 10 ? 2 : 1) : std::string("-"); };
    for (const Device& d : list)
        t.row({std::string(d.id), std::string(d.name), std::string(d.architecture),
               d.kind == DeviceKind::gpu ? std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor) : "cpu",
               std::to_string(d.units), cli::fixed(d.boost_mhz, 0), tf(d.fp32_tflops), tf(d.tf32_tflops),
               tf(d.fp16_tflops), tf(d.bf16_tflops), cli::fixed(d.bandwidth_gbs, 0), cli::fixed(d.l2_mb, 2),
               cli::fixed(d.memory_gb, 0), tf(d.kernel_floor_us)});
    t.print(std::cout);
    std::cout << "\nPeaks in TFLOP/s, dense, at the boost clock; '-' runs at the FP32 rate. floor: the fixed cost of "
                 "one kernel on the machine, '-' unknown. `--format json` gives each entry's source";
    std::cout << (floors ? "; with the floors, it is a devices file for --devices.\n" : ".\n");
    return EXIT_SUCCESS;
}

}  // namespace

const Command& devices_command() {
    static const Command c{
        .name = "devices",
        .summary = "lists the devices perfcast knows, with their peak rates",
        .options = {opt::format(), opt::devices(),
                    {.name = "floor-from",
                     .value = "DATASET.csv",
                     .help = "list the GPUs measured in these datasets instead, each with its kernel floor: its "
                             "cheapest call, the median time of its smallest rows of a memory-bound kind",
                     .repeat = true}},
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
