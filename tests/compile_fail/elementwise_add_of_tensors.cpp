// expect: elementwise_add_takes_scalar
#include <perfcast/core/layers.hpp>
// a sum of two tensors is the add layer (perfcast::Add); Elementwise's add takes a scalar
#ifdef PERFCAST_TWIN_OK
using E = perfcast::Elementwise<{.shape = perfcast::Shape::matrix(4, 8), .op = perfcast::ElementwiseOp::add, .scalar = true}>;
#else
using E = perfcast::Elementwise<{.shape = perfcast::Shape::matrix(4, 8), .op = perfcast::ElementwiseOp::add, .scalar = false}>;
#endif
int main() { return static_cast<int>(E::output_shape[1] % 2); }
