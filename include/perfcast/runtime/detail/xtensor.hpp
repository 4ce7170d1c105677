/**
 * @file detail/xtensor.hpp
 * @brief The one place perfcast includes xtensor.
 *
 * Debian 12 ships xtensor 0.24 with flat paths (xtensor/xarray.hpp); from 0.26 the
 * headers moved (xtensor/containers/xarray.hpp). Keep every xtensor include here.
 */
#pragma once

#if __has_include(<xtensor/containers/xarray.hpp>)
#include <xtensor/containers/xadapt.hpp>   // adapt: view raw buffers as tensors (BLAS calls)
#include <xtensor/containers/xarray.hpp>   // xarray
#include <xtensor/containers/xtensor.hpp>  // xtensor
#include <xtensor/core/xmath.hpp>          // sqrt, exp, log, maximum
#include <xtensor/views/xview.hpp>         // view, range, all
#else
#include <xtensor/xadapt.hpp>   // adapt: view raw buffers as tensors (BLAS calls)
#include <xtensor/xarray.hpp>   // xarray
#include <xtensor/xmath.hpp>    // sqrt, exp, log, maximum
#include <xtensor/xtensor.hpp>  // xtensor
#include <xtensor/xview.hpp>    // view, range, all
#endif

// Matrix products for the MLP (runtime/mlp/backprop.hpp). Calls CBLAS: targets that use
// the MLP must link a BLAS such as OpenBLAS (-lopenblas).
#include <xtensor-blas/xblas.hpp>  // blas::gemm
