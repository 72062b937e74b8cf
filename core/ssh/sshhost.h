#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace gpuwb {

// A remote machine as the user names it: an alias from ~/.ssh/config or one added in the app.
// The fields are what OpenSSH would use after reading the configuration for that alias, so
// the UI can show them; the connection itself lets libssh read the configuration again.
struct SshHost
{
    enum class Origin { SshConfig, App };

    QString alias;        // what the user types and what Location::host() holds
    QString hostName;     // HostName, or the alias when none is given
    QString user;         // empty: the local user name
    int port = 22;
    QStringList identityFiles;
    QString proxyJump;    // as written, e.g. "bastion" or "user@jump:2222"
    Origin origin = Origin::App;
    QString sourceFile;   // the config file that named it, for Origin::SshConfig
    // Keywords in this host's configuration that libssh ignores, e.g. "LocalForward".
    QStringList unsupportedKeywords;

    friend bool operator==(const SshHost &, const SshHost &) = default;
};

// Where the OpenSSH files of the current user are. Defaults to ~/.ssh with ~ from $HOME, so
// that tests point everything at a temporary home by setting HOME.
struct SshPaths
{
    QString sshDir;          // ~/.ssh
    QString configFile;      // ~/.ssh/config
    QString knownHostsFile;  // ~/.ssh/known_hosts
    static SshPaths defaults();
};

} // namespace gpuwb

Q_DECLARE_METATYPE(gpuwb::SshHost)
