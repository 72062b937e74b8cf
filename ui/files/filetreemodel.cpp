#include "ui/files/filetreemodel.h"

#include "core/util/check.h"
#include "core/util/logging.h"

#include <QDataStream>
#include <QFileIconProvider>
#include <QFontDatabase>
#include <QHash>
#include <QIODevice>
#include <QLocale>
#include <QMimeData>
#include <QTimer>
#include <QUrl>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace gpuwb {

struct FileTreeModel::Node
{
    FileInfo info;
    Node *parent = nullptr;
    int row = 0;
    std::vector<std::unique_ptr<Node>> children;
    State state = State::NotLoaded;
    // The listing whose answer is awaited, 0 when none; a newer request supersedes older ones.
    quint64 request = 0;
    QString error;
};

namespace {

// Names can hold newlines and other control characters; show them, visibly, on one line.
QString displayName(const QString &name)
{
    QString shown = name;
    for (QChar &c : shown) {
        if (c == u'\n')
            c = QChar(0x2424); // SYMBOL FOR NEWLINE
        else if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            c = QChar(QChar::ReplacementCharacter);
    }
    return shown;
}

// Natural, case-insensitive order: "file2" before "file10", "apple" before "Banana". Runs of
// digits compare by value, everything else character by character ignoring case. (QCollator's
// numeric mode does nothing in the C locale, which is what tests and some desktops run in.)
int naturalCompare(QStringView a, QStringView b)
{
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].isDigit() && b[j].isDigit()) {
            qsizetype iEnd = i;
            qsizetype jEnd = j;
            while (iEnd < a.size() && a[iEnd].isDigit())
                ++iEnd;
            while (jEnd < b.size() && b[jEnd].isDigit())
                ++jEnd;
            // Leading zeros do not change the value.
            qsizetype iStart = i;
            qsizetype jStart = j;
            while (iStart + 1 < iEnd && a[iStart] == u'0')
                ++iStart;
            while (jStart + 1 < jEnd && b[jStart] == u'0')
                ++jStart;
            const qsizetype iDigits = iEnd - iStart;
            const qsizetype jDigits = jEnd - jStart;
            if (iDigits != jDigits)
                return iDigits < jDigits ? -1 : 1;
            if (const int order = a.sliced(iStart, iDigits).compare(b.sliced(jStart, jDigits)))
                return order;
            i = iEnd;
            j = jEnd;
            continue;
        }
        const char32_t ca = a[i].toCaseFolded().unicode();
        const char32_t cb = b[j].toCaseFolded().unicode();
        if (ca != cb)
            return ca < cb ? -1 : 1;
        ++i;
        ++j;
    }
    if (i < a.size())
        return 1;
    if (j < b.size())
        return -1;
    return 0;
}

} // namespace

FileTreeModel::FileTreeModel(QObject *parent)
    : QAbstractItemModel(parent)
    , m_refreshTimer(new QTimer(this))
{
    // Changes come in bursts (a build writing many files): list each folder once per burst.
    m_refreshTimer->setSingleShot(true);
    m_refreshTimer->setInterval(50);
    connect(m_refreshTimer, &QTimer::timeout, this, &FileTreeModel::flushPendingRefreshes);
    const QFileIconProvider icons;
    m_folderIcon = icons.icon(QAbstractFileIconProvider::Folder);
    m_fileIcon = icons.icon(QAbstractFileIconProvider::File);
    m_fixedFont = QFontDatabase::systemFont(QFontDatabase::FixedFont);
}

FileTreeModel::~FileTreeModel()
{
    clear();
}

QString FileTreeModel::locationsMimeType()
{
    return u"application/x-gpuwb-locations"_s;
}

QString FileTreeModel::permissionsText(quint32 permissions)
{
    if (permissions == 0)
        return {};
    QString text(9, u'-');
    static const char letters[] = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i) {
        if (permissions & (0400u >> i))
            text[i] = QChar::fromLatin1(letters[i]);
    }
    // setuid, setgid and sticky replace the x of their triad, as ls shows them.
    auto special = [&](quint32 bit, int pos, char withX, char withoutX) {
        if (permissions & bit)
            text[pos] = QChar::fromLatin1(text[pos] == u'x' ? withX : withoutX);
    };
    special(04000, 2, 's', 'S');
    special(02000, 5, 's', 'S');
    special(01000, 8, 't', 'T');
    return text;
}

