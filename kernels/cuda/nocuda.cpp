// gpuwb/kernels.h when the library was configured without nvcc: the same API, every GPU function
// answering NotBuilt, so that programs and tests build and run (and skip) everywhere.

#include "gpuwb/kernels.h"

namespace gpuwb::kernels {
namespace {

KernelStatus notBuilt()
{
    return KernelStatus::failure(KernelError::NotBuilt,
                                 "CUDA kernels not built: nvcc was not found when this program "
                                 "was configured; install the CUDA toolkit and configure again");
}

} // namespace

bool cudaBuilt()
{
    return false;
}

DeviceQuery queryDevices()
{
    DeviceQuery query;
    query.status = notBuilt();
    return query;
}

KernelStatus saxpyGpu(float, const float *, float *, std::size_t, int)
{
    return notBuilt();
}

KernelStatus sumGpu(const float *, std::size_t, double *, int)
{
    return notBuilt();
}

KernelStatus copyGpu(const float *, float *, std::size_t, int)
{
    return notBuilt();
}

KernelStatus measureBandwidth(std::size_t, int, BandwidthResult *, int)
{
    return notBuilt();
}

} // namespace gpuwb::kernels
