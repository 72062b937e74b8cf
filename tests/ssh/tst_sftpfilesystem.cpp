#include "core/ssh/remotepath.h"
#include "core/ssh/sftpfilesystem.h"
#include "core/ssh/sshconnection.h"
#include "helpers/sshtest.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include <dirent.h>
#include <ftw.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::writeOnDisk;
using gpuwb::test::SshdServer;

namespace {

constexpr int LongWaitMs = 60000;

// Waits for an asynchronous FileSystem call; an Error with code "test-timeout" when it never
// answers.
template<typename T, typename Start>
Result<T> await(QObject *context, Start start)
{
    std::optional<Result<T>> out;
    start(context, [&out](Result<T> r) { out.emplace(std::move(r)); });
    if (!QTest::qWaitFor([&] { return out.has_value(); }, LongWaitMs))
        return Result<T>::failure(ErrorCode::Timeout, u"no answer within a minute"_s);
    return std::move(*out);
}

QByteArray onDisk(const QByteArray &path)
{
    return test::readOnDisk(path);
}


QSet<QByteArray> namesOnDisk(const QByteArray &dir)
{
    QSet<QByteArray> names;
    if (DIR *d = ::opendir(dir.constData())) {
        while (const dirent *e = ::readdir(d)) {
            const QByteArray name(e->d_name);
            if (name != "." && name != "..")
                names.insert(name);
        }
        ::closedir(d);
    }
    return names;
}

} // namespace

class TestSftpFileSystem : public QObject
{
    Q_OBJECT

    std::unique_ptr<SshdServer> m_server;
    std::unique_ptr<SshConnection> m_connection;
    std::unique_ptr<SftpFileSystem> m_fs;
    QString m_scratch;
    QString m_alias;

    Location at(const QString &relative) const
    {
        return Location::remote(m_alias, relative.isEmpty() ? m_scratch
                                                            : m_scratch + u'/' + relative);
    }
    QByteArray diskPath(const QByteArray &relative) const
    {
        return QFile::encodeName(m_scratch) + '/' + relative;
    }

    Result<QList<FileInfo>> list(const Location &dir)
    {
        return await<QList<FileInfo>>(this,
                                      [&](QObject *c, auto done) { m_fs->list(dir, c, done); });
    }
    Result<FileInfo> stat(const Location &l)
    {
        return await<FileInfo>(this, [&](QObject *c, auto done) { m_fs->stat(l, c, done); });
    }
    Result<QByteArray> read(const Location &l, qint64 max = 1 << 20)
    {
        return await<QByteArray>(this,
                                 [&](QObject *c, auto done) { m_fs->readFile(l, max, c, done); });
    }
    Status write(const Location &l, const QByteArray &data)
    {
        return await<void>(this, [&](QObject *c, auto done) { m_fs->writeFile(l, data, c, done); });
    }
    Status create(const Location &l)
    {
        return await<void>(this, [&](QObject *c, auto done) { m_fs->createFile(l, c, done); });
    }
    Status mkdir(const Location &l)
    {
        return await<void>(this, [&](QObject *c, auto done) { m_fs->makeDirectory(l, c, done); });
    }
    Status rename(const Location &a, const Location &b)
    {
        return await<void>(this, [&](QObject *c, auto done) { m_fs->rename(a, b, c, done); });
    }
    Status remove(const Location &l)
    {
        return await<void>(this, [&](QObject *c, auto done) { m_fs->remove(l, c, done); });
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_server = std::make_unique<SshdServer>();
        QString error;
        if (!m_server->start(&error))
            QFAIL(qPrintable(u"sshd did not start: "_s + error));
        qputenv("HOME", QFile::encodeName(m_server->clientHome()));
        QFile known(m_server->clientSshDir() + u"/known_hosts"_s);
        QVERIFY(known.open(QIODevice::WriteOnly | QIODevice::Truncate));
        known.write(m_server->knownHostsLine() + '\n');
        known.close();
        m_alias = m_server->alias();
        SshConnection::Options options;
        options.paths = SshPaths::defaults();
        m_connection = std::make_unique<SshConnection>(m_alias, options);
        m_fs = std::make_unique<SftpFileSystem>(m_connection.get());
        m_scratch = m_server->makeRemoteScratchDir();
        QVERIFY(!m_scratch.isEmpty());
    }