QMimeData *FileTreeModel::mimeDataFor(const QList<Location> &locations)
{
    auto *data = new QMimeData;
    QByteArray encoded;
    QDataStream out(&encoded, QIODevice::WriteOnly);
    out << qint32(locations.size());
    for (const Location &location : locations)
        out << location.host() << location.path();
    data->setData(locationsMimeType(), encoded);
    QList<QUrl> urls;
    for (const Location &location : locations) {
        if (location.isLocal())
            urls << QUrl::fromLocalFile(location.path());
    }
    if (!urls.isEmpty())
        data->setUrls(urls);
    return data;
}

QList<Location> FileTreeModel::locationsFrom(const QMimeData *data)
{
    QList<Location> result;
    if (!data)
        return result;
    if (data->hasFormat(locationsMimeType())) {
        QDataStream in(data->data(locationsMimeType()));
        qint32 count = 0;
        in >> count;
        for (qint32 i = 0; i < count && in.status() == QDataStream::Ok; ++i) {
            QString host;
            QString path;
            in >> host >> path;
            if (in.status() != QDataStream::Ok || !path.startsWith(u'/'))
                break;
            result << (host.isEmpty() ? Location::local(path) : Location::remote(host, path));
        }
        return result;
    }
    for (const QUrl &url : data->urls()) {
        if (url.isLocalFile() && url.toLocalFile().startsWith(u'/'))
            result << Location::local(url.toLocalFile());
    }
    return result;
}

QString FileTreeModel::nameProblem(const QString &name)
{
    if (name.isEmpty() || name == u"." || name == u".." || name.contains(u'/')
        || name.contains(QChar(0))) {
        return u"“%1” cannot be used as a name: a name must not be empty, “.” or “..”, "
               "or contain “/”; choose another"_s.arg(displayName(name));
    }
    return {};
}

void FileTreeModel::clear()
{
    if (m_fs) {
        for (const Location &dir : std::as_const(m_watched))
            m_fs->unwatch(dir);
    }
    m_watched.clear();
    m_pendingRefresh.clear();
    disconnect(m_changedConnection);
    m_root.reset();
}

void FileTreeModel::setRoot(FileSystem *fileSystem, const Location &root)
{
    beginResetModel();
    clear();
    ++m_generation;
    m_fs = fileSystem;
    if (m_fs && root.isValid()) {
        m_root = std::make_unique<Node>();
        m_root->info.location = root;
        m_root->info.name = root.fileName();
        m_root->info.isDirectory = true;
        m_changedConnection = connect(m_fs, &FileSystem::changed, this, &FileTreeModel::onChanged);
    }
    endResetModel();
    if (m_root)
        startListing(m_root.get());
}

Location FileTreeModel::root() const
{
    return m_root ? m_root->info.location : Location();
}

Location FileTreeModel::location(const QModelIndex &index) const
{
    const Node *node = nodeFor(index);
    return node ? node->info.location : Location();
}

bool FileTreeModel::isDirectory(const QModelIndex &index) const
{
    const Node *node = nodeFor(index);
    return node && node->info.isDirectory;
}

QModelIndex FileTreeModel::index(const Location &location) const
{
    return indexFor(nodeFor(location));
}

bool FileTreeModel::isLoaded(const Location &dir) const
{
    const Node *node = nodeFor(dir);
    return node && node->info.isDirectory && node->state == State::Loaded;
}

void FileTreeModel::refresh(const Location &location)
{
    Node *node = nodeFor(location);
    if (!node)
        return;
    if (!node->info.isDirectory)
        node = node->parent;
    if (node && node->state != State::NotLoaded)
        startListing(node);
}

FileTreeModel::Node *FileTreeModel::nodeFor(const QModelIndex &index) const
{
    if (!index.isValid())
        return m_root.get();
    GPUWB_CHECK(index.model() == this, return nullptr);
    return static_cast<Node *>(index.internalPointer());
}

FileTreeModel::Node *FileTreeModel::nodeFor(const Location &location) const
{
    if (!m_root)
        return nullptr;
    if (location == m_root->info.location)
        return m_root.get();
    const QString relative = location.relativeTo(m_root->info.location);
    if (relative.isEmpty())
        return nullptr;
    Node *node = m_root.get();
    for (const QString &name : relative.split(u'/')) {
        auto it = std::find_if(node->children.begin(), node->children.end(),
                               [&](const auto &child) { return child->info.name == name; });
        if (it == node->children.end())
            return nullptr;
        node = it->get();
    }
    return node;
}

