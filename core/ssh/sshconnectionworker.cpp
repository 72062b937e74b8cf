#include "core/ssh/sshconnectionworker.h"

#include "core/ssh/sshsessionopener.h"
#include "core/util/logging.h"

#include <QElapsedTimer>
#include <QThread>

#include <libssh/libssh.h>
#include <libssh/server.h> // ssh_send_keepalive, which clients may use too
#include <libssh/sftp.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr int kWaitStepMs = 50;
constexpr int kIdleStepMs = 1000;
constexpr int kMaxBackoffSeconds = 30;

qint64 nowMs()
{
    static QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock.elapsed();
}

bool retriable(ErrorCode code)
{
    return errorRetry(code) == ErrorRetry::WhenConnected;
}

} // namespace

SshConnectionWorker::SshConnectionWorker(SshConnection *connection, QString alias,
                                         SshConnection::Options options)
    : m_connection(connection), m_alias(std::move(alias)), m_options(std::move(options))
{
    m_wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    m_thread = QThread::create([this] { ownerLoop(); });
    m_thread->setObjectName(u"ssh:"_s + m_alias);
    m_thread->start();
}

SshConnectionWorker::~SshConnectionWorker()
{
    {
        QMutexLocker lock(&m_mutex);
        m_quit = true;
    }
    wake();
    m_thread->wait();
    delete m_thread;
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
}

void SshConnectionWorker::wake()
{
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(m_wakeFd, &one, sizeof one);
}

void SshConnectionWorker::enqueue(SshRequest request)
{
    {
        QMutexLocker lock(&m_mutex);
        if (m_quit) {
            lock.unlock();
            if (request.fail)
                request.fail(Error{ErrorCode::Closed, u"The connection is closed."_s});
            return;
        }
        m_incoming.push_back(std::move(request));
    }
    wake();
}

void SshConnectionWorker::requestConnect()
{
    {
        QMutexLocker lock(&m_mutex);
        m_connectRequested = true;
    }
    wake();
}

void SshConnectionWorker::requestDisconnect()
{
    {
        QMutexLocker lock(&m_mutex);
        m_disconnectRequested = true;
        m_connectRequested = false;
    }
    wake();
}

bool SshConnectionWorker::closing() const
{
    QMutexLocker lock(&m_mutex);
    return m_quit || m_disconnectRequested;
}

Result<sftp_session_struct *> SshConnectionWorker::sftp()
{
    if (m_sftp)
        return m_sftp;
    if (!m_session)
        return Error{ErrorCode::NotConnected, u"Not connected to %1."_s.arg(m_alias)};
    sftp_session s = sftp_new(m_session);
    if (!s)
        return Error{ErrorCode::NoSftp,
                     u"%1 refused an SFTP session: %2. Check that the server has the sftp "
                     "subsystem enabled."_s.arg(m_alias,
                                                QString::fromUtf8(ssh_get_error(m_session)))};
    if (sftp_init(s) != SSH_OK) {
        const QString why = QString::fromUtf8(ssh_get_error(m_session));
        sftp_free(s);
        return Error{ErrorCode::NoSftp,
                     u"%1 has no working SFTP subsystem (%2). Enable Subsystem sftp in its "
                     "sshd_config."_s.arg(m_alias, why)};
    }
    m_sftp = s;
    return m_sftp;
}

void SshConnectionWorker::ownerSetState(SshState state, const QString &message)
{
    m_state = state;
    QPointer<SshConnection> c(m_connection);
    QMetaObject::invokeMethod(
        m_connection,
        [c, state, message] {
            if (c)
                c->setState(state, message);
        },
        Qt::QueuedConnection);
}

void SshConnectionWorker::ownerLoop()
{
    for (;;) {
        bool connectRequested = false;
        bool disconnectRequested = false;
        bool quit = false;
        {
            QMutexLocker lock(&m_mutex);
            while (!m_incoming.empty()) {
                m_active.push_back(std::move(m_incoming.front()));
                m_incoming.pop_front();
            }
            quit = m_quit;
            std::swap(connectRequested, m_connectRequested);
            std::swap(disconnectRequested, m_disconnectRequested);
        }
        if (quit || disconnectRequested) {
            m_ownerClosing = true;
            ownerFailAll(Error{ErrorCode::Closed,
                               u"The connection to %1 was closed."_s.arg(m_alias)});
            ownerCloseSession();
            m_reconnecting = false;
            if (m_state != SshState::Disconnected)
                ownerSetState(SshState::Disconnected, {});
            m_ownerClosing = false;
            if (quit)
                return;
            continue;
        }
        bool anyAgain = false;
        bool anyWait = false;
        bool anyIdle = false;
        if (!m_session) {
            const bool due = m_reconnecting && m_nextReconnect.hasExpired();
            if (!m_active.empty() || connectRequested || due) {
                ownerAttemptConnect();
                continue;
            }
        } else {
            ownerRunSteps(&anyAgain, &anyWait, &anyIdle);
            if (m_session)
                ownerKeepalive();
        }
        ownerWait(anyAgain, anyWait, anyIdle);
    }
}

