#pragma once

#include "core/sync/ignorerules.h"
#include "core/sync/syncplan.h"
#include "core/util/result.h"

#include <atomic>

namespace gpuwb {

// The local half of a sync plan: every file and folder of a project that is not ignored, with
// size, whole-second mtime and permission bits, read with lstat by bytes (names need not be
// UTF-8; they become QStrings as fromRemoteBytes() maps them). .gitignore files apply below
// their folder, .gpuwbignore at the root and the extra patterns win over them; .git is never
// entered. A symlink whose target lies inside the project is synced as a link (its target
// made relative when it was absolute or left the project on its way); one that points out of
// the project, a dangling one and anything that is neither file, folder nor link are skipped
// with a note. Runs on any thread (a worker, never the UI thread).
struct LocalTree
{
    QList<SyncPlan::Entry> files;
    QList<SyncPlan::Entry> directories; // parents first
    QList<SyncPlan::Entry> links;       // with linkTarget
    IgnoreRules rules;
    QList<SyncPlan::LargeFolder> topFolders; // every top-level folder with what it would send
    QStringList notes;

    static Result<LocalTree> walk(const QString &root, const SyncOptions &options,
                                  const std::atomic_bool &cancel);
};

// Our own temporary names on the remote side: never synced, never compared, removed when found.
bool isSyncTemporaryName(QStringView name);
inline constexpr char16_t SyncStagingPrefix[] = u".gpuwb-staging-";

} // namespace gpuwb
