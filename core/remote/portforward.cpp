#include "core/remote/portforward.h"

#include "core/ssh/sshconnection.h"

#include <QTcpServer>

using namespace Qt::StringLiterals;

namespace gpuwb {

// Skeleton until port forwarding lands.
PortForward::PortForward(SshConnection *connection, quint16 remotePort, quint16 localPort,
                         QString remoteHost, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_remotePort(remotePort)
    , m_localPort(localPort)
    , m_remoteHost(std::move(remoteHost))
{
}

PortForward::~PortForward() = default;

Status PortForward::start()
{
    return Status::failure(u"unsupported"_s, u"Port forwarding is not available yet."_s);
}

void PortForward::stop() {}

quint16 PortForward::localPort() const
{
    return m_localPort;
}

} // namespace gpuwb
