#include "core/sync/projectsync.h"

#include "core/fs/location.h"
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
    return Error{ErrorCode::Cancelled, u"The sync was cancelled; files already in place stay, and "
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

// A remote entry of another type than the project's is never replaced: it may hold results
// the user did not sync from here (issue 10, item 2).
Error clashError(const QString &host, const QString &root, const QStringList &paths)
{
    QStringList shown;
    for (const QString &p : paths.mid(0, 5))
        shown.append(root + u'/' + p);
    if (paths.size() > 5)
        shown.append(u"and %1 more"_s.arg(paths.size() - 5));
    return Error{ErrorCode::SyncClash,
                 u"On %1, %2 a folder or another kind of entry where the project has a file, or "
                 "the other way round: %3. Nothing was changed on the host. Rename or move the "
                 "entry on the host (or in the project), then run again."_s
                     .arg(host, paths.size() == 1 ? u"there is"_s : u"there are"_s,
                          shown.join(u", "_s))};
}

// A work folder that exists must belong to the user we log in as (its owner is the owner of
// the home folder): syncing into another user's folder would rewrite their files, or ours
// would be readable by them (issue 10, item 3).
Status checkOwner(sftp_session sftp, const QString &host, const QString &root)
{
    const QByteArray rootBytes = toRemoteBytes(root);
    sftp_attributes folder = sftp_stat(sftp, rootBytes.constData());
    if (!folder)
        return {}; // not there yet: it is created as ours
    const bool folderKnown = folder->flags & SSH_FILEXFER_ATTR_UIDGID;
    const quint32 folderUid = folder->uid;
    sftp_attributes_free(folder);
    Result<QString> home = SftpOps::homeDirectory(sftp, host);
    if (!home)
        return home.error();
    sftp_attributes own = sftp_stat(sftp, toRemoteBytes(*home).constData());
    if (!own)
        return SftpOps::lastError(sftp, u"reading"_s, Location::remote(host, *home));
    const bool ownKnown = own->flags & SSH_FILEXFER_ATTR_UIDGID;
    const quint32 ownUid = own->uid;
    sftp_attributes_free(own);
    // root (the usual login on rented GPU boxes) may use any folder.
    if (folderKnown && ownKnown && ownUid != 0 && folderUid != ownUid)
        return Error{ErrorCode::NotOwner,
                     u"The remote folder %1 on %2 belongs to another user (uid %3, you are uid "
                     "%4). Nothing was synced. Choose a folder of your own as remote_dir in the "
                     "run configuration (gpuwb.toml)."_s.arg(root, host)
                         .arg(folderUid)
                         .arg(ownUid)};
    return {};
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
                emit planned(Error{ErrorCode::Closed, u"There is no connection to the host."_s});
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
                    emit self->planned(Error{ErrorCode::Closed, u"The connection was closed."_s});
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
                        if (Status owner = checkOwner(*sftp, remoteRoot.host(), *root); !owner)
                            return owner.error();
                        Result<RemoteTree> remote = RemoteTree::list(
                            context.session(), *sftp, toRemoteBytes(*root), local->value().rules,
                            *cancel);
                        if (!remote)
                            return remote.error();
                        SyncPlan plan = SyncPlanner::make(local->value(), *remote, options,
                                                          *root);
                        if (!plan.clashes.isEmpty())
                            return clashError(remoteRoot.host(), *root, plan.clashes);
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
        emitFinished(Error{ErrorCode::Closed, u"There is no connection to the host."_s});
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
