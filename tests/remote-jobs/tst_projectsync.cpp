#include "core/ssh/remotepath.h"
#include "core/ssh/sshconnection.h"
#include "core/sync/projectsync.h"
#include "core/sync/syncplanner.h"
#include "helpers/sshtest.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QMap>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::SshdServer;

namespace {

constexpr int WaitMs = 120000; // a loaded 2-core box running two tests at once

bool writeFile(const QByteArray &path, const QByteArray &data, mode_t mode = 0644)
{
    const qsizetype slash = path.lastIndexOf('/');
    QDir().mkpath(QFile::decodeName(path.left(slash)));
    const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, data.constData(), size_t(data.size())) == data.size();
    ::close(fd);
    ::chmod(path.constData(), mode);
    return ok;
}

void setMtime(const QByteArray &path, qint64 seconds)
{
    timeval times[2] = {{time_t(seconds), 0}, {time_t(seconds), 0}};
    ::utimes(path.constData(), times);
}

struct FileState
{
    QByteArray sha;
    quint32 mode = 0;
    qint64 mtime = 0;
    bool operator==(const FileState &) const = default;
};

// relative path (bytes) -> what the file holds, for every regular file below `root`, by bytes.
void walk(const QByteArray &root, const QByteArray &relative, QMap<QByteArray, FileState> *out,
          const QList<QByteArray> &skip)
{
    const QByteArray full = relative.isEmpty() ? root : root + '/' + relative;
    DIR *dir = ::opendir(full.constData());
    if (!dir)
        return;
    while (const dirent *e = ::readdir(dir)) {
        const QByteArray name(e->d_name);
        if (name == "." || name == "..")
            continue;
        const QByteArray rel = relative.isEmpty() ? name : relative + '/' + name;
        if (skip.contains(rel))
            continue;
        struct stat st;
        if (::lstat((root + '/' + rel).constData(), &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(root, rel, out, skip);
        } else {
            QCryptographicHash hash(QCryptographicHash::Sha256);
            hash.addData(test::readOnDisk(root + '/' + rel));
            out->insert(rel, {hash.result().toHex(), quint32(st.st_mode & 07777),
                              qint64(st.st_mtim.tv_sec)});
        }
    }
    ::closedir(dir);
}

QMap<QByteArray, FileState> tree(const QByteArray &root, const QList<QByteArray> &skip = {})
{
    QMap<QByteArray, FileState> out;
    walk(root, {}, &out, skip);
    return out;
}

// Folders on the "host" are the test user's, as the sync's ownership check requires.
bool mkpathAsTestUser(const QString &path)
{
    const passwd *pw = ::getpwnam("gpuwbtest");
    if (!pw || !QDir().mkpath(path))
        return false;
    for (QString d = path; d.startsWith(u"/home/gpuwbtest/"_s); d = QFileInfo(d).absolutePath()) {
        if (::chown(QFile::encodeName(d).constData(), pw->pw_uid, pw->pw_gid) != 0)
            return false;
    }
    return true;
}

int execSessions(const SshdServer &server)
{
    return int(server.log().count(u"Starting session: command"_s));
}

// A symlink's target on disk, or "<not a link>".
QByteArray linkOnDisk(const QByteArray &path)
{
    char target[4096];
    const ssize_t n = ::readlink(path.constData(), target, sizeof target);
    return n < 0 ? QByteArray("<not a link>") : QByteArray(target, n);
}

} // namespace

class TestProjectSync : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void firstSyncIsOneArchiveStream();
    void resyncSendsOnlyTheChangedFile();
    void deletionOnlyWhenAsked();
    void ignoreRules();
    void hostileNames_data();
    void hostileNames();
    void interruptedSyncResumes();
    void cancelFinishesOnce();
    void largeFolderWarning();
    void typeClashIsReportedNeverRemoved();
    void folderLinkedOnTheHostIsLeftAlone();
    void foreignRemoteFolderIsRefused();
    void linksOutOfTheProjectStayHome();
    void linksInsideTheProjectAreLinks();
    void interruptedTemporariesAreNotSynced();
    void diskFullStopsAndKeepsTheHostFiles();

private:
    struct Run
    {
        int finishedCount = 0;
        Status status;
        int progressCount = 0;
        SyncProgress lastProgress;
    };
    Result<SyncPlan> planNow(ProjectSync &sync);
    Run runNow(ProjectSync &sync, const std::optional<SyncPlan> &plan = {});
    std::unique_ptr<ProjectSync> makeSync(SyncOptions options = {});
    QByteArray local() const { return QFile::encodeName(m_local->path()); }
    QByteArray remote() const { return QFile::encodeName(m_remote); }

    std::unique_ptr<SshdServer> m_server;
    std::unique_ptr<SshConnection> m_connection;
    std::unique_ptr<QTemporaryDir> m_local;
    QString m_remote;
};

