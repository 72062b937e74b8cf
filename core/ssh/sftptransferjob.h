#pragma once

#include "core/ssh/sshconnection.h"
#include "core/ssh/transfer.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QSet>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>

struct sftp_file_struct;
struct sftp_aio_struct;

namespace gpuwb {

// The owner-thread half of a Transfer (and of `gpuwb cp`): walks the source tree, creates the
// folders, then copies the files with many SFTP requests in flight (sftp_aio), a bounded
// amount per step() so that other requests on the connection take turns. Each file goes to a
// temporary name beside its destination and is renamed over it when complete. Callbacks run on
// the owner thread; they must post to their own thread. Used only on the owner thread, after
// construction.
class SftpTransferJob
{
public:
    struct Callbacks
    {
        std::function<void(const TransferProgress &)> progress; // at most ~10 times a second
        std::function<void(const TransferFileError &)> fileFailed;
        std::function<void(const Status &)> finished; // exactly once
    };

    SftpTransferJob(bool upload, Location source, Location destination,
                    std::shared_ptr<std::atomic_bool> cancel, Callbacks callbacks);
    ~SftpTransferJob();
    SftpTransferJob(const SftpTransferJob &) = delete;
    SftpTransferJob &operator=(const SftpTransferJob &) = delete;

    // For SshRequest: one bounded step; Done once finished() was called.
    SshStep step(SshSessionContext &session);
    // For SshRequest: the connection failed or closed before the job finished.
    void fail(const Error &error);

    // Requests in flight per file; GPUWB_SFTP_IN_FLIGHT overrides it (for measuring).
    static int requestsInFlight();

private:
    struct Item
    {
        QByteArray relative; // "" for the root itself
        bool isDirectory = false;
        qint64 size = 0;
        quint32 mode = 0;
        bool created = false; // a folder this transfer made (only those get their mode set)
    };
    struct Pending
    {
        sftp_aio_struct *aio = nullptr;
        qint64 offset = 0;
        qint64 length = 0;
    };
    enum class Phase { Start, Walk, Folders, Files, FixFolders, Done };

    SshStep walkStep(sftp_session_struct *sftp);
    bool walkLocal(const QByteArray &relative);
    bool walkRemote(sftp_session_struct *sftp, const QByteArray &relative);
    SshStep foldersStep(sftp_session_struct *sftp);
    SshStep filesStep(sftp_session_struct *sftp);
    bool openFile(sftp_session_struct *sftp, const Item &item);
    // Moves data; returns false when the file failed (reported) and was cleaned up.
    bool pumpUpload(sftp_session_struct *sftp, qint64 *budget, bool *complete);
    bool pumpDownload(sftp_session_struct *sftp, qint64 *budget, bool *complete);
    bool commitFile(sftp_session_struct *sftp, const Item &item);
    void abandonFile(sftp_session_struct *sftp);
    void fileError(const QByteArray &relative, const QString &message);
    void finish(const Status &status);
    void report(bool force);
    QByteArray sourcePath(const QByteArray &relative) const;
    QByteArray destinationPath(const QByteArray &relative) const;
    Location sourceLocation(const QByteArray &relative) const;
    Location destinationLocation(const QByteArray &relative) const;

    bool m_upload;
    Location m_source;
    Location m_destination;
    QByteArray m_sourceRoot;
    QByteArray m_destinationRoot;
    std::shared_ptr<std::atomic_bool> m_cancel;
    Callbacks m_callbacks;
    Phase m_phase = Phase::Start;
    bool m_finished = false;
    sftp_session_struct *m_sftp = nullptr;

    QList<QByteArray> m_toWalk;
    QList<Item> m_items;
    qsizetype m_next = 0; // the next item for the current phase
    int m_filesCopied = 0;
    int m_filesFailed = 0;
    std::optional<Error> m_firstError;

    // The file being copied.
    qsizetype m_current = -1;
    int m_localFd = -1;
    sftp_file_struct *m_remoteFile = nullptr;
    QByteArray m_temporary; // the temporary path at the destination side
    QSet<QByteArray> m_cleanedFolders; // local folders already rid of abandoned temporaries
    std::deque<Pending> m_pending;
    qint64 m_sendOffset = 0;
    qint64 m_fileDone = 0;
    qint64 m_knownSize = 0;
    bool m_sourceEof = false;
    QByteArray m_buffer;
    quint64 m_chunk = 32768;
    int m_inFlight = 64;

    TransferProgress m_progress;
    QElapsedTimer m_clock;
    qint64 m_lastReport = -1;
    std::deque<std::pair<qint64, qint64>> m_samples; // (ms, bytesDone) for the rate
};

} // namespace gpuwb
