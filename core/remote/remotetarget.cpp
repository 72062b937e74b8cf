#include "core/remote/remotetarget.h"

#include "core/remote/remotejob.h"
#include "core/ssh/sftpfilesystem.h"
#include "core/ssh/sshconnections.h"

using namespace Qt::StringLiterals;

namespace gpuwb {

RemoteTarget::RemoteTarget(SshConnections *connections, QString alias, QObject *parent)
    : Target(parent)
    , m_connections(connections)
    , m_alias(std::move(alias))
{
}

QString RemoteTarget::aliasFromId(const QString &targetId)
{
    return targetId.startsWith(u"ssh:"_s) ? targetId.mid(4) : QString();
}

SshConnections *RemoteTarget::connections() const
{
    return m_connections;
}

QString RemoteTarget::id() const
{
    return idFor(m_alias);
}

QString RemoteTarget::displayName() const
{
    return m_alias + u" (SSH)"_s;
}

FileSystem *RemoteTarget::fileSystem() const
{
    return m_connections ? m_connections->fileSystem(m_alias) : nullptr;
}

Job *RemoteTarget::createJob(const QString &jobId, const JobSpec &spec, const QString &logPath,
                             QObject *parent)
{
    SshConnection *connection = m_connections ? m_connections->connection(m_alias) : nullptr;
    return new RemoteJob(connection, jobId, spec, logPath, parent);
}

} // namespace gpuwb
