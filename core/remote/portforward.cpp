#include "core/remote/portforward.h"

#include "core/ssh/sshconnection.h"

#include <QLoggingCategory>
#include <QMutex>
#include <QTcpServer>
#include <QTcpSocket>

#include <libssh/libssh.h>

#include <memory>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcPortForward, "gpuwb.forward", QtInfoMsg)

namespace gpuwb {

namespace {

// Per direction, how much may wait in memory before the reading side pauses: the local socket
// stops being read, or the channel stops being read (and its window stops growing).
constexpr qsizetype kBufferCap = 1 << 20;
constexpr qsizetype kChunk = 64 * 1024;

// What the UI thread and the owner thread share for one forwarded connection.
struct TunnelShared
{
    QMutex mutex;
    QByteArray toRemote;       // read from the local socket, not yet written to the channel
    QByteArray fromRemote;     // read from the channel, not yet written to the local socket
    bool localClosed = false;  // UI: the local socket is gone; close the channel when flushed
    bool remoteClosed = false; // owner: the channel reached EOF or closed
    bool opened = false;       // owner: the channel is open
    bool notifyPending = false;
    QObject *notifier = nullptr; // the tunnel on the UI thread; null once it goes
    std::function<void()> notify; // run on the notifier's thread
};

// Posts a "something changed" to the UI side, at most one at a time.
void notifyUi(const std::shared_ptr<TunnelShared> &shared)
{
    QMutexLocker lock(&shared->mutex);
    if (!shared->notifier || shared->notifyPending)
        return;
    shared->notifyPending = true;
    std::weak_ptr<TunnelShared> weak = shared;
    QMetaObject::invokeMethod(
        shared->notifier,
        [weak] {
            if (auto s = weak.lock()) {
                std::function<void()> notify;
                {
                    QMutexLocker lock(&s->mutex);
                    s->notifyPending = false;
                    notify = s->notify;
                }
                if (notify)
                    notify();
            }
        },
        Qt::QueuedConnection);
}

// The owner-thread side of one forwarded connection: opens a direct-tcpip channel and pumps
// bytes between it and the shared buffers. Only ever touched on the owner thread.
class ChannelPump
{
public:
    ChannelPump(std::shared_ptr<TunnelShared> shared, QByteArray host, int port, int localPort,
                QString alias)
        : m_shared(std::move(shared))
        , m_host(std::move(host))
        , m_port(port)
        , m_localPort(localPort)
        , m_alias(std::move(alias))
    {}
    ~ChannelPump() { closeChannel(); }

    SshStep step(SshSessionContext &context)
    {
        if (context.closing())
            return finish({});
        ssh_session session = context.session();
        bool localClosed = false;
        {
            QMutexLocker lock(&m_shared->mutex);
            localClosed = m_shared->localClosed;
        }
        if (!m_channel) {
            if (localClosed)
                return finish({});
            m_channel = ssh_channel_new(session);
            if (!m_channel)
                return finish(channelError(session));
        }
        if (!m_open) {
            ssh_set_blocking(session, 0);
            const int rc = ssh_channel_open_forward(m_channel, m_host.constData(), m_port,
                                                    "127.0.0.1", m_localPort);
            ssh_set_blocking(session, 1);
            if (rc == SSH_AGAIN)
                return localClosed ? finish({}) : SshStep::Wait;
            if (rc != SSH_OK)
                return finish(openError(session));
            m_open = true;
            {
                QMutexLocker lock(&m_shared->mutex);
                m_shared->opened = true;
            }
            notifyUi(m_shared);
        }
        return pump(session, localClosed);
    }

