#include "core/ssh/remotepath.h"
#include "core/ssh/sshconnection.h"
#include "core/ssh/sshconnections.h"
#include "core/ssh/transfer.h"
#include "core/ssh/transferqueue.h"
#include "helpers/sshtest.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <QProcess>

#include <dirent.h>
#include <ftw.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::writeOnDisk;
using gpuwb::test::SshdServer;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr int TransferWaitMs = 240000; // a loaded 2-core box running two tests at once

// SHA-256 by sha256sum: several times faster than hashing here, and it runs beside us.
QByteArray sha256Of(const QByteArray &path)
{
    QProcess process;
    process.start(u"sha256sum"_s, {QFile::decodeName(path)});
    if (!process.waitForFinished(TransferWaitMs) || process.exitCode() != 0)
        return "<unreadable>";
    return process.readAllStandardOutput().split(' ').value(0);
}

// Writes `size` bytes of a seeded pseudo-random pattern (every block distinct) to `path` and
// returns their SHA-256.
QByteArray generate(const QByteArray &path, qint64 size, quint32 seed)
{
    QByteArray block(4 * MiB, Qt::Uninitialized);
    QRandomGenerator random(seed);
    random.fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
    const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return {};
    for (qint64 offset = 0; offset < size; offset += block.size()) {
        // Stamp the block number into every 4 KiB page so no two blocks are equal.
        const quint64 stamp = quint64(offset / block.size()) * 0x9E3779B97F4A7C15ull;
        for (qsizetype page = 0; page < block.size(); page += 4096)
            memcpy(block.data() + page, &stamp, sizeof stamp);
        const qint64 n = qMin<qint64>(block.size(), size - offset);
        if (::write(fd, block.constData(), size_t(n)) != n) {
            ::close(fd);
            return {};
        }
    }
    ::close(fd);
    return sha256Of(path);
}

// Removes a tree by its bytes (QDir cannot name files that are not UTF-8).
void removeTree(const QByteArray &path)
{
    ::nftw(
        path.constData(),
        [](const char *p, const struct stat *, int, FTW *) { return ::remove(p) == 0 ? 0 : 0; },
        16, FTW_DEPTH | FTW_PHYS);
}

// POSIX calls on the bytes, so that names that are not UTF-8 are found as they are.
QByteArray onDisk(const QByteArray &path)
{
    return test::readOnDisk(path);
}


bool makeDir(const QByteArray &path, mode_t mode, bool asTestUser)
{
    if (::mkdir(path.constData(), mode) != 0)
        return false;
    ::chmod(path.constData(), mode);
    if (asTestUser) {
        const passwd *pw = ::getpwnam("gpuwbtest");
        return pw && ::chown(path.constData(), pw->pw_uid, pw->pw_gid) == 0;
    }
    return true;
}

mode_t modeOf(const QByteArray &path)
{
    struct stat st;
    return ::stat(path.constData(), &st) == 0 ? st.st_mode & 07777 : 0xFFFF;
}

// Names in a folder that are our temporary files.
QList<QByteArray> leftovers(const QByteArray &dir)
{
    QList<QByteArray> out;
    if (DIR *d = ::opendir(dir.constData())) {
        while (const dirent *e = ::readdir(d)) {
            if (QByteArray(e->d_name).contains(".gpuwb-"))
                out.append(e->d_name);
        }
        ::closedir(d);
    }
    return out;
}

struct Outcome
{
    int finishedCount = 0;
    Status status;
    QList<TransferFileError> errors;
    QList<TransferProgress> progress;
};

// Runs a transfer to its end, recording what it said.
void runToEnd(Transfer *transfer, Outcome *outcome, std::function<void(Transfer *)> onProgress = {})
{
    QObject::connect(transfer, &Transfer::progressed, transfer,
                     [=](const TransferProgress &p) {
                         outcome->progress.append(p);
                         if (onProgress)
                             onProgress(transfer);
                     });
    QObject::connect(transfer, &Transfer::fileFailed, transfer,
                     [=](const TransferFileError &e) { outcome->errors.append(e); });
    QObject::connect(transfer, &Transfer::finished, transfer, [=](const Status &s) {
        ++outcome->finishedCount;
        outcome->status = s;
    });
    transfer->start();
}

} // namespace

class TestTransfer : public QObject
{
    Q_OBJECT

