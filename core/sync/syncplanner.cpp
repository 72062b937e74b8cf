#include "core/sync/syncplanner.h"

#include <QSet>

#include <algorithm>

namespace gpuwb {

SyncPlan SyncPlanner::make(const LocalTree &local, const RemoteTree &remote,
                           const SyncOptions &options, const QString &remoteRoot)
{
    SyncPlan plan;
    plan.remoteRoot = remoteRoot;
    plan.notes = local.notes;
    plan.firstSync = !remote.rootExists || remote.items.isEmpty();
    plan.removeFirst = remote.leftovers;

    QSet<QString> localPaths;
    localPaths.reserve(local.files.size() + local.directories.size());
    // A folder of the project that is a link on the host (checkpoints -> /scratch/...): the
    // user's arrangement there; its content is left alone, with a note.
    QStringList linkedFolders;
    auto underLinkedFolder = [&linkedFolders](const QString &path) {
        for (const QString &folder : std::as_const(linkedFolders)) {
            if (path.startsWith(folder + u'/'))
                return true;
        }
        return false;
    };
    for (const SyncPlan::Entry &dir : local.directories) {
        localPaths.insert(dir.path);
        if (underLinkedFolder(dir.path))
            continue;
        const auto it = remote.items.constFind(dir.path);
        if (it != remote.items.constEnd() && it->isDirectory)
            continue;
        if (it != remote.items.constEnd() && it->kind == RemoteTree::Kind::Symlink) {
            linkedFolders.append(dir.path);
            plan.notes.append(QStringLiteral("%1/ not synced: it is a link on the host; remove "
                                             "the link there to sync the folder.")
                                  .arg(dir.path));
            continue;
        }
        if (it != remote.items.constEnd()) {
            plan.clashes.append(dir.path); // a file (or a link, ...) where the folder goes
            continue;
        }
        plan.directories.append(dir.path);
        plan.folderEntries.append(dir);
    }
    for (const SyncPlan::Entry &file : local.files) {
        localPaths.insert(file.path);
        if (underLinkedFolder(file.path))
            continue;
        const auto it = remote.items.constFind(file.path);
        if (it != remote.items.constEnd()) {
            if (it->kind == RemoteTree::Kind::Directory || it->kind == RemoteTree::Kind::Other) {
                plan.clashes.append(file.path); // a folder (or a fifo, ...) where the file goes
                continue;
            }
            if (it->kind == RemoteTree::Kind::File && it->size == file.size
                && it->mtime == file.mtime && it->mode == file.mode) {
                ++plan.unchangedFiles;
                continue;
            }
        }
        plan.uploads.append(file);
        plan.bytesToSend += file.size;
    }
    // Links are compared by their target (their times are not kept by SFTP).
    for (const SyncPlan::Entry &link : local.links) {
        localPaths.insert(link.path);
        if (underLinkedFolder(link.path))
            continue;
        const auto it = remote.items.constFind(link.path);
        if (it != remote.items.constEnd()) {
            if (it->kind == RemoteTree::Kind::Directory || it->kind == RemoteTree::Kind::Other) {
                plan.clashes.append(link.path);
                continue;
            }
            if (it->kind == RemoteTree::Kind::Symlink && it->linkTarget == link.linkTarget) {
                ++plan.unchangedFiles;
                continue;
            }
        }
        plan.links.append(link);
    }
    if (options.deleteExtraneous) {
        QStringList extraneous;
        for (auto it = remote.items.constBegin(); it != remote.items.constEnd(); ++it) {
            if (!localPaths.contains(it.key()))
                extraneous.append(it.key());
        }
        // Children before their folders: reverse order puts "a/b" before "a".
        std::sort(extraneous.begin(), extraneous.end(), std::greater<>());
        // A folder's content goes with the folder's removal of its content, but we still list
        // it so that each deletion is one file or one (by then empty) folder.
        plan.deletions = extraneous;
    }
    for (const SyncPlan::LargeFolder &folder : local.topFolders) {
        if (folder.bytes > options.largeFolderBytes)
            plan.largeFolders.append(folder);
    }
    std::sort(plan.largeFolders.begin(), plan.largeFolders.end(),
              [](const auto &a, const auto &b) { return a.bytes > b.bytes; });
    return plan;
}

} // namespace gpuwb