    Status result() const
    {
        if (m_error.isEmpty())
            return {};
        return Status::failure(m_errorCode, m_error);
    }

private:
    SshStep pump(ssh_session session, bool localClosed)
    {
        bool progressed = false;
        bool notify = false;
        // Channel -> UI.
        qsizetype room = 0;
        {
            QMutexLocker lock(&m_shared->mutex);
            room = kBufferCap - m_shared->fromRemote.size();
        }
        char *buffer = m_buffer.data();
        while (room > 0 && !m_remoteEof) {
            const int n = ssh_channel_read_nonblocking(
                m_channel, buffer, uint32_t(std::min<qsizetype>(room, kChunk)), 0);
            if (n == SSH_ERROR)
                return finish(channelError(session));
            if (n > 0) {
                QMutexLocker lock(&m_shared->mutex);
                m_shared->fromRemote.append(buffer, n);
                room -= n;
                progressed = notify = true;
                continue;
            }
            if (ssh_channel_is_eof(m_channel) || ssh_channel_is_closed(m_channel)) {
                m_remoteEof = true;
                QMutexLocker lock(&m_shared->mutex);
                m_shared->remoteClosed = true;
                notify = true;
            }
            break;
        }
        // UI -> channel, never more than the peer's window so that writing never waits.
        QByteArray chunk;
        {
            QMutexLocker lock(&m_shared->mutex);
            const qsizetype window = qsizetype(ssh_channel_window_size(m_channel));
            chunk = m_shared->toRemote.left(std::min({window, kChunk * 4}));
        }
        if (!chunk.isEmpty() && !m_remoteEof) {
            ssh_set_blocking(session, 0);
            const int written = ssh_channel_write(m_channel, chunk.constData(),
                                                  uint32_t(chunk.size()));
            ssh_set_blocking(session, 1);
            if (written == SSH_ERROR)
                return finish(channelError(session));
            if (written > 0) {
                QMutexLocker lock(&m_shared->mutex);
                m_shared->toRemote.remove(0, written);
                progressed = notify = true;
            }
        }
        if (!m_remoteEof && ssh_blocking_flush(session, 0) == SSH_AGAIN)
            progressed = true;
        if (notify)
            notifyUi(m_shared);
        bool drained = false;
        {
            QMutexLocker lock(&m_shared->mutex);
            drained = m_shared->toRemote.isEmpty();
        }
        // The local side is gone and all it sent went out, or the remote side finished and
        // nobody reads its answer any more: the channel has done its work.
        if (localClosed && (drained || m_remoteEof))
            return finish({});
        return progressed ? SshStep::Again : SshStep::Wait;
    }

    SshStep finish(const QString &error, ErrorCode code = ErrorCode::ForwardFailed)
    {
        if (!error.isEmpty() && m_error.isEmpty()) {
            m_error = error;
            m_errorCode = code;
        }
        closeChannel();
        {
            QMutexLocker lock(&m_shared->mutex);
            m_shared->remoteClosed = true;
        }
        notifyUi(m_shared);
        return SshStep::Done;
    }

    void closeChannel()
    {
        if (!m_channel)
            return;
        if (m_open && ssh_channel_is_open(m_channel)) {
            ssh_session session = ssh_channel_get_session(m_channel);
            ssh_set_blocking(session, 0);
            if (!m_remoteEof)
                ssh_channel_send_eof(m_channel);
            ssh_channel_close(m_channel);
            ssh_set_blocking(session, 1);
        }
        ssh_channel_free(m_channel);
        m_channel = nullptr;
        m_open = false;
    }

    QString channelError(ssh_session session) const
    {
        return u"The forwarded connection to port %1 on %2 failed: %3"_s.arg(m_port).arg(
            m_alias, QString::fromUtf8(ssh_get_error(session)));
    }

    QString openError(ssh_session session)
    {
        m_errorCode = ErrorCode::ForwardRefused;
        return u"Nothing answers on port %1 of %2 (%3). Start the service there first, or "
               "check the port number."_s
            .arg(m_port)
            .arg(m_alias, QString::fromUtf8(ssh_get_error(session)));
    }

