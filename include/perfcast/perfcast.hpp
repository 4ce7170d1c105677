/**
 * @file perfcast.hpp
 * @brief perfcast: predict how long deep-learning layers and networks take on a GPU.
 *        The umbrella header: includes every part of the library.
 */
#pragma once

#include "analytical.hpp"          // roofline, PALEO
#include "dataset.hpp"             // measured timings: schema, reader, writer
#include "devices.hpp"             // Device, devices::*, find_device
#include "error.hpp"               // perfcast::error
#include "estimate.hpp"            // whole-network estimates
#include "evaluation.hpp"          // relative-error statistics
#include "features.hpp"            // the learned model's feature vectors
#include "io/device_json.hpp"      // DeviceRegistry, device JSON
#include "io/network_json.hpp"     // network JSON
#include "io/neusight.hpp"         // NeuSight importer
#include "layers.hpp"              // layer structs, compile-time layer types, Layer
#include "mlp.hpp"                 // the MLP regressor on xtensor
#include "network.hpp"             // Network, Net<>, NetBuilder
#include "predictor.hpp"           // the learned predictor and its model files
#include "study.hpp"               // leave-one-GPU-out, learning curve, ablation
#include "types.hpp"               // DType, Pass, Phase, Shape
#include "zoo.hpp"                 // zoo::resnet50, zoo::ResNet50<B>, ...
