#pragma once

#include "core/sync/localtree.h"
#include "core/sync/remotetree.h"
#include "core/sync/syncplan.h"

namespace gpuwb {

// Compares the local and the remote tree into a SyncPlan: a file is sent when the remote one
// is missing or differs in size, whole-second mtime or permission bits; remote files the
// project lacks are deleted only with deleteExtraneous (ignored ones never). Pure; any thread.
class SyncPlanner
{
public:
    // Below this many files a sync goes file by file over SFTP; from it on (when the remote has
    // tar) as one archive stream.
    static constexpr int ArchiveMinFiles = 16;

    static SyncPlan make(const LocalTree &local, const RemoteTree &remote,
                         const SyncOptions &options, const QString &remoteRoot);
};

} // namespace gpuwb
