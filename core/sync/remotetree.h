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
        QByteArray linkTarget; // a symlink's target as the host holds it
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
    // "gpuwb-end NONCE STATUS"; a symlink's record is followed by its target, NUL-terminated.
    // Whatever the login shell prints before the start line (rc file banners) is skipped.
    static QByteArray findScript(const QByteArray &root, const QByteArray &nonce);
    // Reads findScript()'s output strictly: every record must have a known type character,
    // decimal size and mtime, octal mode and a relative path without empty, "." or ".."
    // parts. No start line, or find's own failure, gives std::nullopt (the caller lists over
    // SFTP instead); a malformed record or a missing end line is an Error. Pure; any thread.
    static std::optional<Result<RemoteTree>> parseFindOutput(const QByteArray &output,
                                                             const QByteArray &nonce,
                                                             const IgnoreRules &rules);
};

// Reads findScript()'s output as it arrives (see RemoteTree::parseFindOutput for the rules):
// whatever comes before the start line is dropped, each record is checked and kept or left
// out as soon as it is complete, and no record may be longer than kMaxRecordBytes, so that
// memory holds the listing's result and one unfinished record, never the whole output.
class FindOutputReader
{
public:
    static constexpr qsizetype kMaxRecordBytes = 64 * 1024; // PATH_MAX is 4096 on Linux

    // Keeps a reference to the rules: they must outlive the reader.
    FindOutputReader(const QByteArray &nonce, const IgnoreRules &rules);
    FindOutputReader(const QByteArray &nonce, IgnoreRules &&rules) = delete;
    // Takes the next bytes; false once the outcome is known (the end line, or an error), when
    // the rest need not be read.
    bool feed(QByteArrayView bytes);
    // The listing or an Error; std::nullopt when there was no start line or find failed.
    std::optional<Result<RemoteTree>> finish();

private:
    enum class State { Searching, Records, Done };
    bool readRecord();
    bool fail(Error error);
    Error unreadable(const QString &why) const;

    QByteArray m_begin;
    QByteArray m_end;
    const IgnoreRules &m_rules;
    State m_state = State::Searching;
    QByteArray m_pending;
    qsizetype m_at = 0;
    qsizetype m_record = 0;
    bool m_findFailed = false;
    RemoteTree m_tree;
    Result<RemoteTree> m_result{RemoteTree()};
};

} // namespace gpuwb
