#include "core/ssh/transferqueue.h"

#include "core/ssh/sshconnections.h"

using namespace Qt::StringLiterals;

namespace gpuwb {

TransferQueue::TransferQueue(SshConnections *connections, QObject *parent)
    : QObject(parent), m_connections(connections)
{
}

Result<Transfer *> TransferQueue::enqueue(const Location &source, const Location &destination)
{
    if (!source.isValid() || !destination.isValid())
        return Result<Transfer *>::failure(ErrorCode::Invalid,
                                           u"A transfer needs a source and a destination"_s);
    if (source.isLocal() == destination.isLocal()) {
        return Result<Transfer *>::failure(
            ErrorCode::Unsupported,
            source.isLocal()
                ? u"Both %1 and %2 are on this computer: copy them in the file browser"_s.arg(
                      source.displayName(), destination.displayName())
                : u"Both %1 and %2 are remote: copy through this computer in two steps"_s.arg(
                      source.displayName(), destination.displayName()));
    }
    const bool upload = source.isLocal();
    const QString host = upload ? destination.host() : source.host();
    SshConnection *connection = m_connections ? m_connections->connection(host) : nullptr;
    if (!connection)
        return Result<Transfer *>::failure(ErrorCode::NoConnection,
                                           u"There is no connection to %1: add the host first"_s
                                               .arg(host));
    auto *transfer = new Transfer(connection,
                                  upload ? Transfer::Direction::Upload
                                         : Transfer::Direction::Download,
                                  source, destination, this);
    connect(transfer, &Transfer::finished, this, [this] { startMore(); });
    m_transfers.append(transfer);
    emit added(transfer);
    startMore();
    return transfer;
}

void TransferQueue::setMaxConcurrent(int n)
{
    m_maxConcurrent = qMax(1, n);
    startMore();
}

void TransferQueue::clearFinished()
{
    const QList<Transfer *> all = m_transfers;
    for (Transfer *transfer : all) {
        if (!transfer->isFinished())
            continue;
        m_transfers.removeOne(transfer);
        emit removed(transfer);
        transfer->deleteLater();
    }
}

void TransferQueue::startMore()
{
    int running = 0;
    for (Transfer *transfer : std::as_const(m_transfers))
        running += transfer->isRunning() ? 1 : 0;
    for (Transfer *transfer : std::as_const(m_transfers)) {
        if (running >= m_maxConcurrent)
            break;
        if (!transfer->isRunning() && !transfer->isFinished()) {
            transfer->start();
            ++running;
        }
    }
}

} // namespace gpuwb
