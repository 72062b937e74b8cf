#include "core/fs/localfilesystem.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

// Runs one asynchronous operation and waits for its result on this thread.
template<typename R, typename Start>
R await(Start start)
{
    QObject context;
    std::optional<R> result;
    start(&context, [&](R r) { result.emplace(std::move(r)); });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, 20000))
        qFatal("file system operation did not finish");
    return std::move(*result);
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return "<unreadable>";
    return f.readAll();
}

void writeAll(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(data), data.size());
}

bool isRoot()
{
    return ::geteuid() == 0;
}

} // namespace

class TestLocalFileSystem : public QObject
{
    Q_OBJECT

private:
    LocalFileSystem m_fs;
    QString m_root;
    std::unique_ptr<QTemporaryDir> m_tmp;

    Location at(const QString &relative) const { return Location::local(m_root + u'/' + relative); }

    Result<QList<FileInfo>> list(const Location &dir)
    {
        return await<Result<QList<FileInfo>>>(
            [&](QObject *c, auto done) { m_fs.list(dir, c, done); });
    }
    Result<FileInfo> stat(const Location &l)
    {
        return await<Result<FileInfo>>([&](QObject *c, auto done) { m_fs.stat(l, c, done); });
    }
    Result<QByteArray> read(const Location &l, qint64 max = 1 << 20)
    {
        return await<Result<QByteArray>>(
            [&](QObject *c, auto done) { m_fs.readFile(l, max, c, done); });
    }
    Status write(const Location &l, const QByteArray &data)
    {
        return await<Status>([&](QObject *c, auto done) { m_fs.writeFile(l, data, c, done); });
    }
    Status mkdir(const Location &l)
    {
        return await<Status>([&](QObject *c, auto done) { m_fs.makeDirectory(l, c, done); });
    }
    Status create(const Location &l)
    {
        return await<Status>([&](QObject *c, auto done) { m_fs.createFile(l, c, done); });
    }
    Status rename(const Location &a, const Location &b)
    {
        return await<Status>([&](QObject *c, auto done) { m_fs.rename(a, b, c, done); });
    }
    Status remove(const Location &l)
    {
        return await<Status>([&](QObject *c, auto done) { m_fs.remove(l, c, done); });
    }

    static QStringList names(const QList<FileInfo> &entries)
    {
        QStringList result;
        for (const FileInfo &e : entries)
            result << e.name;
        result.sort();
        return result;
    }

private slots:
    void init()
    {
        m_tmp = std::make_unique<QTemporaryDir>();
        QVERIFY(m_tmp->isValid());
        m_root = m_tmp->path();
    }
    void cleanup()
    {
        m_fs.waitForIdle();
        QCoreApplication::processEvents();
        m_tmp.reset();
    }

    void listsEntriesWithTheirKinds()
    {
        writeAll(m_root + u"/a.txt"_s, "hello");
        QVERIFY(QDir(m_root).mkdir(u"sub"_s));
        QVERIFY(QFile::link(m_root + u"/sub"_s, m_root + u"/link"_s));
        QVERIFY(QFile::link(m_root + u"/missing"_s, m_root + u"/dangling"_s));

        auto entries = list(Location::local(m_root));
        QVERIFY2(entries.ok(), qPrintable(entries.errorMessage()));
        QCOMPARE(names(*entries),
                 (QStringList{u"a.txt"_s, u"dangling"_s, u"link"_s, u"sub"_s}));
        for (const FileInfo &e : *entries) {
            QCOMPARE(e.location, at(e.name));
            if (e.name == u"a.txt") {
                QCOMPARE(e.size, 5);
                QVERIFY(!e.isDirectory);
                QVERIFY(!e.isSymlink);
                QVERIFY(e.modified.isValid());
            } else if (e.name == u"sub") {
                QVERIFY(e.isDirectory);
            } else if (e.name == u"link") {
                QVERIFY(e.isDirectory);
                QVERIFY(e.isSymlink);
            } else {
                QVERIFY(!e.isDirectory);
                QVERIFY(e.isSymlink);
            }
        }
    }

    void listErrorsSayWhatAndWhatToDo()
    {
        auto missing = list(at(u"nope"_s));
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().code, ErrorCode::NotFound);
        QVERIFY(missing.errorMessage().contains(at(u"nope"_s).path()));
        QVERIFY(missing.errorMessage().contains(u"check that it exists"_s));

        writeAll(m_root + u"/file"_s, "x");
        auto notDir = list(at(u"file"_s));
        QCOMPARE(notDir.error().code, ErrorCode::NotDirectory);

