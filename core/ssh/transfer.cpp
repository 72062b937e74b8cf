#include "core/ssh/transfer.h"

#include "core/ssh/sftptransferjob.h"
#include "core/ssh/sshconnection.h"

#include <mutex>

using namespace Qt::StringLiterals;

namespace gpuwb {

// Lets the owner thread post to a Transfer without racing its destruction: posting happens
// under the lock, and the destructor clears the target under the same lock (Qt drops events
// still queued for a deleted object).
struct TransferRelay
{
    std::mutex mutex;
    Transfer *target = nullptr;

    void post(std::function<void(Transfer *)> work)
    {
        std::lock_guard lock(mutex);
        if (!target)
            return;
        QMetaObject::invokeMethod(
            target, [t = target, work = std::move(work)] { work(t); }, Qt::QueuedConnection);
    }
};

Transfer::Transfer(SshConnection *connection, Direction direction, Location source,
                   Location destination, QObject *parent)
    : QObject(parent), m_connection(connection), m_direction(direction),
      m_source(std::move(source)), m_destination(std::move(destination))
{
    m_progress.currentFile = m_source.fileName();
}

Transfer::~Transfer()
{
    if (m_relay) {
        std::lock_guard lock(m_relay->mutex);
        m_relay->target = nullptr;
    }
    // Whatever runs on the owner thread stops at its next step and removes its temporary file.
    m_cancel->store(true);
}

void Transfer::start()
{
    if (m_running || m_finished)
        return;
    m_running = true;
    m_relay = std::make_shared<TransferRelay>();
    m_relay->target = this;
    const bool upload = m_direction == Direction::Upload;
    const Location remote = upload ? m_destination : m_source;
    const Location local = upload ? m_source : m_destination;
    auto early = [this](Error error) {
        m_relay->post([error](Transfer *t) { t->complete(Status(error)); });
    };
    if (!m_connection) {
        early(Error{ErrorCode::Closed, u"The connection is closed: open the host again"_s});
        return;
    }
    if (remote.isLocal() || !local.isLocal() || remote.host() != m_connection->alias()) {
        early(Error{ErrorCode::WrongHost,
                    u"A transfer needs one location on this computer and one on host %1"_s.arg(
                        m_connection->alias())});
        return;
    }
    SftpTransferJob::Callbacks callbacks;
    const std::shared_ptr<TransferRelay> relay = m_relay;
    callbacks.progress = [relay](const TransferProgress &progress) {
        relay->post([progress](Transfer *t) {
            t->m_progress = progress;
            emit t->progressed(progress);
        });
    };
    callbacks.fileFailed = [relay](const TransferFileError &error) {
        relay->post([error](Transfer *t) {
            t->m_fileErrors.append(error);
            emit t->fileFailed(error);
        });
    };
    callbacks.finished = [relay](const Status &status) {
        relay->post([status](Transfer *t) { t->complete(status); });
    };
    auto job = std::make_shared<SftpTransferJob>(upload, m_source, m_destination, m_cancel,
                                                 std::move(callbacks));
    SshRequest request;
    request.step = [job](SshSessionContext &session) { return job->step(session); };
    request.fail = [job](const Error &error) { job->fail(error); };
    m_connection->enqueue(std::move(request));
}

void Transfer::cancel()
{
    m_cancel->store(true);
}

void Transfer::complete(const Status &status)
{
    if (m_finished)
        return;
    m_status = status;
    m_running = false;
    m_finished = true;
    emit finished(status);
}

} // namespace gpuwb
