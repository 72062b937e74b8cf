#pragma once

#include "core/gpu/gpusample.h"

#include <QList>
#include <QString>

namespace gpuwb {

class Job;

// One GPU a job uses, as seen in one snapshot.
struct JobGpuUse
{
    QString jobId;
    QString gpuUuid;
    int gpuIndex = 0;
    QString gpuName;
    qint64 memoryBytes = 0; // summed over the job's processes on that GPU (0 when unknown)
    QList<qint64> pids;
    friend bool operator==(const JobGpuUse &, const JobGpuUse &) = default;
};

// What a job is, for matching: where it runs and the process group / session its processes
// carry (jobs run in a session and process group of their own, led by the job's first process).
struct JobIdentity
{
    QString jobId;
    QString jobName;
    QString hostId;        // "local" or "ssh:<alias>" (the job's target id)
    qint64 processGroup = 0; // 0 = not known (yet)
};

// Pure matching of GPU processes to the workbench's jobs (principle 7): a process belongs to
// a job of the same host when its process group or its session equals the job's process
// group. Processes without a known group/session match nothing.
namespace GpuAttribution {

QList<JobGpuUse> match(const QString &hostId, const GpuSnapshot &snapshot,
                       const QList<JobIdentity> &jobs);

// The job a process belongs to, or an empty string.
QString jobOf(const QString &hostId, const GpuProcess &process, const QList<JobIdentity> &jobs);

} // namespace GpuAttribution

} // namespace gpuwb
