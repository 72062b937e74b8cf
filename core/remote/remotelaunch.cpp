#include "core/remote/remotelaunch.h"

#include "core/fs/location.h"
#include "core/remote/remotejobscript.h"
#include "core/ssh/remotepath.h"
#include "core/ssh/sftpops.h"
#include "core/ssh/sshconnection.h"
#include "core/util/shellquote.h"

#include <QElapsedTimer>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

using namespace Qt::StringLiterals;

namespace gpuwb::RemoteLaunch {

namespace {

constexpr qsizetype MaxExecOutput = 64 * 1024;

Error execError(SshSessionContext &ctx, const QString &what)
{
    if (!ssh_is_connected(ctx.session()))
        return Error{ErrorCode::ConnectionLost, u"The connection was lost while %1."_s.arg(what)};
    return Error{ErrorCode::ExecFailed, u"The host refused to run a command while %1: %2. Check that "
                                   "the server allows exec channels."_s
                                       .arg(what, QString::fromUtf8(ssh_get_error(ctx.session())))};
}

bool ignorable(const Status &s)
{
    return s.ok() || s.error().code == ErrorCode::Exists;
}

} // namespace

Result<sftp_session_struct *> sftpOf(SshSessionContext &ctx)
{
    Result<sftp_session_struct *> sftp = ctx.sftp();
    if (!sftp && !ssh_is_connected(ctx.session()))
        return Error{ErrorCode::ConnectionLost, sftp.errorMessage()};
    return sftp;
}

Result<ExecResult> exec(SshSessionContext &ctx, const QString &command, int timeoutMs)
{
    ssh_channel channel = ssh_channel_new(ctx.session());
    if (!channel)
        return execError(ctx, u"opening a channel"_s);
    const auto cleanup = qScopeGuard([channel] {
        ssh_channel_close(channel);
        ssh_channel_free(channel);
    });
    if (ssh_channel_open_session(channel) != SSH_OK)
        return execError(ctx, u"opening a channel"_s);
    if (ssh_channel_request_exec(channel, remoteShellLine(toRemoteBytes(command)).constData()) != SSH_OK)
        return execError(ctx, u"starting a command"_s);
    ExecResult result;
    QElapsedTimer clock;
    clock.start();
    char buffer[4096];
    for (;;) {
        if (ctx.closing())
            return Error{ErrorCode::Closed, u"The connection is closing."_s};
        const int n = ssh_channel_read_timeout(channel, buffer, sizeof buffer, 0, 200);
        if (n == SSH_ERROR)
            return execError(ctx, u"running a command"_s);
        if (n > 0 && result.output.size() < MaxExecOutput)
            result.output.append(buffer, n);
        const int e = ssh_channel_read_nonblocking(channel, buffer, sizeof buffer, 1);
        if (e > 0 && result.output.size() < MaxExecOutput)
            result.output.append(buffer, e);
        if (n <= 0 && e <= 0 && ssh_channel_is_eof(channel))
            break;
        if (clock.elapsed() > timeoutMs)
            return Error{ErrorCode::Timeout, u"A command on the host did not end within %1 s."_s
                                           .arg(timeoutMs / 1000)};
    }
    uint32_t code = 0;
    char *signal = nullptr;
    int coreDumped = 0;
    if (ssh_channel_get_exit_state(channel, &code, &signal, &coreDumped) == SSH_OK)
        result.exitCode = signal ? 128 : int(code);
    ssh_string_free_char(signal);
    return result;
}

Status launch(SshSessionContext &ctx, const Launch &l)
{
    Result<SftpOps::Sftp> sftp = sftpOf(ctx);
    if (!sftp)
        return sftp.error();
    const Location work = Location::remote(l.host, l.workDir);
    auto info = SftpOps::statPath(*sftp, work);
    if (!info || !info->isDirectory) {
        if (!info && info.error().code != ErrorCode::NotFound)
            return info.error();
        return Error{ErrorCode::NoWorkdir,
                     u"The working folder %1 does not exist on %2. Create it, sync the project, "
                     "or change workdir / remote_dir in the run configuration (gpuwb.toml)."_s
                         .arg(l.workDir, l.host)};
    }
    // Private whatever the server's umask: run.sh holds the [env] values, the log the job's
    // output (shared GPU hosts often default to world-readable files).
    const Location job = Location::remote(l.host, l.jobDir);
    for (const Location &dir : {job.parent().parent(), job.parent(), job}) {
        if (Status s = SftpOps::makeDirectory(*sftp, dir, 0700); !ignorable(s))
            return s;
    }
    const QByteArray jobBytes = toRemoteBytes(l.jobDir);
    if (sftp_chmod(*sftp, jobBytes.constData(), 0700) < 0)
        return SftpOps::lastError(*sftp, u"protecting"_s, job);
    if (Status s = SftpOps::createFile(*sftp, job.child(u"log"_s), 0600); !ignorable(s))
        return s;
    if (sftp_chmod(*sftp, (jobBytes + "/log").constData(), 0600) < 0)
        return SftpOps::lastError(*sftp, u"protecting"_s, job.child(u"log"_s));
    if (Status s = SftpOps::atomicWrite(*sftp, job.child(u"run.sh"_s), l.script, 0600); !s)
        return s;
    auto ran = exec(ctx, RemoteJobScript::launchCommand(l.jobDir), 30'000);
    if (!ran)
        return ran.error();
    if (ran->exitCode != 0)
        return Error{ErrorCode::LaunchFailed,
                     u"Starting the job on %1 failed (exit %2): %3"_s.arg(l.host)
                         .arg(ran->exitCode)
                         .arg(QString::fromUtf8(ran->output).trimmed())};
    return {};
}

Status signalJob(SshSessionContext &ctx, const QString &host, const QString &jobDir, bool kill)
{
    Result<SftpOps::Sftp> sftp = sftpOf(ctx);
    if (!sftp)
        return sftp.error();
    auto text = SftpOps::readFile(*sftp, Location::remote(host, jobDir + u"/pid"_s), 64);
    const qint64 pgid = text ? RemoteJobScript::parsePid(*text) : 0;
    if (pgid == 0) {
        if (!text && text.error().code != ErrorCode::NotFound)
            return text.error();
        return Error{ErrorCode::NoPid, u"The job has not recorded its process group yet."_s};
    }
    const QString command = kill ? RemoteJobScript::killCommand(pgid, jobDir)
                                 : RemoteJobScript::signalCommand(pgid, u"TERM"_s);
    auto ran = exec(ctx, command, 30'000);
    if (!ran)
        return ran.error();
    return {};
}

} // namespace gpuwb::RemoteLaunch
