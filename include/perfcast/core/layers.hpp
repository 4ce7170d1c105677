/**
 * @file layers.hpp
 * @brief Layer parameter structs, shape rules, costs, compile-time layer types and the run-time Layer.
 */
#pragma once

#include "layers/cost.hpp"    // Cost, cost, output_shape, param_count
#include "layers/kernels.hpp"  // phase_kernels: a training phase as forward kernels
#include "layers/layer.hpp"   // Dense<>, Conv2D<>, ..., Layer
#include "layers/params.hpp"  // DenseParams, Conv2DParams, ...
#include "layers/rules.hpp"   // Rule, check, validate
