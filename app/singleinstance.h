#pragma once

#include <QObject>
#include <QString>

class QLocalServer;

namespace gpuwb {

// One GUI per user and data folder: a second `gpuwb [PROJECT]` hands its project to the first
// (which raises its window) and exits, so that two windows never drive the same jobs and
// history (issue 10, item 5). The rendezvous is a local socket only the user may open, named
// after the user and the data folder. Lives on the UI thread.
class SingleInstance : public QObject
{
    Q_OBJECT
public:
    explicit SingleInstance(const QString &dataDirectory, QObject *parent = nullptr);

    // True when a running instance took `project` (may be empty): this process should exit.
    bool handOver(const QString &project);
    // Becomes the instance the next starts hand over to; false when the socket cannot listen.
    bool listen();

signals:
    void activated(const QString &project);

private:
    QString m_name;
    QLocalServer *m_server = nullptr;
};

} // namespace gpuwb
