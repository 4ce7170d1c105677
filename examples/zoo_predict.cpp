// Predicts the zoo networks on a few GPUs over batch sizes, with the analytical baselines,
// the way a person choosing hardware would ask: "how fast would ResNet-50 train on each?"
#include <cstdio>  // printf

#include <perfcast/perfcast.hpp>  // zoo, devices, estimate

int main() {
    using namespace perfcast;
    const Device* gpus[] = {&devices::h100_sxm, &devices::a100_sxm4_80gb, &devices::l4, &devices::t4};
    std::printf("%-14s %-18s %6s %12s %14s\n", "network", "device", "batch", "PALEO ms", "samples/s");
    for (const Network& base : {zoo::resnet50(1), zoo::vgg16(1), zoo::inception_v3(1)}) {
        for (const Device* d : gpus) {
            for (std::int64_t batch : {1, 8, 64}) {
                const NetworkEstimate e =
                    estimate(base.with_batch(batch), Target(*d, Pass::training, DType::fp32), Analytical::paleo);
                std::printf("%-14s %-18s %6lld %12.2f %14.1f\n", base.name.c_str(), std::string(d->name).c_str(),
                            static_cast<long long>(batch), e.total_us / 1e3, e.throughput());
            }
        }
    }
}