void TestProjectSync::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_server = std::make_unique<SshdServer>();
    GPUWB_START_SSHD(*m_server);
    QVERIFY(test::useClientHome(*m_server));
}

void TestProjectSync::init()
{
    SshConnection::Options options; // default SshPaths, after useClientHome
    m_connection = std::make_unique<SshConnection>(m_server->alias(), options);
    m_local = std::make_unique<QTemporaryDir>();
    QVERIFY(m_local->isValid());
    const QString scratch = m_server->makeRemoteScratchDir();
    QVERIFY(!scratch.isEmpty());
    m_remote = scratch + u"/dest/proj"_s; // parents are made by the sync
}

void TestProjectSync::cleanup()
{
    m_connection.reset();
    // By bytes: QDir cannot remove names that are not UTF-8.
    ::nftw(
        local().constData(),
        [](const char *p, const struct stat *, int, FTW *) { return ::remove(p) == 0 ? 0 : 0; },
        16, FTW_DEPTH | FTW_PHYS);
    m_local.reset();
}

std::unique_ptr<ProjectSync> TestProjectSync::makeSync(SyncOptions options)
{
    return std::make_unique<ProjectSync>(m_connection.get(), m_local->path(),
                                         Location::remote(m_server->alias(), m_remote),
                                         std::move(options));
}

Result<SyncPlan> TestProjectSync::planNow(ProjectSync &sync)
{
    std::optional<Result<SyncPlan>> answer;
    QObject context;
    connect(&sync, &ProjectSync::planned, &context,
            [&answer](const Result<SyncPlan> &plan) { answer = plan; });
    sync.plan();
    QDeadlineTimer deadline(WaitMs);
    while (!answer && !deadline.hasExpired())
        QTest::qWait(20);
    if (!answer)
        return Error{ErrorCode::Timeout, u"no plan"_s};
    return *answer;
}

TestProjectSync::Run TestProjectSync::runNow(ProjectSync &sync, const std::optional<SyncPlan> &plan)
{
    Run run;
    auto *r = &run;
    QObject context;
    connect(&sync, &ProjectSync::finished, &context, [r](const Status &s) {
        ++r->finishedCount;
        r->status = s;
    });
    connect(&sync, &ProjectSync::progressed, &context, [r](const SyncProgress &p) {
        ++r->progressCount;
        r->lastProgress = p;
    });
    if (plan)
        sync.run(*plan);
    else
        sync.run();
    QDeadlineTimer deadline(WaitMs);
    while (run.finishedCount == 0 && !deadline.hasExpired())
        QTest::qWait(20);
    if (run.finishedCount == 0)
        run.status = Error{ErrorCode::Timeout, u"the sync did not finish"_s};
    QTest::qWait(200); // a second finished() would arrive by now
    return run;
}

void TestProjectSync::firstSyncIsOneArchiveStream()
{
    for (int i = 0; i < 60; ++i)
        QVERIFY(writeFile(local() + "/src/mod" + QByteArray::number(i / 10) + "/f"
                              + QByteArray::number(i) + ".py",
                          "print(" + QByteArray::number(i) + ")\n"));
    QVERIFY(writeFile(local() + "/run.sh", "#!/bin/sh\necho hi\n", 0755));
    QVERIFY(writeFile(local() + "/empty.txt", ""));
    QVERIFY(writeFile(local() + "/data/blob.bin", QByteArray(3 << 20, 'x')));
    QVERIFY(writeFile(local() + "/" + QByteArray(120, 'L') + "/" + QByteArray(120, 'n'), "long"));
    setMtime(local() + "/run.sh", 1000000000);

    auto sync = makeSync();
    Result<SyncPlan> plan = planNow(*sync);
    QVERIFY2(plan.ok(), qPrintable(plan.errorMessage()));
    QVERIFY(plan->firstSync);
    QVERIFY(plan->useArchiveStream);
    QCOMPARE(plan->uploads.size(), 64);
    QCOMPARE(plan->unchangedFiles, 0);
    QVERIFY(plan->bytesToSend >= (3 << 20));

    const int execsBefore = execSessions(*m_server);
    const Run run = runNow(*sync, *plan);
    QCOMPARE(run.finishedCount, 1);
    QVERIFY2(run.status.ok(), qPrintable(run.status.errorMessage()));
    QTRY_COMPARE_WITH_TIMEOUT(execSessions(*m_server) - execsBefore, 1, 10000); // tar, once
    QCOMPARE(run.lastProgress.filesDone, 64);
    QCOMPARE(run.lastProgress.bytesDone, plan->bytesToSend);
    const auto source = tree(local());
    QCOMPARE(tree(remote()), source); // bytes, mode and mtime
    QCOMPARE(tree(remote()).value("run.sh").mode, 0755u);

    // A plan now has nothing left to do.
    plan = planNow(*sync);
    QVERIFY(plan.ok());
    QVERIFY(!plan->firstSync);
    QCOMPARE(plan->uploads.size(), 0);
    QCOMPARE(plan->unchangedFiles, 64);
}

