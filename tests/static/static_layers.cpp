// Static tests: this translation unit passes by compiling. Every check is a static_assert
// on a value bound to constexpr, so it is evaluated at compile time.
#include <perfcast/core/analytical.hpp>
#include <perfcast/core/devices.hpp>
#include <perfcast/core/layers.hpp>
#include <perfcast/core/memory_fit.hpp>
#include <perfcast/core/zoo.hpp>

namespace pc = perfcast;

using Conv1 = pc::Conv2D<{.batch = 32, .in_channels = 3, .height = 224, .width = 224, .out_channels = 64,
                          .kernel = 7, .stride = 2, .padding = 3, .bias = false}>;
static_assert(Conv1::kind == pc::LayerKind::conv2d);
static_assert(Conv1::output_shape == pc::Shape::nchw(32, 64, 112, 112));
static_assert(Conv1::param_count == 64 * 3 * 7 * 7);
static_assert(Conv1::flops(pc::Phase::forward) == 2LL * 32 * 64 * 112 * 112 * 3 * 49);
static_assert(Conv1::bytes(pc::Phase::forward, pc::DType::fp16) * 2 == Conv1::bytes(pc::Phase::forward));

using Depthwise = pc::Conv2D<{.batch = 1, .in_channels = 32, .height = 16, .width = 16, .out_channels = 32,
                              .kernel = 3, .padding = 1, .groups = 32, .bias = false}>;
static_assert(Depthwise::param_count == 32 * 9);
static_assert(Depthwise::output_shape == pc::Shape::nchw(1, 32, 16, 16));

using Fc = pc::Dense<{.batch = 64, .in_features = 2048, .out_features = 1000}>;
static_assert(Fc::param_count == 2048 * 1000 + 1000);
static_assert(Fc::output_shape == pc::Shape::matrix(64, 1000));

using MaxPool = pc::Pool2D<{.batch = 8, .channels = 64, .height = 112, .width = 112, .mode = pc::PoolMode::max,
                            .kernel = 3, .stride = 2, .padding = 1}>;
static_assert(MaxPool::output_shape == pc::Shape::nchw(8, 64, 56, 56));
static_assert(MaxPool::cost(pc::Phase::backward_weights, pc::DType::fp32, pc::Pass::training).flops == 0);

using Gap = pc::Pool2D<{.batch = 8, .channels = 2048, .height = 7, .width = 7, .mode = pc::PoolMode::avg, .global = true}>;
static_assert(Gap::output_shape == pc::Shape::nchw(8, 2048, 1, 1));

using Bn = pc::BatchNorm2D<{.batch = 8, .channels = 64, .height = 56, .width = 56}>;
static_assert(Bn::param_count == 128);
static_assert(Bn::pass_cost(pc::Pass::training).flops > Bn::pass_cost(pc::Pass::inference).flops);

using Drop = pc::Dropout<{.shape = pc::Shape::matrix(8, 4096), .p = 0.5}>;
static_assert(Drop::pass_cost(pc::Pass::inference).flops == 0);
static_assert(Drop::pass_cost(pc::Pass::inference).bytes == 0);

constexpr auto h100 = pc::find_device("NVIDIA H100 80GB HBM3");
static_assert(h100 == &pc::devices::h100_sxm);
static_assert(h100->peak_flops(pc::DType::tf32) > h100->peak_flops(pc::DType::fp32));

constexpr auto resnet_params = pc::zoo::ResNet50<1>::param_count;
static_assert(resnet_params == 25'557'032);
constexpr auto vgg_flops = pc::zoo::VGG16<1>::pass_cost(pc::Pass::inference).flops;
static_assert(vgg_flops > 30'000'000'000 && vgg_flops < 31'500'000'000);

constexpr double conv_us = pc::paleo_us(Conv1::params, pc::Target(pc::devices::h100_sxm, pc::Pass::inference));
static_assert(conv_us > 0);

// the kinds of a transformer block: every value a constant expression
using Qk = pc::BatchMatMul<{.batch = 96, .m = 128, .k = 64, .n = 128}>;
static_assert(Qk::kind == pc::LayerKind::bmm);
static_assert(Qk::param_count == 0);
static_assert(Qk::output_shape == pc::Shape{3, {96, 128, 128, 0}});
static_assert(Qk::flops(pc::Phase::forward) == 2LL * 96 * 128 * 128 * 64);
static_assert(Qk::flops(pc::Phase::backward_data, pc::DType::fp32, pc::Pass::training) == 2 * Qk::flops(pc::Phase::forward));
static_assert(Qk::cost(pc::Phase::backward_weights, pc::DType::fp32, pc::Pass::training) == pc::Cost{});

using Ln = pc::LayerNorm<{.batch = 8 * 128, .features = 768}>;
static_assert(Ln::param_count == 2 * 768);
static_assert(Ln::output_shape == pc::Shape::matrix(1024, 768));
static_assert(Ln::flops(pc::Phase::forward) == 7LL * 1024 * 768);

using Scale = pc::Elementwise<{.shape = pc::Shape::matrix(96, 128 * 128), .op = pc::ElementwiseOp::div, .scalar = true}>;
static_assert(Scale::kind == pc::LayerKind::elementwise);
static_assert(Scale::bytes(pc::Phase::forward) == 4LL * 2 * 96 * 128 * 128);
static_assert(pc::memory_bound_kind(pc::LayerKind::layernorm) && !pc::memory_bound_kind(pc::LayerKind::bmm));
