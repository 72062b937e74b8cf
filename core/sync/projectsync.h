#pragma once

#include "core/fs/location.h"
#include "core/sync/syncplan.h"
#include "core/util/result.h"

#include <QObject>
#include <QPointer>

#include <atomic>
#include <memory>

namespace gpuwb {

class SshConnection;

// Mirrors a local project folder to a remote work folder, incrementally: the local tree is
// walked (honouring .gitignore files and the project's .gpuwbignore) off the UI thread, the
// remote tree is listed over SFTP, and only new and changed files are sent. A first sync of
// many small files goes as one tar stream into `tar -x` on the remote (when tar is there),
// otherwise files go by pipelined SFTP writes. Every file lands atomically: written under a
// temporary name and renamed over its final name, so an interrupted sync leaves either the old
// or the new file, never half of one, and a resumed sync ends identical to the source.
// No shell ever sees a file name unquoted. Lives on the UI thread; the work runs on the
// connection's owner thread and a worker thread.
class ProjectSync : public QObject
{
    Q_OBJECT
public:
    ProjectSync(SshConnection *connection, QString localRoot, Location remoteRoot,
                SyncOptions options = {}, QObject *parent = nullptr);
    ~ProjectSync() override;

    QString localRoot() const { return m_localRoot; }
    Location remoteRoot() const { return m_remoteRoot; }

    // Computes the plan; emits planned() once.
    void plan();
    // Carries out a plan made by plan() (or plans and runs when given none); emits progressed()
    // at most ~10 times a second and finished() exactly once.
    void run();
    void run(const SyncPlan &plan);
    void cancel();

signals:
    void planned(const Result<gpuwb::SyncPlan> &plan);
    void progressed(const gpuwb::SyncProgress &progress);
    void finished(const gpuwb::Status &status);

private:
    void startRun(const SyncPlan &plan);
    void emitFinished(const Status &status);

    QPointer<SshConnection> m_connection;
    QString m_localRoot;
    Location m_remoteRoot;
    SyncOptions m_options;
    std::shared_ptr<std::atomic_bool> m_cancel = std::make_shared<std::atomic_bool>(false);
    bool m_running = false;  // run() called and finished() not yet emitted
    bool m_finished = false; // finished() emitted for the current run
};

} // namespace gpuwb