void TestProjectSync::resyncSendsOnlyTheChangedFile()
{
    for (int i = 0; i < 40; ++i)
        QVERIFY(writeFile(local() + "/pkg/m" + QByteArray::number(i) + ".py", "x = 1\n"));
    auto sync = makeSync();
    Run run = runNow(*sync);
    QVERIFY2(run.status.ok(), qPrintable(run.status.errorMessage()));

    // Same size, different content and mtime.
    QVERIFY(writeFile(local() + "/pkg/m7.py", "x = 2\n"));
    setMtime(local() + "/pkg/m7.py", 1600000000);
    Result<SyncPlan> plan = planNow(*sync);
    QVERIFY(plan.ok());
    QCOMPARE(plan->uploads.size(), 1);
    QCOMPARE(plan->uploads.first().path, u"pkg/m7.py"_s);
    QCOMPARE(plan->unchangedFiles, 39);
    QVERIFY(!plan->useArchiveStream);
    const int execsBefore = execSessions(*m_server);
    run = runNow(*sync, *plan);
    QVERIFY2(run.status.ok(), qPrintable(run.status.errorMessage()));
    QCOMPARE(run.finishedCount, 1);
    QCOMPARE(execSessions(*m_server), execsBefore); // SFTP only
    QCOMPARE(tree(remote()), tree(local()));
}

void TestProjectSync::deletionOnlyWhenAsked()
{
    QVERIFY(writeFile(local() + "/keep.txt", "k"));
    QVERIFY(writeFile(local() + "/gone.txt", "g"));
    QVERIFY(writeFile(local() + "/old/inner.txt", "i"));
    QVERIFY(writeFile(local() + "/.gitignore", "outputs/\n"));
    auto sync = makeSync();
    QVERIFY(runNow(*sync).status.ok());
    // Results the job wrote on the host, in an ignored folder: never deleted.
    QVERIFY(test::writeOnDisk(remote() + "/keep.txt", "k", 0644, true)); // same size, other mtime
    QVERIFY(QDir().mkpath(m_remote + u"/outputs"_s));
    QVERIFY(test::writeOnDisk(remote() + "/outputs/result.csv", "r", 0644, true));

    QVERIFY(::unlink(local() + "/gone.txt") == 0);
    QVERIFY(::unlink(local() + "/old/inner.txt") == 0 && ::rmdir(local() + "/old") == 0);
    QVERIFY(runNow(*sync).status.ok());
    QCOMPARE(test::readOnDisk(remote() + "/gone.txt"), "g"); // not without the option

    SyncOptions options;
    options.deleteExtraneous = true;
    auto deleting = makeSync(options);
    Result<SyncPlan> plan = planNow(*deleting);
    QVERIFY(plan.ok());
    QCOMPARE(plan->deletions, (QStringList{u"old/inner.txt"_s, u"old"_s, u"gone.txt"_s}));
    QVERIFY(runNow(*deleting, *plan).status.ok());
    QCOMPARE(test::readOnDisk(remote() + "/gone.txt"), "<missing>");
    QVERIFY(!QFileInfo::exists(m_remote + u"/old"_s));
    QCOMPARE(test::readOnDisk(remote() + "/outputs/result.csv"), "r");
    QCOMPARE(tree(remote(), {"outputs"}), tree(local()));
}

void TestProjectSync::ignoreRules()
{
    QVERIFY(writeFile(local() + "/main.py", "m"));
    QVERIFY(writeFile(local() + "/.git/HEAD", "ref"));
    QVERIFY(writeFile(local() + "/.gitignore", "*.pyc\nbuild/\n"));
    QVERIFY(writeFile(local() + "/a.pyc", "c"));
    QVERIFY(writeFile(local() + "/build/out.o", "o"));
    QVERIFY(writeFile(local() + "/lib/.gitignore", "/gen\n!keep.pyc\n"));
    QVERIFY(writeFile(local() + "/lib/gen/x.c", "x"));
    QVERIFY(writeFile(local() + "/lib/keep.pyc", "kp"));
    QVERIFY(writeFile(local() + "/gen/top.c", "t")); // lib/.gitignore's /gen is lib/gen only
    QVERIFY(writeFile(local() + "/.gpuwbignore", "checkpoints/\n!build/\n"));
    QVERIFY(writeFile(local() + "/checkpoints/e1.pt", "pt"));
    SyncOptions options;
    options.extraIgnores = {u"*.tmp"_s};
    QVERIFY(writeFile(local() + "/scratch.tmp", "t"));
    auto sync = makeSync(options);
    Result<SyncPlan> plan = planNow(*sync);
    QVERIFY(plan.ok());
    QStringList paths;
    for (const auto &e : plan->uploads)
        paths.append(e.path);
    paths.sort();
    QCOMPARE(paths, (QStringList{u".gitignore"_s, u".gpuwbignore"_s, u"build/out.o"_s,
                                 u"gen/top.c"_s, u"lib/.gitignore"_s, u"lib/keep.pyc"_s,
                                 u"main.py"_s}));
    QVERIFY(runNow(*sync, *plan).status.ok());
    QCOMPARE(tree(remote()), tree(local(), {".git", "a.pyc", "lib/gen", "checkpoints",
                                            "scratch.tmp"}));
}

