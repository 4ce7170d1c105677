// Static tests of the compile-time model: this translation unit passes by compiling. Every
// check is a static_assert on a value bound to constexpr, so it is evaluated by the compiler,
// with GCC's default constexpr limits (no -fconstexpr-ops-limit needed).
#include <perfcast/core/compile_time.hpp>           // predict_us<>, predict_layers<>, embedded::default_model
#include <perfcast/core/constexpr_model.hpp>        // embedded::predict_us, verify, layer_time
#include <perfcast/core/detail/constexpr_math.hpp>  // cmath::log, exp, tanh, sqrt, floor, ceil
#include <perfcast/core/feature_kernel.hpp>  // features_kernel::compute
#include <perfcast/core/devices.hpp>                // devices::h100_sxm, Device
#include <perfcast/core/layers.hpp>                 // Conv2D, Dense, Pool2D
#include <perfcast/core/network.hpp>                // Net
#include <perfcast/core/zoo.hpp>                    // zoo::ResNet50

namespace pc = perfcast;
namespace cm = perfcast::detail::cmath;
namespace fk = perfcast::detail::features_kernel;

constexpr bool near(double a, double b, double rel) { return cm::fabs(a - b) <= rel * cm::fabs(b); }

// ---- math ------------------------------------------------------------------------------
static_assert(cm::log(1.0) == 0.0);
static_assert(near(cm::log(2.718281828459045), 1.0, 2e-16));
static_assert(near(cm::log(1e-12), -27.631021115928547, 2e-16));
static_assert(near(cm::exp(1.0), 2.718281828459045, 2e-16));
static_assert(cm::exp(0.0) == 1.0);
static_assert(near(cm::exp(cm::log(1234.5)), 1234.5, 4e-16));
static_assert(near(cm::tanh(0.5), 0.46211715726000974, 4e-16));
static_assert(cm::tanh(-40.0) == -1.0);
static_assert(cm::sqrt(16.0) == 4.0 && near(cm::sqrt(2.0), 1.4142135623730951, 2e-16));
static_assert(cm::floor(-2.5) == -3.0 && cm::ceil(-2.5) == -2.0 && cm::floor(7.0) == 7.0 && cm::ceil(6.000001) == 7.0);

// ---- features --------------------------------------------------------------------------
constexpr fk::feature_buffer conv_features = [] {
    fk::feature_buffer f;
    fk::compute<fk::constexpr_math>(f, pc::FeatureSet::hardware,
                                    pc::Conv2DParams{.batch = 8, .in_channels = 64, .height = 28, .width = 28,
                                                     .out_channels = 128, .kernel = 3, .padding = 1}, pc::Target(pc::devices::t4, pc::Pass::inference, pc::DType::fp32));
    return f;
}();
static_assert(conv_features.size == 42);
static_assert(conv_features.names[0] == "batch" && near(conv_features.values[0], cm::log(8.0), 0));
static_assert(conv_features.names[41] == "log_machine_balance");
static_assert(conv_features.names[32] == "align_m" && conv_features.values[32] == 6.0);  // M = 8*28*28 = 2^7 * 49

// ---- the embedded model reproduces its trainer's reference queries -----------------------
constexpr const pc::embedded::Model& model = pc::embedded::default_model;
static_assert(pc::embedded::schema_matches(model), "the embedded model's features differ from features.hpp's");
static_assert(model.references.size() >= 2);
constexpr double reference_error = pc::embedded::max_reference_error(model);
static_assert(reference_error <= 1e-12, "the embedded model does not give its trainer's predictions");
static_assert(pc::embedded::verify(model));  // the contract: 1e-6
static_assert(model.covers(pc::LayerKind::conv2d) && model.covers(pc::LayerKind::dense));
static_assert(model.trained_for(pc::Pass::inference, pc::DType::fp32));
static_assert(!model.trained_for(pc::Pass::training, pc::DType::fp32));
static_assert(model.trained_on(pc::devices::t4) && !model.trained_on(pc::devices::h100_sxm));

