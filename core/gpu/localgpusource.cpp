#include "core/gpu/localgpusource.h"

#include "core/gpu/nvmlgpusource.h"
#include "core/gpu/replaygpusource.h"

#include <QtGlobal>

namespace gpuwb {

std::unique_ptr<GpuSource> makeLocalGpuSource()
{
    const QString replay = qEnvironmentVariable("GPUWB_GPU_REPLAY");
    if (!replay.isEmpty())
        return std::make_unique<ReplayGpuSource>(replay);
    return std::make_unique<NvmlGpuSource>();
}

} // namespace gpuwb