void TestProjectSync::hostileNames_data()
{
    QTest::addColumn<int>("fillers"); // with many files the archive carries them, else SFTP
    QTest::newRow("archive") << 30;
    QTest::newRow("sftp") << 0;
}

void TestProjectSync::hostileNames()
{
    QFETCH(int, fillers);
    const QList<QByteArray> names = {
        "with space.txt",   "quote'single",        "quote\"double",    "$(touch pwned)",
        "`touch pwned2`",   "new\nline",           "-rf",              "--help",
        "bad\xff\xfe.bin",  "semi;colon&amp|pipe", "star*?[x]",        "back\\slash",
        "\xe4\xb8\xad\xe6\x96\x87.txt", "dir with space/$(x)/-n",
        QByteArray(90, 'd') + "/" + QByteArray(90, 'e') + "/\xff" + QByteArray(100, 'f'),
    };
    for (const QByteArray &name : names)
        QVERIFY(writeFile(local() + "/" + name, "content of " + name));
    for (int i = 0; i < fillers; ++i)
        QVERIFY(writeFile(local() + "/fill/" + QByteArray::number(i), "f"));
    auto sync = makeSync();
    Result<SyncPlan> plan = planNow(*sync);
    QVERIFY(plan.ok());
    QCOMPARE(plan->useArchiveStream, fillers > 0);
    const Run run = runNow(*sync, *plan);
    QVERIFY2(run.status.ok(), qPrintable(run.status.errorMessage()));
    QCOMPARE(tree(remote()), tree(local()));
    QCOMPARE(test::readOnDisk(m_server->userHome().toUtf8() + "/pwned"), "<missing>");
    QCOMPARE(test::readOnDisk(m_server->userHome().toUtf8() + "/pwned2"), "<missing>");
    // Changed again: they go by SFTP, to temporary names and renamed.
    for (const QByteArray &name : names)
        QVERIFY(writeFile(local() + "/" + name, "changed " + name));
    QVERIFY(runNow(*sync).status.ok());
    QCOMPARE(tree(remote()), tree(local()));
}

void TestProjectSync::interruptedSyncResumes()
{
    // Enough bytes that the stream is still going when the session dies.
    QRandomGenerator random(42);
    for (int i = 0; i < 40; ++i) {
        QByteArray data(512 * 1024 + i, Qt::Uninitialized);
        random.fillRange(reinterpret_cast<quint32 *>(data.data()), data.size() / 4);
        QVERIFY(writeFile(local() + "/d" + QByteArray::number(i % 4) + "/f"
                              + QByteArray::number(i), data));
    }
    const auto source = tree(local());
    auto verifyNoHalfFiles = [&] {
        const auto there = tree(remote());
        for (auto it = there.cbegin(); it != there.cend(); ++it) {
            if (it.key().contains(".gpuwb-"))
                continue; // our temporaries and staging, removed by the next sync
            QVERIFY2(source.value(it.key()).sha == it->sha, it.key().constData());
        }
    };
    {
        auto sync = makeSync();
        Run run;
        QObject context;
        connect(sync.get(), &ProjectSync::finished, &context, [&run](const Status &s) {
            ++run.finishedCount;
            run.status = s;
        });
        bool killed = false;
        connect(sync.get(), &ProjectSync::progressed, &context, [&](const SyncProgress &p) {
            if (!killed && p.bytesDone > 0) {
                killed = true;
                m_server->killSessions();
            }
        });
        sync->run();
        QTRY_VERIFY_WITH_TIMEOUT(run.finishedCount > 0, WaitMs);
        QTest::qWait(200);
        QCOMPARE(run.finishedCount, 1);
        QVERIFY(killed);
        qInfo() << "archive sync after the kill:" << run.status.errorMessage();
        if (!run.status.ok()) // a fast machine may have finished before the kill landed
            QCOMPARE(run.status.error().code, ErrorCode::ConnectionLost);
        verifyNoHalfFiles();
    }
    auto syncToTheEnd = [&] {
        auto sync = makeSync();
        Run run;
        for (int attempt = 0; attempt < 5; ++attempt) { // the connection may be reconnecting
            run = runNow(*sync);
            if (run.status.ok())
                break;
            QTest::qWait(1500);
        }
        QVERIFY2(run.status.ok(), qPrintable(run.status.errorMessage()));
        // Identical, and no leftovers (staging folders, .part files) anywhere.
        QCOMPARE(tree(remote()), tree(local()));
    };
    syncToTheEnd();
    if (QTest::currentTestFailed())
        return;

    // The SFTP path: one large file changes; the kill lands while it is written.
    QByteArray big(24 << 20, Qt::Uninitialized);
    random.fillRange(reinterpret_cast<quint32 *>(big.data()), big.size() / 4);
    QVERIFY(writeFile(local() + "/d0/f0", big));
    const auto changed = tree(local());
    {
        auto sync = makeSync();
        Result<SyncPlan> plan = planNow(*sync);
        QVERIFY(plan.ok());
        QCOMPARE(plan->uploads.size(), 1);
        QVERIFY(!plan->useArchiveStream);
        Run run;
        QObject context;
        connect(sync.get(), &ProjectSync::finished, &context, [&run](const Status &s) {
            ++run.finishedCount;
            run.status = s;
        });
        bool killed = false;
        connect(sync.get(), &ProjectSync::progressed, &context, [&](const SyncProgress &p) {
            if (!killed && p.bytesDone > 0) {
                killed = true;
                m_server->killSessions();
            }
        });
        sync->run(*plan);
        QTRY_VERIFY_WITH_TIMEOUT(run.finishedCount > 0, WaitMs);
        QTest::qWait(200);
        QCOMPARE(run.finishedCount, 1);
        qInfo() << "sftp sync after the kill:" << run.status.errorMessage();
        const auto there = tree(remote());
        for (auto it = there.cbegin(); it != there.cend(); ++it) {
            if (!it.key().contains(".gpuwb-"))
                QVERIFY2(changed.value(it.key()).sha == it->sha
                             || source.value(it.key()).sha == it->sha,
                         it.key().constData());
        }
    }
    syncToTheEnd();
}

