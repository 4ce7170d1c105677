// perfcast import: measurements of other tools as a perfcast dataset (NeuSight's CSV files, plain or .xz).
#include <cstdlib>   // EXIT_SUCCESS
#include <iostream>  // cerr
#include <string>    // string
#include <vector>    // vector

#include <perfcast/lab/neusight.hpp>  // import_neusight

#include "commands.hpp"
#include "common.hpp"  // opt::, load_devices

namespace perfcast::cli {
namespace {

int run(const Args& a) {
    const auto& pos = a.positional();
    DeviceRegistry reg;
    load_devices(reg, a);
    const Dataset ds = import_neusight(std::vector<std::string>(pos.begin() + 1, pos.end()), reg);
    save_dataset(a.get("out"), ds);
    std::cerr << "perfcast: wrote " << ds.rows.size() << " rows to " << a.get("out") << "\n";
    return EXIT_SUCCESS;
}

}  // namespace

const Command& import_command() {
    static const Command c{
        .name = "import",
        .summary = "converts measurements taken by other tools (NeuSight's CSV files) into a perfcast dataset",
        .positionals = {{.name = "neusight", .help = "the files' format: NeuSight's layer measurements", .word = true},
                        {.name = "FILE.csv",
                         .help = "the files to import (.csv, or .csv.xz, read through xz -dc); NeuSight's test sets "
                                 "(a test/ folder) apart from its training sweeps",
                         .repeat = true}},
        .options = {{.name = "out", .value = "DATASET.csv", .help = "the dataset file to write", .required = true},
                    opt::devices()},
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
