#pragma once

#include "core/util/result.h"

#include <QByteArray>

struct ssh_session_struct;

namespace gpuwb {

// Runs one short command line (built with shellQuote/shellJoin) over an exec channel and
// waits for it: its output, standard error and exit status, each bounded. Blocking; on the
// connection's owner thread only (inside SshConnection::call work).
struct RemoteExec
{
    int exitCode = -1; // -1 when the host sent none; 128 + n when signal n ended it
    QByteArray output;
    QByteArray errorOutput;

    static Result<RemoteExec> run(ssh_session_struct *session, const QByteArray &command,
                                  qsizetype maxBytes = 65536);
};

} // namespace gpuwb