    std::unique_ptr<SshdServer> m_server;
    std::unique_ptr<SshConnection> m_connection;
    std::unique_ptr<QTemporaryDir> m_local;
    QString m_scratch;
    QString m_alias;

    Location remote(const QString &relative) const
    {
        return Location::remote(m_alias, m_scratch + u'/' + relative);
    }
    QByteArray remoteDisk(const QByteArray &relative) const
    {
        return QFile::encodeName(m_scratch) + '/' + relative;
    }
    Location local(const QString &relative) const
    {
        return Location::local(m_local->filePath(relative));
    }
    QByteArray localDisk(const QByteArray &relative) const
    {
        return QFile::encodeName(m_local->path()) + '/' + relative;
    }
    SshConnection::Options options() const
    {
        SshConnection::Options o;
        o.paths = SshPaths::defaults();
        return o;
    }

    bool waitFinished(const Outcome &outcome)
    {
        return QTest::qWaitFor([&] { return outcome.finishedCount > 0; }, TransferWaitMs);
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
        m_connection = std::make_unique<SshConnection>(m_alias, options());
        m_scratch = m_server->makeRemoteScratchDir();
        QVERIFY(!m_scratch.isEmpty());
        m_local = std::make_unique<QTemporaryDir>();
        QVERIFY(m_local->isValid());
    }

    void cleanupTestCase()
    {
        m_connection.reset();
        if (!m_scratch.isEmpty()) {
            removeTree(QFile::encodeName(m_scratch));
            ::mkdir(QFile::encodeName(m_scratch).constData(), 0755); // the fixture removes it
        }
        if (m_local)
            removeTree(QFile::encodeName(m_local->path()));
        m_server.reset();
        m_local.reset();
    }

    void singleFileKeepsModeAndReplacesAtomically()
    {
        QVERIFY(writeOnDisk(localDisk("tool.sh"), "#!/bin/sh\necho hi\n", 0750, false));
        QVERIFY(writeOnDisk(remoteDisk("tool.sh"), "old remote", 0644, true));
        Outcome up;
        Transfer upload(m_connection.get(), Transfer::Direction::Upload, local(u"tool.sh"_s),
                        remote(u"tool.sh"_s));
        runToEnd(&upload, &up);
        QVERIFY(waitFinished(up));
        QVERIFY2(up.status.ok(), qPrintable(up.status.errorMessage()));
        QCOMPARE(onDisk(remoteDisk("tool.sh")), QByteArray("#!/bin/sh\necho hi\n"));
        QCOMPARE(modeOf(remoteDisk("tool.sh")), 0750u);
        QVERIFY(leftovers(QFile::encodeName(m_scratch)).isEmpty());
        QVERIFY(upload.isFinished() && !upload.isRunning());
        QCOMPARE(upload.progress().filesDone, 1);
        QCOMPARE(upload.progress().bytesDone, 18);

        QVERIFY(writeOnDisk(localDisk("back.sh"), "stale local", 0600, false));
        Outcome down;
        Transfer download(m_connection.get(), Transfer::Direction::Download,
                          remote(u"tool.sh"_s), local(u"back.sh"_s));
        runToEnd(&download, &down);
        QVERIFY(waitFinished(down));
        QVERIFY2(down.status.ok(), qPrintable(down.status.errorMessage()));
        QCOMPARE(onDisk(localDisk("back.sh")), QByteArray("#!/bin/sh\necho hi\n"));
        QCOMPARE(modeOf(localDisk("back.sh")), 0750u);
        QVERIFY(leftovers(QFile::encodeName(m_local->path())).isEmpty());
        QTest::qWait(200);
        QCOMPARE(up.finishedCount, 1);
        QCOMPARE(down.finishedCount, 1);
    }

    void missingSourceFails()
    {
        Outcome out;
        Transfer t(m_connection.get(), Transfer::Direction::Upload, local(u"nothing here"_s),
                   remote(u"nothing"_s));
        runToEnd(&t, &out);
        QVERIFY(waitFinished(out));
        QVERIFY(!out.status.ok());
        QCOMPARE(out.status.error().code, ErrorCode::NotFound);
        QCOMPARE(t.status().error().code, ErrorCode::NotFound);
    }

