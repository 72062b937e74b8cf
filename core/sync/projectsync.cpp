#include "core/sync/projectsync.h"

#include "core/ssh/remotepath.h"
#include "core/ssh/sftpops.h"
#include "core/ssh/sshconnection.h"
#include "core/sync/localtree.h"
#include "core/sync/remotetree.h"
#include "core/sync/syncplanner.h"
#include "core/sync/syncrunner.h"
#include "core/util/logging.h"

#include <QCoreApplication>
#include <QThread>

#include <libssh/sftp.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

Error cancelledError()
{
    return Error{u"cancelled"_s, u"The sync was cancelled; files already in place stay, and "
                                 "nothing is left half written. Sync again to finish."_s};
}

// "~" and "~/x" are the remote user's home (what SFTP calls "."); anything else as given.
Result<QString> resolveRoot(sftp_session sftp, const Location &root)
{
    QString path = root.path();
    if (path == u"~" || path.startsWith(u"~/")) {
        Result<QString> home = SftpOps::homeDirectory(sftp, root.host());
        if (!home)
            return home.error();
        path = *home + path.mid(1);
    } else if (!path.startsWith(u'/')) {
        Result<QString> home = SftpOps::homeDirectory(sftp, root.host());
        if (!home)
            return home.error();
        path = *home + u'/' + path;
    }
    while (path.size() > 1 && path.endsWith(u'/'))
        path.chop(1);
    return path;
}

} // namespace

ProjectSync::ProjectSync(SshConnection *connection, QString localRoot, Location remoteRoot,
                         SyncOptions options, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_localRoot(std::move(localRoot))
    , m_remoteRoot(std::move(remoteRoot))
    , m_options(std::move(options))
{
    qRegisterMetaType<gpuwb::SyncPlan>();
    qRegisterMetaType<gpuwb::SyncProgress>();
}

ProjectSync::~ProjectSync()
{
    // Work still queued on the owner thread stops at its next step; its answers find no
    // context and are dropped.
    m_cancel->store(true);
}

void ProjectSync::plan()
{
    if (!m_connection) {
        QMetaObject::invokeMethod(
            this,
            [this] {
                emit planned(Error{u"closed"_s, u"There is no connection to the host."_s});
            },
            Qt::QueuedConnection);
        return;
    }
    // The local walk runs on a worker thread; the listing and the comparison on the
    // connection's owner thread; the answer comes back here.
    const QString localRoot = m_localRoot;
    const SyncOptions options = m_options;
    const Location remoteRoot = m_remoteRoot;
    const std::shared_ptr<std::atomic_bool> cancel = m_cancel;
    QPointer<ProjectSync> self(this);
    // The connection (key exchange, authentication) is made while the local tree is walked.
    m_connection->connectToHost();
    QThread *worker = QThread::create([self, localRoot, options, remoteRoot, cancel] {
        auto local = std::make_shared<Result<LocalTree>>(
            LocalTree::walk(localRoot, options, *cancel));
        QMetaObject::invokeMethod(
            qApp, [self, local, options, remoteRoot, cancel] {
                if (!self)
                    return;
                if (!*local) {
                    emit self->planned(local->error());
                    return;
                }
                if (!self->m_connection) {
                    emit self->planned(Error{u"closed"_s, u"The connection was closed."_s});
                    return;
                }
                // The plan travels behind a pointer: GCC's -O2 flow analysis misreads the
                // variant of a large struct moved through call() (-Wmaybe-uninitialized).
                using PlanPtr = std::shared_ptr<const SyncPlan>;
                self->m_connection->call<PlanPtr>(
                    self.data(),
                    [local, options, remoteRoot, cancel](SshSessionContext &context)
                        -> Result<PlanPtr> {
                        Result<sftp_session> sftp = context.sftp();
                        if (!sftp)
                            return sftp.error();
                        Result<QString> root = resolveRoot(*sftp, remoteRoot);
                        if (!root)
                            return root.error();
                        Result<RemoteTree> remote = RemoteTree::list(
                            context.session(), *sftp, toRemoteBytes(*root), local->value().rules,
                            *cancel);
                        if (!remote)
                            return remote.error();
                        SyncPlan plan = SyncPlanner::make(local->value(), *remote, options,
                                                          *root);
                        if (plan.uploads.size() >= SyncPlanner::ArchiveMinFiles) {
                            Result<bool> tar = SyncRunner::remoteHasTar(context.session());
                            plan.useArchiveStream = tar && *tar;
                            if (!tar || !*tar)
                                plan.notes.append(u"The host has no tar: files go one by one "
                                                  "over SFTP, which is slower."_s);
                        }
                        return std::make_shared<const SyncPlan>(std::move(plan));
                    },
                    [self](Result<PlanPtr> plan) {
                        if (!self)
                            return;
                        if (!plan)
                            emit self->planned(plan.error());
                        else
                            emit self->planned(**plan);
                    });
            },
            Qt::QueuedConnection);
    });
    connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    worker->start();
}

void ProjectSync::run()
{
    if (m_running)
        return;
    m_running = true;
    m_finished = false;
    m_cancel->store(false);
    // Plan first; one answer, then run it.
    auto once = std::make_shared<QMetaObject::Connection>();
    *once = connect(this, &ProjectSync::planned, this, [this, once](const Result<SyncPlan> &plan) {
        disconnect(*once);
        if (!plan) {
            emitFinished(plan.error());
            return;
        }
        startRun(*plan);
    });
    plan();
}

void ProjectSync::run(const SyncPlan &plan)
{
    if (m_running)
        return;
    m_running = true;
    m_finished = false;
    m_cancel->store(false);
    startRun(plan);
}

void ProjectSync::startRun(const SyncPlan &plan)
{
    if (m_cancel->load()) {
        emitFinished(cancelledError());
        return;
    }
    if (!m_connection) {
        emitFinished(Error{u"closed"_s, u"There is no connection to the host."_s});
        return;
    }
    QPointer<ProjectSync> self(this);
    auto progress = [self](const SyncProgress &p) {
        QMetaObject::invokeMethod(
            qApp,
            [self, p] {
                if (self && !self->m_finished)
                    emit self->progressed(p);
            },
            Qt::QueuedConnection);
    };
    auto runner = std::make_shared<SyncRunner>(plan, m_localRoot, m_cancel, progress);
    m_connection->run<bool>(
        this, [runner](SshSessionContext &context) { return runner->step(context); },
        [runner]() -> Result<bool> {
            const Status status = runner->result();
            if (!status)
                return status.error();
            return true;
        },
        [this](Result<bool> result) {
            if (!result)
                emitFinished(result.error());
            else
                emitFinished(Status());
        });
}

void ProjectSync::emitFinished(const Status &status)
{
    if (m_finished)
        return;
    m_finished = true;
    m_running = false;
    if (!status)
        qCInfo(lcFs) << "sync to" << m_remoteRoot.toString() << "failed:" << status.error().code
                     << status.error().message;
    emit finished(status);
}

void ProjectSync::cancel()
{
    m_cancel->store(true);
}

} // namespace gpuwb
