#pragma once

#include "core/ssh/sshhost.h"
#include "core/util/result.h"

#include <QList>
#include <QObject>

namespace gpuwb {

// The hosts the user can pick: those of ~/.ssh/config (read-only here, re-read on reload())
// and those added in the app, kept in QSettings under "hosts/" (never a password). An app
// host whose alias is also in the config file shadows nothing: the config entry wins (also
// when connecting) and the app entry is reported by shadowedAppHosts(). UI thread.
class HostStore : public QObject
{
    Q_OBJECT
public:
    explicit HostStore(SshPaths paths = SshPaths::defaults(), QObject *parent = nullptr);

    QList<SshHost> hosts() const;               // config hosts first, then app hosts
    std::optional<SshHost> host(const QString &alias) const;
    // The last error reading the config file (empty when fine), e.g. "~/.ssh/config line 12: ...".
    QString configError() const { return m_configError; }
    // App-added hosts hidden because ~/.ssh/config has a Host of the same name, which wins.
    QStringList shadowedAppHosts() const { return m_shadowed; }

    // Adds or replaces an app host. Fails when the alias is empty, has whitespace or '/',
    // or names a config host.
    Status saveAppHost(const SshHost &host);
    Status removeAppHost(const QString &alias);
    void reload();

signals:
    void changed();

private:
    SshPaths m_paths;
    QList<SshHost> m_configHosts;
    QList<SshHost> m_appHosts;
    QString m_configError;
    QStringList m_shadowed;
};

// An app host must reach libssh too: the connection applies these fields as options after
// reading the config file. Returns the host for `alias` from the app's settings, if any.
std::optional<SshHost> appHostFromSettings(const QString &alias);

} // namespace gpuwb
