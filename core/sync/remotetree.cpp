#include "core/sync/remotetree.h"

#include "core/fs/location.h"
#include "core/ssh/remotepath.h"
#include "core/ssh/sftpops.h"
#include "core/sync/localtree.h"
#include "core/ssh/remotecommand.h"
#include "core/util/shellquote.h"

#include <QRandomGenerator>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <sys/stat.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

bool listFolder(sftp_session sftp, const QByteArray &root, const QString &relative,
                const QByteArray &bytes, const IgnoreRules &rules, const std::atomic_bool &cancel,
                RemoteTree *tree, std::optional<Error> *error)
{
    const QByteArray full = bytes.isEmpty() ? root : root + '/' + bytes;
    sftp_dir dir = sftp_opendir(sftp, full.constData());
    if (!dir) {
        if (relative.isEmpty() && sftp_get_error(sftp) == SSH_FX_NO_SUCH_FILE)
            return true;
        *error = SftpOps::lastError(sftp, u"listing"_s,
                                    Location::remote(QString(), fromRemoteBytes(full)));
        return false;
    }
    if (relative.isEmpty())
        tree->rootExists = true;
    QList<std::pair<QString, QByteArray>> subfolders;
    while (sftp_attributes a = sftp_readdir(sftp, dir)) {
        const QByteArray name(a->name);
        const bool isDir = (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS)
            ? S_ISDIR(a->permissions)
            : a->type == SSH_FILEXFER_TYPE_DIRECTORY;
        if (name == "." || name == "..") {
            sftp_attributes_free(a);
            continue;
        }
        if (!isSafeRemoteName(name)) {
            sftp_attributes_free(a);
            sftp_closedir(dir);
            *error = Error{ErrorCode::ListingUnreadable,
                           u"The host listed a name that is not a file name in %1. Nothing "
                           "was changed on the host."_s.arg(fromRemoteBytes(full))};
            return false;
        }
        RemoteTree::Item item;
        item.isDirectory = isDir;
        item.kind = isDir ? RemoteTree::Kind::Directory : RemoteTree::Kind::File;
        item.size = isDir ? 0 : qint64(a->size);
        item.mtime = qint64(a->mtime);
        item.mode = a->permissions & 07777;
        // A symlink is neither: mark it with an impossible mode so it never compares equal.
        if ((a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) && S_ISLNK(a->permissions)) {
            item.mode = 0xFFFFFFFF;
            item.kind = RemoteTree::Kind::Symlink;
            const QByteArray linkPath = full + '/' + name;
            if (char *target = sftp_readlink(sftp, linkPath.constData())) {
                item.linkTarget = QByteArray(target);
                ssh_string_free_char(target);
            }
        } else if ((a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) && !isDir
                   && !S_ISREG(a->permissions)) {
            item.kind = RemoteTree::Kind::Other;
        }
        sftp_attributes_free(a);
        const QString text = fromRemoteBytes(name);
        const QString path = relative.isEmpty() ? text : relative + u'/' + text;
        if (isSyncTemporaryName(text)) {
            tree->leftovers.append(path);
            continue;
        }
        if (rules.isIgnoredHere(path, isDir))
            continue;
        tree->items.insert(path, item);
        if (isDir)
            subfolders.append({path, bytes.isEmpty() ? name : bytes + '/' + name});
    }
    const bool clean = sftp_dir_eof(dir);
    sftp_closedir(dir);
    if (!clean) {
        *error = SftpOps::lastError(sftp, u"listing"_s,
                                    Location::remote(QString(), fromRemoteBytes(full)));
        return false;
    }
    for (const auto &[path, pathBytes] : subfolders) {
        if (cancel.load())
            return false;
        if (!listFolder(sftp, root, path, pathBytes, rules, cancel, tree, error))
            return false;
    }
    return true;
}

} // namespace