    void cleanupTestCase()
    {
        m_fs.reset();
        m_connection.reset();
        // By bytes: QDir cannot name the files that are not UTF-8.
        if (!m_scratch.isEmpty()) {
            const QByteArray scratch = QFile::encodeName(m_scratch);
            ::nftw(
                scratch.constData(),
                [](const char *p, const struct stat *, int, FTW *) { return ::remove(p), 0; },
                16, FTW_DEPTH | FTW_PHYS);
            ::mkdir(scratch.constData(), 0755); // the fixture removes it
        }
        m_server.reset();
    }

    void home()
    {
        const auto home = await<Location>(this,
                                          [&](QObject *c, auto done) { m_fs->home(c, done); });
        QVERIFY2(home.ok(), qPrintable(home.errorMessage()));
        QCOMPARE(home->host(), m_alias);
        QCOMPARE(home->path(), m_server->userHome());
    }

    void largeListingIsOneRequestAndExact()
    {
        const QByteArray dir = diskPath("big");
        QCOMPARE(::mkdir(dir.constData(), 0755), 0);
        const passwd *pw = ::getpwnam("gpuwbtest");
        QVERIFY(pw && ::chown(dir.constData(), pw->pw_uid, pw->pw_gid) == 0); // so it can empty it
        QSet<QString> expected;
        for (int i = 0; i < 10000; ++i) {
            const QByteArray name = "file-" + QByteArray::number(i) + (i % 7 == 0 ? " x" : "");
            const int fd = ::open((dir + '/' + name).constData(), O_WRONLY | O_CREAT, 0644);
            QVERIFY(fd >= 0);
            ::close(fd);
            expected.insert(QString::fromUtf8(name));
        }
        QElapsedTimer timer;
        timer.start();
        const auto entries = list(at(u"big"_s));
        QVERIFY2(entries.ok(), qPrintable(entries.errorMessage()));
        qInfo("listed 10000 entries over SFTP in %lld ms", timer.elapsed());
        QCOMPARE(entries->size(), 10000);
        QSet<QString> names;
        for (const FileInfo &info : *entries) {
            names.insert(info.name);
            QCOMPARE(info.location, at(u"big/"_s + info.name));
            QVERIFY(!info.isDirectory);
            QCOMPARE(info.permissions, 0644u);
        }
        QCOMPARE(names, expected);
        const Status removed = remove(at(u"big"_s));
        QVERIFY2(removed.ok(), qPrintable(removed.errorMessage()));
        QVERIFY(!QFileInfo::exists(QFile::decodeName(dir)));
    }

