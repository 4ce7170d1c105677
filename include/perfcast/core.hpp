/**
 * @file core.hpp
 * @brief The umbrella header of perfcast's compile-time core: layer types and their costs,
 *        devices, networks and the zoo, the analytical baselines, and the embedded learned
 *        model with its constexpr inference. Needs the standard library only (no xtensor,
 *        nlohmann/json or BLAS), and is also generated as single_include/perfcast/core.hpp.
 */
#pragma once

#include "core/analytical.hpp"       // roofline, PALEO
#include "core/call_overhead.hpp"    // the framework's cost of calling a layer in a network
#include "core/compile_time.hpp"     // predict_us<Net, Device>(): the embedded model in constant expressions
#include "core/constexpr_model.hpp"  // embedded::Model: a learned model as plain data
#include "core/devices.hpp"          // Device, devices::*, find_device
#include "core/error.hpp"            // perfcast::error
#include "core/inference.hpp"        // embedded::predict_us: one layer under a learned model
#include "core/layer_time.hpp"       // embedded::layer_time: the method of each layer; step_time
#include "core/layers.hpp"           // layer structs, compile-time layer types, Layer
#include "core/memory_fit.hpp"       // the memory-bound model of the kinds without a learned one
#include "core/method.hpp"           // Method, LayerTime
#include "core/mlp_kinds.hpp"        // MlpActivation, TargetKind
#include "core/network.hpp"          // Network, Net<>, NetBuilder
#include "core/network_time.hpp"     // walk_network, embedded::network_us: a network's time
#include "core/optimizer.hpp"        // the optimizer update of a training step
#include "core/target.hpp"           // Target: device, pass, precision
#include "core/types.hpp"            // DType, Pass, Phase, Shape
#include "core/zoo.hpp"              // zoo::resnet50, zoo::ResNet50<B>, ...
