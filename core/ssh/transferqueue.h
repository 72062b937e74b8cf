#pragma once

#include "core/ssh/transfer.h"

#include <QList>
#include <QObject>

namespace gpuwb {

class SshConnections;

// The transfers of the application, in the order they were asked for; runs up to
// maxConcurrent at a time and keeps finished ones until clearFinished(). UI thread.
class TransferQueue : public QObject
{
    Q_OBJECT
public:
    explicit TransferQueue(SshConnections *connections, QObject *parent = nullptr);

    // Local -> remote or remote -> local, chosen from the two locations; an Error when both
    // are local or both remote.
    Result<Transfer *> enqueue(const Location &source, const Location &destination);
    QList<Transfer *> transfers() const { return m_transfers; }
    void setMaxConcurrent(int n);
    void clearFinished();

signals:
    void added(gpuwb::Transfer *transfer);
    void removed(gpuwb::Transfer *transfer);

private:
    void startMore();
    SshConnections *m_connections;
    QList<Transfer *> m_transfers;
    int m_maxConcurrent = 2;
};

} // namespace gpuwb
