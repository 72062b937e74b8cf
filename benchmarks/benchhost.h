#pragma once

#include "helpers/sshdserver.h"

#include <QFile>
#include <QList>
#include <QString>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

// What the SSH benchmarks share: one cipher for every side, the loopback sshd set up the same
// way, and the median they report.
namespace gpuwb::bench {

// AES-GCM uses AES-NI and needs no separate MAC: the fastest cipher both libssh and OpenSSH
// offer. The server offers only it, so no side can quietly use another.
inline QString cipher()
{
    return QStringLiteral("aes128-gcm@openssh.com");
}

[[noreturn]] inline void fail(const char *bench, const QString &message)
{
    std::fprintf(stderr, "%s: %s\n", bench, qPrintable(message));
    std::fflush(stderr);
    std::_Exit(1);
}

inline double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0 : values[values.size() / 2];
}

inline test::SshdServer::Options serverOptions()
{
    test::SshdServer::Options options;
    options.extraConfig = QStringLiteral("Ciphers ") + cipher() + u'\n';
    return options;
}

// Starts `server` (made with serverOptions()), points HOME at its client side with the host
// key already known and no agent, and adds `Host alias` with the plain key and the cipher for
// OpenSSH's tools and ours alike. Returns the client config file; exits on failure.
inline QString startHost(test::SshdServer &server, const char *bench, const QString &alias)
{
    QString error;
    if (!server.start(&error))
        fail(bench, QStringLiteral("cannot start sshd: ") + error);
    qputenv("HOME", server.clientHome().toLocal8Bit());
    qunsetenv("SSH_AUTH_SOCK");
    const QString sshDir = server.clientSshDir();
    QFile knownHosts(sshDir + QStringLiteral("/known_hosts"));
    if (!knownHosts.open(QIODevice::Append))
        fail(bench, QStringLiteral("cannot write ") + knownHosts.fileName());
    knownHosts.write(server.knownHostsLine() + '\n');
    knownHosts.close();
    server.appendClientConfig(
        QStringLiteral("\nHost %1\n    HostName %2\n    Port %3\n    User %4\n"
                       "    IdentityFile %5\n    IdentitiesOnly yes\n"
                       "    UserKnownHostsFile %6/known_hosts\n"
                       "    StrictHostKeyChecking yes\n    BatchMode yes\n"
                       "    Ciphers %7\n")
            .arg(alias, server.host(), QString::number(server.port()),
                 test::SshdServer::userName(), server.plainKeyPath(), sshDir, cipher()));
    return sshDir + QStringLiteral("/config");
}

} // namespace gpuwb::bench
