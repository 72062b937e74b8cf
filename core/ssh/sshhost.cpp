#include "core/ssh/sshhost.h"

#include <QDir>

namespace gpuwb {

SshPaths SshPaths::defaults()
{
    SshPaths paths;
    paths.sshDir = QDir::homePath() + QStringLiteral("/.ssh");
    paths.configFile = paths.sshDir + QStringLiteral("/config");
    paths.knownHostsFile = paths.sshDir + QStringLiteral("/known_hosts");
    return paths;
}

} // namespace gpuwb
