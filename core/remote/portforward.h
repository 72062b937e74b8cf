#pragma once

#include "core/util/result.h"

#include <QObject>
#include <QPointer>

class QTcpServer;

namespace gpuwb {

class ForwardTunnel;
class SshConnection;

// Forwards a local port on 127.0.0.1 to a port on the remote host (as `ssh -L`), for
// TensorBoard or Jupyter: each accepted local connection opens a direct-tcpip channel on the
// host's connection and bytes are pumped both ways on the connection's owner thread. Lives on
// the UI thread; stop() or destruction closes the listener and every forwarded connection.
class PortForward : public QObject
{
    Q_OBJECT
public:
    // localPort 0: pick a free port.
    PortForward(SshConnection *connection, quint16 remotePort, quint16 localPort = 0,
                QString remoteHost = QStringLiteral("localhost"), QObject *parent = nullptr);
    ~PortForward() override;

    Status start();
    void stop();
    quint16 localPort() const;
    quint16 remotePort() const { return m_remotePort; }
    int activeConnections() const { return m_active; }

signals:
    void connectionCountChanged(int active);
    // A forwarded connection failed (e.g. nothing listens on the remote port).
    void error(const QString &message);

private:
    void acceptPending();

    QPointer<SshConnection> m_connection;
    QTcpServer *m_server = nullptr;
    quint16 m_remotePort;
    quint16 m_localPort;
    QString m_remoteHost;
    int m_active = 0;
    QList<ForwardTunnel *> m_tunnels; // children; one per accepted local connection
};

} // namespace gpuwb
