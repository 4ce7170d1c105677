// Fuzz target: the readers of NeuSight's whole-model labels (tools/lab): an input starting with '{' is a
// label's end-to-end JSON (parse_label_json), anything else a per-node fx trace (parse_fx_trace), whose
// mapped nodes must be valid layers with sane counts.
#include <perfcast/lab/neusight_models.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace perfcast;
    const std::string text = fuzz::text(data, size);
    try {
        if (!text.empty() && text[0] == '{') {
            ModelLabel label;
            (void)parse_label_json(text, "fuzz.json", label);
            fuzz::require(label.e2e_ms > 0 && label.num_layer >= 0, "a label's time > 0 and layers >= 0");
            return 0;
        }
        const ModelTrace trace =
            parse_fx_trace(text, "fuzz.csv", 2, [](std::string_view) { return std::int64_t{50257}; });
        for (const TraceNode& n : trace.nodes) {
            if (!n.layer) continue;
            validate(*n.layer);
            for (Pass pass : {Pass::inference, Pass::training}) {
                const Cost c = pass_cost(*n.layer, pass, DType::fp32);
                fuzz::require(c.flops >= 0 && c.bytes >= 0, "a node's FLOPs and bytes >= 0");
                fuzz::require_time(roofline_us(*n.layer, Target(devices::t4, pass)), "a node's roofline finite and >= 0");
            }
        }
    } catch (const error&) {
    }
    return 0;
}
