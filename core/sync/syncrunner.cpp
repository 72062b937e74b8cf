#include "core/sync/syncrunner.h"

#include "core/fs/location.h"
#include "core/ssh/remotepath.h"
#include "core/ssh/sftpops.h"
#include "core/sync/localtree.h"
#include "core/ssh/remotecommand.h"
#include "core/sync/tarwriter.h"
#include "core/util/shellquote.h"

#include <QFile>
#include <QRandomGenerator>

#include <cstring>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr qint64 StepBudgetBytes = 16 << 20; // per step, so other requests take turns
constexpr int StepBudgetOps = 256;           // SFTP round trips per step
constexpr qsizetype FlushBytes = 256 << 10;
constexpr qint64 ReadChunk = 256 << 10;
constexpr int InFlight = 64;
constexpr int ReportIntervalMs = 100;

QByteArray randomSuffix()
{
    return QByteArray::number(QRandomGenerator::global()->generate64(), 36);
}

Location shown(const QByteArray &path)
{
    return Location::remote(QString(), fromRemoteBytes(path));
}

Error localError(int error, const QString &doing, const QByteArray &path)
{
    return Error{ErrorCode::IoError,
                 u"Cannot %1 %2 (%3): check that it exists and that you may read it."_s.arg(
                     doing, QFile::decodeName(path), QString::fromLocal8Bit(::strerror(error)))};
}

} // namespace

Result<bool> SyncRunner::remoteHasTar(ssh_session session)
{
    // Decided by our own marker line, not by "any output": a login shell's banner is output.
    const QByteArray marker = "gpuwb-tar-" + randomSuffix();
    Result<RemoteCommand> r = RemoteCommand::run(
        session, "command -v tar >/dev/null 2>&1 && printf '%s\\n' " + marker);
    if (!r)
        return r.error();
    return r->exitCode == 0 && r->output.contains(marker + '\n');
}

SyncRunner::SyncRunner(SyncPlan plan, QString localRoot, std::shared_ptr<std::atomic_bool> cancel,
                       ProgressFn progress)
    : m_plan(std::move(plan))
    , m_localRoot(QFile::encodeName(localRoot))
    , m_remoteRoot(toRemoteBytes(m_plan.remoteRoot))
    , m_cancel(std::move(cancel))
    , m_progressFn(std::move(progress))
{
    while (m_localRoot.size() > 1 && m_localRoot.endsWith('/'))
        m_localRoot.chop(1);
    m_progress.bytesTotal = m_plan.bytesToSend;
    m_progress.filesTotal = int(m_plan.uploads.size());
    m_clock.start();
}

SyncRunner::~SyncRunner()
{
    if (m_fd >= 0)
        ::close(m_fd);
    for (Pending &p : m_pending)
        sftp_aio_free(p.aio);
    if (m_channel)
        ssh_channel_free(m_channel);
}

QByteArray SyncRunner::remotePath(const QString &relative) const
{
    return relative.isEmpty() ? m_remoteRoot : m_remoteRoot + '/' + toRemoteBytes(relative);
}

QByteArray SyncRunner::localPath(const QString &relative) const
{
    return m_localRoot + '/' + toRemoteBytes(relative);
}

void SyncRunner::report(bool force)
{
    const qint64 now = m_clock.elapsed();
    if (!force && m_lastReport >= 0 && now - m_lastReport < ReportIntervalMs)
        return;
    m_lastReport = now;
    if (m_progressFn)
        m_progressFn(m_progress);
}

