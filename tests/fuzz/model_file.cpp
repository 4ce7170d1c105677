// Fuzz target: the model file reader (Predictor::parse, which re-runs the reference queries), then one
// prediction with an accepted model.
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace perfcast;
    try {
        const Predictor model = Predictor::parse(fuzz::text(data, size), "fuzz.json");
        const Layer layer = DenseParams{.batch = 64, .in_features = 1024, .out_features = 1024};
        for (Pass pass : {Pass::inference, Pass::training})
            fuzz::require_time(model.layer_time(layer, Target(devices::t4, pass, DType::fp32)).us,
                               "a prediction is finite and >= 0");
    } catch (const error&) {
    }
    return 0;
}
