// Fuzz target: the importer of NeuSight's operator CSV files (perfcast::parse_neusight).
#include <perfcast/lab/neusight.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace perfcast;
    static const DeviceRegistry registry;
    try {
        fuzz::require_sane(parse_neusight(fuzz::text(data, size), "fuzz.csv", registry), registry);
    } catch (const error&) {
    }
    return 0;
}