SshStep SyncRunner::step(SshSessionContext &context)
{
    if (m_phase == Phase::Done)
        return SshStep::Done;
    Result<sftp_session> sftp = context.sftp();
    if (!sftp)
        return fail(sftp.error());
    m_sftp = *sftp;
    m_session = context.session();
    if (m_cancel->load() || context.closing())
        return fail(Error{ErrorCode::Cancelled,
                          u"The sync was cancelled; files already in place stay, and nothing is "
                          "left half written. Sync again to finish."_s});
    switch (m_phase) {
    case Phase::Prepare: return prepare(m_sftp, m_session);
    case Phase::Stream: return stream();
    case Phase::EndStream: return endStream();
    case Phase::Place: return place(m_sftp);
    case Phase::Folders: return folders(m_sftp);
    case Phase::Files: return files(m_sftp);
    case Phase::Links: return links(m_sftp);
    case Phase::Delete: return deletions(m_sftp);
    case Phase::Done: break;
    }
    return SshStep::Done;
}

SshStep SyncRunner::fail(const Error &error)
{
    cleanup(m_sftp);
    m_result = error;
    m_phase = Phase::Done;
    report(true);
    return SshStep::Done;
}

SshStep SyncRunner::finish()
{
    m_phase = Phase::Done;
    m_progress.currentFile.clear();
    report(true);
    return SshStep::Done;
}

SshStep SyncRunner::prepare(sftp_session sftp, ssh_session session)
{
    // The work folder and its parents (like mkdir -p), unless it is there already: a re-sync
    // then pays one round trip here instead of one per path component.
    sftp_attributes root = sftp_stat(sftp, m_remoteRoot.constData());
    if (!root) {
        QByteArray path;
        const QList<QByteArray> parts = m_remoteRoot.split('/');
        for (qsizetype i = 0; i < parts.size(); ++i) {
            if (i > 0)
                path += '/';
            path += parts[i];
            if (parts[i].isEmpty())
                continue;
            if (sftp_mkdir(sftp, path.constData(), 0755) < 0) {
                const int status = sftp_get_error(sftp);
                if (status != SSH_FX_FILE_ALREADY_EXISTS && status != SSH_FX_FAILURE
                    && status != SSH_FX_PERMISSION_DENIED)
                    return fail(SftpOps::lastError(sftp, u"creating"_s, shown(path)));
            }
        }
        root = sftp_stat(sftp, m_remoteRoot.constData());
        if (!root)
            return fail(SftpOps::lastError(sftp, u"creating"_s, shown(m_remoteRoot)));
    }
    sftp_attributes_free(root);
    // Leftovers of an interrupted sync and entries of the wrong type.
    for (const QString &relative : std::as_const(m_plan.removeFirst)) {
        const Status removed = SftpOps::remove(sftp, shown(remotePath(relative)));
        if (!removed && removed.error().code != ErrorCode::NotFound)
            return fail(removed.error());
    }
    if (!m_plan.useArchiveStream) {
        m_phase = Phase::Folders;
        return SshStep::Again;
    }
    m_staging = m_remoteRoot + '/' + toRemoteBytes(QString::fromUtf16(SyncStagingPrefix))
        + randomSuffix();
    if (sftp_mkdir(sftp, m_staging.constData(), 0700) < 0)
        return fail(SftpOps::lastError(sftp, u"creating"_s, shown(m_staging)));
    m_channel = ssh_channel_new(session);
    if (!m_channel || ssh_channel_open_session(m_channel) != SSH_OK)
        return fail(Error{ErrorCode::ExecFailed, u"Cannot open a channel to the host (%1); try again."_s
                                             .arg(QString::fromUtf8(ssh_get_error(session)))});
    const QByteArray command = toRemoteBytes(shellJoin(
        {u"tar"_s, u"-x"_s, u"-p"_s, u"-f"_s, u"-"_s, u"-C"_s, fromRemoteBytes(m_staging)}));
    if (ssh_channel_request_exec(m_channel, remoteShellLine(command).constData()) != SSH_OK)
        return fail(Error{ErrorCode::ExecFailed, u"Cannot start tar on the host (%1); try again."_s.arg(
                                             QString::fromUtf8(ssh_get_error(session)))});
    // Every top-most new entry moves from the staging folder into place in one rename.
    const QSet<QString> newFolders(m_plan.directories.cbegin(), m_plan.directories.cend());
    QSet<QString> seen;
    auto unitOf = [&](const QString &path) {
        for (qsizetype i = path.indexOf(u'/'); i > 0; i = path.indexOf(u'/', i + 1)) {
            const QString ancestor = path.left(i);
            if (newFolders.contains(ancestor))
                return ancestor;
        }
        return path;
    };
    for (const QString &dir : std::as_const(m_plan.directories)) {
        const QString unit = unitOf(dir);
        if (!seen.contains(unit)) {
            seen.insert(unit);
            m_units.append(unit);
        }
    }
    for (const SyncPlan::Entry &file : std::as_const(m_plan.uploads)) {
        const QString unit = unitOf(file.path);
        if (!seen.contains(unit)) {
            seen.insert(unit);
            m_units.append(unit);
        }
    }
    m_out.reserve(FlushBytes + ReadChunk + 4096);
    m_next = 0;
    m_phase = Phase::Stream;
    return SshStep::Again;
}

