/**
 * @file perfcast.hpp
 * @brief perfcast: predict how long deep-learning layers and networks take on a GPU.
 *        The umbrella header of the library: the compile-time core (core.hpp) and the
 *        learned run-time layer (runtime/). The lab (reports, studies, importers, the embed
 *        generator) lives with the command-line program in tools/lab/ and is not included.
 */
#pragma once

#include "core.hpp"  // the std-only compile-time core

#include "runtime/dataset.hpp"          // measured timings: schema, reader, writer
#include "runtime/estimate.hpp"         // whole-network estimates
#include "runtime/features.hpp"         // the learned model's feature vectors
#include "runtime/io/device_json.hpp"   // DeviceRegistry, device JSON
#include "runtime/io/network_json.hpp"  // network JSON
#include "runtime/mlp.hpp"              // the MLP regressor on xtensor
#include "runtime/predictor.hpp"        // the learned predictor and its model files
