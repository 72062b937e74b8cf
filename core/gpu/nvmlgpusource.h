#pragma once

#include "core/gpu/gpusource.h"

#include <memory>

namespace gpuwb {

class NvmlLoader;

// GPU samples of this machine through NVML, loaded at run time (principle 6). Owns the
// NvmlLoader; like every GpuSource it is used from the sampler's thread only.
class NvmlGpuSource : public GpuSource
{
public:
    // libraryPath empty: the loader's default ($GPUWB_NVML_LIBRARY, libnvidia-ml.so.1, ...).
    explicit NvmlGpuSource(QString libraryPath = {});
    ~NvmlGpuSource() override;

    QString description() const override;
    Status open() override;
    Result<GpuSnapshot> sample() override;

private:
    QString m_libraryPath;
    std::unique_ptr<NvmlLoader> m_nvml;
    QString m_driverVersion;
};

} // namespace gpuwb