bool SyncRunner::flush()
{
    qsizetype done = 0;
    while (done < m_out.size()) {
        const int n = ssh_channel_write(m_channel, m_out.constData() + done,
                                        uint32_t(m_out.size() - done));
        if (n < 0)
            return false;
        done += n;
    }
    m_out.clear();
    return true;
}

void SyncRunner::drainStderr()
{
    char buffer[4096];
    for (int is_stderr = 0; is_stderr < 2; ++is_stderr) {
        while (ssh_channel_poll(m_channel, is_stderr) > 0) {
            const int n = ssh_channel_read_nonblocking(m_channel, buffer, sizeof buffer,
                                                       is_stderr);
            if (n <= 0)
                break;
            if (is_stderr && m_stderr.size() < 8192)
                m_stderr.append(buffer, n);
        }
    }
}

SshStep SyncRunner::stream()
{
    const qsizetype dirs = m_plan.folderEntries.size();
    const qsizetype total = dirs + m_plan.uploads.size();
    qint64 budget = StepBudgetBytes;
    auto streamError = [&] {
        drainStderr();
        const QString why = m_stderr.isEmpty() ? QString::fromUtf8(ssh_get_error(m_session))
                                               : QString::fromUtf8(m_stderr).trimmed();
        if (!ssh_is_connected(m_session))
            return fail(Error{ErrorCode::ConnectionLost,
                              u"The connection was lost while sending the files (%1); nothing "
                              "is left half written. Sync again once it is back."_s.arg(why)});
        return fail(Error{ErrorCode::IoError,
                          u"Sending the files to tar on the host failed: %1. Check the host's "
                          "free disk space, then sync again."_s.arg(why)});
    };
    while (budget > 0) {
        if (m_fd >= 0) {
            // The current file's data, then its padding.
            const qsizetype at = m_out.size();
            const qint64 want = qMin(m_fileLeft, ReadChunk);
            m_out.resize(at + want);
            const ssize_t n = ::pread(m_fd, m_out.data() + at, size_t(want), m_fileOffset);
            if (n < 0 && errno == EINTR) {
                m_out.resize(at);
                continue;
            }
            if (n < 0) {
                const int e = errno;
                return fail(localError(e, u"read"_s, localPath(m_progress.currentFile)));
            }
            if (n == 0) // shrunk since the plan: zeros keep the archive well formed; the next
                std::memset(m_out.data() + at, 0, size_t(want)); // sync sends it again
            m_fileOffset += want;
            m_fileLeft -= want;
            m_progress.bytesDone += want;
            budget -= want;
            if (m_fileLeft == 0) {
                m_out += TarWriter::padding(m_fileSize);
                ::close(m_fd);
                m_fd = -1;
                ++m_progress.filesDone;
            }
        } else if (m_next < total) {
            if (m_next < dirs) {
                const SyncPlan::Entry &dir = m_plan.folderEntries.at(m_next);
                m_out += TarWriter::directoryHeader(toRemoteBytes(dir.path), dir.mtime, dir.mode);
            } else {
                const SyncPlan::Entry &file = m_plan.uploads.at(m_next - dirs);
                const QByteArray local = localPath(file.path);
                m_fd = ::open(local.constData(), O_RDONLY | O_CLOEXEC);
                if (m_fd < 0) {
                    const int e = errno;
                    return fail(localError(e, u"read"_s, local));
                }
                m_out += TarWriter::fileHeader(toRemoteBytes(file.path), file.size, file.mtime,
                                               file.mode);
                m_fileSize = m_fileLeft = file.size;
                m_fileOffset = 0;
                m_progress.currentFile = file.path;
                if (m_fileLeft == 0) {
                    ::close(m_fd);
                    m_fd = -1;
                    ++m_progress.filesDone;
                }
            }
            ++m_next;
        } else {
            m_out += TarWriter::end();
            if (!flush())
                return streamError();
            ssh_channel_send_eof(m_channel);
            m_phase = Phase::EndStream;
            report(false);
            return SshStep::Again;
        }
        if (m_out.size() >= FlushBytes && !flush())
            return streamError();
        if (m_cancel->load())
            break;
    }
    drainStderr();
    report(false);
    return SshStep::Again;
}

