#include "core/sync/localtree.h"

#include "core/ssh/remotepath.h"

#include <QFile>
#include <QHash>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

using namespace Qt::StringLiterals;

namespace gpuwb {

bool isSyncTemporaryName(QStringView name)
{
    return (name.startsWith(u".gpuwb-") && name.endsWith(u".part"))
        || name.startsWith(QStringView(SyncStagingPrefix));
}

namespace {

// Also a save's or a download's temporary (`.NAME.gpuwb-XXXX.part`) left by an interruption:
// never part of the project.
bool isAnyTemporaryName(QStringView name)
{
    return isSyncTemporaryName(name)
        || (name.startsWith(u'.') && name.contains(u".gpuwb-") && name.endsWith(u".part"));
}

QByteArray readSmallFile(int dirFd, const char *name)
{
    const int fd = ::openat(dirFd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    QByteArray data;
    char buffer[16384];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0 || data.size() > (4 << 20))
            break;
        data.append(buffer, n);
    }
    ::close(fd);
    return data;
}

// A link's target as the host should hold it: as written when it is relative and stays inside
// the project on its way (`latest -> ckpt-3`), else the way from the link's folder to where
// it resolves (`/home/me/proj/data/x` becomes `../data/x`), so that it works in the work
// folder too. `parent` is the link's folder relative to the root.
QByteArray linkTargetInside(const QByteArray &parent, const QByteArray &written,
                            const QByteArray &parentReal, const QByteArray &resolved)
{
    if (!written.startsWith('/')) {
        QList<QByteArray> parts = parent.isEmpty() ? QList<QByteArray>() : parent.split('/');
        bool inside = true;
        for (const QByteArray &part : written.split('/')) {
            if (part == "..") {
                if (parts.isEmpty()) {
                    inside = false;
                    break;
                }
                parts.removeLast();
            } else if (!part.isEmpty() && part != ".") {
                parts.append(part);
            }
        }
        if (inside)
            return written;
    }
    const QList<QByteArray> from = parentReal.split('/');
    const QList<QByteArray> to = resolved.split('/');
    qsizetype common = 0;
    while (common < from.size() && common < to.size() && from.at(common) == to.at(common))
        ++common;
    QByteArrayList way;
    for (qsizetype i = common; i < from.size(); ++i)
        way.append("..");
    for (qsizetype i = common; i < to.size(); ++i)
        way.append(to.at(i));
    return way.isEmpty() ? QByteArray(".") : way.join('/');
}

struct Walker
{
    QByteArray rootBytes;
    QByteArray realRoot; // the root with every link resolved
    const std::atomic_bool &cancel;
    LocalTree tree;
    QHash<QString, qsizetype> topIndex;
    std::optional<Error> error;

    void account(const QString &relative, qint64 bytes)
    {
        const qsizetype slash = relative.indexOf(u'/');
        if (slash < 0)
            return; // a file at the top
        const QString top = relative.left(slash);
        auto it = topIndex.find(top);
        if (it == topIndex.end()) {
            it = topIndex.insert(top, tree.topFolders.size());
            tree.topFolders.append({top, 0, 0});
        }
        SyncPlan::LargeFolder &folder = tree.topFolders[*it];
        folder.bytes += bytes;
        ++folder.files;
    }