void TestProjectSync::cancelFinishesOnce()
{
    for (int i = 0; i < 50; ++i)
        QVERIFY(writeFile(local() + "/f" + QByteArray::number(i), QByteArray(200000, 'c')));
    auto sync = makeSync();
    Run run;
    QObject context;
    connect(sync.get(), &ProjectSync::finished, &context, [&run](const Status &s) {
        ++run.finishedCount;
        run.status = s;
    });
    connect(sync.get(), &ProjectSync::progressed, sync.get(), [&] { sync->cancel(); });
    sync->run();
    QTRY_VERIFY_WITH_TIMEOUT(run.finishedCount > 0, WaitMs);
    QTest::qWait(300);
    QCOMPARE(run.finishedCount, 1);
    if (!run.status.ok())
        QCOMPARE(run.status.error().code, ErrorCode::Cancelled);
    // Nothing half written under a final name. The remote tar may still be unpacking into
    // the staging folder when the channel closes, so that folder can outlive the cancel; the
    // next plan removes it, which the full comparison below checks.
    const auto there = tree(remote());
    const auto source = tree(local());
    for (auto it = there.cbegin(); it != there.cend(); ++it) {
        if (!it.key().contains(".gpuwb-"))
            QVERIFY2(source.value(it.key()).sha == it->sha, it.key().constData());
    }
    // And a plain run afterwards completes it.
    auto again = makeSync();
    QVERIFY(runNow(*again).status.ok());
    QCOMPARE(tree(remote()), source);
}

void TestProjectSync::largeFolderWarning()
{
    QVERIFY(writeFile(local() + "/train.py", "t"));
    QVERIFY(writeFile(local() + "/checkpoints/a.pt", QByteArray(3 << 20, 'a')));
    QVERIFY(writeFile(local() + "/datasets/x/b.bin", QByteArray(2 << 20, 'b')));
    QVERIFY(writeFile(local() + "/src/small.py", QByteArray(100, 's')));
    SyncOptions options;
    options.largeFolderBytes = 1 << 20;
    auto sync = makeSync(options);
    Result<SyncPlan> plan = planNow(*sync);
    QVERIFY(plan.ok());
    QVERIFY(plan->firstSync);
    QCOMPARE(plan->largeFolders.size(), 2);
    QCOMPARE(plan->largeFolders[0].path, u"checkpoints"_s);
    QCOMPARE(plan->largeFolders[0].bytes, qint64(3 << 20));
    QCOMPARE(plan->largeFolders[0].files, 1);
    QCOMPARE(plan->largeFolders[1].path, u"datasets"_s);
    QCOMPARE(plan->bytesToSend, qint64((3 << 20) + (2 << 20) + 101));
    // Links inside the project are links, whatever they point to: no bytes, no note.
    QVERIFY(::symlink("src", (local() + "/srclink").constData()) == 0);
    QVERIFY(::symlink("checkpoints/a.pt", (local() + "/latest.pt").constData()) == 0);
    const qint64 before = plan->bytesToSend;
    plan = planNow(*sync);
    QVERIFY(plan.ok());
    QCOMPARE(plan->bytesToSend, before);
    QCOMPARE(plan->links.size(), 2);
    QVERIFY(plan->notes.isEmpty());
}

