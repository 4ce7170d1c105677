// Fuzz target: the dataset CSV reader (perfcast::parse_dataset); every accepted row must be a valid
// layer with a positive timing.
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace perfcast;
    static const DeviceRegistry registry;
    try {
        fuzz::require_sane(parse_dataset(fuzz::text(data, size), "fuzz.csv", registry), registry);
    } catch (const error&) {
    }
    return 0;
}