void SshConnectionWorker::ownerAttemptConnect()
{
    const bool reconnect = m_reconnecting;
    ownerSetState(reconnect ? SshState::Reconnecting : SshState::Connecting,
                  reconnect ? u"Reconnecting to %1…"_s.arg(m_alias)
                            : u"Connecting to %1…"_s.arg(m_alias));
    SshSessionOpener opener(m_alias, m_options, m_memory, m_wakeFd,
                            [this] { return closing(); });
    // A reconnect asks nothing: only secrets this connection already holds are used.
    Result<SshSessionOpener::Opened> opened =
        opener.open(reconnect ? nullptr : m_options.prompter.get());
    if (!opened) {
        const Error error = opened.error();
        qCInfo(lcSsh) << m_alias << "connect failed:" << error.code << error.message;
        ownerFailAll(error);
        if (error.code == ErrorCode::Closed)
            return; // the loop handles the close
        if (reconnect && m_options.autoReconnect && retriable(error.code)) {
            m_backoffSeconds = std::min(m_backoffSeconds * 2, kMaxBackoffSeconds);
            m_nextReconnect.setRemainingTime(std::chrono::seconds(m_backoffSeconds));
            ownerSetState(SshState::Reconnecting,
                          u"%1 Trying again in %2 s."_s.arg(error.message).arg(m_backoffSeconds));
            return;
        }
        m_reconnecting = false;
        ownerSetState(SshState::Failed, error.message);
        return;
    }
    m_session = opened->session;
    m_tunnel = opened->tunnel;
    m_event = ssh_event_new();
    m_keepaliveSeconds = opened->keepaliveSeconds;
    m_keepaliveCountMax = std::max(1, opened->keepaliveCountMax);
    m_missedKeepalives = 0;
    m_lastReceivedMs = m_lastKeepaliveMs = nowMs();
    if (m_keepaliveSeconds > 0)
        m_nextKeepalive.setRemainingTime(std::chrono::seconds(m_keepaliveSeconds));
    m_reconnecting = false;
    m_backoffSeconds = 1;
    ownerSetState(SshState::Connected, opened->description);
}

bool SshConnectionWorker::ownerSessionDead() const
{
    // A read or write error marks the session (status, alive flag or socket) whatever the
    // step that met it returned; any of the three means the session is gone.
    return !m_session || !ssh_is_connected(m_session)
        || (ssh_get_status(m_session) & (SSH_CLOSED | SSH_CLOSED_ERROR))
        || ssh_get_fd(m_session) < 0;
}

void SshConnectionWorker::ownerRunSteps(bool *anyAgain, bool *anyWait, bool *anyIdle)
{
    // One turn each, in arrival order; requests arriving meanwhile wait for the next turn.
    const size_t count = m_active.size();
    size_t index = 0;
    for (size_t turn = 0; turn < count && index < m_active.size(); ++turn) {
        SshRequest &request = m_active[index];
        const SshStep step = request.step ? request.step(*this) : SshStep::Done;
        if (step == SshStep::Done) {
            m_active.erase(m_active.begin() + qsizetype(index));
        } else {
            *anyAgain |= step == SshStep::Again;
            *anyWait |= step == SshStep::Wait;
            *anyIdle |= step == SshStep::Idle;
            ++index;
        }
        if (ownerSessionDead()) {
            ownerLost(QString::fromUtf8(m_session ? ssh_get_error(m_session) : ""));
            *anyAgain = *anyWait = *anyIdle = false;
            return;
        }
    }
}

