#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace gpuwb {

// Quotes one argument for the POSIX shell so that it reaches the program unchanged, whatever
// it contains (principle 13). Remote and local command lines are built with these only.
QString shellQuote(const QString &argument);

// Quotes every argument and joins them with spaces: a command line for `sh -c`.
QString shellJoin(const QStringList &arguments);

// The exec request for an SSH channel that runs `script` (bytes, any content) with /bin/sh,
// whatever the user's login shell is. sshd hands the request to the login shell, which may be
// sh, bash, tcsh, csh or fish; they agree only on single quotes around text without ', \, !
// and newlines. So the line is `exec /bin/sh -c 'SCRIPT'` when the script is that plain, and
// otherwise the script travels as printf octal escapes that /bin/sh decodes and evals
// (principle 13). Every remote command goes through this.
QByteArray remoteShellLine(const QByteArray &script);

} // namespace gpuwb