QByteArray RemoteTree::findScript(const QByteArray &root, const QByteArray &nonce)
{
    // One record per entry: type, size, mtime, octal mode, path below the root, NUL-
    // terminated so that any name (newlines included) comes through. .git is never entered.
    // -H: a work folder that is itself a link (~/proj -> /gpfs/...) is entered.
    // A symlink's record is followed by its target, NUL-terminated too.
    const QString find = shellJoin({u"find"_s, u"-H"_s, fromRemoteBytes(root), u"-mindepth"_s,
                                    u"1"_s, u"-name"_s, u".git"_s, u"-prune"_s, u"-o"_s,
                                    u"-type"_s, u"l"_s, u"-printf"_s,
                                    u"%y %s %T@ %m %P\\0%l\\0"_s, u"-o"_s, u"-printf"_s,
                                    u"%y %s %T@ %m %P\\0"_s});
    return "printf 'gpuwb-list %s\\n' " + nonce + "; " + toRemoteBytes(find)
        + "; printf 'gpuwb-end %s %s\\n' " + nonce + " \"$?\"";
}

namespace {

bool isDecimal(QByteArrayView text, bool allowFraction)
{
    if (text.startsWith('-'))
        text = text.mid(1);
    if (text.isEmpty())
        return false;
    qsizetype digits = 0;
    bool fraction = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text.at(i);
        if (c == '.' && allowFraction && !fraction && digits > 0) {
            fraction = true;
            continue;
        }
        if (c < '0' || c > '9')
            return false;
        ++digits;
    }
    return digits > 0 && digits <= 30 && !text.endsWith('.');
}

bool isOctalMode(QByteArrayView text)
{
    if (text.isEmpty() || text.size() > 6)
        return false;
    for (const char c : text) {
        if (c < '0' || c > '7')
            return false;
    }
    return true;
}

bool isSafeRelativePath(const QByteArray &path)
{
    if (path.isEmpty() || path.startsWith('/') || path.endsWith('/'))
        return false;
    for (const QByteArray &part : path.split('/')) {
        if (!isSafeRemoteName(part))
            return false;
    }
    return true;
}

RemoteTree::Kind kindOf(char type)
{
    switch (type) {
    case 'f': return RemoteTree::Kind::File;
    case 'd': return RemoteTree::Kind::Directory;
    case 'l': return RemoteTree::Kind::Symlink;
    default: return RemoteTree::Kind::Other;
    }
}

// The leftovers' content (a staging folder's) is not ours to compare or remove one by one.
void dropInsideLeftovers(RemoteTree *tree)
{
    QStringList leftovers;
    for (const QString &l : std::as_const(tree->leftovers)) {
        bool inside = false;
        for (const QString &other : std::as_const(tree->leftovers))
            inside |= l.startsWith(other + u'/');
        if (!inside)
            leftovers.append(l);
    }
    tree->leftovers = leftovers;
    for (auto it = tree->items.begin(); it != tree->items.end();) {
        bool inside = false;
        for (const QString &l : std::as_const(tree->leftovers))
            inside |= it.key().startsWith(l + u'/');
        it = inside ? tree->items.erase(it) : std::next(it);
    }
}

} // namespace

FindOutputReader::FindOutputReader(const QByteArray &nonce, const IgnoreRules &rules)
    : m_begin("gpuwb-list " + nonce + '\n'), m_end("gpuwb-end " + nonce + ' '), m_rules(rules)
{
    m_tree.rootExists = true;
}

Error FindOutputReader::unreadable(const QString &why) const
{
    return Error{ErrorCode::ListingUnreadable,
                 u"The host's listing of the work folder could not be read (entry %1: %2). "
                 "Nothing was changed on the host. Check that the login shell prints nothing "
                 "in the middle of a command's output, then sync again."_s.arg(m_record)
                     .arg(why)};
}