    // `relative` is "" for the root or "a/b" (QString), `bytes` its on-disk relative form.
    void walkDirectory(const QString &relative, const QByteArray &bytes)
    {
        if (cancel.load() || error)
            return;
        const QByteArray full = bytes.isEmpty() ? rootBytes : rootBytes + '/' + bytes;
        DIR *dir = ::opendir(full.constData());
        if (!dir) {
            if (relative.isEmpty()) {
                error = Error{ErrorCode::NotFound,
                              u"Cannot read the project folder %1 (%2): check that it exists "
                              "and that you may read it."_s
                                  .arg(QFile::decodeName(rootBytes),
                                       QString::fromLocal8Bit(::strerror(errno)))};
            } else {
                tree.notes.append(u"%1/ skipped: it cannot be read (%2)."_s.arg(
                    relative, QString::fromLocal8Bit(::strerror(errno))));
            }
            return;
        }
        const int fd = ::dirfd(dir);
        const QByteArray gitignore = readSmallFile(fd, ".gitignore");
        if (!gitignore.isEmpty())
            tree.rules.addPatterns(relative, gitignore);
        QList<std::pair<QString, QByteArray>> subfolders;
        while (dirent *e = ::readdir(dir)) {
            const char *name = e->d_name;
            if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
                continue;
            const QByteArray nameBytes(name);
            const QString nameText = fromRemoteBytes(nameBytes);
            if (isAnyTemporaryName(nameText))
                continue;
            const QString path = relative.isEmpty() ? nameText : relative + u'/' + nameText;
            const QByteArray pathBytes = bytes.isEmpty() ? nameBytes : bytes + '/' + nameBytes;
            struct stat st;
            if (::fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue; // gone meanwhile
            if (S_ISLNK(st.st_mode)) {
                // A link is followed only inside the project: a cloned repository's
                // `data.txt -> ~/.ssh/id_ed25519` must never be uploaded (issue 10, item 7).
                char *real = ::realpath((rootBytes + '/' + pathBytes).constData(), nullptr);
                const QByteArray realPath = real ? QByteArray(real) : QByteArray();
                ::free(real);
                if (!realPath.isEmpty() && realPath != realRoot
                    && !realPath.startsWith(realRoot + '/')) {
                    if (!tree.rules.isIgnoredHere(path, false))
                        tree.notes.append(u"%1 skipped: a symlink that points out of the project "
                                          "(to %2); links are never followed out of it."_s.arg(
                                              path, QFile::decodeName(realPath)));
                    continue;
                }
                struct stat target;
                if (realPath.isEmpty() || ::fstatat(fd, name, &target, 0) != 0) {
                    if (!tree.rules.isIgnoredHere(path, false))
                        tree.notes.append(
                            u"%1 skipped: a symlink that points nowhere."_s.arg(path));
                    continue;
                }
                // Sent as a link (issue 10, item 7), as git and rsync -a keep them.
                if (tree.rules.isIgnoredHere(path, false))
                    continue;
                char written[4096];
                const ssize_t n = ::readlinkat(fd, name, written, sizeof written);
                if (n <= 0 || size_t(n) >= sizeof written)
                    continue; // changed meanwhile
                const QByteArray parentReal = bytes.isEmpty() ? realRoot : realRoot + '/' + bytes;
                SyncPlan::Entry link;
                link.path = path;
                link.mtime = qint64(st.st_mtim.tv_sec);
                link.mode = 0777;
                link.linkTarget = linkTargetInside(bytes, QByteArray(written, n), parentReal,
                                                   realPath);
                tree.links.append(link);
                continue;
            }
            const bool isDir = S_ISDIR(st.st_mode);
            if (!isDir && !S_ISREG(st.st_mode)) {
                if (!tree.rules.isIgnoredHere(path, false))
                    tree.notes.append(u"%1 skipped: not a regular file."_s.arg(path));
                continue;
            }
            if (tree.rules.isIgnoredHere(path, isDir))
                continue;
            SyncPlan::Entry entry;
            entry.path = path;
            entry.mtime = qint64(st.st_mtim.tv_sec);
            entry.mode = quint32(st.st_mode & 07777);
            if (isDir) {
                subfolders.append({path, pathBytes});
                tree.directories.append(entry);
            } else {
                entry.size = qint64(st.st_size);
                tree.files.append(entry);
                account(path, entry.size);
            }
        }
        ::closedir(dir);
        // Depth first, so a deeper .gitignore is added after (and wins over) its parents'.
        std::sort(subfolders.begin(), subfolders.end());
        for (const auto &[path, pathBytes] : subfolders)
            walkDirectory(path, pathBytes);
    }
};

} // namespace

Result<LocalTree> LocalTree::walk(const QString &root, const SyncOptions &options,
                                  const std::atomic_bool &cancel)
{
    Walker walker{QFile::encodeName(root), {}, cancel, {}, {}, {}};
    while (walker.rootBytes.size() > 1 && walker.rootBytes.endsWith('/'))
        walker.rootBytes.chop(1);
    if (char *real = ::realpath(walker.rootBytes.constData(), nullptr)) {
        walker.realRoot = QByteArray(real);
        ::free(real);
    } else {
        walker.realRoot = walker.rootBytes;
    }
    // The root's .gitignore first, then .gpuwbignore and the extra patterns, which win.
    const int rootFd = ::open(walker.rootBytes.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootFd >= 0) {
        const QByteArray own = readSmallFile(rootFd, ".gpuwbignore");
        ::close(rootFd);
        for (const QString &line : QString::fromUtf8(own).split(u'\n'))
            walker.tree.rules.addPattern(line);
    }
    for (const QString &pattern : options.extraIgnores)
        walker.tree.rules.addPattern(pattern);
    // The root's .gitignore must precede them in the file rules, which it does: the override
    // rules are evaluated after all file rules whatever the order of adding.
    walker.walkDirectory(QString(), QByteArray());
    if (walker.error)
        return *walker.error;
    if (cancel.load())
        return Error{ErrorCode::Cancelled, u"The sync was cancelled."_s};
    std::sort(walker.tree.directories.begin(), walker.tree.directories.end(),
              [](const SyncPlan::Entry &a, const SyncPlan::Entry &b) { return a.path < b.path; });
    return std::move(walker.tree);
}

} // namespace gpuwb