QModelIndex FileTreeModel::indexFor(const Node *node, int column) const
{
    if (!node || node == m_root.get())
        return {};
    return createIndex(node->row, column, const_cast<Node *>(node));
}

QModelIndex FileTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    const Node *node = nodeFor(parent);
    return createIndex(row, column, node->children[size_t(row)].get());
}

QModelIndex FileTreeModel::parent(const QModelIndex &child) const
{
    const Node *node = child.isValid() ? nodeFor(child) : nullptr;
    return node ? indexFor(node->parent) : QModelIndex();
}

int FileTreeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.column() > 0)
        return 0;
    const Node *node = nodeFor(parent);
    return node ? int(node->children.size()) : 0;
}

int FileTreeModel::columnCount(const QModelIndex &parent) const
{
    return ColumnCount;
}

bool FileTreeModel::hasChildren(const QModelIndex &parent) const
{
    if (parent.column() > 0)
        return false;
    const Node *node = nodeFor(parent);
    if (!node || !node->info.isDirectory)
        return false;
    // Unlisted folders offer to expand; expanding lists them.
    return node->state != State::Loaded || !node->children.empty();
}

QVariant FileTreeModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.model() != this)
        return {};
    const Node *node = nodeFor(index);
    const FileInfo &info = node->info;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn: return displayName(info.name);
        case SizeColumn:
            return info.isDirectory ? QString() : QLocale().formattedDataSize(info.size);
        case ModifiedColumn:
            return info.modified.isValid()
                       ? QLocale().toString(info.modified.toLocalTime(), QLocale::ShortFormat)
                       : QString();
        case PermissionsColumn: return permissionsText(info.permissions);
        }
        return {};
    case Qt::FontRole:
        if (index.column() == PermissionsColumn)
            return m_fixedFont;
        return {};
    case Qt::EditRole:
        return index.column() == NameColumn ? QVariant(info.name) : QVariant();
    case Qt::DecorationRole:
        if (index.column() == NameColumn)
            return info.isDirectory ? m_folderIcon : m_fileIcon;
        return {};
    case Qt::ToolTipRole: {
        QString tip = info.location.displayName();
        if (info.isSymlink)
            tip += u" (symbolic link)"_s;
        if (node->state == State::Loading)
            tip += u"\nLoading…"_s;
        if (!node->error.isEmpty())
            tip += u'\n' + node->error;
        return tip;
    }
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case LocationRole: return QVariant::fromValue(info.location);
    case IsDirectoryRole: return info.isDirectory;
    case IsLoadingRole: return node->state == State::Loading;
    }
    return {};
}

QVariant FileTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return tr("Name");
    case SizeColumn: return tr("Size");
    case ModifiedColumn: return tr("Modified");
    case PermissionsColumn: return tr("Permissions");
    }
    return {};
}

Qt::ItemFlags FileTreeModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return m_root ? Qt::ItemIsDropEnabled : Qt::NoItemFlags; // drops onto the root folder
    if (index.model() != this)
        return Qt::NoItemFlags;
    Qt::ItemFlags result = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled;
    if (index.column() == NameColumn)
        result |= Qt::ItemIsEditable;
    if (!nodeFor(index)->info.isDirectory)
        result |= Qt::ItemNeverHasChildren;
    else
        result |= Qt::ItemIsDropEnabled;
    return result;
}

bool FileTreeModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || index.column() != NameColumn
        || !index.isValid() || index.model() != this || !m_fs) {
        return false;
    }
    const Location from = location(index);
    const QString name = value.toString();
    if (name == from.fileName())
        return false;
    if (const QString problem = nameProblem(name); !problem.isEmpty()) {
        emit errorOccurred(Error{ErrorCode::InvalidName, problem});
        return false;
    }
    const Location to = from.parent().child(name);
    const quint64 generation = m_generation;
    m_fs->rename(from, to, this, [this, from, to, generation](Status status) {
        if (generation != m_generation)
            return;
        if (status.ok())
            emit renamed(from, to);
        else
            emit errorOccurred(status.error());
        refresh(from.parent());
    });
    return true;
}

bool FileTreeModel::canFetchMore(const QModelIndex &parent) const
{
    if (parent.column() > 0)
        return false;
    const Node *node = nodeFor(parent);
    return node && node->info.isDirectory && node->state == State::NotLoaded;
}

