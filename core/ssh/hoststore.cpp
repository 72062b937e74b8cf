#include "core/ssh/hoststore.h"

#include "core/ssh/sshconfigreader.h"

#include <QSettings>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

const QString kGroup = u"hosts"_s;

QString validateAlias(const QString &alias)
{
    if (alias.isEmpty())
        return u"A host needs a name."_s;
    for (const QChar c : alias) {
        if (c.isSpace() || c == u'/' || c == u'\\' || c.category() == QChar::Other_Control)
            return u"The host name \"%1\" may not contain spaces, slashes or control "
                   "characters."_s.arg(alias);
    }
    if (alias.contains(u'*') || alias.contains(u'?') || alias.startsWith(u'!')
        || alias.startsWith(u'-') || alias.contains(u':') || alias.contains(u'@'))
        return u"The host name \"%1\" may not contain * ? : @ or start with ! or -."_s.arg(alias);
    return {};
}

std::optional<SshHost> readAppHost(QSettings &settings, const QString &alias)
{
    settings.beginGroup(kGroup);
    settings.beginGroup(alias);
    std::optional<SshHost> result;
    if (settings.contains(u"hostName"_s)) {
        SshHost h;
        h.alias = alias;
        h.origin = SshHost::Origin::App;
        h.hostName = settings.value(u"hostName"_s).toString();
        h.user = settings.value(u"user"_s).toString();
        h.port = settings.value(u"port"_s, 22).toInt();
        h.identityFiles = settings.value(u"identityFiles"_s).toStringList();
        h.proxyJump = settings.value(u"proxyJump"_s).toString();
        if (h.hostName.isEmpty())
            h.hostName = alias;
        result = h;
    }
    settings.endGroup();
    settings.endGroup();
    return result;
}

} // namespace

std::optional<SshHost> appHostFromSettings(const QString &alias)
{
    if (!validateAlias(alias).isEmpty())
        return std::nullopt;
    QSettings settings;
    return readAppHost(settings, alias);
}

HostStore::HostStore(SshPaths paths, QObject *parent) : QObject(parent), m_paths(std::move(paths))
{
    reload();
}

QList<SshHost> HostStore::hosts() const
{
    return m_configHosts + m_appHosts;
}

std::optional<SshHost> HostStore::host(const QString &alias) const
{
    for (const SshHost &h : m_configHosts)
        if (h.alias == alias)
            return h;
    for (const SshHost &h : m_appHosts)
        if (h.alias == alias)
            return h;
    return std::nullopt;
}

Status HostStore::saveAppHost(const SshHost &host)
{
    const QString problem = validateAlias(host.alias);
    if (!problem.isEmpty())
        return Error{ErrorCode::InvalidAlias, problem};
    for (const SshHost &h : std::as_const(m_configHosts)) {
        if (h.alias == host.alias)
            return Error{ErrorCode::AliasInConfig,
                         u"\"%1\" is already a host in %2; edit it there or pick another "
                         "name."_s.arg(host.alias, h.sourceFile)};
    }
    if (host.port < 1 || host.port > 65535)
        return Error{ErrorCode::InvalidPort, u"The port must be between 1 and 65535."_s};
    QSettings settings;
    settings.beginGroup(kGroup);
    settings.remove(host.alias);
    settings.beginGroup(host.alias);
    settings.setValue(u"hostName"_s, host.hostName.isEmpty() ? host.alias : host.hostName);
    settings.setValue(u"user"_s, host.user);
    settings.setValue(u"port"_s, host.port);
    settings.setValue(u"identityFiles"_s, host.identityFiles);
    settings.setValue(u"proxyJump"_s, host.proxyJump);
    settings.endGroup();
    settings.endGroup();
    settings.sync();
    if (settings.status() != QSettings::NoError)
        return Error{ErrorCode::SettingsError,
                     u"Could not save the host to %1."_s.arg(settings.fileName())};
    reload();
    return {};
}

Status HostStore::removeAppHost(const QString &alias)
{
    QSettings settings;
    settings.beginGroup(kGroup);
    if (!settings.childGroups().contains(alias))
        return Error{ErrorCode::NotFound, u"There is no host \"%1\" added in the app."_s.arg(alias)};
    settings.remove(alias);
    settings.endGroup();
    settings.sync();
    reload();
    return {};
}

void HostStore::reload()
{
    m_configHosts.clear();
    m_appHosts.clear();
    m_shadowed.clear();
    m_configError.clear();
    Result<QList<SshHost>> config = SshConfigReader::readHosts(m_paths);
    if (config)
        m_configHosts = config.value();
    else
        m_configError = config.error().message;

    QSettings settings;
    settings.beginGroup(kGroup);
    const QStringList groups = settings.childGroups();
    settings.endGroup();
    for (const QString &alias : groups) {
        if (!validateAlias(alias).isEmpty())
            continue;
        // The config entry wins over an app host of the same name.
        const bool shadowed = std::any_of(m_configHosts.cbegin(), m_configHosts.cend(),
                                          [&](const SshHost &h) { return h.alias == alias; });
        if (shadowed) {
            if (readAppHost(settings, alias))
                m_shadowed << alias;
            continue;
        }
        if (std::optional<SshHost> h = readAppHost(settings, alias))
            m_appHosts << *h;
    }
    emit changed();
}

} // namespace gpuwb