bool FindOutputReader::feed(QByteArrayView bytes)
{
    if (m_state == State::Done)
        return false;
    m_pending.append(bytes);
    if (m_state == State::Searching) {
        // The start line is the first line that is exactly the marker; a banner before it
        // may end without a newline, so it is also accepted right after any byte. Only what
        // could still be the start of the marker is kept meanwhile.
        const qsizetype started = m_pending.indexOf(m_begin);
        if (started < 0) {
            m_pending = m_pending.right(m_begin.size() - 1);
            return true;
        }
        m_at = started + m_begin.size();
        m_state = State::Records;
    }
    while (m_state == State::Records && readRecord()) {
    }
    // Consumed bytes go once they are a good part of the buffer (never a copy per record).
    if (m_at > 0 && (m_at >= m_pending.size() / 2 || m_state == State::Done)) {
        m_pending.remove(0, m_at);
        m_at = 0;
    }
    return m_state != State::Done;
}

bool FindOutputReader::readRecord()
{
    ++m_record;
    const QByteArrayView rest = QByteArrayView(m_pending).sliced(m_at);
    if (rest.startsWith(m_end) || (rest.size() < m_end.size() && m_end.startsWith(rest))) {
        const qsizetype eol = rest.indexOf('\n');
        if (eol < 0) {
            if (rest.size() > m_end.size() + 32)
                return fail(unreadable(u"a damaged end line"_s));
            --m_record;
            return false; // more to come
        }
        const QByteArrayView status = rest.sliced(m_end.size(), eol - m_end.size());
        if (!isDecimal(status, false))
            return fail(unreadable(u"a damaged end line"_s));
        m_at += eol + 1;
        m_state = State::Done;
        if (status != "0") {
            m_findFailed = true; // find failed (unreadable folder, not GNU find)
            return false;
        }
        dropInsideLeftovers(&m_tree);
        m_result = Result<RemoteTree>(std::move(m_tree));
        return false;
    }
    const qsizetype stop = rest.indexOf('\0');
    // A link's record has a second field, its target.
    const qsizetype targetStop = stop >= 0 && rest.startsWith('l') ? rest.indexOf('\0', stop + 1)
                                                                  : stop;
    // The same limit whether the entry arrives at once or in pieces: an unfinished entry longer
    // than the limit can only end longer still.
    const qsizetype seen = stop < 0 || targetStop < 0 ? rest.size() : targetStop;
    if (seen > kMaxRecordBytes)
        return fail(unreadable(u"an entry longer than %1 bytes"_s.arg(kMaxRecordBytes)));
    if (stop < 0 || targetStop < 0) {
        --m_record;
        return false; // more to come
    }
    const QByteArrayView line = rest.first(stop);
    const QByteArrayView linkTarget = targetStop > stop
        ? rest.sliced(stop + 1, targetStop - stop - 1)
        : QByteArrayView();
    if (targetStop > stop && linkTarget.isEmpty())
        return fail(unreadable(u"a link without a target"_s));
    m_at += targetStop + 1;
    // "T SIZE MTIME MODE PATH": four fields, then the path, which keeps its spaces.
    qsizetype cut[4];
    qsizetype pos = 0;
    for (int i = 0; i < 4; ++i) {
        pos = line.indexOf(' ', pos);
        if (pos < 0)
            return fail(unreadable(u"not a file record"_s));
        cut[i] = pos++;
    }
    if (cut[0] != 1 || !QByteArrayView("fdlpscbD").contains(line.at(0)))
        return fail(unreadable(u"not a file record"_s));
    const QByteArrayView size = line.sliced(cut[0] + 1, cut[1] - cut[0] - 1);
    const QByteArrayView mtime = line.sliced(cut[1] + 1, cut[2] - cut[1] - 1);
    const QByteArrayView mode = line.sliced(cut[2] + 1, cut[3] - cut[2] - 1);
    const QByteArray name = line.sliced(cut[3] + 1).toByteArray();
    if (!isDecimal(size, false) || size.startsWith('-'))
        return fail(unreadable(u"a size that is not a number"_s));
    if (!isDecimal(mtime, true))
        return fail(unreadable(u"a time that is not a number"_s));
    if (!isOctalMode(mode))
        return fail(unreadable(u"a mode that is not octal"_s));
    if (!isSafeRelativePath(name))
        return fail(unreadable(u"a path outside the folder"_s));
    const QString path = fromRemoteBytes(name);
    const RemoteTree::Kind kind = kindOf(line.at(0));
    const bool isDir = kind == RemoteTree::Kind::Directory;
    const QString base = path.mid(path.lastIndexOf(u'/') + 1);
    if (isSyncTemporaryName(base)) {
        if (!m_rules.isIgnored(path, isDir))
            m_tree.leftovers.append(path);
        return true;
    }
    if (m_rules.isIgnored(path, isDir))
        return true;
    RemoteTree::Item item;
    item.kind = kind;
    item.isDirectory = isDir;
    item.size = kind == RemoteTree::Kind::File ? size.toLongLong() : 0;
    const qsizetype dot = mtime.indexOf('.');
    item.mtime = (dot < 0 ? mtime : mtime.first(dot)).toLongLong();
    item.mode = kind == RemoteTree::Kind::Symlink ? 0xFFFFFFFF : mode.toUInt(nullptr, 8);
    item.linkTarget = linkTarget.toByteArray();
    m_tree.items.insert(path, item);
    return true;
}

