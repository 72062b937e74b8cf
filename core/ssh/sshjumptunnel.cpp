#include "core/ssh/sshjumptunnel.h"

#include "core/util/logging.h"

#include <QDeadlineTimer>

#include <libssh/libssh.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <vector>

using namespace Qt::StringLiterals;

namespace gpuwb {


Result<std::unique_ptr<SshJumpTunnel>>
SshJumpTunnel::open(ssh_session hop, const QString &hopName, std::shared_ptr<SshJumpTunnel> below,
                    const QString &host, int port, int timeoutSeconds, int wakeFd,
                    const std::function<bool()> &closing)
{
    std::unique_ptr<SshJumpTunnel> tunnel(new SshJumpTunnel);
    tunnel->m_hopName = hopName;
    tunnel->m_session = hop;
    tunnel->m_below = std::move(below);
    const QString where = u"%1:%2"_s.arg(host).arg(port);

    tunnel->m_channel = ssh_channel_new(hop);
    if (!tunnel->m_channel)
        return Error{ErrorCode::Internal, u"libssh could not create a channel on the jump host "
                                    "\"%1\"."_s.arg(hopName)};
    const QByteArray hostName = host.toUtf8();
    QDeadlineTimer deadline{std::chrono::seconds(std::max(1, timeoutSeconds))};
    ssh_set_blocking(hop, 0);
    for (;;) {
        // The originator fields are informative only; OpenSSH's -J sends these too.
        const int rc = ssh_channel_open_forward(tunnel->m_channel, hostName.constData(), port,
                                                "127.0.0.1", 0);
        if (rc == SSH_OK)
            break;
        if (rc == SSH_ERROR)
            return Error{ErrorCode::JumpForwardFailed,
                         u"The jump host \"%1\" could not open a connection to %2: %3. Check "
                         "that the address is right as seen from the jump host and that its "
                         "sshd allows forwarding (AllowTcpForwarding)."_s
                             .arg(hopName, where, QString::fromUtf8(ssh_get_error(hop)))};
        if (closing())
            return Error{ErrorCode::Closed, u"The connection was closed."_s};
        if (deadline.hasExpired())
            return Error{ErrorCode::Timeout,
                         u"The jump host \"%1\" did not open a connection to %2 within %3 s. "
                         "Check that the host is up and reachable from the jump host, or raise "
                         "ConnectTimeout."_s.arg(hopName, where).arg(timeoutSeconds)};
        pollfd fds[2] = {{wakeFd, POLLIN, 0}, {ssh_get_fd(hop), POLLIN, 0}};
        ::poll(fds, 2, int(std::min<qint64>(100, deadline.remainingTime())));
    }

    int pair[2];
    if (::pipe2(tunnel->m_stop, O_CLOEXEC | O_NONBLOCK) != 0
        || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return Error{ErrorCode::Internal,
                     u"Could not create a local socket for the jump host \"%1\": %2"_s.arg(
                         hopName, QString::fromLocal8Bit(std::strerror(errno)))};
    tunnel->m_local = pair[0];
    tunnel->m_next = pair[1];
    struct stat next {};
    if (::fstat(pair[1], &next) == 0) {
        tunnel->m_nextDevice = next.st_dev;
        tunnel->m_nextInode = next.st_ino;
    }
    tunnel->m_thread = std::thread([t = tunnel.get()] { t->forward(); });
    qCInfo(lcSsh) << "forwarding through the jump host" << hopName << "to" << where;
    return tunnel;
}

int SshJumpTunnel::takeSocket()
{
    if (m_handedOver)
        return -1;
    m_handedOver = true;
    return m_next;
}

void SshJumpTunnel::forward()
{
    // Never more than the peer's window into the channel and one chunk held each way, so
    // neither side's slowness waits here: it holds back the other side instead.
    constexpr qsizetype kChunk = 64 * 1024;
    std::vector<char> buffer(static_cast<size_t>(kChunk));
    QByteArray toChannel; // from the next session, not yet in the channel
    QByteArray toLocal;   // from the channel, not yet taken by the next session
    bool localEof = false;
    bool eofSent = false;
    bool remoteEof = false;
    bool stop = false;
    const char *why = "";
    ssh_set_blocking(m_session, 0);
    ::fcntl(m_local, F_SETFL, ::fcntl(m_local, F_GETFL) | O_NONBLOCK);
    while (!stop) {
        bool progressed = false;
        if (toChannel.isEmpty() && !localEof) {
            const ssize_t n = ::recv(m_local, buffer.data(), buffer.size(), 0);
            if (n > 0) {
                toChannel.append(buffer.data(), n);
                progressed = true;
            } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                localEof = true;
                progressed = true;
            }
        }
        if (!toChannel.isEmpty()) {
            const qsizetype size =
                std::min(qsizetype(ssh_channel_window_size(m_channel)), toChannel.size());
            if (size > 0) {
                const int written = ssh_channel_write(m_channel, toChannel.constData(),
                                                      uint32_t(size));
                if (written == SSH_ERROR) {
                    why = "the channel failed";
                    break;
                }
                if (written > 0) {
                    toChannel.remove(0, written);
                    progressed = true;
                }
            }
        }
        if (localEof && toChannel.isEmpty() && !eofSent) {
            ssh_channel_send_eof(m_channel);
            eofSent = true;
        }
        if (toLocal.isEmpty() && !remoteEof) {
            const int n = ssh_channel_read_nonblocking(m_channel, buffer.data(),
                                                       uint32_t(buffer.size()), 0);
            if (n == SSH_ERROR) {
                why = "the channel failed";
                break;
            }
            if (n > 0) {
                toLocal.append(buffer.data(), n);
                progressed = true;
            } else if (ssh_channel_is_eof(m_channel) || ssh_channel_is_closed(m_channel)) {
                remoteEof = true;
            }
        }
        if (!toLocal.isEmpty()) {
            const ssize_t n = ::send(m_local, toLocal.constData(), size_t(toLocal.size()),
                                     MSG_NOSIGNAL);
            if (n > 0) {
                toLocal.remove(0, n);
                progressed = true;
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                why = "the next connection is gone";
                break;
            }
        }
        if (remoteEof && toLocal.isEmpty()) {
            why = "the host behind the jump closed the connection";
            break;
        }
        const bool flushing = ssh_blocking_flush(m_session, 0) == SSH_AGAIN;
        if (!ssh_is_connected(m_session)) {
            why = "the jump host's connection was lost";
            break;
        }
        if (progressed)
            continue;
        pollfd fds[3] = {
            {m_stop[0], POLLIN, 0},
            {m_local,
             short((toChannel.isEmpty() && !localEof ? POLLIN : 0)
                   | (toLocal.isEmpty() ? 0 : POLLOUT)),
             0},
            {ssh_get_fd(m_session), short(POLLIN | (flushing ? POLLOUT : 0)), 0},
        };
        // Capped: libssh may hold data (a window adjust, a rekey) that no fd announces.
        if (::poll(fds, 3, 200) > 0 && (fds[0].revents & POLLIN))
            stop = true;
    }
    // The next session sees its connection end (and reconnects, if it is to).
    ::shutdown(m_local, SHUT_RDWR);
    qCInfo(lcSsh) << "forwarding through the jump host" << m_hopName << "ended:"
                  << (stop ? "closed" : why);
    m_finished = true;
}

SshJumpTunnel::~SshJumpTunnel()
{
    // libssh 0.11 leaves a socket given with SSH_OPTIONS_FD open when the session is freed
    // (and may close it after an error): closed here only while it is still that socket,
    // so that a number libssh released and something else reused is never touched. Our end
    // then reads its end-of-file.
    struct stat now {};
    if (m_next >= 0 && ::fstat(m_next, &now) == 0 && now.st_dev == m_nextDevice
        && now.st_ino == m_nextInode)
        ::close(m_next);
    if (m_thread.joinable()) {
        // The next session's last words (its disconnect message) are let through first: it
        // closed its end, so the forwarding ends by itself once they are sent.
        QDeadlineTimer grace{std::chrono::seconds(1)};
        while (!m_finished && !grace.hasExpired())
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (!m_finished) {
            const char wake = 1;
            [[maybe_unused]] const ssize_t n = ::write(m_stop[1], &wake, 1);
        }
        m_thread.join();
    }
    if (m_channel) {
        if (m_session && ssh_is_connected(m_session)) {
            ssh_set_blocking(m_session, 0);
            ssh_channel_close(m_channel);
        }
        ssh_channel_free(m_channel);
    }
    if (m_session) {
        if (ssh_is_connected(m_session))
            ssh_disconnect(m_session);
        ssh_free(m_session);
    }
    for (int fd : {m_local, m_stop[0], m_stop[1]}) {
        if (fd >= 0)
            ::close(fd);
    }
    // m_below goes last: this hop's own connection ran through it.
}

} // namespace gpuwb
