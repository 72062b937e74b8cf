#include "gpuwb/kernels.h"

#include <cstring>

namespace gpuwb::kernels {

void copyCpu(const float *src, float *dst, std::size_t n)
{
    if (n > 0)
        std::memcpy(dst, src, n * sizeof(float));
}

} // namespace gpuwb::kernels
