#include "core/fs/localfilesystem.h"
#include "ui/files/filebrowser.h"
#include "ui/files/filetreemodel.h"
#include "ui/files/recentprojects.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QMenu>
#include <QMimeData>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

void touch(const QString &path)
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
    f.write("x");
}

} // namespace

// FileBrowser's actions on real files, and RecentProjects.
class TestFileBrowser : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_root;
    std::unique_ptr<LocalFileSystem> m_fs;
    std::unique_ptr<FileBrowser> m_browser;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
    // What the hooks answer, and what they were asked.
    std::optional<QString> m_answerName;
    bool m_answerConfirm = true;
    QStringList m_prompts;
    QStringList m_questions;

    Location at(const QString &relative) const { return Location::local(m_root + u'/' + relative); }

    void select(const QList<Location> &locations)
    {
        auto *selection = m_browser->view()->selectionModel();
        selection->clear();
        for (const Location &location : locations) {
            QTRY_VERIFY2(m_browser->model()->index(location).isValid(),
                         qPrintable(location.path()));
            const QModelIndex index = m_browser->model()->index(location);
            selection->select(index, QItemSelectionModel::Select | QItemSelectionModel::Rows);
            selection->setCurrentIndex(index, QItemSelectionModel::NoUpdate);
        }
    }

    void expand(const Location &dir)
    {
        QTRY_VERIFY(m_browser->model()->index(dir).isValid());
        const QModelIndex index = m_browser->model()->index(dir);
        m_browser->view()->expand(index);
        if (m_browser->model()->canFetchMore(index))
            m_browser->model()->fetchMore(index);
        QTRY_VERIFY(m_browser->model()->isLoaded(dir));
    }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init()
    {
        m_tmp = std::make_unique<QTemporaryDir>();
        QVERIFY(m_tmp->isValid());
        m_root = m_tmp->path();
        QVERIFY(QDir(m_root).mkpath(u"sub/deeper"_s));
        touch(m_root + u"/readme.txt"_s);
        touch(m_root + u"/sub/inner.cu"_s);

        m_fs = std::make_unique<LocalFileSystem>();
        m_browser = std::make_unique<FileBrowser>();
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_browser->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        m_answerName.reset();
        m_answerConfirm = true;
        m_prompts.clear();
        m_questions.clear();
        m_browser->setNamePrompt([this](const QString &, const QString &label, const QString &) {
            m_prompts << label;
            return m_answerName;
        });
        m_browser->setRemoveConfirmation([this](const QString &question, const QList<Location> &) {
            m_questions << question;
            return m_answerConfirm;
        });
        m_browser->resize(400, 600);
        m_browser->show();
        m_browser->setRoot(m_fs.get(), Location::local(m_root));
        QTRY_VERIFY(m_browser->model()->isLoaded(Location::local(m_root)));
    }

    void cleanup()
    {
        m_tester.reset();
        m_browser.reset();
        m_fs.reset();
        m_tmp.reset();
    }

    void newFileCreatesOnDiskAndAsksToOpenIt()
    {
        QSignalSpy open(m_browser.get(), &FileBrowser::openRequested);
        // Nothing selected: new files go in the root, whatever row the view made current.
        m_browser->view()->selectionModel()->clearSelection();
        QCOMPARE(m_browser->targetDirectory(), Location::local(m_root));
        m_answerName = u"kernel.cu"_s;
        m_browser->newFileAction()->trigger();
        QTRY_VERIFY(QFileInfo(m_root + u"/kernel.cu"_s).isFile());
        QTRY_COMPARE(open.count(), 1);
        QCOMPARE(open.at(0).at(0).value<Location>(), at(u"kernel.cu"_s));
        QVERIFY(m_prompts.last().contains(m_root));
        // It shows up in the tree and becomes the current row.
        QTRY_COMPARE(m_browser->currentLocation(), at(u"kernel.cu"_s));
        QCOMPARE(m_browser->message(), QString());
    }

    void newItemsGoInTheSelectedFolder()
    {
        select({at(u"sub/inner.cu"_s)}); // a file: its folder
        m_answerName = u"made by test"_s;
        m_browser->newFolderAction()->trigger();
        QTRY_VERIFY(QFileInfo(m_root + u"/sub/made by test"_s).isDir());

        expand(at(u"sub"_s));
        select({at(u"sub/deeper"_s)});
        m_answerName = u"$(touch pwned) 'q' \"x\""_s;
        m_browser->newFileAction()->trigger();
        QTRY_VERIFY(QFileInfo(m_root + u"/sub/deeper/$(touch pwned) 'q' \"x\""_s).isFile());
        QVERIFY(!QFile::exists(m_root + u"/sub/deeper/pwned"_s));
        QTRY_COMPARE(m_browser->currentLocation(), at(u"sub/deeper/$(touch pwned) 'q' \"x\""_s));
    }

    void failuresShowAMessageLine()
    {
        select({at(u"readme.txt"_s)});
        m_answerName = u"readme.txt"_s;
        m_browser->newFileAction()->trigger();
        QTRY_VERIFY(!m_browser->message().isEmpty());
        QVERIFY2(m_browser->message().contains(u"choose another name"_s),
                 qPrintable(m_browser->message()));

        m_browser->clearMessage();
        m_answerName = u"a/b"_s;
        m_browser->newFolderAction()->trigger();
        QVERIFY(m_browser->message().contains(u"“/”"_s));
        QVERIFY(!QFileInfo::exists(m_root + u"/a"_s));

        // Cancelling does nothing at all.
        m_browser->clearMessage();
        m_answerName.reset();
        m_browser->newFileAction()->trigger();
        QTest::qWait(50);
        QCOMPARE(m_browser->message(), QString());
    }

    void renameRenamesOnDisk()
    {
        QSignalSpy renamed(m_browser.get(), &FileBrowser::renamed);
        select({at(u"readme.txt"_s)});
        m_answerName = u"README.md"_s;
        m_browser->renameAction()->trigger();
        QTRY_VERIFY(QFile::exists(m_root + u"/README.md"_s));
        QVERIFY(!QFile::exists(m_root + u"/readme.txt"_s));
        QTRY_COMPARE(renamed.count(), 1);
        QCOMPARE(renamed.at(0).at(0).value<Location>(), at(u"readme.txt"_s));
        QCOMPARE(renamed.at(0).at(1).value<Location>(), at(u"README.md"_s));
        QTRY_COMPARE(m_browser->currentLocation(), at(u"README.md"_s));

        // Onto an existing name: refused, both kept.
        select({at(u"README.md"_s)});
        m_answerName = u"sub"_s;
        m_browser->renameAction()->trigger();
        QTRY_VERIFY(m_browser->message().contains(u"choose another name"_s));
        QVERIFY(QFile::exists(m_root + u"/README.md"_s));
        QVERIFY(QFileInfo(m_root + u"/sub"_s).isDir());
    }

    void deleteAsksNamingWhatGoes()
    {
        QSignalSpy removed(m_browser.get(), &FileBrowser::removed);
        select({at(u"readme.txt"_s)});
        m_answerConfirm = false;
        m_browser->removeAction()->trigger();
        QCOMPARE(m_questions.size(), 1);
        QVERIFY(m_questions.last().contains(u"“readme.txt”"_s));
        QVERIFY(m_questions.last().contains(u"file"_s));
        QTest::qWait(50);
        QVERIFY(QFile::exists(m_root + u"/readme.txt"_s));

        m_answerConfirm = true;
        m_browser->removeAction()->trigger();
        QTRY_VERIFY(!QFile::exists(m_root + u"/readme.txt"_s));
        QTRY_VERIFY(!m_browser->model()->index(at(u"readme.txt"_s)).isValid());
        QCOMPARE(removed.count(), 1);

        // A folder goes with everything in it, and the question says so.
        select({at(u"sub"_s)});
        m_browser->removeAction()->trigger();
        QVERIFY(m_questions.last().contains(u"folder “sub” and everything in it"_s));
        QTRY_VERIFY(!QFileInfo::exists(m_root + u"/sub"_s));
    }

    void deleteSeveralSkipsWhatIsInsideSelectedFolders()
    {
        touch(m_root + u"/other"_s);
        expand(at(u"sub"_s));
        select({at(u"sub"_s), at(u"sub/inner.cu"_s), at(u"other"_s)});
        QCOMPARE(m_browser->selectedLocations().size(), 2);
        m_browser->removeAction()->trigger();
        QVERIFY(m_questions.last().contains(u"these 2 items"_s));
        QVERIFY(m_questions.last().contains(u"“sub” (folder, with everything in it)"_s));
        QTRY_VERIFY(!QFileInfo::exists(m_root + u"/sub"_s));
        QTRY_VERIFY(!QFileInfo::exists(m_root + u"/other"_s));
        QVERIFY(QFileInfo::exists(m_root + u"/readme.txt"_s));
        QCOMPARE(m_browser->message(), QString());
    }

    void activatingAFileAsksToOpenIt()
    {
        QSignalSpy open(m_browser.get(), &FileBrowser::openRequested);
        select({at(u"sub"_s)});
        QTest::keyClick(m_browser->view(), Qt::Key_Return);
        QCOMPARE(open.count(), 0);
        select({at(u"readme.txt"_s)});
        QTest::keyClick(m_browser->view(), Qt::Key_Return);
        QCOMPARE(open.count(), 1);
        QCOMPARE(open.at(0).at(0).value<Location>(), at(u"readme.txt"_s));
    }

    void revealListsTheFoldersAbove()
    {
        QVERIFY(QDir(m_root).mkpath(u"a/b/c"_s));
        touch(m_root + u"/a/b/c/deep.txt"_s);
        m_browser->reveal(at(u"a/b/c/deep.txt"_s));
        QTRY_COMPARE(m_browser->currentLocation(), at(u"a/b/c/deep.txt"_s));
        QVERIFY(m_browser->view()->isExpanded(m_browser->model()->index(at(u"a/b"_s))));
    }

    void contextMenuOffersTheActions()
    {
        select({at(u"readme.txt"_s)});
        const QModelIndex readme = m_browser->model()->index(at(u"readme.txt"_s));
        const QRect rect = m_browser->view()->visualRect(readme);
        emit m_browser->view()->customContextMenuRequested(rect.center());
        QMenu *menu = nullptr;
        QTRY_VERIFY((menu = m_browser->findChild<QMenu *>()) != nullptr);
        QVERIFY(menu->actions().contains(m_browser->removeAction()));
        QVERIFY(menu->actions().contains(m_browser->newFileAction()));
        QVERIFY(m_browser->removeAction()->isEnabled());
        menu->close();
    }

    // --- RecentProjects ---------------------------------------------------------------------

    void recentProjectsOrderAndLimit()
    {
        QSettings settings(m_root + u"/settings.ini"_s, QSettings::IniFormat);
        RecentProjects recent(&settings);
        QCOMPARE(recent.projects(), QStringList());
        QStringList dirs;
        for (int i = 0; i < 12; ++i) {
            dirs << m_root + u"/p%1 'q' \"$(x)\""_s.arg(i);
            QVERIFY(QDir().mkpath(dirs.last()));
        }
        recent.add(dirs[0]);
        recent.add(dirs[1]);
        recent.add(dirs[2]);
        QCOMPARE(recent.projects(), (QStringList{dirs[2], dirs[1], dirs[0]}));
        recent.add(dirs[0] + u'/'); // the same folder, written differently
        QCOMPARE(recent.projects(), (QStringList{dirs[0], dirs[2], dirs[1]}));
        for (const QString &dir : dirs)
            recent.add(dir);
        const QStringList all = recent.projects();
        QCOMPARE(all.size(), RecentProjects::MaxCount);
        QCOMPARE(all.first(), dirs[11]);
        QCOMPARE(all.last(), dirs[2]);
        recent.add(QString());
        QCOMPARE(recent.projects().size(), RecentProjects::MaxCount);

        recent.remove(dirs[11]);
        QCOMPARE(recent.projects().first(), dirs[10]);
        recent.clear();
        QCOMPARE(recent.projects(), QStringList());
    }

    void recentProjectsPruneMissingFolders()
    {
        const QString settingsPath = m_root + u"/settings.ini"_s;
        const QString kept = m_root + u"/kept"_s;
        const QString gone = m_root + u"/gone\nline"_s;
        QVERIFY(QDir().mkpath(kept));
        QVERIFY(QDir().mkpath(gone));
        {
            QSettings settings(settingsPath, QSettings::IniFormat);
            RecentProjects recent(&settings);
            recent.add(kept);
            recent.add(u"gpu1:/home/me/remote"_s);
            recent.add(gone);
            QCOMPARE(recent.projects().size(), 3);
            QCOMPARE(recent.projects().first(), gone);
        }
        QVERIFY(QDir(gone).removeRecursively());
        {
            QSettings settings(settingsPath, QSettings::IniFormat);
            RecentProjects recent(&settings);
            QCOMPARE(recent.projects(), (QStringList{u"gpu1:/home/me/remote"_s, kept}));
        }
        {
            // The pruned list was saved.
            QSettings settings(settingsPath, QSettings::IniFormat);
            QCOMPARE(settings.value(u"recentProjects"_s).toStringList(),
                     (QStringList{u"gpu1:/home/me/remote"_s, kept}));
        }
    }

    void detailsShowPermissionsColumn()
    {
        QTreeView *view = m_browser->view();
        QVERIFY(view->isColumnHidden(FileTreeModel::PermissionsColumn));
        QVERIFY(view->isHeaderHidden());
        m_browser->setDetailsVisible(true);
        QVERIFY(!view->isHeaderHidden());
        for (int column : {FileTreeModel::SizeColumn, FileTreeModel::ModifiedColumn,
                           FileTreeModel::PermissionsColumn})
            QVERIFY(!view->isColumnHidden(column));
        QVERIFY(!QModelIndex(m_browser->model()->index(at(u"readme.txt"_s)))
                     .siblingAtColumn(FileTreeModel::PermissionsColumn)
                     .data()
                     .toString()
                     .isEmpty());
    }

    void dropAndSendAskForTransfers()
    {
        QSignalSpy requested(m_browser.get(), &FileBrowser::transferRequested);
        QTreeView *view = m_browser->view();
        QVERIFY(view->dragEnabled());
        QVERIFY(view->acceptDrops());

        // A drop of remote entries onto the folder "sub" (what the view does on a drop).
        expand(at(u"sub"_s));
        const Location remote = Location::remote(u"gpu1"_s, u"/home/me/out.log"_s);
        std::unique_ptr<QMimeData> data(FileTreeModel::mimeDataFor({remote}));
        QVERIFY(m_browser->model()->dropMimeData(data.get(), Qt::CopyAction, -1, 0,
                                                 m_browser->model()->index(at(u"sub"_s))));
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).value<QList<Location>>(), QList<Location>{remote});
        QCOMPARE(requested.at(0).at(1).value<Location>(), at(u"sub"_s));

        // The send action copies the selection to where the other side says.
        QVERIFY(!m_browser->sendAction()->isVisible());
        const Location elsewhere = Location::remote(u"gpu1"_s, u"/scratch"_s);
        m_browser->setSendAction(u"Upload"_s, [elsewhere] { return elsewhere; });
        QVERIFY(m_browser->sendAction()->isVisible());
        select({at(u"readme.txt"_s), at(u"sub/inner.cu"_s)});
        QVERIFY(m_browser->sendAction()->isEnabled());
        m_browser->sendAction()->trigger();
        QCOMPARE(requested.count(), 2);
        QCOMPARE(requested.at(1).at(0).value<QList<Location>>(),
                 (QList<Location>{at(u"readme.txt"_s), at(u"sub/inner.cu"_s)}));
        QCOMPARE(requested.at(1).at(1).value<Location>(), elsewhere);

        // Nowhere to send to: a message, no request.
        m_browser->setSendAction(u"Upload"_s, [] { return Location(); });
        select({at(u"readme.txt"_s)});
        m_browser->sendAction()->trigger();
        QCOMPARE(requested.count(), 2);
        QVERIFY(!m_browser->message().isEmpty());
    }
};

QTEST_MAIN(TestFileBrowser)
#include "tst_filebrowser.moc"
