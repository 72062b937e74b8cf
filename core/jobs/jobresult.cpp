#include "core/jobs/jobresult.h"

namespace gpuwb {

bool isFinal(JobState state)
{
    switch (state) {
    case JobState::Pending:
    case JobState::Running:
    case JobState::Stopping:
        return false;
    default:
        return true;
    }
}

QString toString(JobState state)
{
    switch (state) {
    case JobState::Pending: return QStringLiteral("pending");
    case JobState::Running: return QStringLiteral("running");
    case JobState::Stopping: return QStringLiteral("stopping");
    case JobState::Succeeded: return QStringLiteral("succeeded");
    case JobState::Failed: return QStringLiteral("failed");
    case JobState::Stopped: return QStringLiteral("stopped");
    case JobState::FailedToStart: return QStringLiteral("failed-to-start");
    case JobState::Lost: return QStringLiteral("lost");
    }
    return QStringLiteral("lost");
}

JobState jobStateFromString(const QString &name)
{
    for (JobState s : {JobState::Pending, JobState::Running, JobState::Stopping, JobState::Succeeded,
                       JobState::Failed, JobState::Stopped, JobState::FailedToStart})
        if (toString(s) == name)
            return s;
    return JobState::Lost;
}

} // namespace gpuwb
