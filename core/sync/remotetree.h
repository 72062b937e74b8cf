#pragma once

#include "core/sync/ignorerules.h"
#include "core/util/result.h"

#include <QHash>
#include <QStringList>

#include <atomic>
#include <optional>

struct sftp_session_struct;
struct ssh_session_struct;

namespace gpuwb {

// The remote half of a sync plan: what the work folder holds, listed over SFTP (lstat
// attributes from readdir), skipping what the project's ignore rules exclude (never entered,
// never deleted) and setting aside our own leftovers (staging folders, .part files). Runs on
// the connection's owner thread only.
struct RemoteTree
{
    struct Item
    {
        qint64 size = 0;
        qint64 mtime = 0;
        quint32 mode = 0;
        bool isDirectory = false;
    };
    bool rootExists = false;
    QHash<QString, Item> items; // relative path -> what is there
    QStringList leftovers;      // relative paths of our temporaries from an interrupted sync

    // With GNU find on the host the whole tree comes in one exec (`find -printf`, names
    // NUL-terminated); otherwise (or when find fails) folder by folder over SFTP.
    static Result<RemoteTree> list(ssh_session_struct *session, sftp_session_struct *sftp,
                                   const QByteArray &root, const IgnoreRules &rules,
                                   const std::atomic_bool &cancel);

private:
    static std::optional<RemoteTree> listWithFind(ssh_session_struct *session,
                                                  const QByteArray &root,
                                                  const IgnoreRules &rules);
};

} // namespace gpuwb