void FileTreeModel::fetchMore(const QModelIndex &parent)
{
    if (canFetchMore(parent))
        startListing(nodeFor(parent));
}

QStringList FileTreeModel::mimeTypes() const
{
    return {locationsMimeType(), u"text/uri-list"_s};
}

QMimeData *FileTreeModel::mimeData(const QModelIndexList &indexes) const
{
    QList<Location> locations;
    for (const QModelIndex &index : indexes) {
        if (index.column() != NameColumn || index.model() != this)
            continue;
        const Location location = this->location(index);
        if (location.isValid() && !locations.contains(location))
            locations << location;
    }
    return locations.isEmpty() ? nullptr : mimeDataFor(locations);
}

Qt::DropActions FileTreeModel::supportedDragActions() const
{
    return Qt::CopyAction;
}

Qt::DropActions FileTreeModel::supportedDropActions() const
{
    return Qt::CopyAction;
}

Location FileTreeModel::dropTarget(int row, const QModelIndex &parent) const
{
    Q_UNUSED(row); // between rows of a folder still means into that folder
    if (!m_root)
        return {};
    if (!parent.isValid())
        return m_root->info.location;
    const Node *node = nodeFor(parent);
    if (!node)
        return {};
    return node->info.isDirectory ? node->info.location : node->info.location.parent();
}

bool FileTreeModel::canDropMimeData(const QMimeData *data, Qt::DropAction action, int row,
                                    int column, const QModelIndex &parent) const
{
    Q_UNUSED(column);
    if (action != Qt::CopyAction && action != Qt::MoveAction)
        return false;
    const Location target = dropTarget(row, parent);
    if (!target.isValid())
        return false;
    const QList<Location> sources = locationsFrom(data);
    if (sources.isEmpty())
        return false;
    // A transfer copies between this machine and one host; copies inside one side are not
    // what a drop here means.
    return std::all_of(sources.cbegin(), sources.cend(), [&](const Location &source) {
        return source.host() != target.host() && (source.isLocal() || target.isLocal());
    });
}

bool FileTreeModel::dropMimeData(const QMimeData *data, Qt::DropAction action, int row,
                                 int column, const QModelIndex &parent)
{
    if (!canDropMimeData(data, action, row, column, parent))
        return false;
    emit transferRequested(locationsFrom(data), dropTarget(row, parent));
    return true;
}

void FileTreeModel::startListing(Node *dir)
{
    if (!m_fs)
        return;
    if (dir->state == State::NotLoaded)
        dir->state = State::Loading;
    dir->request = ++m_nextRequest;
    const Location where = dir->info.location;
    const quint64 generation = m_generation;
    const quint64 request = dir->request;
    m_fs->list(where, this, [this, where, generation, request](Result<QList<FileInfo>> result) {
        if (generation != m_generation)
            return;
        Node *node = nodeFor(where);
        if (!node || node->request != request)
            return; // gone meanwhile, or a newer listing is on its way
        node->request = 0;
        const bool firstListing = node->state != State::Loaded;
        node->state = State::Loaded;
        if (!result.ok()) {
            node->error = result.errorMessage();
            const bool vanished = result.error().code == ErrorCode::NotFound;
            if (vanished) {
                // What was listed in a folder that is gone is gone too (the tree follows the
                // disk); a later listing that finds it again watches it again.
                applyListing(node, {});
                if (m_watched.remove(where))
                    m_fs->unwatch(where);
            }
            const QModelIndex index = indexFor(node);
            if (index.isValid())
                emit dataChanged(index, index.siblingAtColumn(ColumnCount - 1));
            // A subfolder that vanished is dropped by its parent's listing, so nothing is said;
            // the root has no parent: its loss (the project folder deleted) is said.
            if (firstListing || !vanished || node == m_root.get())
                emit errorOccurred(result.error());
            return;
        }
        node->error.clear();
        applyListing(node, std::move(result).value());
        if (!m_watched.contains(where)) {
            m_watched.insert(where);
            m_fs->watch(where);
        }
        if (firstListing) {
            const QModelIndex index = indexFor(node);
            if (index.isValid())
                emit dataChanged(index, index, {IsLoadingRole, Qt::ToolTipRole});
        }
        emit directoryLoaded(where);
    });
}

