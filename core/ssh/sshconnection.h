#pragma once

#include "core/ssh/sshhost.h"
#include "core/util/result.h"

#include <QMetaObject>
#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>

struct ssh_session_struct;
struct sftp_session_struct;

namespace gpuwb {

class SecretStore;
class SshConnectionWorker;
class SshPrompter;

enum class SshState {
    Disconnected, // never connected, or closed by the user
    Connecting,   // resolving, key exchange, host key check, authentication
    Connected,
    Reconnecting, // the connection was lost; trying again with back-off
    Failed,       // the last attempt failed for a reason retrying will not fix (stateMessage says why)
};
QString toString(SshState state);

// What work running on a connection's owner thread may use. Valid only during the call.
class SshSessionContext
{
public:
    virtual ~SshSessionContext() = default;
    virtual ssh_session_struct *session() = 0;
    // The connection's SFTP session, opened on first use and kept; an Error when the server
    // has no SFTP subsystem.
    virtual Result<sftp_session_struct *> sftp() = 0;
    // True once the connection is closing: long work should stop at its next step.
    virtual bool closing() const = 0;
};

// How a stepped request went: finished, made progress and wants another turn at once, has
// nothing to do until the socket has data (Wait: called again after data arrives or ~50 ms,
// for requests that also watch a clock or a local socket), or is a long-lived stream with
// nothing to do until data arrives (Idle: called again after data arrives, or within 1 s; an
// idle connection's thread then sleeps instead of waking 20 times a second).
enum class SshStep { Done, Again, Wait, Idle };

// A request in its type-erased form; see SshConnection::call and SshConnection::run.
struct SshRequest
{
    // On the owner thread, once connected. Requests take turns: a step that returns Again or
    // Wait lets the others run before it is called again.
    std::function<SshStep(SshSessionContext &)> step;
    // On the owner thread, instead of (or after some) steps, when the request cannot finish:
    // the connection failed, was lost or was closed. Called exactly once if step never
    // returned Done.
    std::function<void(const Error &)> fail;
};

// One SSH connection to one host alias (principle: one owner thread per libssh session).
// The object lives on the thread that made it (the UI thread); the libssh session lives on an
// owner thread that this object starts and joins. Callers post requests and receive values on
// their own thread; nothing here blocks the caller on the network.
//
// Connecting follows OpenSSH: the configuration of ~/.ssh/config (through libssh's parser),
// the host key checked against known_hosts like StrictHostKeyChecking=ask (an unknown key is
// shown to the prompter and written once accepted; a changed key is refused before any
// authentication), then ssh-agent, identity files (passphrase asked), keyboard-interactive
// and password, at most three tries each. Keepalives detect a dead peer; a lost connection
// fails every pending request with code "connection-lost" and, when autoReconnect is set,
// reconnects with back-off (1, 2, 4 ... 30 s) without asking anything again.
class SshConnection : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        SshPaths paths = SshPaths::defaults();
        std::shared_ptr<SshPrompter> prompter;   // null: unknown keys and secrets fail
        std::shared_ptr<SecretStore> secrets;    // null: nothing is remembered
        int connectTimeoutSeconds = 10;          // ConnectTimeout in the config wins
        int keepaliveSeconds = 15;               // ServerAliveInterval in the config wins
        int keepaliveCountMax = 3;               // ServerAliveCountMax in the config wins
        bool autoReconnect = true;
    };

    SshConnection(const QString &alias, Options options, QObject *parent = nullptr);
    // Closes the session, failing pending requests with code "closed", and joins the thread.
    // While the prompter is inside a question it waits until the prompter returns (so a
    // prompter must answer "no" when it shuts down, see DialogPrompter::shutdown); the answer
    // is then dropped and nothing more is sent or asked.
    ~SshConnection() override;

    QString alias() const { return m_alias; }
    SshState state() const { return m_state; }
    // Why it failed or was lost, or "user@host:port" while connected.
    QString stateMessage() const { return m_stateMessage; }

    void connectToHost();       // no-op while connecting or connected
    // Fails pending requests with code "closed"; no reconnect. Never blocks: while a question
    // is up, the owner thread closes as soon as the prompter returns.
    void disconnectFromHost();

    // Runs `work` once on the owner thread when connected (connecting first when need be) and
    // hands its result to `done` on context's thread, or not at all when context is gone. When
    // the connection cannot be made or is lost, `done` gets that Error instead.
    template<typename T>
    void call(QObject *context, std::function<Result<T>(SshSessionContext &)> work,
              std::function<void(Result<T>)> done);

    // For long work (transfers, job channels): `step` is called repeatedly, interleaved with
    // other requests, until it returns Done; then `result` is called on the owner thread and
    // its value delivered to `done` like call() does.
    template<typename T>
    void run(QObject *context, std::function<SshStep(SshSessionContext &)> step,
             std::function<Result<T>()> result, std::function<void(Result<T>)> done);

    void enqueue(SshRequest request);

signals:
    void stateChanged(gpuwb::SshState state, const QString &message);

private:
    void setState(SshState state, const QString &message); // UI thread
    friend class SshConnectionWorker;

    QString m_alias;
    Options m_options;
    SshState m_state = SshState::Disconnected;
    QString m_stateMessage;
    SshConnectionWorker *m_worker = nullptr; // lives on the owner thread
};

namespace detail {
template<typename T>
void deliver(QObject *context, std::function<void(Result<T>)> done, Result<T> result)
{
    if (!context || !done)
        return;
    QMetaObject::invokeMethod(
        context, [done = std::move(done), r = std::move(result)]() mutable { done(std::move(r)); },
        Qt::QueuedConnection);
}
} // namespace detail

template<typename T>
void SshConnection::call(QObject *context, std::function<Result<T>(SshSessionContext &)> work,
                         std::function<void(Result<T>)> done)
{
    QPointer<QObject> ctx(context);
    auto shared = std::make_shared<std::function<void(Result<T>)>>(std::move(done));
    SshRequest request;
    request.step = [ctx, shared, work = std::move(work)](SshSessionContext &session) {
        detail::deliver<T>(ctx.data(), std::move(*shared), work(session));
        return SshStep::Done;
    };
    request.fail = [ctx, shared](const Error &error) {
        detail::deliver<T>(ctx.data(), std::move(*shared), Result<T>(error));
    };
    enqueue(std::move(request));
}

template<typename T>
void SshConnection::run(QObject *context, std::function<SshStep(SshSessionContext &)> step,
                        std::function<Result<T>()> result, std::function<void(Result<T>)> done)
{
    QPointer<QObject> ctx(context);
    auto shared = std::make_shared<std::function<void(Result<T>)>>(std::move(done));
    SshRequest request;
    request.step = [ctx, shared, step = std::move(step),
                    result = std::move(result)](SshSessionContext &session) {
        const SshStep s = step(session);
        if (s == SshStep::Done)
            detail::deliver<T>(ctx.data(), std::move(*shared), result());
        return s;
    };
    request.fail = [ctx, shared](const Error &error) {
        detail::deliver<T>(ctx.data(), std::move(*shared), Result<T>(error));
    };
    enqueue(std::move(request));
}

} // namespace gpuwb