bool FindOutputReader::fail(Error error)
{
    m_state = State::Done;
    m_result = Result<RemoteTree>(std::move(error));
    return false;
}

std::optional<Result<RemoteTree>> FindOutputReader::finish()
{
    switch (m_state) {
    case State::Searching:
        return std::nullopt;
    case State::Records:
        ++m_record;
        return Result<RemoteTree>(unreadable(u"the listing ends early"_s));
    case State::Done:
        break;
    }
    if (m_findFailed)
        return std::nullopt;
    return std::move(m_result);
}

std::optional<Result<RemoteTree>> RemoteTree::parseFindOutput(const QByteArray &out,
                                                              const QByteArray &nonce,
                                                              const IgnoreRules &rules)
{
    FindOutputReader reader(nonce, rules);
    reader.feed(out);
    return reader.finish();
}

Result<RemoteTree> RemoteTree::list(ssh_session session, sftp_session sftp,
                                    const QByteArray &root, const IgnoreRules &rules,
                                    const std::atomic_bool &cancel)
{
    // The root must be there for find; a missing root is a first sync, told by SFTP at once.
    if (sftp_attributes a = sftp_stat(sftp, root.constData())) {
        const bool isDir = (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? S_ISDIR(a->permissions)
                                                                     : true;
        sftp_attributes_free(a);
        if (isDir) {
            const QByteArray nonce = QByteArray::number(
                QRandomGenerator::system()->generate64(), 36);
            // Read as it comes: only an unfinished entry is held, and what the ignore rules
            // exclude (a folder of a million checkpoints) is never kept.
            FindOutputReader reader(nonce, rules);
            Result<RemoteCommand> r = RemoteCommand::run(
                session, findScript(root, nonce),
                [&](QByteArrayView bytes) { return !cancel.load() && reader.feed(bytes); });
            if (cancel.load())
                return Error{ErrorCode::Cancelled, u"The sync was cancelled."_s};
            if (!r)
                return r.error();
            if (std::optional<Result<RemoteTree>> found = reader.finish())
                return std::move(*found);
        }
    }
    if (cancel.load())
        return Error{ErrorCode::Cancelled, u"The sync was cancelled."_s};
    RemoteTree tree;
    std::optional<Error> error;
    if (!listFolder(sftp, root, QString(), QByteArray(), rules, cancel, &tree, &error)) {
        if (error)
            return *error;
        return Error{ErrorCode::Cancelled, u"The sync was cancelled."_s};
    }
    return tree;
}

} // namespace gpuwb