SshStep SyncRunner::endStream()
{
    drainStderr();
    if (!ssh_channel_is_eof(m_channel) && !ssh_channel_is_closed(m_channel)) {
        if (!ssh_is_connected(m_session))
            return fail(Error{ErrorCode::ConnectionLost,
                              u"The connection was lost while tar unpacked the files; sync "
                              "again once it is back."_s});
        return SshStep::Wait;
    }
    uint32_t code = 0;
    char *signal = nullptr;
    int core = 0;
    const int state = ssh_channel_get_exit_state(m_channel, &code, &signal, &core);
    const bool ok = state == SSH_OK && !signal && code == 0;
    ssh_string_free_char(signal);
    closeChannel();
    if (!ok)
        return fail(Error{ErrorCode::IoError,
                          u"tar on the host failed (%1). Check the host's free disk space and "
                          "that it may write to %2, then sync again."_s
                              .arg(m_stderr.isEmpty() ? u"exit status %1"_s.arg(code)
                                                      : QString::fromUtf8(m_stderr).trimmed(),
                                   fromRemoteBytes(m_remoteRoot))});
    m_next = 0;
    m_phase = Phase::Place;
    return SshStep::Again;
}

void SyncRunner::closeChannel()
{
    if (!m_channel)
        return;
    if (ssh_is_connected(m_session) && !ssh_channel_is_closed(m_channel))
        ssh_channel_close(m_channel);
    ssh_channel_free(m_channel);
    m_channel = nullptr;
}

SshStep SyncRunner::place(sftp_session sftp)
{
    for (int ops = 0; ops < StepBudgetOps && m_next < m_units.size(); ++ops, ++m_next) {
        const QString &unit = m_units.at(m_next);
        const QByteArray from = m_staging + '/' + toRemoteBytes(unit);
        const QByteArray to = remotePath(unit);
        if (Status s = SftpOps::replace(sftp, from, to, shown(to)); !s)
            return fail(s.error());
    }
    if (m_next < m_units.size())
        return SshStep::Again;
    // What is left are the folders that were there already: empty.
    (void)SftpOps::remove(sftp, shown(m_staging));
    m_staging.clear();
    m_next = 0;
    m_phase = Phase::Links;
    return SshStep::Again;
}