QTEST_GUILESS_MAIN(TestProjectSync)
#include "tst_projectsync.moc"

// Issue 10, item 2: a local file where the host has a folder (and the other way round) is
// reported; the remote folder and everything in it stays, ignored content included.
void TestProjectSync::typeClashIsReportedNeverRemoved()
{
    QVERIFY(writeFile(local() + "/data", "a file now"));
    QVERIFY(writeFile(local() + "/ckpt/model.txt", "m"));
    QVERIFY(writeFile(local() + "/keep.txt", "k"));
    QVERIFY(mkpathAsTestUser(m_remote + u"/data"_s));
    QVERIFY(test::writeOnDisk(remote() + "/data/checkpoint.pt", "weeks", 0644, true));
    QVERIFY(test::writeOnDisk(remote() + "/ckpt", "a remote file", 0644, true));
    auto sync = makeSync();
    Result<SyncPlan> plan = planNow(*sync);
    QVERIFY(!plan.ok());
    QCOMPARE(plan.error().code, ErrorCode::SyncClash);
    QVERIFY2(plan.errorMessage().contains(m_remote + u"/data"_s), qPrintable(plan.errorMessage()));
    QVERIFY2(plan.errorMessage().contains(m_remote + u"/ckpt"_s), qPrintable(plan.errorMessage()));
    const Run run = runNow(*sync);
    QCOMPARE(run.status.error().code, ErrorCode::SyncClash);
    QCOMPARE(test::readOnDisk(remote() + "/data/checkpoint.pt"), QByteArray("weeks"));
    QCOMPARE(test::readOnDisk(remote() + "/ckpt"), QByteArray("a remote file"));
    QCOMPARE(test::readOnDisk(remote() + "/keep.txt"), QByteArray("<missing>")); // nothing done

    // Once the user moved the remote folder aside, the sync goes through.
    QVERIFY(::rename(remote() + "/data", remote() + "/data.old") == 0);
    QVERIFY(::unlink(remote() + "/ckpt") == 0);
    QVERIFY(runNow(*sync).status.ok());
    QCOMPARE(test::readOnDisk(remote() + "/data"), QByteArray("a file now"));
    QCOMPARE(test::readOnDisk(remote() + "/data.old/checkpoint.pt"), QByteArray("weeks"));
}

// Item 3: a remote_dir that exists and belongs to another user is refused before anything
// is written into it.
void TestProjectSync::foreignRemoteFolderIsRefused()
{
    QVERIFY(writeFile(local() + "/main.py", "m"));
    QTemporaryDir foreign(u"/tmp/gpuwb-foreign-XXXXXX"_s); // root's, world-writable
    QVERIFY(foreign.isValid());
    QVERIFY(::chmod(QFile::encodeName(foreign.path()).constData(), 0777) == 0);
    auto sync = std::make_unique<ProjectSync>(m_connection.get(), m_local->path(),
                                              Location::remote(m_server->alias(), foreign.path()),
                                              SyncOptions{});
    const Run run = runNow(*sync);
    QCOMPARE(run.status.error().code, ErrorCode::NotOwner);
    QVERIFY2(run.status.errorMessage().contains(u"remote_dir"_s),
             qPrintable(run.status.errorMessage()));
    QVERIFY(QDir(foreign.path()).isEmpty());
}

