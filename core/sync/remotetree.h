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
    enum class Kind : char { File = 'f', Directory = 'd', Symlink = 'l', Other = 'o' };
    struct Item
    {
        qint64 size = 0;
        qint64 mtime = 0;
        quint32 mode = 0;
        bool isDirectory = false;
        Kind kind = Kind::File;
    };
    bool rootExists = false;
    QHash<QString, Item> items; // relative path -> what is there
    QStringList leftovers;      // relative paths of our temporaries from an interrupted sync

    // With GNU find on the host the whole tree comes in one exec (`find -printf`, names
    // NUL-terminated); otherwise (or when find fails) folder by folder over SFTP. A listing
    // that cannot be read with certainty is an error, never a guess (principle 14).
    static Result<RemoteTree> list(ssh_session_struct *session, sftp_session_struct *sftp,
                                   const QByteArray &root, const IgnoreRules &rules,
                                   const std::atomic_bool &cancel);

    // The find command's script for `root`, its records framed by `nonce` (letters and
    // digits): a start line "gpuwb-list NONCE", one NUL-terminated record per entry, then
    // "gpuwb-end NONCE STATUS". Whatever the login shell prints before the start line (rc
    // file banners) is skipped.
    static QByteArray findScript(const QByteArray &root, const QByteArray &nonce);
    // Reads findScript()'s output strictly: every record must have a known type character,
    // decimal size and mtime, octal mode and a relative path without empty, "." or ".."
    // parts. No start line, or find's own failure, gives std::nullopt (the caller lists over
    // SFTP instead); a malformed record or a missing end line is an Error. Pure; any thread.
    static std::optional<Result<RemoteTree>> parseFindOutput(const QByteArray &output,
                                                             const QByteArray &nonce,
                                                             const IgnoreRules &rules);
};


} // namespace gpuwb
