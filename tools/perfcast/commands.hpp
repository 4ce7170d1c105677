// The commands of the perfcast program, one per source file (tools/perfcast/NAME.cpp); main.cpp
// dispatches to them.
#pragma once

#include <nlohmann/json.hpp>  // json

#include "cli.hpp"  // Command

namespace perfcast {
struct ModelGpuSummary;  // lab/neusight_models.hpp
}

namespace perfcast::cli {

const Command& devices_command();
const Command& network_command();
const Command& predict_command();
const Command& import_command();
const Command& train_command();
const Command& eval_command();
const Command& study_command();
const Command& validate_command();
const Command& calibrate_command();
const Command& embed_command();
const Command& report_command();

/** @brief One GPU's end-to-end summary of NeuSight's whole models as JSON (validate neusight-models, study seeds). */
nlohmann::json gpu_summary_json(const ModelGpuSummary& g);

}  // namespace perfcast::cli