SshStep SyncRunner::folders(sftp_session sftp)
{
    for (int ops = 0; ops < StepBudgetOps && m_next < m_plan.folderEntries.size();
         ++ops, ++m_next) {
        const SyncPlan::Entry &dir = m_plan.folderEntries.at(m_next);
        const QByteArray path = remotePath(dir.path);
        if (sftp_mkdir(sftp, path.constData(), dir.mode ? dir.mode : 0755) < 0
            && sftp_get_error(sftp) != SSH_FX_FILE_ALREADY_EXISTS) {
            sftp_attributes a = sftp_stat(sftp, path.constData());
            if (!a)
                return fail(SftpOps::lastError(sftp, u"creating"_s, shown(path)));
            sftp_attributes_free(a);
        }
    }
    if (m_next < m_plan.folderEntries.size())
        return SshStep::Again;
    m_next = 0;
    m_phase = Phase::Files;
    m_buffer.resize(qsizetype(qMin<quint64>(SftpOps::features(sftp).maxWriteLength, 255 * 1024)));
    return SshStep::Again;
}

void SyncRunner::abandonFile(sftp_session sftp)
{
    const bool alive = sftp && ssh_is_connected(m_session);
    while (!m_pending.empty()) {
        Pending p = m_pending.front();
        m_pending.pop_front();
        if (!alive || sftp_aio_wait_write(&p.aio) < 0)
            sftp_aio_free(p.aio);
    }
    if (m_remoteFile) {
        if (alive)
            sftp_close(m_remoteFile);
        else
            SftpOps::releaseFileOfLostSession(m_remoteFile);
        m_remoteFile = nullptr;
    }
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (!m_temporary.isEmpty()) {
        if (alive)
            sftp_unlink(sftp, m_temporary.constData());
        m_temporary.clear();
    }
}

SshStep SyncRunner::files(sftp_session sftp)
{
    qint64 budget = StepBudgetBytes;
    while (budget > 0) {
        if (!m_remoteFile) {
            if (m_next >= m_plan.uploads.size()) {
                m_next = 0;
                m_phase = Phase::Links;
                return SshStep::Again;
            }
            const SyncPlan::Entry &file = m_plan.uploads.at(m_next);
            const QByteArray local = localPath(file.path);
            m_fd = ::open(local.constData(), O_RDONLY | O_CLOEXEC);
            if (m_fd < 0) {
                const int e = errno;
                return fail(localError(e, u"read"_s, local));
            }
            const QByteArray target = remotePath(file.path);
            m_temporary = target.left(target.lastIndexOf('/') + 1) + ".gpuwb-" + randomSuffix()
                + ".part";
            m_remoteFile = sftp_open(sftp, m_temporary.constData(),
                                     O_WRONLY | O_CREAT | O_EXCL, 0600);
            if (!m_remoteFile) {
                m_temporary.clear();
                return fail(SftpOps::lastError(sftp, u"writing"_s, shown(target)));
            }
            m_fileOffset = 0;
            m_fileLeft = file.size;
            m_sourceEof = false;
            m_progress.currentFile = file.path;
            budget -= 4096; // a round trip's worth, so thousands of tiny files still take turns
        }
        const SyncPlan::Entry &file = m_plan.uploads.at(m_next);
        while (!m_sourceEof && int(m_pending.size()) < InFlight) {
            const qint64 want = qMin<qint64>(m_buffer.size(), m_fileLeft);
            if (want <= 0) {
                m_sourceEof = true;
                break;
            }
            const ssize_t n = ::pread(m_fd, m_buffer.data(), size_t(want), m_fileOffset);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                const int e = errno;
                abandonFile(sftp);
                return fail(localError(e, u"read"_s, localPath(file.path)));
            }
            if (n == 0) { // shrunk since the plan: send what there is; the next sync resends
                m_sourceEof = true;
                break;
            }
            Pending p;
            if (sftp_aio_begin_write(m_remoteFile, m_buffer.constData(), size_t(n), &p.aio) < 0) {
                const Error e =
                    SftpOps::lastError(sftp, u"writing"_s, shown(remotePath(file.path)));
                abandonFile(sftp);
                return fail(e);
            }
            m_pending.push_back(p);
            m_fileOffset += n;
            m_fileLeft -= n;
        }
        if (!m_pending.empty()) {
            Pending p = m_pending.front();
            m_pending.pop_front();
            const ssize_t written = sftp_aio_wait_write(&p.aio);
            if (written < 0) {
                const Error e =
                    SftpOps::lastError(sftp, u"writing"_s, shown(remotePath(file.path)));
                abandonFile(sftp);
                return fail(e);
            }
            m_progress.bytesDone += written;
            budget -= written;
            report(false);
            continue;
        }
        // Complete: close, give it the local mode and mtime, rename it over the target.
        ::close(m_fd);
        m_fd = -1;
        const QByteArray target = remotePath(file.path);
        const int closed = sftp_close(m_remoteFile);
        m_remoteFile = nullptr;
        if (closed < 0) {
            const Error e = SftpOps::lastError(sftp, u"writing"_s, shown(target));
            abandonFile(sftp);
            return fail(e);
        }
        sftp_attributes_struct attributes{};
        attributes.flags = SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME;
        attributes.permissions = file.mode;
        attributes.atime = attributes.mtime = uint32_t(file.mtime);
        attributes.atime64 = attributes.mtime64 = quint64(file.mtime);
        if (sftp_setstat(sftp, m_temporary.constData(), &attributes) < 0) {
            const Error e = SftpOps::lastError(sftp, u"writing"_s, shown(target));
            abandonFile(sftp);
            return fail(e);
        }
        if (Status s = SftpOps::replace(sftp, m_temporary, target, shown(target)); !s) {
            abandonFile(sftp);
            return fail(s.error());
        }
        m_temporary.clear();
        ++m_progress.filesDone;
        ++m_next;
        report(false);
    }
    return SshStep::Again;
}

