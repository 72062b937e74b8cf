#pragma once

#include "core/targets/target.h"

#include <QPointer>

namespace gpuwb {

class SshConnections;

// An SSH host as a place where jobs run: id "ssh:<alias>", files through the host's
// SftpFileSystem, jobs are RemoteJobs over the host's shared connection. The project is synced
// to remoteProjectDir() before each run. Lives on the UI thread; does not own the connections.
class RemoteTarget : public Target
{
    Q_OBJECT
public:
    RemoteTarget(SshConnections *connections, QString alias, QObject *parent = nullptr);

    static QString idFor(const QString &alias) { return QStringLiteral("ssh:") + alias; }
    // The alias in an id "ssh:<alias>", or an empty string for another id.
    static QString aliasFromId(const QString &targetId);

    QString alias() const { return m_alias; }
    QString id() const override;
    QString displayName() const override;
    FileSystem *fileSystem() const override;
    Job *createJob(const QString &jobId, const JobSpec &spec, const QString &logPath,
                   QObject *parent) override;
    SshConnections *connections() const;

private:
    QPointer<SshConnections> m_connections;
    QString m_alias;
};

} // namespace gpuwb
