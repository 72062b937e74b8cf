#include "core/ssh/sshconnections.h"

#include "core/ssh/sftpfilesystem.h"

namespace gpuwb {

SshConnections::SshConnections(SshConnection::Options defaults, QObject *parent)
    : QObject(parent), m_defaults(std::move(defaults))
{}

SshConnections::~SshConnections()
{
    // File systems use their connections: they go first.
    qDeleteAll(m_fileSystems);
    m_fileSystems.clear();
    // All owner threads close their sessions at once; each destructor then only joins.
    for (SshConnection *c : std::as_const(m_connections))
        c->disconnectFromHost();
    qDeleteAll(m_connections);
    m_connections.clear();
}

SshConnection *SshConnections::connection(const QString &alias)
{
    if (SshConnection *c = m_connections.value(alias))
        return c;
    auto *c = new SshConnection(alias, m_defaults, this);
    m_connections.insert(alias, c);
    connect(c, &SshConnection::stateChanged, this,
            [this, alias](SshState state, const QString &message) {
                emit stateChanged(alias, state, message);
            });
    emit connectionAdded(c);
    return c;
}

SftpFileSystem *SshConnections::fileSystem(const QString &alias)
{
    if (SftpFileSystem *fs = m_fileSystems.value(alias))
        return fs;
    auto *fs = new SftpFileSystem(connection(alias), this);
    m_fileSystems.insert(alias, fs);
    return fs;
}

QList<SshConnection *> SshConnections::connections() const
{
    return m_connections.values();
}

} // namespace gpuwb