    void oneGibRoundTrip()
    {
        const qint64 size = 1024 * MiB;
        QElapsedTimer timer;
        timer.start();
        const QByteArray hash = generate(localDisk("big.bin"), size, 42);
        QVERIFY(!hash.isEmpty());
        qInfo("generated 1 GiB in %lld ms", timer.elapsed());

        Outcome up;
        Transfer upload(m_connection.get(), Transfer::Direction::Upload, local(u"big.bin"_s),
                        remote(u"big.bin"_s));
        timer.restart();
        runToEnd(&upload, &up);
        QVERIFY(waitFinished(up));
        const qint64 upMs = qMax<qint64>(1, timer.elapsed());
        QVERIFY2(up.status.ok(), qPrintable(up.status.errorMessage()));
        qInfo("uploaded 1 GiB in %lld ms: %.1f MB/s with %d requests in flight", upMs,
              double(size) / 1e6 / (double(upMs) / 1000.0),
              qEnvironmentVariableIntValue("GPUWB_SFTP_IN_FLIGHT") > 0
                  ? qEnvironmentVariableIntValue("GPUWB_SFTP_IN_FLIGHT") : 64);
        QCOMPARE(up.finishedCount, 1);
        QCOMPARE(up.progress.last().bytesDone, size);
        QCOMPARE(up.progress.last().bytesTotal, size);
        // Progress is throttled: far fewer reports than 4 MiB steps, and never going back.
        QVERIFY(up.progress.size() <= upMs / 50 + 10);
        for (qsizetype i = 1; i < up.progress.size(); ++i)
            QVERIFY(up.progress.at(i).bytesDone >= up.progress.at(i - 1).bytesDone);
        QCOMPARE(sha256Of(remoteDisk("big.bin")), hash);

        Outcome down;
        Transfer download(m_connection.get(), Transfer::Direction::Download,
                          remote(u"big.bin"_s), local(u"big-back.bin"_s));
        timer.restart();
        runToEnd(&download, &down);
        QVERIFY(waitFinished(down));
        const qint64 downMs = qMax<qint64>(1, timer.elapsed());
        QVERIFY2(down.status.ok(), qPrintable(down.status.errorMessage()));
        qInfo("downloaded 1 GiB in %lld ms: %.1f MB/s", downMs,
              double(size) / 1e6 / (double(downMs) / 1000.0));
        QCOMPARE(sha256Of(localDisk("big-back.bin")), hash);

        if (qEnvironmentVariableIsSet("GPUWB_COMPARE_OPENSSH")) {
            // For measuring only: OpenSSH's sftp on the same files and the same box.
            QFile batch(m_local->filePath(u"batch"_s));
            const QByteArray theirs = remoteDisk("openssh.bin");
            const QByteArray put = "put " + localDisk("big.bin") + ' ' + theirs;
            const QByteArray get = "get " + theirs + ' ' + localDisk("openssh.bin");
            for (const QByteArray &command : {put, get}) {
                QVERIFY(batch.open(QIODevice::WriteOnly | QIODevice::Truncate));
                batch.write(command + '\n');
                batch.close();
                QProcess sftp;
                timer.restart();
                sftp.start(u"sftp"_s, {u"-q"_s, u"-F"_s, m_server->clientSshDir() + u"/config"_s,
                                       u"-o"_s, u"UserKnownHostsFile="_s
                                           + m_server->clientSshDir() + u"/known_hosts"_s,
                                       u"-i"_s, m_server->plainKeyPath(), u"-b"_s,
                                       batch.fileName(), m_alias});
                QVERIFY(sftp.waitForFinished(TransferWaitMs));
                if (sftp.exitCode() != 0)
                    qInfo("%s", sftp.readAllStandardError().constData());
                const qint64 ms = qMax<qint64>(1, timer.elapsed());
                qInfo("OpenSSH sftp %s: %lld ms, %.1f MB/s (exit %d)", command.left(3).constData(),
                      ms, double(size) / 1e6 / (double(ms) / 1000.0), sftp.exitCode());
            }
            ::unlink(remoteDisk("openssh.bin").constData());
            ::unlink(localDisk("openssh.bin").constData());
        }

        ::unlink(localDisk("big.bin").constData());
        ::unlink(localDisk("big-back.bin").constData());
        ::unlink(remoteDisk("big.bin").constData());
    }

