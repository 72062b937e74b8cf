#pragma once

#include "core/gpu/gpusample.h"
#include "core/util/result.h"

namespace gpuwb {

// Where GPU samples come from: NVML on this machine, nvidia-smi over SSH, or a replay of
// recorded output where there is no GPU (principle 6). A source is used from one thread only,
// the sampler's (principle 5); open() is called there before the first sample().
class GpuSource
{
public:
    virtual ~GpuSource() = default;
    // For people: "NVML 12.590.48", "nvidia-smi on gpu-box", ...
    virtual QString description() const = 0;
    // Prepares the source. An error says why there are no samples (no driver, no GPU) and what
    // to do next.
    virtual Status open() = 0;
    virtual Result<GpuSnapshot> sample() = 0;
};

} // namespace gpuwb