    void statReportsModeSizeTimeAndLinks()
    {
        const QByteArray file = diskPath("stat.txt");
        QVERIFY(writeOnDisk(file, "twelve bytes", 0750, true));
        struct stat st;
        QCOMPARE(::stat(file.constData(), &st), 0);
        auto info = stat(at(u"stat.txt"_s));
        QVERIFY2(info.ok(), qPrintable(info.errorMessage()));
        QCOMPARE(info->name, u"stat.txt"_s);
        QCOMPARE(info->size, 12);
        QCOMPARE(info->permissions, 0750u);
        QVERIFY(!info->isDirectory);
        QVERIFY(!info->isSymlink);
        QVERIFY(info->writable); // owned by the remote user with u+w
        QCOMPARE(info->modified.toSecsSinceEpoch(), qint64(st.st_mtime));

        QVERIFY(writeOnDisk(diskPath("rootfile"), "x", 0644, false));
        info = stat(at(u"rootfile"_s));
        QVERIFY(info.ok());
        QVERIFY(!info->writable); // root's, not ours

        QCOMPARE(::mkdir(diskPath("sub").constData(), 0755), 0);
        QCOMPARE(::symlink("sub", diskPath("link-to-dir").constData()), 0);
        QCOMPARE(::symlink("nowhere", diskPath("dangling").constData()), 0);
        info = stat(at(u"link-to-dir"_s));
        QVERIFY(info.ok());
        QVERIFY(info->isSymlink);
        QVERIFY(info->isDirectory);
        info = stat(at(u"dangling"_s));
        QVERIFY(info.ok());
        QVERIFY(info->isSymlink);
        QVERIFY(!info->isDirectory);

        const auto entries = list(at(QString()));
        QVERIFY(entries.ok());
        bool sawLink = false;
        for (const FileInfo &e : *entries) {
            if (e.name == u"link-to-dir") {
                sawLink = true;
                QVERIFY(e.isSymlink && e.isDirectory);
            }
        }
        QVERIFY(sawLink);

        info = stat(at(u"no such file"_s));
        QVERIFY(!info.ok());
        QCOMPARE(info.error().code, ErrorCode::NotFound);
        QVERIFY(info.errorMessage().contains(u"no such file"_s));
    }

    void editSaveKeepsModeAndReplacesAtomically()
    {
        const QByteArray file = diskPath("script.sh");
        QVERIFY(writeOnDisk(file, "#!/bin/sh\necho old\n", 0750, true));
        struct stat before;
        QCOMPARE(::stat(file.constData(), &before), 0);

        auto content = read(at(u"script.sh"_s));
        QVERIFY2(content.ok(), qPrintable(content.errorMessage()));
        QCOMPARE(*content, QByteArray("#!/bin/sh\necho old\n"));

        const QByteArray edited = "#!/bin/sh\necho new, and longer than before\n";
        const Status saved = write(at(u"script.sh"_s), edited);
        QVERIFY2(saved.ok(), qPrintable(saved.errorMessage()));
        QCOMPARE(onDisk(file), edited);
        struct stat after;
        QCOMPARE(::stat(file.constData(), &after), 0);
        QCOMPARE(after.st_mode & 07777, 0750u);
        QVERIFY(after.st_ino != before.st_ino); // a new file renamed over the old one
        for (const QByteArray &name : namesOnDisk(QFile::encodeName(m_scratch)))
            QVERIFY2(!name.contains(".gpuwb-"), name.constData()); // no temporary left

        const auto info = stat(at(u"script.sh"_s));
        QVERIFY(info.ok());
        QCOMPARE(info->size, edited.size());
        QCOMPARE(info->permissions, 0750u);

        // A new file gets 0644.
        QVERIFY(write(at(u"new.txt"_s), "fresh").ok());
        struct stat fresh;
        QCOMPARE(::stat(diskPath("new.txt").constData(), &fresh), 0);
        QCOMPARE(fresh.st_mode & 07777, 0644u);
        QCOMPARE(onDisk(diskPath("new.txt")), QByteArray("fresh"));

        // An empty file and a large one.
        QVERIFY(write(at(u"new.txt"_s), QByteArray()).ok());
        QCOMPARE(onDisk(diskPath("new.txt")), QByteArray());
        QByteArray big(5 * 1024 * 1024 + 17, Qt::Uninitialized);
        for (qsizetype i = 0; i < big.size(); ++i)
            big[i] = char((i * 131) ^ (i >> 12));
        QVERIFY(write(at(u"new.txt"_s), big).ok());
        QCOMPARE(onDisk(diskPath("new.txt")), big);
        const auto back = read(at(u"new.txt"_s), 10 * 1024 * 1024);
        QVERIFY(back.ok());
        QCOMPARE(*back, big);
    }