// Item 7: a link that leaves the project is never followed (a cloned repository's
// `data.txt -> ~/.ssh/id_ed25519`); a link inside it is sent as a link.
void TestProjectSync::linksOutOfTheProjectStayHome()
{
    QTemporaryDir outside;
    QVERIFY(writeFile(QFile::encodeName(outside.path()) + "/id_ed25519", "PRIVATE KEY"));
    QVERIFY(writeFile(local() + "/train.py", "t"));
    QVERIFY(::symlink((QFile::encodeName(outside.path()) + "/id_ed25519").constData(),
                      (local() + "/data.txt").constData()) == 0);
    QVERIFY(writeFile(local() + "/sub/x.txt", "x"));
    QVERIFY(::symlink("../../" + QFile::encodeName(QFileInfo(outside.path()).fileName())
                          + "/id_ed25519",
                      (local() + "/sub/relative.txt").constData()) == 0);
    QVERIFY(::symlink("../train.py", (local() + "/sub/inside.py").constData()) == 0);
    auto sync = makeSync();
    Result<SyncPlan> plan = planNow(*sync);
    QVERIFY2(plan.ok(), qPrintable(plan.errorMessage()));
    QStringList sent;
    for (const SyncPlan::Entry &e : plan->uploads)
        sent.append(e.path);
    sent.sort();
    QCOMPARE(sent, (QStringList{u"sub/x.txt"_s, u"train.py"_s}));
    QCOMPARE(plan->links.size(), 1);
    QCOMPARE(plan->links.first().path, u"sub/inside.py"_s);
    QVERIFY2(plan->notes.filter(u"data.txt skipped"_s).size() == 1,
             qPrintable(plan->notes.join(u'\n')));
    QVERIFY(runNow(*sync, *plan).status.ok());
    QCOMPARE(test::readOnDisk(remote() + "/data.txt"), QByteArray("<missing>"));
    QCOMPARE(test::readOnDisk(remote() + "/sub/relative.txt"), QByteArray("<missing>"));
    QCOMPARE(test::readOnDisk(remote() + "/sub/inside.py"), QByteArray("t"));
    QCOMPARE(linkOnDisk(remote() + "/sub/inside.py"), QByteArray("../train.py"));
}

// Item 7, second half: links inside the project arrive as links with a target that works in
// the work folder (absolute ones made relative), over the tar stream and over SFTP; a changed
// target re-points the link, an unchanged one costs nothing, a remote file in a link's place
// is replaced without the path ever missing.
void TestProjectSync::linksInsideTheProjectAreLinks()
{
    QVERIFY(writeFile(local() + "/data/real.bin", "real"));
    QVERIFY(writeFile(local() + "/data/other.bin", "other"));
    for (int i = 0; i < SyncPlanner::ArchiveMinFiles; ++i) // first sync: one tar stream
        QVERIFY(writeFile(local() + "/src/f" + QByteArray::number(i) + ".py", "x"));
    QVERIFY(::symlink("data/real.bin", (local() + "/latest").constData()) == 0);
    QVERIFY(::symlink("data", (local() + "/datalink").constData()) == 0);
    QVERIFY(::symlink((local() + "/data/real.bin").constData(), (local() + "/abs").constData())
            == 0);
    QVERIFY(::symlink("../data", (local() + "/src/up").constData()) == 0);
    QVERIFY(::symlink("../../" + QFile::encodeName(QFileInfo(m_local->path()).fileName())
                          + "/data/other.bin",
                      (local() + "/src/roundabout").constData())
            == 0);
    auto sync = makeSync();
    Result<SyncPlan> plan = planNow(*sync);
    QVERIFY2(plan.ok(), qPrintable(plan.errorMessage()));
    QCOMPARE(plan->links.size(), 5);
    QVERIFY(plan->useArchiveStream);
    QVERIFY(runNow(*sync, *plan).status.ok());
    QCOMPARE(linkOnDisk(remote() + "/latest"), QByteArray("data/real.bin"));
    QCOMPARE(linkOnDisk(remote() + "/datalink"), QByteArray("data"));
    QCOMPARE(linkOnDisk(remote() + "/abs"), QByteArray("data/real.bin"));
    QCOMPARE(linkOnDisk(remote() + "/src/up"), QByteArray("../data"));
    QCOMPARE(linkOnDisk(remote() + "/src/roundabout"), QByteArray("../data/other.bin"));
    QCOMPARE(test::readOnDisk(remote() + "/datalink/real.bin"), QByteArray("real"));

    plan = planNow(*sync); // nothing changed
    QVERIFY(plan.ok());
    QVERIFY(plan->links.isEmpty());
    QVERIFY(plan->uploads.isEmpty());

    // Re-pointed locally; and a plain file on the host where the project has a link.
    QVERIFY(::unlink((local() + "/latest").constData()) == 0);
    QVERIFY(::symlink("data/other.bin", (local() + "/latest").constData()) == 0);
    QVERIFY(::unlink((remote() + "/datalink").constData()) == 0);
    QVERIFY(test::writeOnDisk(remote() + "/datalink", "a file", 0644, true));
    plan = planNow(*sync);
    QVERIFY(plan.ok());
    QCOMPARE(plan->links.size(), 2);
    QVERIFY(!plan->useArchiveStream);
    QVERIFY(runNow(*sync, *plan).status.ok());
    QCOMPARE(linkOnDisk(remote() + "/latest"), QByteArray("data/other.bin"));
    QCOMPARE(test::readOnDisk(remote() + "/latest"), QByteArray("other"));
    QCOMPARE(linkOnDisk(remote() + "/datalink"), QByteArray("data"));
}

