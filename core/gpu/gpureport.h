#pragma once

#include "core/gpu/gpusample.h"

#include <QString>

namespace gpuwb {

// The text `gpuwb gpus` prints: the source, the driver, then per GPU its name and readings,
// "n/a" for what the driver does not report, and its processes.
QString formatGpuReport(const GpuSnapshot &snapshot, const QString &sourceDescription);

} // namespace gpuwb
