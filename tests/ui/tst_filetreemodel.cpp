#include "core/fs/localfilesystem.h"
#include "ui/files/filetreemodel.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QItemSelectionModel>
#include <QMimeData>
#include <QUrl>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

void touch(const QString &path, const QByteArray &data = "x")
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
    f.write(data);
}

} // namespace

class TestFileTreeModel : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_root;
    std::unique_ptr<LocalFileSystem> m_fs;
    std::unique_ptr<FileTreeModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;

    Location at(const QString &relative) const { return Location::local(m_root + u'/' + relative); }

    QStringList names(const QModelIndex &parent = {}) const
    {
        QStringList result;
        for (int row = 0; row < m_model->rowCount(parent); ++row)
            result << m_model->index(row, 0, parent).data(Qt::EditRole).toString();
        return result;
    }

    void load()
    {
        m_model->setRoot(m_fs.get(), Location::local(m_root));
        QTRY_VERIFY(m_model->isLoaded(Location::local(m_root)));
    }

    void expand(const Location &dir)
    {
        const QModelIndex index = m_model->index(dir);
        QVERIFY(index.isValid());
        // The model tester fetches everything it walks, so the folder may be listed already.
        if (m_model->canFetchMore(index))
            m_model->fetchMore(index);
        QTRY_VERIFY(m_model->isLoaded(dir));
    }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init()
    {
        m_tmp = std::make_unique<QTemporaryDir>();
        QVERIFY(m_tmp->isValid());
        m_root = m_tmp->path();
        m_fs = std::make_unique<LocalFileSystem>();
        m_model = std::make_unique<FileTreeModel>();
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    }

    void cleanup()
    {
        m_tester.reset();
        m_model.reset();
        m_fs.reset();
        m_tmp.reset();
    }

    void listsFoldersFirstInNaturalOrder()
    {
        for (const auto &dir : {u"src"_s, u"Build"_s, u"docs"_s})
            QVERIFY(QDir(m_root).mkdir(dir));
        for (const auto &file : {u"b.txt"_s, u"A.txt"_s, u"file10"_s, u"file2"_s, u"c.txt"_s,
                                 u"file01"_s})
            touch(m_root + u'/' + file);
        load();
        QCOMPARE(names(), (QStringList{u"Build"_s, u"docs"_s, u"src"_s, u"A.txt"_s, u"b.txt"_s,
                                       u"c.txt"_s, u"file01"_s, u"file2"_s, u"file10"_s}));

        const QModelIndex src = m_model->index(at(u"src"_s));
        QVERIFY(m_model->isDirectory(src));
        QCOMPARE(src.data(FileTreeModel::LocationRole).value<Location>(), at(u"src"_s));
        QVERIFY(!src.data(Qt::DecorationRole).isNull());
        const QModelIndex file = m_model->index(at(u"file2"_s));
        QVERIFY(!m_model->isDirectory(file));
        QCOMPARE(m_model->location(file), at(u"file2"_s));
        QVERIFY(m_model->flags(file) & Qt::ItemNeverHasChildren);
        QVERIFY(m_model->flags(file) & Qt::ItemIsEditable);
        QVERIFY(!file.siblingAtColumn(FileTreeModel::SizeColumn).data().toString().isEmpty());
        QVERIFY(!file.siblingAtColumn(FileTreeModel::ModifiedColumn).data().toString().isEmpty());
        QCOMPARE(m_model->root(), Location::local(m_root));
        QVERIFY(!m_model->index(m_model->root()).isValid()); // the root has no row
    }

    void listsFoldersOnlyWhenExpanded()
    {
        QVERIFY(QDir(m_root).mkpath(u"a/b/c"_s));
        touch(m_root + u"/a/file"_s);
        touch(m_root + u"/a/b/deep"_s);
        // The model tester walks and fetches the whole tree on every change; laziness is
        // checked without it, and the result with it at the end.
        m_tester.reset();
        load();
        const QModelIndex a = m_model->index(at(u"a"_s));
        QVERIFY(m_model->hasChildren(a));
        QCOMPARE(m_model->rowCount(a), 0);
        QVERIFY(!m_model->isLoaded(at(u"a"_s)));
        QVERIFY(m_model->canFetchMore(a));

        expand(at(u"a"_s));
        QCOMPARE(names(m_model->index(at(u"a"_s))), (QStringList{u"b"_s, u"file"_s}));
        QVERIFY(!m_model->isLoaded(at(u"a/b"_s)));
        QVERIFY(!m_model->canFetchMore(m_model->index(at(u"a"_s))));

        expand(at(u"a/b"_s));
        QCOMPARE(names(m_model->index(at(u"a/b"_s))), (QStringList{u"c"_s, u"deep"_s}));

        // An empty folder, once listed, has no children to offer.
        expand(at(u"a/b/c"_s));
        QVERIFY(!m_model->hasChildren(m_model->index(at(u"a/b/c"_s))));
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    }

    void externalChangesArriveWithoutReset()
    {
        QVERIFY(QDir(m_root).mkdir(u"sub"_s));
        touch(m_root + u"/m.txt"_s);
        touch(m_root + u"/sub/inner"_s);
        load();
        expand(at(u"sub"_s));

        QSignalSpy resets(m_model.get(), &QAbstractItemModel::modelAboutToBeReset);
        QSignalSpy layouts(m_model.get(), &QAbstractItemModel::layoutAboutToBeChanged);
        QItemSelectionModel selection(m_model.get());
        const QPersistentModelIndex kept = m_model->index(at(u"m.txt"_s));
        const QPersistentModelIndex sub = m_model->index(at(u"sub"_s));
        selection.select(kept, QItemSelectionModel::Select);

        // Created outside the app, sorting before the selected row.
        touch(m_root + u"/a-new.txt"_s);
        QTRY_VERIFY(m_model->index(at(u"a-new.txt"_s)).isValid());
        QCOMPARE(names(), (QStringList{u"sub"_s, u"a-new.txt"_s, u"m.txt"_s}));
        QVERIFY(kept.isValid());
        QCOMPARE(m_model->location(kept), at(u"m.txt"_s));
        QVERIFY(selection.isSelected(kept));

        // In an expanded subfolder.
        touch(m_root + u"/sub/second"_s);
        QTRY_COMPARE(names(sub), (QStringList{u"inner"_s, u"second"_s}));

        // Renamed outside the app.
        QVERIFY(QFile::rename(m_root + u"/sub/inner"_s, m_root + u"/sub/zz"_s));
        QTRY_COMPARE(names(sub), (QStringList{u"second"_s, u"zz"_s}));

        // Deleted outside the app.
        QVERIFY(QFile::remove(m_root + u"/a-new.txt"_s));
        QTRY_COMPARE(names(), (QStringList{u"sub"_s, u"m.txt"_s}));
        QVERIFY(selection.isSelected(kept));
        QVERIFY(sub.isValid());
        QVERIFY(m_model->isLoaded(at(u"sub"_s))); // still expanded

        // A new folder appears.
        QVERIFY(QDir(m_root).mkdir(u"later"_s));
        QTRY_VERIFY(m_model->index(at(u"later"_s)).isValid());
        QVERIFY(m_model->isDirectory(m_model->index(at(u"later"_s))));

        // A listed subfolder removed as a whole.
        QVERIFY(QDir(m_root + u"/sub"_s).removeRecursively());
        QTRY_VERIFY(!sub.isValid());

        // Modified: the size column follows on the next listing (inotify reports changes of
        // a folder's entries, not of its files' contents).
        touch(m_root + u"/m.txt"_s, QByteArray(5000, 'x'));
        m_model->refresh(at(u"m.txt"_s));
        QTRY_COMPARE(QModelIndex(kept).siblingAtColumn(FileTreeModel::SizeColumn).data().toString(),
                     QLocale().formattedDataSize(5000));

        QCOMPARE(resets.count(), 0);
        QCOMPARE(layouts.count(), 0);
    }

    void refreshPicksUpChangesOnRequest()
    {
        load();
        touch(m_root + u"/f"_s);
        m_model->refresh(Location::local(m_root));
        QTRY_VERIFY(m_model->index(at(u"f"_s)).isValid());
        // Refreshing a file refreshes its folder.
        touch(m_root + u"/g"_s);
        m_model->refresh(at(u"f"_s));
        QTRY_VERIFY(m_model->index(at(u"g"_s)).isValid());
    }

    void hostileNamesAreShown()
    {
        const QStringList hostile{u"with space"_s, u"quote's \"x\""_s, u"$(touch pwned)"_s,
                                  u"line\nbreak"_s, u"-rf"_s, u"\u65e5\u672c"_s};
        for (const QString &name : hostile)
            touch(m_root + u'/' + name);
        const QByteArray raw = QFile::encodeName(m_root) + "/raw-\xff\xfe";
        const int fd = ::open(raw.constData(), O_CREAT | O_WRONLY, 0644);
        QVERIFY(fd >= 0);
        ::close(fd);

        load();
        QCOMPARE(m_model->rowCount(), hostile.size() + 1);
        for (const QString &name : hostile) {
            const QModelIndex index = m_model->index(at(name));
            QVERIFY2(index.isValid(), qPrintable(name));
            QCOMPARE(index.data(Qt::EditRole).toString(), name);
            QVERIFY(!index.data(Qt::DisplayRole).toString().contains(u'\n'));
        }
        QCOMPARE(m_model->index(at(u"line\nbreak"_s)).data().toString(),
                 u"line\u2424break"_s);
        QVERIFY(!QFile::exists(QDir::current().filePath(u"pwned"_s)));
        ::unlink(raw.constData()); // QTemporaryDir cannot remove names that are not UTF-8
    }

    void editingTheNameRenames()
    {
        touch(m_root + u"/old.txt"_s);
        touch(m_root + u"/taken"_s);
        load();
        QSignalSpy renamed(m_model.get(), &FileTreeModel::renamed);
        QSignalSpy errors(m_model.get(), &FileTreeModel::errorOccurred);

        QVERIFY(m_model->setData(m_model->index(at(u"old.txt"_s)), u"new name.txt"_s));
        QTRY_VERIFY(m_model->index(at(u"new name.txt"_s)).isValid());
        QVERIFY(QFile::exists(m_root + u"/new name.txt"_s));
        QVERIFY(!m_model->index(at(u"old.txt"_s)).isValid());
        QCOMPARE(renamed.count(), 1);
        QCOMPARE(renamed.at(0).at(1).value<Location>(), at(u"new name.txt"_s));

        QVERIFY(!m_model->setData(m_model->index(at(u"taken"_s)), u"a/b"_s));
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(0).value<Error>().code, ErrorCode::InvalidName);

        QVERIFY(m_model->setData(m_model->index(at(u"taken"_s)), u"new name.txt"_s));
        QTRY_COMPARE(errors.count(), 2);
        QCOMPARE(errors.at(1).at(0).value<Error>().code, ErrorCode::Exists);
        QVERIFY(QFile::exists(m_root + u"/taken"_s));
    }

    void missingRootReportsAnError()
    {
        QSignalSpy errors(m_model.get(), &FileTreeModel::errorOccurred);
        m_model->setRoot(m_fs.get(), at(u"does-not-exist"_s));
        QTRY_COMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(0).value<Error>().code, ErrorCode::NotFound);
        QCOMPARE(m_model->rowCount(), 0);
    }

    // The project folder deleted while open (docs/ERRORS.md): the tree follows the disk (no
    // rows, one not-found error for the view to show) and comes back when the folder does.
    void deletedRootEmptiesTheTree()
    {
        QVERIFY(QDir(m_root).mkpath(u"src/pkg"_s));
        touch(m_root + u"/src/pkg/a.py"_s);
        touch(m_root + u"/main.py"_s);
        load();
        expand(at(u"src"_s));
        QSignalSpy errors(m_model.get(), &FileTreeModel::errorOccurred);

        QVERIFY(QDir(m_root).removeRecursively());
        QTRY_COMPARE(m_model->rowCount(), 0);
        QTRY_VERIFY(!errors.isEmpty());
        QCOMPARE(errors.last().at(0).value<Error>().code, ErrorCode::NotFound);
        QCOMPARE(m_model->root(), Location::local(m_root)); // still the project's folder

        QVERIFY(QDir().mkpath(m_root));
        touch(m_root + u"/back.py"_s);
        m_model->refresh(Location::local(m_root));
        QTRY_COMPARE(names(), QStringList{u"back.py"_s});
    }

    void changingTheRootDropsTheOldTree()
    {
        QVERIFY(QDir(m_root).mkpath(u"one/x"_s));
        QVERIFY(QDir(m_root).mkpath(u"two/y"_s));
        m_model->setRoot(m_fs.get(), at(u"one"_s));
        // Switch before the first listing can have arrived.
        m_model->setRoot(m_fs.get(), at(u"two"_s));
        QTRY_VERIFY(m_model->isLoaded(at(u"two"_s)));
        QCOMPARE(names(), QStringList{u"y"_s});
        QTest::qWait(100);
        QCOMPARE(names(), QStringList{u"y"_s});

        m_model->setRoot(nullptr, Location());
        QCOMPARE(m_model->rowCount(), 0);
        QVERIFY(!m_model->root().isValid());
    }

    void showsPermissionsLikeLs()
    {
        QCOMPARE(FileTreeModel::permissionsText(0750), u"rwxr-x---"_s);
        QCOMPARE(FileTreeModel::permissionsText(0644), u"rw-r--r--"_s);
        QCOMPARE(FileTreeModel::permissionsText(04755), u"rwsr-xr-x"_s);
        QCOMPARE(FileTreeModel::permissionsText(02640), u"rw-r-S---"_s);
        QCOMPARE(FileTreeModel::permissionsText(01777), u"rwxrwxrwt"_s);
        QCOMPARE(FileTreeModel::permissionsText(0), QString()); // unknown, not "---------"

        touch(m_root + u"/script.sh"_s);
        QVERIFY(QFile::setPermissions(m_root + u"/script.sh"_s,
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
                                          | QFile::ReadGroup | QFile::ExeGroup));
        load();
        const QModelIndex script = m_model->index(at(u"script.sh"_s));
        QCOMPARE(script.siblingAtColumn(FileTreeModel::PermissionsColumn).data().toString(),
                 u"rwxr-x---"_s);
        QCOMPARE(m_model->headerData(FileTreeModel::PermissionsColumn, Qt::Horizontal)
                     .toString(),
                 u"Permissions"_s);

        // A chmod shows after the next listing.
        QVERIFY(QFile::setPermissions(m_root + u"/script.sh"_s,
                                      QFile::ReadOwner | QFile::WriteOwner));
        m_model->refresh(Location::local(m_root));
        QTRY_COMPARE(QModelIndex(m_model->index(at(u"script.sh"_s)))
                         .siblingAtColumn(FileTreeModel::PermissionsColumn)
                         .data()
                         .toString(),
                     u"rw-------"_s);
    }

    void dragDataRoundTripsHostileLocations()
    {
        const QList<Location> sent{
            Location::remote(u"gpu-1"_s, u"/home/me/a \"$(rm -rf ~)\" b"_s),
            Location::remote(u"gpu-1"_s, u"/tmp/new\nline/x:y"_s),
            Location::local(u"/tmp/it's ü.txt"_s),
            Location::local(u"/tmp/host:/not-remote"_s),
        };
        std::unique_ptr<QMimeData> data(FileTreeModel::mimeDataFor(sent));
        QVERIFY(data->hasFormat(FileTreeModel::locationsMimeType()));
        QCOMPARE(FileTreeModel::locationsFrom(data.get()), sent);
        // Other programs get the local files as URLs.
        QCOMPARE(data->urls(), (QList<QUrl>{QUrl::fromLocalFile(u"/tmp/it's ü.txt"_s),
                                            QUrl::fromLocalFile(u"/tmp/host:/not-remote"_s)}));

        // Local files dragged from a desktop file manager.
        QMimeData desktop;
        desktop.setUrls({QUrl::fromLocalFile(u"/tmp/a b.txt"_s), QUrl(u"https://x.org/"_s)});
        QCOMPARE(FileTreeModel::locationsFrom(&desktop),
                 QList<Location>{Location::local(u"/tmp/a b.txt"_s)});

        // Garbage in our type gives nothing rather than junk.
        QMimeData garbage;
        garbage.setData(FileTreeModel::locationsMimeType(), QByteArray("\xff\xff\xff\x7f junk"));
        QVERIFY(FileTreeModel::locationsFrom(&garbage).isEmpty());
        QVERIFY(FileTreeModel::locationsFrom(nullptr).isEmpty());
    }

    void dragsRowsAndAcceptsDropsFromTheOtherSide()
    {
        QVERIFY(QDir(m_root).mkdir(u"dir"_s));
        touch(m_root + u"/file"_s);
        load();
        const QModelIndex dir = m_model->index(at(u"dir"_s));
        const QModelIndex file = m_model->index(at(u"file"_s));
        QVERIFY(m_model->flags(dir) & Qt::ItemIsDropEnabled);
        QVERIFY(!(m_model->flags(file) & Qt::ItemIsDropEnabled));
        QVERIFY(m_model->flags(file) & Qt::ItemIsDragEnabled);
        QVERIFY(m_model->mimeTypes().contains(FileTreeModel::locationsMimeType()));

        std::unique_ptr<QMimeData> dragged(
            m_model->mimeData({file, file.siblingAtColumn(FileTreeModel::SizeColumn), dir}));
        QCOMPARE(FileTreeModel::locationsFrom(dragged.get()),
                 (QList<Location>{at(u"file"_s), at(u"dir"_s)}));

        // Local onto local: not a transfer.
        QVERIFY(!m_model->canDropMimeData(dragged.get(), Qt::CopyAction, -1, -1, dir));
        QSignalSpy requested(m_model.get(), &FileTreeModel::transferRequested);
        QVERIFY(!m_model->dropMimeData(dragged.get(), Qt::CopyAction, -1, -1, dir));
        QCOMPARE(requested.count(), 0);

        // Remote onto a local folder, onto a file (its folder) and onto the root.
        const Location remote = Location::remote(u"gpu1"_s, u"/data/run 1"_s);
        std::unique_ptr<QMimeData> fromRemote(FileTreeModel::mimeDataFor({remote}));
        QVERIFY(m_model->dropMimeData(fromRemote.get(), Qt::CopyAction, -1, -1, dir));
        QVERIFY(m_model->dropMimeData(fromRemote.get(), Qt::CopyAction, -1, -1, file));
        QVERIFY(m_model->dropMimeData(fromRemote.get(), Qt::CopyAction, 0, 0, QModelIndex()));
        QCOMPARE(requested.count(), 3);
        QCOMPARE(requested.at(0).at(0).value<QList<Location>>(), QList<Location>{remote});
        QCOMPARE(requested.at(0).at(1).value<Location>(), at(u"dir"_s));
        QCOMPARE(requested.at(1).at(1).value<Location>(), Location::local(m_root));
        QCOMPARE(requested.at(2).at(1).value<Location>(), Location::local(m_root));
        QVERIFY(!m_model->canDropMimeData(fromRemote.get(), Qt::LinkAction, -1, -1, dir));
    }

    void tenThousandEntriesArriveInOneInsert()
    {
        for (int i = 0; i < 10000; ++i) {
            QFile f(m_root + u"/f"_s + QString::number(i));
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        m_tester.reset(); // it walks every row on every change: not what is measured here
        QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
        load();
        QCOMPARE(m_model->rowCount(), 10000);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(names().mid(0, 3), (QStringList{u"f0"_s, u"f1"_s, u"f2"_s}));
        QCOMPARE(names().last(), u"f9999"_s);
    }
};

QTEST_MAIN(TestFileTreeModel)
#include "tst_filetreemodel.moc"
