// Fuzz target: the device JSON reader (DeviceRegistry::parse), then a roofline on each accepted device.
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace perfcast;
    try {
        DeviceRegistry registry;
        registry.parse(fuzz::text(data, size), "fuzz.json");
        const Layer layer = Conv2DParams{.batch = 8, .in_channels = 64, .height = 56, .width = 56, .out_channels = 64,
                                         .kernel = {3, 3}, .padding = {1, 1}};
        for (const Device& d : registry.all()) {
            for (Pass pass : {Pass::inference, Pass::training}) {
                fuzz::require_time(roofline_us(layer, Target(d, pass, DType::fp32)), "roofline finite and >= 0");
                fuzz::require_time(paleo_us(layer, Target(d, pass, DType::fp32)), "PALEO finite and >= 0");
            }
        }
    } catch (const error&) {
    }
    return 0;
}
