#include "core/remote/remotejob.h"

#include "core/ssh/sshconnection.h"

using namespace Qt::StringLiterals;

namespace gpuwb {

RemoteJob::RemoteJob(SshConnection *connection, QString id, JobSpec spec, QString logPath,
                     QObject *parent)
    : Job(std::move(id), std::move(spec), std::move(logPath), parent)
    , m_connection(connection)
{
}

RemoteJob::~RemoteJob() = default;

RemoteJob *RemoteJob::attach(SshConnection *connection, const JobRecord &record, QObject *parent)
{
    return new RemoteJob(connection, record.id, record.spec, record.logPath, parent);
}

QString RemoteJob::remoteJobDir(const QString &jobId)
{
    return u".gpuwb/jobs/"_s + jobId;
}

// Skeleton until the remote job lands.
void RemoteJob::start()
{
    setState(JobState::FailedToStart);
    JobResult result;
    result.state = JobState::FailedToStart;
    result.message = u"Remote jobs are not available yet."_s;
    emit finished(result);
}

void RemoteJob::stop() {}

} // namespace gpuwb
