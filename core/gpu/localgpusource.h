#pragma once

#include "core/gpu/gpusource.h"

#include <memory>

namespace gpuwb {

// The GPU source of this machine: NVML, or a ReplayGpuSource of the recording named by the
// environment variable GPUWB_GPU_REPLAY (a --query-gpu CSV file) where there is no GPU.
std::unique_ptr<GpuSource> makeLocalGpuSource();

} // namespace gpuwb