    void killedServerLeavesOriginalIntact()
    {
        // A connection of its own, so that the others never see the kill.
        SshConnection connection(m_alias, options());
        QVERIFY(writeOnDisk(remoteDisk("precious.bin"), QByteArray(3 * MiB, 'p'), 0640, true));
        const QByteArray original = sha256Of(remoteDisk("precious.bin"));
        QVERIFY(!generate(localDisk("replacement.bin"), 256 * MiB, 7).isEmpty());

        Outcome out;
        bool killed = false;
        Transfer upload(&connection, Transfer::Direction::Upload, local(u"replacement.bin"_s),
                        remote(u"precious.bin"_s));
        runToEnd(&upload, &out, [&](Transfer *t) {
            if (!killed && t->progress().bytesDone > 8 * MiB) {
                killed = true;
                m_server->killSessions();
            }
        });
        QVERIFY(waitFinished(out));
        QVERIFY(killed);
        QVERIFY(!out.status.ok());
        qInfo("after the kill: %s (%s)", qPrintable(errorCodeName(out.status.error().code)),
              qPrintable(out.status.errorMessage()));
        QCOMPARE(sha256Of(remoteDisk("precious.bin")), original);
        QCOMPARE(modeOf(remoteDisk("precious.bin")), 0640u);
        QTest::qWait(300);
        QCOMPARE(out.finishedCount, 1);
        ::unlink(localDisk("replacement.bin").constData());
        // The temporary file of the killed upload may stay behind on the server; clean it.
        for (const QByteArray &name : leftovers(QFile::encodeName(m_scratch)))
            ::unlink(remoteDisk(name).constData());
    }

    void folderUploadReportsFailuresAndCopiesTheRest()
    {
        const QByteArray root = localDisk("tree");
        QVERIFY(makeDir(root, 0755, false));
        QVERIFY(makeDir(root + "/sub", 0750, false));
        QVERIFY(makeDir(root + "/sub/deeper", 0755, false));
        QVERIFY(makeDir(root + "/empty", 0700, false));
        QVERIFY(writeOnDisk(root + "/a.txt", "alpha", 0644, false));
        QVERIFY(writeOnDisk(root + "/sub/run.sh", "#!/bin/sh\n", 0755, false));
        QVERIFY(writeOnDisk(root + "/sub/deeper/it's \xff\xfe $(x)", "hostile", 0600, false));
        QVERIFY(writeOnDisk(root + "/sub/deeper/b.bin", QByteArray(3 * MiB + 5, 'b'), 0644,
                            false));
        // Unreadable sources: a link to nothing, and (as root reads everything) a pipe.
        QCOMPARE(::symlink("gone", (root + "/broken").constData()), 0);
        QCOMPARE(::mkfifo((root + "/sub/pipe").constData(), 0644), 0);

        Outcome out;
        Transfer upload(m_connection.get(), Transfer::Direction::Upload, local(u"tree"_s),
                        remote(u"tree-up"_s));
        runToEnd(&upload, &out);
        QVERIFY(waitFinished(out));
        QVERIFY2(out.status.ok(), qPrintable(out.status.errorMessage()));
        QCOMPARE(out.errors.size(), 2);
        QStringList failed{out.errors.at(0).path, out.errors.at(1).path};
        failed.sort();
        QCOMPARE(failed, (QStringList{u"broken"_s, u"sub/pipe"_s}));
        QVERIFY(out.errors.at(0).message.size() > 10);
        QCOMPARE(upload.fileErrors().size(), 2);

        const QByteArray dest = remoteDisk("tree-up");
        QCOMPARE(onDisk(dest + "/a.txt"), QByteArray("alpha"));
        QCOMPARE(onDisk(dest + "/sub/run.sh"), QByteArray("#!/bin/sh\n"));
        QCOMPARE(onDisk(dest + "/sub/deeper/it's \xff\xfe $(x)"), QByteArray("hostile"));
        QCOMPARE(onDisk(dest + "/sub/deeper/b.bin"), QByteArray(3 * MiB + 5, 'b'));
        QCOMPARE(modeOf(dest + "/sub/run.sh"), 0755u);
        QCOMPARE(modeOf(dest + "/sub/deeper/it's \xff\xfe $(x)"), 0600u);
        QCOMPARE(modeOf(dest + "/sub"), 0750u);
        QCOMPARE(modeOf(dest + "/empty"), 0700u);
        QCOMPARE(::access((dest + "/broken").constData(), F_OK), -1);
        QCOMPARE(upload.progress().filesTotal, 4);
        QCOMPARE(upload.progress().bytesTotal, 5 + 10 + 7 + 3 * MiB + 5);
        QCOMPARE(upload.progress().bytesDone, upload.progress().bytesTotal);
    }