SshStep SyncRunner::links(sftp_session sftp)
{
    // Each link is made beside its place and renamed over whatever link or file is there, so
    // the path never goes missing.
    for (int ops = 0; ops < StepBudgetOps && m_next < m_plan.links.size(); ++ops, ++m_next) {
        const SyncPlan::Entry &link = m_plan.links.at(m_next);
        const QByteArray to = remotePath(link.path);
        const QByteArray temporary = SftpOps::temporaryPathBeside(to);
        if (sftp_symlink(sftp, link.linkTarget.constData(), temporary.constData()) < 0)
            return fail(SftpOps::lastError(sftp, u"creating the link"_s, shown(to)));
        if (Status s = SftpOps::replace(sftp, temporary, to, shown(to)); !s) {
            sftp_unlink(sftp, temporary.constData());
            return fail(s.error());
        }
    }
    if (m_next < m_plan.links.size())
        return SshStep::Again;
    m_next = 0;
    m_phase = Phase::Delete;
    return SshStep::Again;
}

SshStep SyncRunner::deletions(sftp_session sftp)
{
    for (int ops = 0; ops < StepBudgetOps && m_next < m_plan.deletions.size(); ++ops, ++m_next) {
        const QByteArray path = remotePath(m_plan.deletions.at(m_next));
        // A folder that still holds ignored files stays; so does one that is gone already.
        if (sftp_unlink(sftp, path.constData()) < 0)
            (void)sftp_rmdir(sftp, path.constData());
    }
    if (m_next < m_plan.deletions.size())
        return SshStep::Again;
    return finish();
}

void SyncRunner::cleanup(sftp_session sftp)
{
    closeChannel();
    if (sftp && m_session && ssh_is_connected(m_session)) {
        abandonFile(sftp);
        if (!m_staging.isEmpty())
            (void)SftpOps::remove(sftp, shown(m_staging));
    } else {
        abandonFile(nullptr);
    }
    m_staging.clear();
}

} // namespace gpuwb