        auto remote = list(Location::remote(u"gpu1"_s, u"/tmp"_s));
        QCOMPARE(remote.error().code, ErrorCode::NotLocal);
        QVERIFY(remote.errorMessage().contains(u"gpu1"_s));
    }

    void statReportsOneEntry()
    {
        writeAll(m_root + u"/f"_s, "12345678");
        auto info = stat(at(u"f"_s));
        QVERIFY(info.ok());
        QCOMPARE(info->name, u"f"_s);
        QCOMPARE(info->size, 8);
        QVERIFY(info->writable);
        QCOMPARE(stat(at(u"g"_s)).error().code, ErrorCode::NotFound);
    }

    void hostileNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("space") << u"with space.txt"_s;
        QTest::newRow("quotes") << u"it's \"quoted\""_s;
        QTest::newRow("command") << u"$(touch pwned)`touch pwned`"_s;
        QTest::newRow("newline") << u"line\nbreak"_s;
        QTest::newRow("dash") << u"-rf"_s;
        QTest::newRow("unicode") << u"\u00fcnic\u00f6de \u65e5\u672c"_s;
        QTest::newRow("backslash") << u"back\\slash;&|*?"_s;
    }
    void hostileNames()
    {
        QFETCH(QString, name);
        const Location file = at(name);
        QVERIFY(create(file).ok());
        QCOMPARE(create(file).error().code, ErrorCode::Exists);
        QVERIFY(write(file, "data").ok());
        QCOMPARE(read(file).value(), QByteArray("data"));
        QCOMPARE(names(list(Location::local(m_root)).value()), QStringList{name});

        const Location moved = at(name + u" moved"_s);
        QVERIFY(rename(file, moved).ok());
        QVERIFY(!QFile::exists(file.path()));
        QCOMPARE(readAll(moved.path()), QByteArray("data"));

        const Location dir = at(u"dir "_s + name);
        QVERIFY(mkdir(dir).ok());
        QVERIFY(QFileInfo(dir.path()).isDir());
        QVERIFY(remove(moved).ok());
        QVERIFY(remove(dir).ok());
        QCOMPARE(QDir(m_root).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
                 QStringList());
        QVERIFY(!QFile::exists(QDir::current().filePath(u"pwned"_s)));
    }

    void nonUtf8NameIsListedAndRemovable()
    {
        QVERIFY(QDir(m_root).mkdir(u"d"_s));
        const QByteArray raw = QFile::encodeName(m_root) + "/d/bad-\xff\xfe-name";
        const int fd = ::open(raw.constData(), O_CREAT | O_WRONLY | O_EXCL, 0644);
        QVERIFY(fd >= 0);
        QCOMPARE(::write(fd, "x", 1), 1);
        ::close(fd);

        auto entries = list(at(u"d"_s));
        QVERIFY2(entries.ok(), qPrintable(entries.errorMessage()));
        QCOMPARE(entries->size(), 1);
        QVERIFY(entries->first().name.startsWith(u"bad-"_s));
        QVERIFY(entries->first().name.endsWith(u"-name"_s));

        // Removing the folder removes the entry by its bytes, not by its (lossy) decoded name.
        QVERIFY(remove(at(u"d"_s)).ok());
        QVERIFY(!QFileInfo::exists(m_root + u"/d"_s));
    }

    void readFileRefusesHugeFiles()
    {
        const QString huge = m_root + u"/huge.bin"_s;
        {
            QFile f(huge);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(qint64(3) << 30)); // sparse: no disk space used
        }
        auto result = read(Location::local(huge), 64 << 20);
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code, ErrorCode::TooLarge);
        QVERIFY(result.errorMessage().contains(huge));
        QVERIFY(result.errorMessage().contains(u"another tool"_s));

        writeAll(m_root + u"/ten"_s, "0123456789");
        QCOMPARE(read(at(u"ten"_s), 10).value(), QByteArray("0123456789"));
        QCOMPARE(read(at(u"ten"_s), 9).error().code, ErrorCode::TooLarge);
        QCOMPARE(read(at(u"empty"_s)).error().code, ErrorCode::NotFound);
        QVERIFY(QDir(m_root).mkdir(u"dir"_s));
        QCOMPARE(read(at(u"dir"_s)).error().code, ErrorCode::IsDirectory);
    }

    void readFileLimitsFilesThatReportNoSize()
    {
        // /proc files report size 0: the limit must hold while reading, not just by stat.
        if (!QFile::exists(u"/proc/self/status"_s))
            QSKIP("no /proc");
        QCOMPARE(read(Location::local(u"/proc/self/status"_s), 16).error().code,
                 ErrorCode::TooLarge);
        QVERIFY(read(Location::local(u"/proc/self/status"_s), 1 << 20)->contains("Name:"));
    }

    void writeFileIsAtomicAndKeepsMode()
    {
        const QString path = m_root + u"/script.sh"_s;
        writeAll(path, "old");
        QVERIFY(::chmod(QFile::encodeName(path).constData(), 0751) == 0);
        struct stat before;
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &before), 0);

        QVERIFY(write(Location::local(path), "#!/bin/sh\necho new\n").ok());
        QCOMPARE(readAll(path), QByteArray("#!/bin/sh\necho new\n"));
        struct stat after;
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &after), 0);
        QCOMPARE(after.st_mode & 07777, mode_t(0751));
        // A new inode: the content was renamed into place, never rewritten in place.
        QVERIFY(after.st_ino != before.st_ino);
        // No temporary files are left behind.
        QCOMPARE(QDir(m_root).entryList(QDir::Files | QDir::Hidden), QStringList{u"script.sh"_s});

        QVERIFY(write(at(u"new.txt"_s), QByteArray()).ok());
        QCOMPARE(QFileInfo(m_root + u"/new.txt"_s).size(), 0);
    }

    void writeFileFailuresKeepTheOldContents()
    {
        writeAll(m_root + u"/plain"_s, "x");
        auto underFile = write(at(u"plain/child"_s), "y");
        QVERIFY(!underFile.ok());
        QVERIFY(underFile.errorMessage().contains(u"writing"_s));
        QVERIFY(underFile.errorMessage().contains(at(u"plain/child"_s).path()));

        QVERIFY(QDir(m_root).mkdir(u"adir"_s));
        QVERIFY(!write(at(u"adir"_s), "y").ok());
        QVERIFY(QFileInfo(m_root + u"/adir"_s).isDir());

        if (isRoot())
            QSKIP("running as root: permissions are not enforced");
        QVERIFY(QDir(m_root).mkdir(u"ro"_s));
        writeAll(m_root + u"/ro/keep"_s, "precious");
        QVERIFY(::chmod(QFile::encodeName(m_root + u"/ro"_s).constData(), 0555) == 0);
        auto denied = write(at(u"ro/keep"_s), "overwritten");
        ::chmod(QFile::encodeName(m_root + u"/ro"_s).constData(), 0755);
        QVERIFY(!denied.ok());
        QCOMPARE(denied.error().code, ErrorCode::PermissionDenied);
        QVERIFY2(denied.errorMessage().startsWith(u"Permission denied writing "_s),
                 qPrintable(denied.errorMessage()));
        QVERIFY(denied.errorMessage().contains(u"check the permissions"_s));
        QCOMPARE(readAll(m_root + u"/ro/keep"_s), QByteArray("precious"));
    }

    void createAndMakeDirectoryRefuseExisting()
    {
        QVERIFY(mkdir(at(u"d"_s)).ok());
        QCOMPARE(mkdir(at(u"d"_s)).error().code, ErrorCode::Exists);
        QCOMPARE(create(at(u"d"_s)).error().code, ErrorCode::Exists);
        QCOMPARE(mkdir(at(u"x/y"_s)).error().code, ErrorCode::NotFound);
        QVERIFY(create(at(u"d/f"_s)).ok());
        QCOMPARE(QFileInfo(m_root + u"/d/f"_s).size(), 0);
    }

    void renameNeverReplaces()
    {
        writeAll(m_root + u"/a"_s, "A");
        writeAll(m_root + u"/b"_s, "B");
        auto result = rename(at(u"a"_s), at(u"b"_s));
        QCOMPARE(result.error().code, ErrorCode::Exists);
        QVERIFY(result.errorMessage().contains(u"choose another name"_s));
        QCOMPARE(readAll(m_root + u"/a"_s), QByteArray("A"));
        QCOMPARE(readAll(m_root + u"/b"_s), QByteArray("B"));
        QVERIFY(rename(at(u"a"_s), at(u"c"_s)).ok());
        QCOMPARE(readAll(m_root + u"/c"_s), QByteArray("A"));
        QCOMPARE(rename(at(u"a"_s), at(u"d"_s)).error().code, ErrorCode::NotFound);
    }

    void removeIsRecursiveAndDoesNotFollowLinks()
    {
        QVERIFY(QDir(m_root).mkpath(u"tree/a/b/c"_s));
        QVERIFY(QDir(m_root).mkpath(u"outside"_s));
        writeAll(m_root + u"/outside/keep"_s, "keep");
        writeAll(m_root + u"/tree/a/b/c/f"_s, "f");
        writeAll(m_root + u"/tree/.hidden"_s, "h");
        QVERIFY(QFile::link(m_root + u"/outside"_s, m_root + u"/tree/a/linkdir"_s));
        QVERIFY(QFile::link(m_root + u"/outside/keep"_s, m_root + u"/tree/linkfile"_s));

        QVERIFY(remove(at(u"tree"_s)).ok());
        QVERIFY(!QFileInfo::exists(m_root + u"/tree"_s));
        QCOMPARE(readAll(m_root + u"/outside/keep"_s), QByteArray("keep"));

        // A symlink to a folder is removed as a link.
        QVERIFY(QFile::link(m_root + u"/outside"_s, m_root + u"/l"_s));
        QVERIFY(remove(at(u"l"_s)).ok());
        QVERIFY(QFileInfo(m_root + u"/outside/keep"_s).exists());
        QCOMPARE(remove(at(u"l"_s)).error().code, ErrorCode::NotFound);
    }

    void destroyedContextGetsNoCallback()
    {
        writeAll(m_root + u"/f"_s, "x");
        int calls = 0;
        for (int i = 0; i < 200; ++i) {
            auto *context = new QObject;
            m_fs.list(Location::local(m_root), context, [&](auto) { ++calls; });
            m_fs.readFile(at(u"f"_s), 100, context, [&](auto) { ++calls; });
            if (i % 2)
                QThread::usleep(50); // let some finish before the context dies
            delete context;
        }
        m_fs.waitForIdle();
        QCoreApplication::processEvents();
        QTest::qWait(50);
        QCOMPARE(calls, 0);
    }

    void doneRunsOnTheContextThread()
    {
        QThread thread;
        thread.start();
        QObject context;
        context.moveToThread(&thread);
        std::atomic<QThread *> calledOn = nullptr;
        m_fs.list(Location::local(m_root), &context,
                  [&](auto) { calledOn = QThread::currentThread(); });
        QTRY_VERIFY(calledOn.load() != nullptr);
        QCOMPARE(calledOn.load(), &thread);
        thread.quit();
        thread.wait();

        QThread *mainCalledOn = nullptr;
        QObject here;
        m_fs.stat(Location::local(m_root), &here,
                  [&](auto) { mainCalledOn = QThread::currentThread(); });
        QVERIFY(mainCalledOn == nullptr); // never synchronous
        QTRY_COMPARE(mainCalledOn, QThread::currentThread());
    }

    void watchReportsDirectoryChanges()
    {
        const Location dir = Location::local(m_root);
        QSignalSpy spy(&m_fs, &FileSystem::changed);
        m_fs.watch(dir);

        writeAll(m_root + u"/created"_s, "1");
        QTRY_VERIFY(spy.count() > 0);
        QCOMPARE(spy.last().at(0).value<Location>(), dir);

        spy.clear();
        QVERIFY(QFile::remove(m_root + u"/created"_s));
        QTRY_VERIFY(spy.count() > 0);
        QCOMPARE(spy.last().at(0).value<Location>(), dir);

        m_fs.unwatch(dir);
        QTest::qWait(100);
        spy.clear();
        writeAll(m_root + u"/after"_s, "1");
        QTest::qWait(200);
        QCOMPARE(spy.count(), 0);
    }

    void watchFollowsAFileReplacedByRename()
    {
        const QString path = m_root + u"/watched.txt"_s;
        writeAll(path, "1");
        const Location file = Location::local(path);
        QSignalSpy spy(&m_fs, &FileSystem::changed);
        m_fs.watch(file);

        writeAll(path, "modified");
        QTRY_VERIFY(spy.count() > 0);
        QCOMPARE(spy.last().at(0).value<Location>(), file);

        // Saved the way editors save: a new file renamed over the old one.
        spy.clear();
        QVERIFY(write(file, "saved atomically").ok());
        QTRY_VERIFY(spy.count() > 0);
        spy.clear();
        QTest::qWait(100); // let the watcher settle on the new file
        spy.clear();
        writeAll(path, "modified again");
        QTRY_VERIFY(spy.count() > 0);
        QCOMPARE(spy.last().at(0).value<Location>(), file);

        // Deleted, then created again: both are reported.
        spy.clear();
        QVERIFY(QFile::remove(path));
        QTRY_VERIFY(spy.count() > 0);
        spy.clear();
        writeAll(path, "back");
        QTRY_VERIFY(spy.count() > 0);
        QCOMPARE(spy.last().at(0).value<Location>(), file);

        m_fs.unwatch(file);
    }
};

QTEST_GUILESS_MAIN(TestLocalFileSystem)
#include "tst_localfilesystem.moc"
