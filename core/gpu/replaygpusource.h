#pragma once

#include "core/gpu/gpusource.h"

#include <QStringList>

namespace gpuwb {

// Replays recorded `nvidia-smi --query-gpu` CSV output where there is no GPU (tests, demos,
// GPUWB_GPU_REPLAY): each sample() returns the next sampling pass of the file, cycling, with
// the current time as its timestamp. An optional --query-compute-apps file gives every
// snapshot its processes. Reads its files in open(), on the sampler's thread.
class ReplayGpuSource : public GpuSource
{
public:
    // fieldsIfNoHeader names the columns of a `noheader` recording.
    explicit ReplayGpuSource(QString queryGpuCsv, QString computeAppsCsv = {},
                             QStringList fieldsIfNoHeader = {});

    QString description() const override;
    Status open() override;
    Result<GpuSnapshot> sample() override;

    int passCount() const { return int(m_passes.size()); }

private:
    QString m_queryGpuCsv;
    QString m_computeAppsCsv;
    QStringList m_fieldsIfNoHeader;
    QList<GpuSnapshot> m_passes;
    qsizetype m_next = 0;
};

} // namespace gpuwb