// Item 16: a save's or download's temporary left by an interruption is not project content.
void TestProjectSync::interruptedTemporariesAreNotSynced()
{
    QVERIFY(writeFile(local() + "/model.py", "m"));
    QVERIFY(writeFile(local() + "/.model.py.gpuwb-k2j4.part", "half"));
    auto sync = makeSync();
    Result<SyncPlan> plan = planNow(*sync);
    QVERIFY(plan.ok());
    QCOMPARE(plan->uploads.size(), 1);
    QCOMPARE(plan->uploads.first().path, u"model.py"_s);
}

// A folder that is a link on the host (checkpoints -> /scratch/...) is the user's arrangement:
// not a clash, not replaced; its content is not synced, with a note.
void TestProjectSync::folderLinkedOnTheHostIsLeftAlone()
{
    QVERIFY(writeFile(local() + "/train.py", "t"));
    QVERIFY(writeFile(local() + "/checkpoints/.gitkeep", ""));
    const QString scratch = QFileInfo(QFileInfo(m_remote).absolutePath()).absolutePath();
    QVERIFY(mkpathAsTestUser(m_remote));
    QVERIFY(mkpathAsTestUser(scratch + u"/big-disk"_s));
    QVERIFY(test::writeOnDisk(QFile::encodeName(scratch) + "/big-disk/epoch9.pt", "w", 0644,
                              true));
    QVERIFY(::symlink((QFile::encodeName(scratch) + "/big-disk").constData(),
                      (remote() + "/checkpoints").constData()) == 0);
    auto sync = makeSync();
    Result<SyncPlan> plan = planNow(*sync);
    QVERIFY2(plan.ok(), qPrintable(plan.errorMessage()));
    QVERIFY2(plan->notes.filter(u"checkpoints/ not synced"_s).size() == 1,
             qPrintable(plan->notes.join(u'\n')));
    QVERIFY(runNow(*sync, *plan).status.ok());
    QCOMPARE(test::readOnDisk(remote() + "/train.py"), QByteArray("t"));
    QVERIFY(QFileInfo(m_remote + u"/checkpoints"_s).isSymLink());
    QCOMPARE(test::readOnDisk(QFile::encodeName(scratch) + "/big-disk/epoch9.pt"),
             QByteArray("w"));
}

// Disk full on the host during a sync: the sync stops with SFTP's error, every file the host
// had keeps its content, and the next sync (with room again) finishes the job.
void TestProjectSync::diskFullStopsAndKeepsTheHostFiles()
{
    const QString scratch = QFileInfo(QFileInfo(m_remote).path()).path();
    test::SmallFileSystem small;
    QString why;
    if (!small.mount(QFile::encodeName(scratch + u"/small"_s), 512 * 1024, &why))
        QSKIP(qPrintable(why));
    m_remote = scratch + u"/small/proj"_s;
    for (int i = 0; i < 10; ++i)
        QVERIFY(writeFile(local() + "/src/m" + QByteArray::number(i) + ".py", "v1\n"));
    auto sync = makeSync();
    Run run = runNow(*sync);
    QVERIFY2(run.status.ok(), qPrintable(run.status.errorMessage()));

    // Changed files and one that does not fit.
    for (int i = 0; i < 10; ++i)
        QVERIFY(writeFile(local() + "/src/m" + QByteArray::number(i) + ".py",
                          "v2, longer than before\n"));
    QVERIFY(writeFile(local() + "/data.bin", QByteArray(1 << 20, 'd')));
    run = runNow(*sync);
    QVERIFY(!run.status.ok());
    QCOMPARE(run.finishedCount, 1);
    QVERIFY2(run.status.error().code == ErrorCode::IoError, qPrintable(errorCodeName(run.status.error().code)
                                                                  + u": "_s + run.status.errorMessage()));
    for (int i = 0; i < 10; ++i) {
        const QByteArray there = test::readOnDisk(remote() + "/src/m" + QByteArray::number(i) + ".py");
        QVERIFY2(there == "v1\n" || there == "v2, longer than before\n", there.constData());
    }

    // With room again the next sync completes, and no temporary stays behind.
    QVERIFY(writeFile(local() + "/data.bin", QByteArray(100 * 1024, 'd')));
    run = runNow(*sync);
    QVERIFY2(run.status.ok(), qPrintable(run.status.errorMessage()));
    QCOMPARE(test::readOnDisk(remote() + "/data.bin"), QByteArray(100 * 1024, 'd'));
    QCOMPARE(test::readOnDisk(remote() + "/src/m9.py"), QByteArray("v2, longer than before\n"));
    QStringList leftovers;
    for (const QByteArray &dir : {remote(), remote() + "/src"}) {
        if (DIR *d = ::opendir(dir.constData())) {
            while (const dirent *e = ::readdir(d)) {
                if (QByteArray(e->d_name).contains(".gpuwb-"))
                    leftovers.append(QFile::decodeName(e->d_name));
            }
            ::closedir(d);
        }
    }
    QVERIFY2(leftovers.isEmpty(), qPrintable(leftovers.join(u' ')));
}
