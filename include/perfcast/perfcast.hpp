/**
 * @file perfcast.hpp
 * @brief perfcast: predict how long deep-learning layers and networks take on a GPU.
 *        The umbrella header: includes every part of the library.
 */
#pragma once

#include "analytical.hpp"          // roofline, PALEO
#include "devices.hpp"             // Device, devices::*, find_device
#include "error.hpp"               // perfcast::error
#include "estimate.hpp"            // whole-network estimates
#include "io/device_json.hpp"      // DeviceRegistry, device JSON
#include "io/network_json.hpp"     // network JSON
#include "layers.hpp"              // layer structs, compile-time layer types, Layer
#include "network.hpp"             // Network, Net<>, NetBuilder
#include "types.hpp"               // DType, Pass, Phase, Shape
#include "zoo.hpp"                 // zoo::resnet50, zoo::ResNet50<B>, ...
