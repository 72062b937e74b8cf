#pragma once

#include "core/ssh/sshconnection.h"
#include "core/sync/syncplan.h"

#include <QElapsedTimer>
#include <QSet>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>

struct ssh_channel_struct;
struct sftp_file_struct;
struct sftp_aio_struct;

namespace gpuwb {

// The owner-thread half of ProjectSync::run(): carries out a SyncPlan in bounded steps.
//
// Many files go as one tar stream (written here, byte for byte) into `tar -x -p -f - -C STAGING`
// on the host, STAGING being a fresh folder inside the work folder that only we name; once tar
// has exited cleanly, each new top-most entry is renamed from STAGING into place with SFTP
// (posix-rename): a new folder moves whole, a file replaces the old one atomically. A killed
// stream leaves half files only inside STAGING, which the next sync removes. Few files go by
// SFTP, each written with pipelined requests to ".gpuwb-*.part" beside its target, given the
// local mode and mtime, and renamed over it. Used only on the owner thread, after construction.
class SyncRunner
{
public:
    using ProgressFn = std::function<void(const SyncProgress &)>; // owner thread, <= ~10/s

    SyncRunner(SyncPlan plan, QString localRoot, std::shared_ptr<std::atomic_bool> cancel,
               ProgressFn progress);
    ~SyncRunner();
    SyncRunner(const SyncRunner &) = delete;
    SyncRunner &operator=(const SyncRunner &) = delete;

    SshStep step(SshSessionContext &context);
    Status result() const { return m_result; }

    // Whether the host has a `tar` on the PATH of a non-interactive shell (one exec).
    static Result<bool> remoteHasTar(ssh_session_struct *session);

private:
    enum class Phase { Prepare, Stream, EndStream, Place, Folders, Files, Links, Delete, Done };

    SshStep prepare(sftp_session_struct *sftp, ssh_session_struct *session);
    SshStep stream();
    SshStep endStream();
    SshStep place(sftp_session_struct *sftp);
    SshStep folders(sftp_session_struct *sftp);
    SshStep files(sftp_session_struct *sftp);
    SshStep links(sftp_session_struct *sftp);
    SshStep deletions(sftp_session_struct *sftp);
    SshStep fail(const Error &error);
    SshStep finish();
    bool flush();
    void drainStderr();
    void closeChannel();
    void abandonFile(sftp_session_struct *sftp);
    void cleanup(sftp_session_struct *sftp);
    void report(bool force);
    QByteArray remotePath(const QString &relative) const;
    QByteArray localPath(const QString &relative) const;

    SyncPlan m_plan;
    QByteArray m_localRoot;
    QByteArray m_remoteRoot;
    std::shared_ptr<std::atomic_bool> m_cancel;
    ProgressFn m_progressFn;
    Phase m_phase = Phase::Prepare;
    Status m_result;
    sftp_session_struct *m_sftp = nullptr;
    ssh_session_struct *m_session = nullptr;

    // The archive stream.
    QByteArray m_staging; // absolute
    ssh_channel_struct *m_channel = nullptr;
    QByteArray m_out;
    QByteArray m_stderr;
    qsizetype m_next = 0;  // next item of the phase
    int m_fd = -1;         // the local file being sent
    qint64 m_fileLeft = 0; // its bytes still to send
    qint64 m_fileOffset = 0;
    qint64 m_fileSize = 0;
    QStringList m_units; // what moves from the staging folder into place

    // The SFTP path: the file being written.
    struct Pending
    {
        sftp_aio_struct *aio = nullptr;
    };
    sftp_file_struct *m_remoteFile = nullptr;
    QByteArray m_temporary;
    std::deque<Pending> m_pending;
    bool m_sourceEof = false;
    QByteArray m_buffer;

    SyncProgress m_progress;
    QElapsedTimer m_clock;
    qint64 m_lastReport = -1;
};

} // namespace gpuwb