void SshConnectionWorker::ownerKeepalive()
{
    if (m_keepaliveSeconds <= 0 || !m_nextKeepalive.hasExpired())
        return;
    // Any packet since the last keepalive proves the peer alive (its answer is one).
    if (m_lastReceivedMs >= m_lastKeepaliveMs)
        m_missedKeepalives = 0;
    else
        ++m_missedKeepalives;
    if (m_missedKeepalives >= m_keepaliveCountMax) {
        ownerLost(u"no answer to %1 keepalives in %2 s"_s.arg(m_missedKeepalives)
                      .arg(m_missedKeepalives * m_keepaliveSeconds));
        return;
    }
    // Non-blocking: libssh sends keepalive@openssh.com wanting a reply and returns at once;
    // a call that only collects the previous answer is followed by one that sends.
    ssh_set_blocking(m_session, 0);
    if (ssh_send_keepalive(m_session) != SSH_AGAIN)
        ssh_send_keepalive(m_session);
    ssh_set_blocking(m_session, 1);
    m_lastKeepaliveMs = nowMs();
    m_nextKeepalive.setRemainingTime(std::chrono::seconds(m_keepaliveSeconds));
    if (ownerSessionDead())
        ownerLost(QString::fromUtf8(ssh_get_error(m_session)));
}

void SshConnectionWorker::ownerWait(bool anyAgain, bool anyWait, bool anyIdle)
{
    int timeout = -1;
    if (anyAgain)
        timeout = 0;
    else if (anyWait)
        timeout = kWaitStepMs;
    else if (anyIdle)
        timeout = kIdleStepMs;
    auto cap = [&timeout](const QDeadlineTimer &t) {
        const qint64 left = std::max<qint64>(0, t.remainingTime());
        if (timeout < 0 || left < timeout)
            timeout = int(std::min<qint64>(left, 60'000));
    };
    if (m_session && m_keepaliveSeconds > 0)
        cap(m_nextKeepalive);
    if (!m_session && m_reconnecting)
        cap(m_nextReconnect);

    pollfd fds[2];
    nfds_t n = 0;
    fds[n++] = {m_wakeFd, POLLIN, 0};
    const int fd = m_session ? ssh_get_fd(m_session) : -1;
    if (fd >= 0)
        fds[n++] = {fd, POLLIN, 0};
    const int rc = ::poll(fds, n, timeout);
    if (rc <= 0)
        return;
    if (fds[0].revents & POLLIN) {
        uint64_t value = 0;
        [[maybe_unused]] const ssize_t r = ::read(m_wakeFd, &value, sizeof value);
    }
    if (n > 1 && fds[1].revents) {
        m_lastReceivedMs = nowMs();
        // Let libssh read what came (keepalive answers, channel data, a close) even when no
        // request is reading, so that a dead peer is noticed at once.
        ssh_event_add_session(m_event, m_session);
        ssh_event_dopoll(m_event, 0);
        ssh_event_remove_session(m_event, m_session);
        if (ownerSessionDead())
            ownerLost(QString::fromUtf8(ssh_get_error(m_session)));
    }
}

void SshConnectionWorker::ownerLost(const QString &why)
{
    const QString message =
        u"The connection to %1 was lost%2."_s.arg(m_alias, why.isEmpty() ? QString()
                                                                          : u" ("_s + why + u')');
    qCInfo(lcSsh) << message;
    ownerFailAll(Error{ErrorCode::ConnectionLost,
                       message + u" Try again; it reconnects by itself when it can."_s});
    ownerCloseSession();
    if (m_options.autoReconnect) {
        m_reconnecting = true;
        m_backoffSeconds = 1;
        m_nextReconnect.setRemainingTime(std::chrono::seconds(m_backoffSeconds));
        ownerSetState(SshState::Reconnecting, message);
    } else {
        ownerSetState(SshState::Failed, message);
    }
}

void SshConnectionWorker::ownerFailAll(const Error &error)
{
    // Taken out first: a fail callback may enqueue (it lands in m_incoming).
    std::deque<SshRequest> failing;
    failing.swap(m_active);
    for (SshRequest &request : failing) {
        if (request.fail)
            request.fail(error);
    }
    failing.clear(); // their captures (channels...) go before the session does
}

void SshConnectionWorker::ownerCloseSession()
{
    if (m_sftp) {
        sftp_free(m_sftp);
        m_sftp = nullptr;
    }
    if (m_event) {
        ssh_event_free(m_event);
        m_event = nullptr;
    }
    if (m_session) {
        if (ssh_is_connected(m_session))
            ssh_disconnect(m_session);
        ssh_free(m_session);
        m_session = nullptr;
    }
    m_tunnel.reset(); // after the session: its last words went through the tunnel
}

} // namespace gpuwb
