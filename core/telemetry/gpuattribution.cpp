#include "core/telemetry/gpuattribution.h"

#include <algorithm>

namespace gpuwb::GpuAttribution {

namespace {

bool belongs(const GpuProcess &process, const JobIdentity &job)
{
    if (job.processGroup <= 0)
        return false;
    return (process.processGroup && *process.processGroup == job.processGroup)
           || (process.session && *process.session == job.processGroup);
}

} // namespace

QString jobOf(const QString &hostId, const GpuProcess &process, const QList<JobIdentity> &jobs)
{
    for (const JobIdentity &job : jobs)
        if (job.hostId == hostId && belongs(process, job))
            return job.jobId;
    return {};
}

QList<JobGpuUse> match(const QString &hostId, const GpuSnapshot &snapshot,
                       const QList<JobIdentity> &jobs)
{
    QList<JobGpuUse> uses;
    for (const GpuSample &gpu : snapshot.gpus) {
        for (const GpuProcess &process : gpu.processes) {
            const QString jobId = jobOf(hostId, process, jobs);
            if (jobId.isEmpty())
                continue;
            auto it = std::find_if(uses.begin(), uses.end(), [&](const JobGpuUse &use) {
                return use.jobId == jobId && use.gpuUuid == gpu.uuid;
            });
            if (it == uses.end()) {
                uses.append(JobGpuUse{jobId, gpu.uuid, gpu.index, gpu.name, 0, {}});
                it = uses.end() - 1;
            }
            it->memoryBytes += process.usedMemoryBytes.value_or(0);
            it->pids.append(process.pid);
        }
    }
    return uses;
}

} // namespace gpuwb::GpuAttribution