    void writeThroughSymlinkKeepsTheLink()
    {
        QVERIFY(writeOnDisk(diskPath("target.txt"), "one", 0640, true));
        QCOMPARE(::symlink("target.txt", diskPath("alias.txt").constData()), 0);
        QVERIFY(write(at(u"alias.txt"_s), "two").ok());
        struct stat st;
        QCOMPARE(::lstat(diskPath("alias.txt").constData(), &st), 0);
        QVERIFY(S_ISLNK(st.st_mode));
        QCOMPARE(onDisk(diskPath("target.txt")), QByteArray("two"));
        QCOMPARE(::stat(diskPath("target.txt").constData(), &st), 0);
        QCOMPARE(st.st_mode & 07777, 0640u);
    }

    void errorsCarryCodes()
    {
        // Too large.
        QVERIFY(writeOnDisk(diskPath("ten.txt"), "0123456789", 0644, true));
        auto content = read(at(u"ten.txt"_s), 5);
        QVERIFY(!content.ok());
        QCOMPARE(content.error().code, ErrorCode::TooLarge);
        content = read(at(u"ten.txt"_s), 10);
        QVERIFY(content.ok());

        // Reading a folder, a missing file.
        QCOMPARE(read(at(QString())).error().code, ErrorCode::IsDirectory);
        QCOMPARE(read(at(u"missing"_s)).error().code, ErrorCode::NotFound);

        // Writing a file we may not write leaves it alone.
        QVERIFY(writeOnDisk(diskPath("locked"), "root's", 0644, false));
        Status s = write(at(u"locked"_s), "ours");
        QVERIFY(!s.ok());
        QCOMPARE(s.error().code, ErrorCode::PermissionDenied);
        QCOMPARE(onDisk(diskPath("locked")), QByteArray("root's"));

        // Creating what exists.
        s = create(at(u"ten.txt"_s));
        QCOMPARE(s.error().code, ErrorCode::Exists);
        s = mkdir(at(u"sub2"_s));
        QVERIFY(s.ok());
        s = mkdir(at(u"sub2"_s));
        QCOMPARE(s.error().code, ErrorCode::Exists);
        s = mkdir(at(u"missing/deeper"_s));
        QCOMPARE(s.error().code, ErrorCode::NotFound);

        // Renaming onto an existing name fails and changes nothing; a missing source too.
        s = rename(at(u"ten.txt"_s), at(u"locked"_s));
        QCOMPARE(s.error().code, ErrorCode::Exists);
        QCOMPARE(onDisk(diskPath("locked")), QByteArray("root's"));
        QCOMPARE(onDisk(diskPath("ten.txt")), QByteArray("0123456789"));
        s = rename(at(u"missing"_s), at(u"elsewhere"_s));
        QCOMPARE(s.error().code, ErrorCode::NotFound);

        // A location on another host is refused without asking the server.
        const auto other = await<FileInfo>(this, [&](QObject *c, auto done) {
            m_fs->stat(Location::remote(u"another-host"_s, u"/"_s), c, done);
        });
        QVERIFY(!other.ok());
    }

    // Disk full on the host during a save: the save fails with SFTP's error naming the file,
    // the file keeps what it had, and no temporary is left taking the space.
    void diskFullKeepsTheFileAsItWas()
    {
        test::SmallFileSystem small;
        QString why;
        if (!small.mount(diskPath("small"), 256 * 1024, &why))
            QSKIP(qPrintable(why));
        QVERIFY(writeOnDisk(diskPath("small/notes.txt"), "the original", 0640, true));
        QVERIFY(writeOnDisk(diskPath("small/filler"), QByteArray(160 * 1024, 'f'), 0644, true));

        const Status saved = write(at(u"small/notes.txt"_s), QByteArray(200 * 1024, 'n'));
        QVERIFY(!saved.ok());
        QCOMPARE(saved.error().code, ErrorCode::IoError);
        QVERIFY2(saved.errorMessage().contains(u"small/notes.txt"_s)
                     || saved.errorMessage().contains(u"small/.notes.txt"_s),
                 qPrintable(saved.errorMessage()));
        QCOMPARE(onDisk(diskPath("small/notes.txt")), QByteArray("the original"));
        QCOMPARE(namesOnDisk(diskPath("small")),
                 (QSet<QByteArray>{"notes.txt", "filler"})); // no temporary left

        // Once there is room again, the same save goes through.
        QCOMPARE(::unlink(diskPath("small/filler").constData()), 0);
        QVERIFY(write(at(u"small/notes.txt"_s), QByteArray(200 * 1024, 'n')).ok());
        QCOMPARE(onDisk(diskPath("small/notes.txt")), QByteArray(200 * 1024, 'n'));
    }

