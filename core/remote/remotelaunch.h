#pragma once

#include "core/util/result.h"

#include <QByteArray>
#include <QString>

struct sftp_session_struct;

namespace gpuwb {

class SshSessionContext;

// The blocking steps of starting and signalling a remote job, run only on a connection's
// owner thread inside SshConnection::call work (see remotejob.h for the folder protocol).
namespace RemoteLaunch {

// The connection's SFTP session; a session that died while it opened is "connection-lost".
Result<sftp_session_struct *> sftpOf(SshSessionContext &ctx);

struct ExecResult
{
    int exitCode = -1;
    QByteArray output; // stdout and stderr, capped
};

// Runs one command line (built with shellQuote/shellJoin) on an exec channel and waits for
// it to end; an Error when the channel could not run it or it took longer than timeoutMs.
Result<ExecResult> exec(SshSessionContext &ctx, const QString &command, int timeoutMs);

struct Launch
{
    QString host;
    QString jobDir;  // absolute
    QString workDir; // absolute
    QByteArray script;
};
// Checks the working folder, makes the job folder and an empty log over SFTP, writes run.sh,
// then starts it detached with one exec.
Status launch(SshSessionContext &ctx, const Launch &launch);

// TERM (kill = false) or KILL-and-reap to the job's process group, read from `pid`; fails with
// code "no-pid" while the wrapper has not written it yet.
Status signalJob(SshSessionContext &ctx, const QString &host, const QString &jobDir, bool kill);

} // namespace RemoteLaunch

} // namespace gpuwb