    void folderDownloadReportsUnreadableFile()
    {
        const QByteArray root = remoteDisk("rtree");
        QVERIFY(makeDir(root, 0755, true));
        QVERIFY(makeDir(root + "/d", 0755, true));
        QVERIFY(writeOnDisk(root + "/one", "1", 0644, true));
        QVERIFY(writeOnDisk(root + "/d/two\nlines", "2", 0640, true));
        QVERIFY(writeOnDisk(root + "/d/secret", "no", 0000, true)); // the server cannot read it

        Outcome out;
        Transfer download(m_connection.get(), Transfer::Direction::Download, remote(u"rtree"_s),
                          local(u"rtree-down"_s));
        runToEnd(&download, &out);
        QVERIFY(waitFinished(out));
        QVERIFY2(out.status.ok(), qPrintable(out.status.errorMessage()));
        QCOMPARE(out.errors.size(), 1);
        QCOMPARE(out.errors.at(0).path, u"d/secret"_s);
        QVERIFY2(out.errors.at(0).message.contains(u"Permission denied"_s),
                 qPrintable(out.errors.at(0).message));
        const QByteArray dest = localDisk("rtree-down");
        QCOMPARE(onDisk(dest + "/one"), QByteArray("1"));
        QCOMPARE(onDisk(dest + "/d/two\nlines"), QByteArray("2"));
        QCOMPARE(modeOf(dest + "/d/two\nlines"), 0640u);
        QCOMPARE(::access((dest + "/d/secret").constData(), F_OK), -1);
        QVERIFY(leftovers(dest + "/d").isEmpty());
    }

    void everyFileFailingFailsTheTransfer()
    {
        const QByteArray root = remoteDisk("allbad");
        QVERIFY(makeDir(root, 0755, true));
        QVERIFY(writeOnDisk(root + "/x", "x", 0000, true));
        Outcome out;
        Transfer download(m_connection.get(), Transfer::Direction::Download, remote(u"allbad"_s),
                          local(u"allbad"_s));
        runToEnd(&download, &out);
        QVERIFY(waitFinished(out));
        QVERIFY(!out.status.ok());
        QCOMPARE(out.errors.size(), 1);
    }

    void cancelStopsAndCleansUp()
    {
        QVERIFY(!generate(localDisk("cancel.bin"), 256 * MiB, 9).isEmpty());
        Outcome out;
        Transfer upload(m_connection.get(), Transfer::Direction::Upload, local(u"cancel.bin"_s),
                        remote(u"cancel.bin"_s));
        // Cancel as soon as the walk is done: early in a 256 MiB file, however slow the box.
        runToEnd(&upload, &out, [](Transfer *t) {
            if (t->progress().bytesTotal > 0)
                t->cancel();
        });
        QVERIFY(waitFinished(out));
        QCOMPARE(out.status.error().code, ErrorCode::Cancelled);
        QCOMPARE(::access(remoteDisk("cancel.bin").constData(), F_OK), -1);
        QVERIFY(leftovers(QFile::encodeName(m_scratch)).isEmpty());

        // And a download, cancelled before it starts.
        QVERIFY(writeOnDisk(remoteDisk("small"), "s", 0644, true));
        Outcome down;
        Transfer download(m_connection.get(), Transfer::Direction::Download, remote(u"small"_s),
                          local(u"small"_s));
        // Cancelled before start(): a one-byte file could otherwise finish before cancel().
        download.cancel();
        runToEnd(&download, &down);
        QVERIFY(waitFinished(down));
        QCOMPARE(down.status.error().code, ErrorCode::Cancelled);
        QCOMPARE(::access(localDisk("small").constData(), F_OK), -1);
        QVERIFY(leftovers(QFile::encodeName(m_local->path())).isEmpty());
        ::unlink(localDisk("cancel.bin").constData());
        QTest::qWait(200);
        QCOMPARE(out.finishedCount, 1);
        QCOMPARE(down.finishedCount, 1);
    }

