#pragma once

#include "core/ssh/sshhost.h"
#include "core/util/result.h"

#include <QList>

namespace gpuwb {

// Reads the hosts a user has named in an OpenSSH client configuration. Host lines are
// enumerated here (following Include, with globs, relative to ~/.ssh as OpenSSH does); the
// values for each concrete alias come from libssh's own parser, so what we show is what libssh
// will use. Patterns (*, ?, !) are not hosts and are skipped. Pure function; any thread.
namespace SshConfigReader {

// The concrete host aliases with their resolved settings, in file order. A missing file gives
// an empty list; an unreadable or malformed one an Error naming the file and line.
Result<QList<SshHost>> readHosts(const SshPaths &paths);

// The settings libssh resolves for `alias` (also for aliases that no Host line names, as
// `ssh alias` would use them).
SshHost resolve(const QString &alias, const SshPaths &paths);

} // namespace SshConfigReader
} // namespace gpuwb
