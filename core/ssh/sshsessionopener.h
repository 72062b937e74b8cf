#pragma once

#include "core/ssh/sshconnection.h"
#include "core/util/result.h"

#include <QHash>
#include <QString>

#include <functional>

namespace gpuwb {

// Opens one libssh session the way OpenSSH would: configuration, connect (interruptible,
// within the connect timeout), host key check as the config's StrictHostKeyChecking says
// (ask by default; yes, accept-new, no/off), in its UserKnownHostsFile, written hashed when
// HashKnownHosts is yes, then authentication. Used only on a connection's owner thread. `memory` holds the secrets that
// worked for this connection so that a reconnect asks nothing again.
class SshSessionOpener
{
public:
    struct Opened
    {
        ssh_session_struct *session = nullptr;
        QString description;        // "user@host:port"
        int keepaliveSeconds = 0;   // after the config's ServerAliveInterval
        int keepaliveCountMax = 0;
    };

    SshSessionOpener(const QString &alias, const SshConnection::Options &options,
                     QHash<QString, QString> &memory, int wakeFd,
                     std::function<bool()> closing);

    // prompter may be null (reconnects): nothing is asked then.
    Result<Opened> open(SshPrompter *prompter);

private:
    Status connectSocket(ssh_session_struct *session);
    Status checkHostKey(ssh_session_struct *session, SshPrompter *prompter);
    Status authenticate(ssh_session_struct *session, SshPrompter *prompter);

    QString m_alias;
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
    struct JumpState;
    std::shared_ptr<JumpState> m_jump;
};

// "[host]:port" or "host", as known_hosts names a host.
QString knownHostsName(const QString &host, int port);
// "SHA256:..." of the session's server key, and its type.
QString serverKeyFingerprint(ssh_session_struct *session, QString *keyType);

} // namespace gpuwb
