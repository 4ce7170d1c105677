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
#include "core/constexpr_model.hpp"  // embedded::Model, embedded::predict_us: constexpr inference
#include "core/devices.hpp"          // Device, devices::*, find_device
#include "core/error.hpp"            // perfcast::error
#include "core/layers.hpp"           // layer structs, compile-time layer types, Layer
#include "core/memory_fit.hpp"       // the memory-bound model of the kinds without a learned one
#include "core/network.hpp"          // Network, Net<>, NetBuilder
#include "core/optimizer.hpp"        // the optimizer update of a training step
#include "core/types.hpp"            // DType, Pass, Phase, Shape
#include "core/zoo.hpp"              // zoo::resnet50, zoo::ResNet50<B>, ...
