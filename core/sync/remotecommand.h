#pragma once

#include "core/util/result.h"

#include <QByteArray>

struct ssh_session_struct;

namespace gpuwb {

// Runs one command line (built with shellJoin) on the host over an exec channel and waits for
// it: its standard output (up to maxBytes; the rest is read and dropped) and exit status.
// Blocking; on the connection's owner thread only.
struct RemoteCommand
{
    int exitCode = -1; // -1 when the host sent none; 128 when a signal ended it
    QByteArray output;

    static Result<RemoteCommand> run(ssh_session_struct *session, const QByteArray &command,
                                     qsizetype maxBytes = 65536);
};

} // namespace gpuwb