// ---- layers: learned where the model applies, the roofline elsewhere -----------------------
using Conv = pc::Conv2D<{.batch = 32, .in_channels = 128, .height = 28, .width = 28, .out_channels = 128,
                         .kernel = 3, .padding = 1, .bias = false}>;
using Pool = pc::Pool2D<{.batch = 32, .channels = 128, .height = 28, .width = 28, .kernel = 2}>;
constexpr double conv_us = pc::predict_us<Conv, pc::devices::t4>();
static_assert(conv_us == pc::embedded::predict_us(model, Conv::params, pc::Target(pc::devices::t4, pc::Pass::inference, pc::DType::fp32)));
// never below the physical bound: the direct FLOPs' roofline times Winograd's factor for a 3x3 convolution (the
// T4's sweep has 362 such rows faster than their direct FLOPs at its peak, by up to 1.66x)
static_assert(conv_us >= pc::physical_bound_us(Conv::params, pc::Target(pc::devices::t4, pc::Pass::inference)));
static_assert(pc::physical_bound_us(Conv::params, pc::Target(pc::devices::t4, pc::Pass::inference)) <
              pc::roofline_us(Conv::params, pc::Target(pc::devices::t4, pc::Pass::inference)));
// pooling has no rows: the portable model of every memory-bound kind answers it, never below its bound
static_assert(pc::embedded::layer_time(model, Pool::params, pc::Target(pc::devices::t4)).method == pc::Method::mlp);
static_assert(pc::predict_us<Pool, pc::devices::t4>() >= pc::physical_bound_us(Pool::params, pc::Target(pc::devices::t4)));
static_assert(model.kinds[model.index_of(pc::LayerKind::pool2d, pc::devices::t4)].portable());
static_assert(!model.kinds[model.index_of(pc::LayerKind::conv2d, pc::devices::t4)].portable());
// the A100 is a training device, but not of the convolutions: their portable model answers it
static_assert(model.kinds[model.index_of(pc::LayerKind::conv2d, pc::devices::a100_pcie_40gb)].portable());
static_assert(!model.kinds[model.index_of(pc::LayerKind::dense, pc::devices::a100_pcie_40gb)].portable());
// trained on forward passes only: a convolution's training step is its forward kernel's time for each of
// its three phases (phase_kernels: the same FLOPs on the same tensors)
static_assert(pc::predict_us<Conv, pc::devices::t4, pc::Pass::training>() ==
              3.0 * pc::embedded::predict_us(model, Conv::params, pc::Target(pc::devices::t4, pc::Pass::inference)));
// a precision without rows keeps the ratio learned in FP32, with its own baseline and bound: the T4 has no
// BF16 unit (the FP32 rate, half the bytes) and FP16 tensor cores
static_assert(pc::predict_us<Conv, pc::devices::t4, pc::Pass::inference, pc::DType::bf16>() ==
              pc::embedded::predict_us(model, Conv::params, pc::Target(pc::devices::t4, pc::Pass::inference, pc::DType::bf16)));
static_assert(pc::embedded::layer_time(model, Conv::params, pc::Target(pc::devices::t4, pc::Pass::inference, pc::DType::bf16))
                  .method == pc::Method::mlp);
static_assert(pc::predict_us<Conv, pc::devices::t4, pc::Pass::inference, pc::DType::bf16>() <= conv_us);
static_assert(pc::predict_us<Conv, pc::devices::t4, pc::Pass::inference, pc::DType::fp16>() < conv_us);
static_assert(pc::predict_us<Conv, pc::devices::t4, pc::Pass::inference, pc::DType::fp16>() >=
              pc::physical_bound_us(Conv::params, pc::Target(pc::devices::t4, pc::Pass::inference, pc::DType::fp16)));

