#pragma once

#include "core/ssh/sshconnection.h"

#include <QDeadlineTimer>
#include <QHash>
#include <QMutex>

#include <deque>

class QThread;
struct ssh_event_struct;

namespace gpuwb {

class SshJumpTunnel;

// The owner thread of one SshConnection: it holds the libssh session (and its SFTP session),
// runs the queued requests in turns, sends keepalives and reconnects. Created and destroyed
// by SshConnection on the UI thread; everything prefixed "owner" runs on its own thread.
//
// The loop never spins: with nothing to do it sleeps in poll() on the session's socket and an
// eventfd that enqueue()/disconnect wake; a request that returned Wait is called again after
// socket data or 50 ms, one that returned Again at the next turn.
class SshConnectionWorker final : public SshSessionContext
{
public:
    SshConnectionWorker(SshConnection *connection, QString alias, SshConnection::Options options);
    ~SshConnectionWorker() override; // stops the thread (failing requests with "closed")

    // Any thread.
    void enqueue(SshRequest request);
    void requestConnect();
    void requestDisconnect();

    // SshSessionContext, owner thread.
    ssh_session_struct *session() override { return m_session; }
    Result<sftp_session_struct *> sftp() override;
    bool closing() const override;

private:
    void ownerLoop();
    void ownerAttemptConnect();
    void ownerRunSteps(bool *anyAgain, bool *anyWait, bool *anyIdle);
    void ownerWait(bool anyAgain, bool anyWait, bool anyIdle);
    void ownerKeepalive();
    void ownerLost(const QString &why);
    void ownerFailAll(const Error &error);
    void ownerCloseSession();
    bool ownerSessionDead() const;
    void ownerSetState(SshState state, const QString &message);
    void wake();

    SshConnection *m_connection;
    QString m_alias;
    SshConnection::Options m_options;
    QThread *m_thread = nullptr;
    int m_wakeFd = -1;

    mutable QMutex m_mutex; // guards the fields below until the owner-only ones
    std::deque<SshRequest> m_incoming;
    bool m_quit = false;
    bool m_connectRequested = false;
    bool m_disconnectRequested = false;

    // Owner thread only.
    std::deque<SshRequest> m_active;
    ssh_session_struct *m_session = nullptr;
    std::shared_ptr<SshJumpTunnel> m_tunnel; // the jump hosts m_session runs through
    sftp_session_struct *m_sftp = nullptr;
    ssh_event_struct *m_event = nullptr;
    QHash<QString, QString> m_memory; // secrets that worked, for reconnects; never on disk
    SshState m_state = SshState::Disconnected;
    bool m_reconnecting = false;
    int m_backoffSeconds = 1;
    QDeadlineTimer m_nextReconnect;
    int m_keepaliveSeconds = 0;
    int m_keepaliveCountMax = 3;
    QDeadlineTimer m_nextKeepalive;
    qint64 m_lastReceivedMs = 0;
    qint64 m_lastKeepaliveMs = 0;
    int m_missedKeepalives = 0;
    bool m_ownerClosing = false;
};

} // namespace gpuwb
