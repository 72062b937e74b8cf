#include "core/ssh/sshconfigreader.h"

#include "core/ssh/sshconfigfile.h"

#include <QFile>

#include <libssh/libssh.h>

using namespace Qt::StringLiterals;

namespace gpuwb::SshConfigReader {

namespace {

QString getOption(ssh_session session, ssh_options_e option)
{
    char *value = nullptr;
    if (ssh_options_get(session, option, &value) != SSH_OK || !value)
        return {};
    const QString result = QString::fromUtf8(value);
    ssh_string_free_char(value);
    return result;
}

SshHost resolveWith(const QString &alias, const SshPaths &paths, const SshConfigFile *config)
{
    SshHost host;
    host.alias = alias;
    host.hostName = alias;
    host.origin = SshHost::Origin::SshConfig;

    ssh_session session = ssh_new();
    if (session) {
        const QByteArray a = alias.toUtf8();
        const QByteArray dir = QFile::encodeName(paths.sshDir);
        ssh_options_set(session, SSH_OPTIONS_HOST, a.constData());
        ssh_options_set(session, SSH_OPTIONS_SSH_DIR, dir.constData());
        if (QFile::exists(paths.configFile)) {
            const QByteArray file = QFile::encodeName(paths.configFile);
            ssh_options_parse_config(session, file.constData());
        }
        const QString hostName = getOption(session, SSH_OPTIONS_HOST);
        if (!hostName.isEmpty())
            host.hostName = hostName;
        host.user = getOption(session, SSH_OPTIONS_USER);
        unsigned int port = 0;
        if (ssh_options_get_port(session, &port) == SSH_OK && port > 0)
            host.port = int(port);
        ssh_free(session);
    }
    if (config) {
        const SshHostSettings s = config->settingsFor(alias, paths);
        // libssh reads relative Include paths from the working directory (OpenSSH from
        // ~/.ssh) and refuses some aliases; what it missed comes from our own reading.
        if (host.hostName == alias && !s.hostName.isEmpty())
            host.hostName = s.hostName;
        if (host.user.isEmpty())
            host.user = s.user;
        if (host.port == 22 && s.port > 0)
            host.port = s.port;
        host.identityFiles = s.identityFiles;
        host.proxyJump = s.proxyJump.compare(u"none"_s, Qt::CaseInsensitive) == 0
                             ? QString() : s.proxyJump;
        host.unsupportedKeywords = s.unsupportedKeywords;
    }
    return host;
}

} // namespace

Result<QList<SshHost>> readHosts(const SshPaths &paths)
{
    Result<SshConfigFile> config = SshConfigFile::read(paths);
    if (!config)
        return config.error();
    QList<SshHost> hosts;
    for (const auto &[alias, file] : config->aliases()) {
        SshHost host = resolveWith(alias, paths, &config.value());
        host.sourceFile = file;
        hosts << host;
    }
    return hosts;
}

SshHost resolve(const QString &alias, const SshPaths &paths)
{
    Result<SshConfigFile> config = SshConfigFile::read(paths);
    return resolveWith(alias, paths, config ? &config.value() : nullptr);
}

} // namespace gpuwb::SshConfigReader
