#pragma once

#include "core/fs/location.h"
#include "core/util/result.h"

#include <QElapsedTimer>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QPointer>

#include <atomic>
#include <memory>

namespace gpuwb {

class SshConnection;
struct TransferRelay;

struct TransferProgress
{
    qint64 bytesDone = 0;
    qint64 bytesTotal = 0;   // known once the source tree has been walked
    int filesDone = 0;
    int filesTotal = 0;
    double bytesPerSecond = 0; // over the last few seconds
    QString currentFile;       // relative to the source
};

struct TransferFileError
{
    QString path;     // relative to the source
    QString message;
};

// One upload (local -> remote) or download (remote -> local) of a file or a folder tree, run as
// a stepped request on the connection's owner thread with many SFTP reads or writes in flight
// (libssh's sftp_aio), so throughput matches OpenSSH. `destination` names the copy itself, not
// the folder it goes into. Each file is written to a temporary name beside its destination
// and renamed over it when complete, so an interrupted transfer never leaves a half-written
// file under the real name and never harms the file it replaces; permissions are kept.
// A file that fails is reported and skipped; the transfer goes on with the others.
// Lives on the UI thread; cancel() stops it at the next step.
class Transfer : public QObject
{
    Q_OBJECT
public:
    enum class Direction { Upload, Download };

    Transfer(SshConnection *connection, Direction direction, Location source,
             Location destination, QObject *parent = nullptr);
    ~Transfer() override;

    Direction direction() const { return m_direction; }
    Location source() const { return m_source; }
    Location destination() const { return m_destination; }
    TransferProgress progress() const { return m_progress; }
    QList<TransferFileError> fileErrors() const { return m_fileErrors; }
    bool isRunning() const { return m_running; }
    bool isFinished() const { return m_finished; }
    // The final status: ok, code "cancelled", or the first error when nothing could be copied.
    Status status() const { return m_status; }

    void start();
    void cancel();

signals:
    void progressed(const gpuwb::TransferProgress &progress); // at most ~10 times a second
    void fileFailed(const gpuwb::TransferFileError &error);
    void finished(const gpuwb::Status &status); // exactly once after start()

private:
    void complete(const Status &status);

    QPointer<SshConnection> m_connection;
    std::shared_ptr<TransferRelay> m_relay; // posts from the owner thread while we live
    Direction m_direction;
    Location m_source;
    Location m_destination;
    TransferProgress m_progress;
    QList<TransferFileError> m_fileErrors;
    Status m_status;
    bool m_running = false;
    bool m_finished = false;
    std::shared_ptr<std::atomic_bool> m_cancel = std::make_shared<std::atomic_bool>(false);
};

} // namespace gpuwb

Q_DECLARE_METATYPE(gpuwb::TransferProgress)
Q_DECLARE_METATYPE(gpuwb::TransferFileError)
