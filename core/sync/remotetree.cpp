#include "core/sync/remotetree.h"

#include "core/fs/location.h"
#include "core/ssh/remotepath.h"
#include "core/ssh/sftpops.h"
#include "core/sync/localtree.h"
#include "core/ssh/remotecommand.h"
#include "core/util/shellquote.h"

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
        RemoteTree::Item item;
        item.isDirectory = isDir;
        item.size = isDir ? 0 : qint64(a->size);
        item.mtime = qint64(a->mtime);
        item.mode = a->permissions & 07777;
        // A symlink is neither: mark it with an impossible mode so it never compares equal.
        if ((a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) && S_ISLNK(a->permissions))
            item.mode = 0xFFFFFFFF;
        sftp_attributes_free(a);
        if (name == "." || name == "..")
            continue;
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

std::optional<RemoteTree> RemoteTree::listWithFind(ssh_session session, const QByteArray &root,
                                                  const IgnoreRules &rules)
{
    // One line per entry: type, size, mtime, octal mode, path below the root; NUL-terminated,
    // so any name (newlines included) comes through. .git is never entered.
    const QByteArray command = toRemoteBytes(shellJoin(
        {u"find"_s, fromRemoteBytes(root), u"-mindepth"_s, u"1"_s, u"-name"_s, u".git"_s,
         u"-prune"_s, u"-o"_s, u"-printf"_s, u"%y %s %T@ %m %P\\0"_s}));
    Result<RemoteCommand> r = RemoteCommand::run(session, command, qsizetype(1) << 30);
    if (!r || r->exitCode != 0)
        return std::nullopt;
    RemoteTree tree;
    tree.rootExists = true;
    const QByteArray &out = r->output;
    qsizetype at = 0;
    while (at < out.size()) {
        const qsizetype end = out.indexOf('\0', at);
        if (end < 0)
            return std::nullopt;
        const QByteArray line = out.mid(at, end - at);
        at = end + 1;
        // "T SIZE MTIME MODE PATH": split the first four fields; the path keeps its spaces.
        qsizetype fields[4];
        qsizetype pos = 0;
        for (int i = 0; i < 4; ++i) {
            pos = line.indexOf(' ', pos);
            if (pos < 0)
                return std::nullopt;
            fields[i] = pos++;
        }
        const char type = line.at(0);
        const QByteArray size = line.mid(fields[0] + 1, fields[1] - fields[0] - 1);
        QByteArray mtime = line.mid(fields[1] + 1, fields[2] - fields[1] - 1);
        if (const qsizetype dot = mtime.indexOf('.'); dot >= 0)
            mtime.truncate(dot);
        const QByteArray mode = line.mid(fields[2] + 1, fields[3] - fields[2] - 1);
        const QByteArray name = line.mid(fields[3] + 1);
        if (name.isEmpty() || name == ".git")
            continue;
        const QString path = fromRemoteBytes(name);
        const bool isDir = type == 'd';
        const QString base = path.mid(path.lastIndexOf(u'/') + 1);
        if (isSyncTemporaryName(base)) {
            if (!rules.isIgnored(path, isDir))
                tree.leftovers.append(path);
            continue;
        }
        if (rules.isIgnored(path, isDir))
            continue;
        Item item;
        item.isDirectory = isDir;
        item.size = isDir ? 0 : size.toLongLong();
        item.mtime = mtime.toLongLong();
        item.mode = type == 'l' ? 0xFFFFFFFF : mode.toUInt(nullptr, 8);
        tree.items.insert(path, item);
    }
    // A leftover staging folder's content is not ours to compare.
    QStringList leftovers;
    for (const QString &l : std::as_const(tree.leftovers)) {
        bool inside = false;
        for (const QString &other : std::as_const(tree.leftovers))
            inside |= l.startsWith(other + u'/');
        if (!inside)
            leftovers.append(l);
    }
    tree.leftovers = leftovers;
    for (auto it = tree.items.begin(); it != tree.items.end();) {
        bool inside = false;
        for (const QString &l : std::as_const(tree.leftovers))
            inside |= it.key().startsWith(l + u'/');
        it = inside ? tree.items.erase(it) : std::next(it);
    }
    return tree;
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
            if (std::optional<RemoteTree> found = listWithFind(session, root, rules))
                return std::move(*found);
        }
    }
    if (cancel.load())
        return Error{u"cancelled"_s, u"The sync was cancelled."_s};
    RemoteTree tree;
    std::optional<Error> error;
    if (!listFolder(sftp, root, QString(), QByteArray(), rules, cancel, &tree, &error)) {
        if (error)
            return *error;
        return Error{u"cancelled"_s, u"The sync was cancelled."_s};
    }
    return tree;
}

} // namespace gpuwb