    std::shared_ptr<TunnelShared> m_shared;
    QByteArray m_host;
    int m_port;
    int m_localPort;
    QString m_alias;
    QByteArray m_buffer = QByteArray(kChunk, Qt::Uninitialized);
    ssh_channel m_channel = nullptr;
    bool m_open = false;
    bool m_remoteEof = false;
    QString m_error;
    ErrorCode m_errorCode = ErrorCode::ForwardFailed;
};

} // namespace

// One accepted local connection: its socket (UI thread) and the request pumping its channel.
class ForwardTunnel : public QObject
{
public:
    ForwardTunnel(QTcpSocket *socket, QObject *parent)
        : QObject(parent), m_socket(socket), m_shared(std::make_shared<TunnelShared>())
    {
        m_socket->setParent(this);
        m_socket->setReadBufferSize(kBufferCap);
        m_shared->notifier = this;
        m_shared->notify = [this] { onOwnerNews(); };
        connect(m_socket, &QTcpSocket::readyRead, this, &ForwardTunnel::readLocal);
        connect(m_socket, &QTcpSocket::bytesWritten, this, &ForwardTunnel::onOwnerNews);
        connect(m_socket, &QTcpSocket::disconnected, this, &ForwardTunnel::onLocalClosed);
    }

    ~ForwardTunnel() override
    {
        // From here on the owner thread posts nothing to this object.
        QMutexLocker lock(&m_shared->mutex);
        m_shared->notifier = nullptr;
        m_shared->notify = nullptr;
        m_shared->localClosed = true;
    }

    std::shared_ptr<TunnelShared> shared() const { return m_shared; }
    void setWake(std::function<void()> wake) { m_wake = std::move(wake); }
    void setFinished(std::function<void(ForwardTunnel *, const Status &)> finished)
    {
        m_finished = std::move(finished);
    }

    void onChannelDone(const Status &status)
    {
        m_channelDone = true;
        m_status = status;
        onOwnerNews();
    }

    void closeNow()
    {
        {
            QMutexLocker lock(&m_shared->mutex);
            m_shared->localClosed = true;
        }
        m_socket->abort();
        wake();
    }

private:
    void wake()
    {
        if (m_wake)
            m_wake();
    }

    void readLocal()
    {
        if (!m_socket->isOpen())
            return;
        bool wasEmpty = false;
        {
            QMutexLocker lock(&m_shared->mutex);
            const qsizetype room = kBufferCap - m_shared->toRemote.size();
            if (room <= 0)
                return; // the owner thread calls back when it has drained some
            wasEmpty = m_shared->toRemote.isEmpty();
            m_shared->toRemote.append(m_socket->read(room));
        }
        if (wasEmpty)
            wake();
    }

    void onLocalClosed()
    {
        {
            QMutexLocker lock(&m_shared->mutex);
            // What the socket still buffered goes out before the channel closes.
            if (m_socket->isOpen())
                m_shared->toRemote.append(m_socket->readAll());
            m_shared->localClosed = true;
        }
        wake();
        maybeFinish();
    }

    // The owner thread read something, wrote something or closed: move bytes to the socket.
    void onOwnerNews()
    {
        bool remoteClosed = false;
        QByteArray data;
        {
            QMutexLocker lock(&m_shared->mutex);
            remoteClosed = m_shared->remoteClosed;
            if (m_socket->state() == QAbstractSocket::ConnectedState
                && m_socket->bytesToWrite() < kBufferCap) {
                data = std::move(m_shared->fromRemote);
                m_shared->fromRemote.clear();
            }
        }
        if (!data.isEmpty()) {
            m_socket->write(data);
            wake(); // room again for the channel's data
        }
        if (m_socket->isOpen() && m_socket->bytesAvailable() > 0)
            readLocal();
        bool fromRemoteEmpty = false;
        {
            QMutexLocker lock(&m_shared->mutex);
            fromRemoteEmpty = m_shared->fromRemote.isEmpty();
        }
        // The remote side finished: hand the local side what came, then end it there too.
        if (remoteClosed && fromRemoteEmpty && m_socket->state() == QAbstractSocket::ConnectedState
            && m_socket->bytesToWrite() == 0)
            m_socket->disconnectFromHost();
        maybeFinish();
    }

