// Fuzz target: the dataset CSV reader (perfcast::parse_dataset); every accepted row must be a valid
// layer with a positive timing.
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace perfcast;
    static const DeviceRegistry registry;
    try {
        const Dataset ds = parse_dataset(fuzz::text(data, size), "fuzz.csv", registry);
        for (const Sample& s : ds.rows) {
            validate(s.layer);
            fuzz::require_sane_row(s, registry);
        }
    } catch (const error&) {
    }
    return 0;
}
