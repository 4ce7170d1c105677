// expect: check_batch_seq
// A compile-time GPT-2 large asked for more tokens than its 1024 positions.
#include <perfcast/core/zoo.hpp>
#ifdef PERFCAST_TWIN_OK
constexpr std::int64_t seq = 1024;
#else
constexpr std::int64_t seq = 1025;
#endif
constexpr std::size_t layers = perfcast::zoo::build_gpt2_large(1, seq).size();
int main() { return static_cast<int>(layers % 2); }
