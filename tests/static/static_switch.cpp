// Static test: the compile-time Switch model (3,001 layers) is built, checked and counted by the compiler.
// Building it takes more constant-evaluation steps than GCC's default allows: tests/CMakeLists.txt raises
// the limit for this file (-fconstexpr-ops-limit; about 30 s and 2 GB of g++ 12 at -O0).
#include <perfcast/core/zoo.hpp>

namespace pc = perfcast;

using Switch = pc::zoo::SwitchXL4<2, 64>;
static_assert(Switch::param_count == 5267615744LL);  // derived by hand in tests/test_zoo_transformers.cpp
static_assert(pc::zoo::build_switchxl4(2, 64).size() == 3001);
