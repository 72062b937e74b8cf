#pragma once

#include "core/ssh/sshconfigfile.h"
#include "core/ssh/sshconnection.h"
#include "core/util/result.h"

#include <QHash>
#include <QString>

#include <functional>
#include <memory>

namespace gpuwb {

class SshJumpTunnel;

// Opens one libssh session the way OpenSSH would: configuration, connect (interruptible,
// within the connect timeout), host key check as the config's StrictHostKeyChecking says
// (ask by default; yes, accept-new, no/off), in its UserKnownHostsFile, written hashed when
// HashKnownHosts is yes, then authentication. ProxyJump hops are opened the same way, each
// by an opener of its own (its own Host block, host key check and login, questions
// included), and forwarded by SshJumpTunnel. Used only on a connection's owner thread.
// `memory` holds the secrets that worked for this connection so that a reconnect asks
// nothing again.
class SshSessionOpener
{
public:
    struct Opened
    {
        ssh_session_struct *session = nullptr;
        QString description;        // "user@host:port"
        int keepaliveSeconds = 0;   // after the config's ServerAliveInterval
        int keepaliveCountMax = 0;
        // The jump hosts the session runs through; to be released after the session.
        std::shared_ptr<SshJumpTunnel> tunnel;
    };

    SshSessionOpener(const QString &alias, const SshConnection::Options &options,
                     QHash<QString, QString> &memory, int wakeFd,
                     std::function<bool()> closing);
    ~SshSessionOpener();
    SshSessionOpener(const SshSessionOpener &) = delete;
    SshSessionOpener &operator=(const SshSessionOpener &) = delete;

    // prompter may be null (reconnects): nothing is asked then.
    Result<Opened> open(SshPrompter *prompter);

private:
    // Reads the configuration into a new session (nothing is sent yet).
    Status prepare();
    // Opens the jump hosts, if any, then connects, checks the host key and logs in.
    Result<Opened> finish(SshPrompter *prompter);
    Result<std::shared_ptr<SshJumpTunnel>> openJumps(SshPrompter *prompter);
    Status connectSocket(ssh_session_struct *session);
    Status checkHostKey(ssh_session_struct *session, SshPrompter *prompter);
    Status authenticate(ssh_session_struct *session, SshPrompter *prompter);

    QString m_alias;
    QString m_who; // "\"alias\"", or "the jump host \"alias\""
    const SshConnection::Options &m_options;
    QHash<QString, QString> &m_memory;
    int m_wakeFd;
    std::function<bool()> m_closing;
    QString m_user;
    QString m_hostName;
    int m_port = 22;
    QStringList m_identityFiles;
    int m_connectTimeout = 10;
    // ~/.ssh/config's host-key settings for this alias (issue 10, item 12).
    QString m_knownHosts;     // UserKnownHostsFile, else SshPaths' known_hosts
    QString m_strictChecking; // StrictHostKeyChecking, lower case; empty means "ask"
    bool m_hashKnownHosts = false;
    int m_keepaliveSeconds = 0;
    int m_keepaliveCountMax = 0;
    ssh_session_struct *m_session = nullptr; // between prepare() and finish()
    QList<SshJumpHop> m_hops;                // this host's ProxyJump
    // As a jump hop: user and port from the ProxyJump spec, whether its own ProxyJump is
    // ignored (every hop but the first), how deep it sits, and the socket it connects
    // through (-1: a TCP connection of its own).
    QString m_hopUser;
    int m_hopPort = 0;
    bool m_ignoreOwnJumps = false;
    int m_depth = 0;
    int m_fd = -1;
};

// "[host]:port" or "host", as known_hosts names a host.
QString knownHostsName(const QString &host, int port);
// "SHA256:..." of the session's server key, and its type.
QString serverKeyFingerprint(ssh_session_struct *session, QString *keyType);

} // namespace gpuwb