// A device of one's own, as a template argument: any constexpr Device with static storage.
inline constexpr pc::Device my_gpu = [] {
    pc::Device d = pc::devices::t4;
    d.id = "my_gpu";
    d.units = 80;
    d.bandwidth_gbs = 640;
    return d;
}();
static_assert(pc::predict_us<Conv, my_gpu>() != conv_us);

// ---- networks ------------------------------------------------------------------------------
// a network's kernels run as a stream: each one's fixed cost as timed alone partly overlapped (in_stream_us)
using Two3x3 = pc::Net<Conv, Conv>;
constexpr pc::LayerTime conv_alone = pc::embedded::layer_time(model, Conv::params, pc::Target(pc::devices::t4));
static_assert(conv_alone.us == conv_us && conv_alone.kernels == 1 && conv_alone.floor_us > 0);
static_assert(pc::predict_us<Two3x3, pc::devices::t4>() == 2 * pc::in_stream_us(conv_alone));
static_assert(pc::predict_us<Two3x3, pc::devices::t4>() < 2 * conv_us);

// ResNet-50 at batch 32 on an H100, a GPU outside the data: every layer but the flatten learned (portable tier).
using ResNet = pc::zoo::ResNet50<32>;
constexpr double resnet_us = pc::predict_us<ResNet, pc::devices::h100_sxm>();
constexpr double resnet_roofline_us = [] {
    double us = 0;
    for (const pc::Layer& l : ResNet::layers) us += pc::roofline_us(l, pc::Target(pc::devices::h100_sxm, pc::Pass::inference));
    return us;
}();
static_assert(resnet_us > resnet_roofline_us && resnet_us < 6 * resnet_roofline_us);
constexpr auto resnet_layers = pc::predict_layers<ResNet, pc::devices::h100_sxm>();
constexpr int learned_layers = [] {
    int n = 0;
    for (const auto& p : resnet_layers) n += p.learned() ? 1 : 0;
    return n;
}();
static_assert(learned_layers == 174);
constexpr double resnet_layers_sum = [] {  // each layer alone (predict_layers), in the network's stream
    double us = 0;
    for (const auto& p : resnet_layers) us += pc::in_stream_us(p);
    return us;
}();
static_assert(resnet_layers_sum == resnet_us);
// a training step: each layer's kernels (step_kernels), each learned as a forward kernel; the first
// convolution without its input gradient; the optimizer's update (SGD with momentum by default: 3
// kernels per parameter tensor), element-wise kernels of the inference pass, which the model answers
static_assert(pc::models::neusight_fp32::model.memory.fitted());
constexpr auto resnet_training = pc::predict_layers<ResNet, pc::devices::h100_sxm, pc::Pass::training>();
static_assert(resnet_training[0].learned() && resnet_training[1].learned());
static_assert(resnet_training[0].us < pc::embedded::layer_time(model, ResNet::layers[0],
                                                               pc::Target(pc::devices::h100_sxm, pc::Pass::training)).us,
              "the first convolution computes no input gradient in a training step");
static_assert(resnet_training[1].us ==
              [] {
                  const pc::Target inference(pc::devices::h100_sxm, pc::Pass::inference);
                  double us = 0;
                  for (const pc::PhaseKernel& k : pc::step_kernels(ResNet::layers[1], pc::DType::fp32))
                      us += k.scale * pc::embedded::kernel_time(model, k.layer, inference).us;
                  return us;
              }());
static_assert(pc::predict_us<ResNet, pc::devices::h100_sxm, pc::Pass::training>() ==
              [] {
                  double us = 0;
                  for (const auto& p : resnet_training) us += pc::in_stream_us(p);
                  for (const pc::Layer& l : ResNet::layers)
                      pc::for_each_parameter_tensor(l, [&](std::int64_t n) {
                          us += pc::update_kernels(pc::Optimizer::sgd_momentum) *
                                pc::in_stream_us(pc::embedded::layer_time(
                                    model, pc::update_kernel(n), pc::Target(pc::devices::h100_sxm, pc::Pass::inference)));
                      });
                  return us;
              }());
