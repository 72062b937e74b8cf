#include "core/sync/projectsync.h"

#include "core/ssh/sshconnection.h"

using namespace Qt::StringLiterals;

namespace gpuwb {

// Skeleton until the sync engine lands.
ProjectSync::ProjectSync(SshConnection *connection, QString localRoot, Location remoteRoot,
                         SyncOptions options, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_localRoot(std::move(localRoot))
    , m_remoteRoot(std::move(remoteRoot))
    , m_options(std::move(options))
{
}

ProjectSync::~ProjectSync() = default;

void ProjectSync::plan()
{
    emit planned(Result<SyncPlan>::failure(u"unsupported"_s, u"Sync is not available yet."_s));
}

void ProjectSync::run()
{
    emit finished(Status::failure(u"unsupported"_s, u"Sync is not available yet."_s));
}

void ProjectSync::run(const SyncPlan &)
{
    run();
}

void ProjectSync::cancel()
{
    m_cancel->store(true);
}

} // namespace gpuwb
