#pragma once

#include "core/util/result.h"

#include <QByteArray>
#include <QByteArrayView>

#include <functional>

struct ssh_session_struct;

namespace gpuwb {

// Runs one command line (built with shellJoin) on the host over an exec channel and waits for
// it: its standard output (up to maxBytes; the rest is read and dropped), the start of its
// standard error and its exit status. Blocking; on the connection's owner thread only (inside
// SshConnection::call work). Used by the sync engine and the GPU telemetry's probe.
struct RemoteCommand
{
    int exitCode = -1; // -1 when the host sent none; 128 when a signal ended it
    QByteArray output;
    QByteArray errorOutput; // the first kErrorBytes of standard error
    static constexpr qsizetype kErrorBytes = 16384;

    static Result<RemoteCommand> run(ssh_session_struct *session, const QByteArray &command,
                                     qsizetype maxBytes = 65536);
    // The same, handing standard output to `sink` as it arrives instead of keeping it
    // (`output` stays empty). When sink returns false the rest is not read: the channel is
    // closed and the exit status is the host's if it came, else -1.
    static Result<RemoteCommand> run(ssh_session_struct *session, const QByteArray &command,
                                     const std::function<bool(QByteArrayView)> &sink);
};

} // namespace gpuwb
