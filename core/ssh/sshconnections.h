#pragma once

#include "core/ssh/sshconnection.h"

#include <QHash>
#include <QObject>

namespace gpuwb {

class SftpFileSystem;

// The connections of the application, one per host alias, made on first use and shared by the
// file browser, the editor, transfers and jobs; each alias also has one SftpFileSystem over
// its connection. Lives on the UI thread and owns what it made.
class SshConnections : public QObject
{
    Q_OBJECT
public:
    explicit SshConnections(SshConnection::Options defaults, QObject *parent = nullptr);
    ~SshConnections() override;

    SshConnection *connection(const QString &alias);
    SftpFileSystem *fileSystem(const QString &alias);
    QList<SshConnection *> connections() const;
    const SshConnection::Options &options() const { return m_defaults; }

signals:
    void connectionAdded(gpuwb::SshConnection *connection);
    // Any connection's state changed (forwarded for views that list hosts).
    void stateChanged(const QString &alias, gpuwb::SshState state, const QString &message);

private:
    SshConnection::Options m_defaults;
    QHash<QString, SshConnection *> m_connections;
    QHash<QString, SftpFileSystem *> m_fileSystems;
};

} // namespace gpuwb