    void maybeFinish()
    {
        if (m_reported || !m_channelDone)
            return;
        if (m_socket->state() != QAbstractSocket::UnconnectedState && m_status.ok())
            return; // still flushing to the local side
        m_reported = true;
        if (m_socket->state() != QAbstractSocket::UnconnectedState)
            m_socket->abort();
        if (m_finished)
            m_finished(this, m_status);
    }

    QTcpSocket *m_socket;
    std::shared_ptr<TunnelShared> m_shared;
    std::function<void()> m_wake;
    std::function<void(ForwardTunnel *, const Status &)> m_finished;
    Status m_status;
    bool m_channelDone = false;
    bool m_reported = false;
};

PortForward::PortForward(SshConnection *connection, quint16 remotePort, quint16 localPort,
                         QString remoteHost, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_remotePort(remotePort)
    , m_localPort(localPort)
    , m_remoteHost(std::move(remoteHost))
{
}

PortForward::~PortForward()
{
    stop();
}

Status PortForward::start()
{
    if (m_server && m_server->isListening())
        return {};
    if (!m_connection)
        return Status::failure(ErrorCode::NoConnection,
                               tr("There is no connection to forward through: connect to the "
                                  "host first."));
    if (m_remotePort == 0)
        return Status::failure(ErrorCode::InvalidPort, tr("Choose a remote port between 1 and 65535."));
    if (!m_server) {
        m_server = new QTcpServer(this);
        connect(m_server, &QTcpServer::newConnection, this, &PortForward::acceptPending);
    }
    if (!m_server->listen(QHostAddress::LocalHost, m_localPort)) {
        const QString why = m_server->errorString();
        return Status::failure(ErrorCode::ListenFailed,
                               tr("Cannot listen on localhost:%1 (%2). Choose another local "
                                  "port, or 0 for any free one.")
                                   .arg(m_localPort)
                                   .arg(why));
    }
    qCInfo(lcPortForward) << "forwarding localhost:" << localPort() << "to" << m_connection->alias()
                      << m_remoteHost << m_remotePort;
    return {};
}

void PortForward::stop()
{
    if (m_server)
        m_server->close();
    const QList<ForwardTunnel *> tunnels = m_tunnels;
    m_tunnels.clear();
    for (ForwardTunnel *tunnel : tunnels) {
        tunnel->setFinished(nullptr);
        tunnel->closeNow();
        delete tunnel;
    }
    if (m_active != 0) {
        m_active = 0;
        emit connectionCountChanged(0);
    }
}

quint16 PortForward::localPort() const
{
    return m_server && m_server->isListening() ? m_server->serverPort() : m_localPort;
}

void PortForward::acceptPending()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        if (!m_connection) {
            socket->abort();
            socket->deleteLater();
            emit error(tr("The connection for the forwarded port is gone."));
            continue;
        }
        auto *tunnel = new ForwardTunnel(socket, this);
        m_tunnels.append(tunnel);
        QPointer<SshConnection> connection = m_connection;
        tunnel->setWake([connection] {
            // A no-op request wakes the owner thread at once instead of at its next tick.
            if (connection && connection->state() == SshState::Connected)
                connection->enqueue(SshRequest{[](SshSessionContext &) { return SshStep::Done; },
                                               {}});
        });
        tunnel->setFinished([this](ForwardTunnel *t, const Status &status) {
            m_tunnels.removeOne(t);
            t->deleteLater();
            --m_active;
            emit connectionCountChanged(m_active);
            if (!status.ok()) {
                qCInfo(lcPortForward) << status.errorMessage();
                emit error(status.errorMessage());
            }
        });
        ++m_active;
        emit connectionCountChanged(m_active);

        auto pump = std::make_shared<ChannelPump>(tunnel->shared(), m_remoteHost.toUtf8(),
                                                  int(m_remotePort), int(localPort()),
                                                  m_connection->alias());
        m_connection->run<void>(
            tunnel, [pump](SshSessionContext &context) { return pump->step(context); },
            [pump] { return pump->result(); },
            [tunnel](Status status) { tunnel->onChannelDone(status); });
    }
}

} // namespace gpuwb