    void removeIsRecursive()
    {
        QVERIFY(mkdir(at(u"tree"_s)).ok());
        QVERIFY(mkdir(at(u"tree/a"_s)).ok());
        QVERIFY(mkdir(at(u"tree/a/b"_s)).ok());
        QVERIFY(write(at(u"tree/a/b/f"_s), "x").ok());
        QVERIFY(write(at(u"tree/top"_s), "y").ok());
        QCOMPARE(::symlink("/etc", diskPath("tree/a/etc-link").constData()), 0);
        const Status s = remove(at(u"tree"_s));
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
        QVERIFY(!QFileInfo::exists(QFile::decodeName(diskPath("tree"))));
        QVERIFY(QFileInfo::exists(u"/etc/passwd"_s)); // the link went, not what it pointed to
        QCOMPARE(remove(at(u"tree"_s)).error().code, ErrorCode::NotFound);
    }

    void hostileNames_data()
    {
        QTest::addColumn<QByteArray>("name");
        QTest::newRow("spaces") << QByteArray("  two  spaces ");
        QTest::newRow("single quote") << QByteArray("it's");
        QTest::newRow("double quotes") << QByteArray("\"quoted\"");
        QTest::newRow("command substitution") << QByteArray("$(touch pwned)");
        QTest::newRow("backticks") << QByteArray("`touch pwned`");
        QTest::newRow("newline") << QByteArray("new\nline");
        QTest::newRow("carriage return") << QByteArray("cr\rhere");
        QTest::newRow("tab") << QByteArray("tab\there");
        QTest::newRow("0xff 0xfe") << QByteArray("\xff\xfe");
        QTest::newRow("latin-1") << QByteArray("caf\xe9 cr\xe8me");
        QTest::newRow("overlong slash") << QByteArray("over\xc0\xaflong");
        QTest::newRow("utf-8") << QByteArray("d\xc3\xa9j\xc3\xa0 \xf0\x9f\x98\x80");
        QTest::newRow("leading dash") << QByteArray("-rf");
        QTest::newRow("glob") << QByteArray("*?[a]");
        QTest::newRow("semicolon") << QByteArray("; rm -rf ~");
        QTest::newRow("backslash") << QByteArray("back\\slash");
    }

