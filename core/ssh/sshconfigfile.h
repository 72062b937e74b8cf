#pragma once

#include "core/ssh/sshhost.h"
#include "core/util/result.h"

#include <QList>
#include <QStringList>

namespace gpuwb {

// Our own reading of an OpenSSH client configuration, for what libssh does not tell us: the
// Host lines (to enumerate aliases), ProxyJump and ServerAlive* (libssh 0.11 has no getter or
// ignores them), IdentityFile lists, and the keywords libssh ignores. Values for HostName,
// User and Port still come from libssh (SshConfigReader::resolve). Pure; any thread.
struct SshConfigEntry
{
    QString file;
    int line = 0;
    QString keyword;       // lower case
    QStringList args;
    int block = -1;        // index into SshConfigFile::blocks, -1 before any Host/Match
};

struct SshConfigBlock
{
    bool isMatch = false;  // Match blocks never apply in our evaluation (libssh handles them)
    QStringList patterns;  // Host patterns, "!" negations included
};

// What applies to one alias, first value winning as in OpenSSH.
struct SshHostSettings
{
    QString hostName; // empty, 0: not given
    QString user;
    int port = 0;
    QString proxyJump;
    QStringList identityFiles; // expanded (~, %d), in order
    int serverAliveInterval = -1;
    int serverAliveCountMax = -1;
    int connectTimeout = -1;
    // Host keys as OpenSSH reads them: the first UserKnownHostsFile (expanded), the
    // StrictHostKeyChecking value in lower case ("yes", "accept-new", "no", "off", "ask"), and
    // HashKnownHosts; empty / false when not given.
    QString userKnownHostsFile;
    QString strictHostKeyChecking;
    bool hashKnownHosts = false;
    QStringList unsupportedKeywords; // as written in the file, e.g. "LocalForward"
};

struct SshJumpHop
{
    QString user;   // empty when not given
    QString host;   // an alias or a host name
    int port = 0;   // 0 when not given
};

class SshConfigFile
{
public:
    // Reads `paths.configFile` and its Includes. A missing file gives an empty configuration.
    static Result<SshConfigFile> read(const SshPaths &paths);

    QList<SshConfigEntry> entries;
    QList<SshConfigBlock> blocks;
    // The concrete aliases of Host lines in file order, with the file that named each.
    QList<std::pair<QString, QString>> aliases() const;
    SshHostSettings settingsFor(const QString &alias, const SshPaths &paths) const;

    static bool hostMatches(const QStringList &patterns, const QString &alias);
    static bool isPattern(const QString &word);
    // Keywords libssh 0.11 skips ("Unsupported", "Unapplicable" or unknown in its parser).
    static bool libsshSupports(const QString &lowerKeyword);
    // "user@host:port,host2" (or ssh:// URIs) into hops; "none" gives none.
    static QList<SshJumpHop> parseProxyJump(const QString &spec);
    static QString expandPath(const QString &path, const SshPaths &paths);
};

} // namespace gpuwb