    // Issue 10, item 16: a download's temporaries left by an interruption are cleaned when
    // the next download comes into that folder; one still written (locked), a recent one, a
    // link and the user's own ".part" files stay.
    void downloadRemovesAbandonedTemporaries()
    {
        const QByteArray dir = localDisk("dl");
        QVERIFY(::mkdir(dir.constData(), 0755) == 0 || errno == EEXIST);
        const auto make = [&](const char *name, bool old) {
            const QByteArray path = dir + '/' + name;
            QVERIFY(writeOnDisk(path, "partial", 0600, false));
            if (old) {
                const time_t then = ::time(nullptr) - 7200;
                const timeval past[2] = {{then, 0}, {then, 0}};
                QCOMPARE(::utimes(path.constData(), past), 0);
            }
        };
        make(".x.bin.gpuwb-old1.part", true);
        make(".other.gpuwb-old2.part", true);
        make(".x.bin.gpuwb-fresh.part", false);
        make(".x.bin.gpuwb-held.part", true);
        make("mine.part", true);
        make(".notours.part", true);
        const QByteArray held = dir + "/.x.bin.gpuwb-held.part";
        const int heldFd = ::open(held.constData(), O_RDONLY | O_CLOEXEC);
        QVERIFY(heldFd >= 0);
        QCOMPARE(::flock(heldFd, LOCK_EX | LOCK_NB), 0);
        const QByteArray target = localDisk("kept-target");
        QVERIFY(writeOnDisk(target, "not ours to delete", 0644, false));
        QCOMPARE(::symlink(target.constData(), (dir + "/.y.gpuwb-link.part").constData()), 0);

        QVERIFY(writeOnDisk(remoteDisk("x.bin"), "whole", 0644, true));
        Outcome out;
        Transfer download(m_connection.get(), Transfer::Direction::Download, remote(u"x.bin"_s),
                          local(u"dl/x.bin"_s));
        runToEnd(&download, &out);
        QVERIFY(waitFinished(out));
        QVERIFY2(out.status.ok(), qPrintable(out.status.errorMessage()));
        const QList<QByteArray> left = leftovers(dir);
        QVERIFY2(!left.contains(".x.bin.gpuwb-old1.part")
                     && !left.contains(".other.gpuwb-old2.part"),
                 left.join(' ').constData());
        QVERIFY(left.contains(".x.bin.gpuwb-fresh.part"));
        QVERIFY(left.contains(".x.bin.gpuwb-held.part"));
        QVERIFY(left.contains(".y.gpuwb-link.part"));
        QCOMPARE(left.size(), 3);
        QCOMPARE(::access((dir + "/mine.part").constData(), F_OK), 0);
        QCOMPARE(::access((dir + "/.notours.part").constData(), F_OK), 0);
        QCOMPARE(::access(target.constData(), F_OK), 0);
        ::close(heldFd);
    }

    void queueRunsTransfersAndPicksDirection()
    {
        SshConnections connections(options());
        TransferQueue queue(&connections);
        queue.setMaxConcurrent(1);
        QSignalSpy added(&queue, &TransferQueue::added);
        QVERIFY(writeOnDisk(localDisk("q1"), "first", 0644, false));
        QVERIFY(writeOnDisk(remoteDisk("q2"), "second", 0644, true));

        auto up = queue.enqueue(local(u"q1"_s), remote(u"q1"_s));
        QVERIFY(up.ok());
        QCOMPARE((*up)->direction(), Transfer::Direction::Upload);
        auto down = queue.enqueue(remote(u"q2"_s), local(u"q2"_s));
        QVERIFY(down.ok());
        QCOMPARE((*down)->direction(), Transfer::Direction::Download);
        QCOMPARE(added.count(), 2);
        QVERIFY((*up)->isRunning());
        QVERIFY(!(*down)->isRunning()); // one at a time
        QTRY_VERIFY_WITH_TIMEOUT((*up)->isFinished() && (*down)->isFinished(), 60000);
        QVERIFY((*up)->status().ok());
        QVERIFY((*down)->status().ok());
        QCOMPARE(onDisk(remoteDisk("q1")), QByteArray("first"));
        QCOMPARE(onDisk(localDisk("q2")), QByteArray("second"));

        QVERIFY(!queue.enqueue(local(u"q1"_s), local(u"q3"_s)).ok());
        QVERIFY(!queue.enqueue(remote(u"q1"_s), remote(u"q3"_s)).ok());
        QSignalSpy removed(&queue, &TransferQueue::removed);
        queue.clearFinished();
        QCOMPARE(removed.count(), 2);
        QVERIFY(queue.transfers().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestTransfer)
#include "tst_transfer.moc"
