// Fuzz target: the network JSON reader (perfcast::parse_network), then what perfcast does with an
// accepted network: its totals and its estimates.
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const perfcast::Network net = perfcast::parse_network(perfcast::fuzz::text(data, size), "fuzz.json");
        perfcast::fuzz::require_sane(net);
    } catch (const perfcast::error&) {
        // refused, with a message: fine
    }
    return 0;
}