    void hostileNames()
    {
        QFETCH(QByteArray, name);
        const QString shown = fromRemoteBytes(name);
        const Location file = at(shown);
        const QByteArray disk = diskPath(name);

        QVERIFY2(create(file).ok(), name.toHex().constData());
        QCOMPARE(::access(disk.constData(), F_OK), 0);
        const auto entries = list(at(QString()));
        QVERIFY(entries.ok());
        bool listed = false;
        for (const FileInfo &e : *entries)
            listed |= e.name == shown && toRemoteBytes(e.location.path()) == disk;
        QVERIFY(listed);

        QVERIFY(write(file, "payload " + name).ok());
        QCOMPARE(onDisk(disk), "payload " + name);

        const QByteArray renamedName = name + " renamed";
        const Location renamed = at(fromRemoteBytes(renamedName));
        QVERIFY(rename(file, renamed).ok());
        QCOMPARE(::access(disk.constData(), F_OK), -1);
        QCOMPARE(onDisk(diskPath(renamedName)), "payload " + name);
        const auto back = read(renamed);
        QVERIFY(back.ok());
        QCOMPARE(*back, "payload " + name);

        // As a folder too.
        QVERIFY(mkdir(file).ok());
        QVERIFY(write(file.child(shown), "inside").ok());
        QCOMPARE(onDisk(disk + '/' + name), QByteArray("inside"));
        QVERIFY(remove(file).ok());
        QVERIFY(remove(renamed).ok());
        QCOMPARE(::access(disk.constData(), F_OK), -1);
        QCOMPARE(::access(diskPath(renamedName).constData(), F_OK), -1);

        QVERIFY(!QFileInfo::exists(QFile::decodeName(diskPath("pwned"))));
        QVERIFY(!QFileInfo::exists(u"/tmp/pwned"_s));
        QVERIFY(!QFileInfo::exists(m_server->userHome() + u"/pwned"_s));
    }

    // "$(touch /tmp/pwned)" can only be a path: a folder "$(touch ", in it "tmp", then "pwned)".
    void commandSubstitutionAsPath()
    {
        QVERIFY(mkdir(at(u"$(touch "_s)).ok());
        QVERIFY(mkdir(at(u"$(touch /tmp"_s)).ok());
        const Location file = at(u"$(touch /tmp/pwned)"_s);
        QVERIFY(write(file, "harmless").ok());
        QCOMPARE(onDisk(diskPath("$(touch /tmp/pwned)")), QByteArray("harmless"));
        QVERIFY(read(file).ok());
        QVERIFY(remove(at(u"$(touch "_s)).ok());
        QVERIFY(!QFileInfo::exists(u"/tmp/pwned"_s));
    }

    void watchNoticesRemoteChanges()
    {
        QVERIFY(stat(at(QString())).ok()); // connected: polling only runs while connected
        m_fs->setPollInterval(200);
        QVERIFY(writeOnDisk(diskPath("watched.txt"), "v1", 0644, true));
        QCOMPARE(::mkdir(diskPath("watched-dir").constData(), 0755), 0);
        QSignalSpy spy(m_fs.get(), &FileSystem::changed);
        m_fs->watch(at(u"watched.txt"_s));
        m_fs->watch(at(u"watched-dir"_s));
        auto seen = [&spy](const Location &l) {
            return std::any_of(spy.cbegin(), spy.cend(), [&](const QList<QVariant> &args) {
                return args.at(0).value<Location>() == l;
            });
        };
        // The first look records the state; on a slow box it may come after the first change,
        // so keep changing (each time a new size, a new entry) until one is noticed.
        QElapsedTimer timer;
        timer.start();
        for (int round = 0; !seen(at(u"watched.txt"_s)) && timer.elapsed() < 30000; ++round) {
            QVERIFY(writeOnDisk(diskPath("watched.txt"), QByteArray(round + 3, 'v'), 0644, true));
            QTest::qWait(500);
        }
        QVERIFY(seen(at(u"watched.txt"_s)));
        timer.restart();
        for (int round = 0; !seen(at(u"watched-dir"_s)) && timer.elapsed() < 30000; ++round) {
            QVERIFY(writeOnDisk(diskPath("watched-dir/entry ") + QByteArray::number(round), "",
                                0644, true));
            QTest::qWait(500);
        }
        QVERIFY(seen(at(u"watched-dir"_s)));
        m_fs->unwatch(at(u"watched.txt"_s));
        m_fs->unwatch(at(u"watched-dir"_s));
        spy.clear();
        QVERIFY(writeOnDisk(diskPath("watched.txt"), "version three, unwatched", 0644, true));
        QTest::qWait(1000);
        QCOMPARE(spy.count(), 0);
    }
};

QTEST_GUILESS_MAIN(TestSftpFileSystem)
#include "tst_sftpfilesystem.moc"