bool FileTreeModel::lessThan(const FileInfo &a, const FileInfo &b) const
{
    if (a.isDirectory != b.isDirectory)
        return a.isDirectory;
    if (const int order = naturalCompare(a.name, b.name))
        return order < 0;
    return a.name < b.name; // "a" and "A" are both there: keep a strict, stable order
}

void FileTreeModel::applyListing(Node *dir, QList<FileInfo> entries)
{
    std::sort(entries.begin(), entries.end(),
              [this](const FileInfo &a, const FileInfo &b) { return lessThan(a, b); });
    QHash<QString, qsizetype> wanted;
    wanted.reserve(entries.size());
    for (qsizetype i = 0; i < entries.size(); ++i)
        wanted.insert(entries[i].name, i);

    const QModelIndex parentIndex = indexFor(dir);
    auto &children = dir->children;
    auto renumber = [&](size_t from) {
        for (size_t i = from; i < children.size(); ++i)
            children[i]->row = int(i);
    };

    // 1. Remove rows that are gone (or changed between file and folder), in runs from the end.
    auto keep = [&](const Node *child) {
        auto it = wanted.constFind(child->info.name);
        return it != wanted.cend() && entries[*it].isDirectory == child->info.isDirectory;
    };
    for (int i = int(children.size()) - 1; i >= 0; --i) {
        if (keep(children[size_t(i)].get()))
            continue;
        const int last = i;
        while (i > 0 && !keep(children[size_t(i - 1)].get()))
            --i;
        beginRemoveRows(parentIndex, i, last);
        for (int k = i; k <= last; ++k)
            forgetSubtree(children[size_t(k)].get());
        children.erase(children.begin() + i, children.begin() + last + 1);
        renumber(size_t(i));
        endRemoveRows();
    }

    // 2. Update what stayed.
    for (const auto &child : children) {
        const FileInfo &fresh = entries[wanted.value(child->info.name)];
        FileInfo &info = child->info;
        if (info.size != fresh.size || info.modified != fresh.modified
            || info.isSymlink != fresh.isSymlink || info.writable != fresh.writable
            || info.permissions != fresh.permissions) {
            info = fresh;
            const QModelIndex index = indexFor(child.get());
            emit dataChanged(index, index.siblingAtColumn(ColumnCount - 1));
        }
    }

    // 3. Insert what is new. What stayed is in the same order as `entries`, so walking both
    // finds each run of new entries and where it goes.
    size_t pos = 0;
    qsizetype next = 0;
    auto matches = [&](size_t p, qsizetype e) {
        return p < children.size() && children[p]->info.name == entries[e].name;
    };
    while (next < entries.size()) {
        if (matches(pos, next)) {
            ++pos;
            ++next;
            continue;
        }
        const qsizetype runStart = next;
        while (next < entries.size() && !matches(pos, next))
            ++next;
        const int count = int(next - runStart);
        beginInsertRows(parentIndex, int(pos), int(pos) + count - 1);
        std::vector<std::unique_ptr<Node>> fresh;
        fresh.reserve(size_t(count));
        for (qsizetype e = runStart; e < next; ++e) {
            auto node = std::make_unique<Node>();
            node->info = entries[e];
            node->parent = dir;
            fresh.push_back(std::move(node));
        }
        children.insert(children.begin() + qsizetype(pos), std::make_move_iterator(fresh.begin()),
                        std::make_move_iterator(fresh.end()));
        renumber(pos);
        endInsertRows();
        pos += size_t(count);
    }
    GPUWB_CHECK(children.size() == size_t(entries.size()),
                qCWarning(lcUi) << "file tree out of step with" << dir->info.location.toString());
}

void FileTreeModel::forgetSubtree(Node *node)
{
    if (!node->info.isDirectory)
        return;
    m_pendingRefresh.remove(node->info.location);
    if (m_watched.remove(node->info.location) && m_fs)
        m_fs->unwatch(node->info.location);
    for (const auto &child : node->children)
        forgetSubtree(child.get());
}

void FileTreeModel::onChanged(const Location &location)
{
    const Node *node = nodeFor(location);
    if (!node || !node->info.isDirectory || node->state == State::NotLoaded)
        return;
    m_pendingRefresh.insert(location);
    if (!m_refreshTimer->isActive())
        m_refreshTimer->start();
}

void FileTreeModel::flushPendingRefreshes()
{
    const QSet<Location> pending = std::exchange(m_pendingRefresh, {});
    for (const Location &dir : pending)
        refresh(dir);
}

} // namespace gpuwb
