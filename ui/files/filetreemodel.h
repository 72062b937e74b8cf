#pragma once

#include "core/fs/filesystem.h"

#include <QAbstractItemModel>
#include <QFont>
#include <QIcon>
#include <QPointer>
#include <QSet>

#include <memory>
#include <vector>

class QMimeData;
class QTimer;

namespace gpuwb {

// A tree of the files below one root folder, read through the FileSystem interface so that
// local and remote folders look the same (principle 1). Folders are listed lazily, when a view
// expands them (canFetchMore()/fetchMore()), asynchronously; the root is listed at once.
// Listed folders are watched, and each change is applied by comparing the new listing with
// the rows already there, inserting and removing only what changed, so that expansion and
// selection survive. Folders sort before files, then names in natural, case-insensitive order.
// Lives on the UI thread; it does not own the FileSystem.
class FileTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, SizeColumn, ModifiedColumn, PermissionsColumn, ColumnCount };
    enum Role {
        LocationRole = Qt::UserRole + 1, // QVariant of gpuwb::Location
        IsDirectoryRole,
        IsLoadingRole, // a folder whose listing has been asked for and not arrived yet
    };

    explicit FileTreeModel(QObject *parent = nullptr);
    ~FileTreeModel() override;

    // The private drag-and-drop type: a list of Locations (host and path, exact bytes kept).
    static QString locationsMimeType();
    // "rwxr-x---" for the permission bits 0750; empty when `permissions` is 0 (unknown).
    static QString permissionsText(quint32 permissions);
    // What a drag carries: the Locations, and for local files also text/uri-list.
    static QMimeData *mimeDataFor(const QList<Location> &locations);
    // The Locations a drop carries (ours, or local files from text/uri-list); empty if none.
    static QList<Location> locationsFrom(const QMimeData *data);

    // Why `name` cannot name a file ("", ".", "..", or with a "/"), for people; empty when
    // it can.
    static QString nameProblem(const QString &name);

    // Shows the entries of `root` (the root itself is not a row). Lists it at once.
    void setRoot(FileSystem *fileSystem, const Location &root);
    Location root() const;
    FileSystem *fileSystem() const { return m_fs; }

    Location location(const QModelIndex &index) const;
    bool isDirectory(const QModelIndex &index) const;
    // The row of `location` when it and its folder are listed already; invalid otherwise (and
    // for the root, which has no row).
    QModelIndex index(const Location &location) const;
    using QAbstractItemModel::index;
    // Whether `dir` (the root or a folder row) has been listed.
    bool isLoaded(const Location &dir) const;
    // Lists `location` again if it is a listed folder, or the folder of `location` if it is a
    // file; does nothing for folders not listed yet.
    void refresh(const Location &location);

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    // Editing the name renames the file; the row follows when the rename is done.
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    // Drag rows out; drop Locations from elsewhere (another host, or local files onto a
    // remote tree) onto a folder row or the root: that asks for a copy (transferRequested),
    // it moves nothing itself. Drops of Locations on the same host are refused.
    QStringList mimeTypes() const override;
    QMimeData *mimeData(const QModelIndexList &indexes) const override;
    Qt::DropActions supportedDragActions() const override;
    Qt::DropActions supportedDropActions() const override;
    bool canDropMimeData(const QMimeData *data, Qt::DropAction action, int row, int column,
                         const QModelIndex &parent) const override;
    bool dropMimeData(const QMimeData *data, Qt::DropAction action, int row, int column,
                      const QModelIndex &parent) override;
    // The folder a drop at (row, parent) goes into: a folder row, a file's folder, the root.
    Location dropTarget(int row, const QModelIndex &parent) const;

signals:
    // A folder (or the root) has been listed, first time or again.
    void directoryLoaded(const gpuwb::Location &dir);
    // Listing or renaming failed; the message says what to do.
    void errorOccurred(const gpuwb::Error &error);
    // A rename started through setData() finished well.
    void renamed(const gpuwb::Location &from, const gpuwb::Location &to);
    // Locations were dropped onto `targetDir` to be copied there.
    void transferRequested(const QList<gpuwb::Location> &sources,
                           const gpuwb::Location &targetDir);

private:
    struct Node;
    enum class State { NotLoaded, Loading, Loaded };

    Node *nodeFor(const QModelIndex &index) const;
    Node *nodeFor(const Location &location) const;
    QModelIndex indexFor(const Node *node, int column = 0) const;
    int rowOf(const Node *node) const;
    void startListing(Node *dir);
    void applyListing(Node *dir, QList<FileInfo> entries);
    void forgetSubtree(Node *node);
    void onChanged(const Location &location);
    void flushPendingRefreshes();
    bool lessThan(const FileInfo &a, const FileInfo &b) const;
    void clear();

    QPointer<FileSystem> m_fs;
    std::unique_ptr<Node> m_root;
    // Bumped by setRoot(), so that listings for an earlier root are ignored.
    quint64 m_generation = 0;
    quint64 m_nextRequest = 0;
    QSet<Location> m_watched;
    QSet<Location> m_pendingRefresh;
    QTimer *m_refreshTimer = nullptr;
    QMetaObject::Connection m_changedConnection;
    QIcon m_folderIcon;
    QIcon m_fileIcon;
    QFont m_fixedFont;
};

} // namespace gpuwb
