/**
 * @file perfcast.hpp
 * @brief perfcast: predict how long deep-learning layers and networks take on a GPU.
 *        The umbrella header: includes every part of the library.
 */
#pragma once

#include "analytical.hpp"          // roofline, PALEO
#include "compile_time.hpp"        // predict_us<Net, Device>(): the embedded model in constant expressions
#include "constexpr_model.hpp"     // embedded::Model, embedded::predict_us: constexpr inference
#include "dataset.hpp"             // measured timings: schema, reader, writer
#include "devices.hpp"             // Device, devices::*, find_device
#include "embed.hpp"               // embed_model_header: a model file as a header of constexpr data
#include "error.hpp"               // perfcast::error
#include "call_overhead.hpp"       // the framework's cost of calling a layer in a network
#include "estimate.hpp"            // whole-network estimates
#include "evaluation.hpp"          // relative-error statistics
#include "features.hpp"            // the learned model's feature vectors
#include "io/device_json.hpp"      // DeviceRegistry, device JSON
#include "io/network_json.hpp"     // network JSON
#include "io/neusight.hpp"         // NeuSight importer
#include "layer_validation.hpp"    // layers timed inside a network vs the prediction of each
#include "layers.hpp"              // layer structs, compile-time layer types, Layer
#include "memory_fit.hpp"          // the memory-bound model of the kinds without a learned one
#include "mlp.hpp"                 // the MLP regressor on xtensor
#include "network.hpp"             // Network, Net<>, NetBuilder
#include "optimizer.hpp"           // the optimizer update of a training step
#include "predictor.hpp"           // the learned predictor and its model files
#include "report.hpp"              // the HTML accuracy report (SVG charts, perfcast::svg)
#include "study.hpp"               // leave-one-GPU-out, learning curve, ablation
#include "types.hpp"               // DType, Pass, Phase, Shape
#include "zoo.hpp"                 // zoo::resnet50, zoo::ResNet50<B>, ...
