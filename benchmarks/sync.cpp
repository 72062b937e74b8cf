// ./bench sync: a first sync and a re-sync of a 10,000-file, 200 MB project through ProjectSync
// against `rsync -a` over OpenSSH, both to the same real sshd (the test fixture) with the same
// key and cipher (aes128-gcm@openssh.com), each to its own remote folder, in the same run.
//
// The project (fixed seed, incompressible data): 9,990 source-like files of 1-16 KiB in 200
// folders and 10 binaries that make up the rest of the 200 MB. Each run: both tools sync into a
// new, empty remote folder (first), then one small file changes and both sync again (resync);
// which tool goes first alternates from run to run.
// Every timing includes making the connection and the walk, as a user pays it. Median of
// --runs (3). The first run's results are checked file by file (SHA-256) against the source.
// The last line: "sync: first ours=X s rsync=Y s, resync ours=A s rsync=B s ratio=R",
// R = max(X/Y, A/B) (lower is better for us; <= 1.0 means at least as fast as rsync).

#include "core/ssh/sshconnection.h"
#include "core/sync/projectsync.h"
#include "benchmarks/benchhost.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QMap>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

#include <sys/stat.h>
#include <sys/time.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

const QString kAlias = u"gpuwb-bench"_s;
const QString kCipher = bench::cipher();

[[noreturn]] void die(const QString &message)
{
    bench::fail("sync", message);
}

using bench::median;

void writeFile(const QString &path, const QByteArray &data)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size())
        die(u"cannot write %1"_s.arg(path));
}

QByteArray randomBytes(QRandomGenerator &random, qint64 size)
{
    QByteArray data((size + 3) & ~3, Qt::Uninitialized);
    random.fillRange(reinterpret_cast<quint32 *>(data.data()), data.size() / 4);
    data.truncate(size);
    return data;
}

// 10,000 files, 200 MB (200,000,000 bytes) in total.
void makeProject(const QString &root)
{
    QRandomGenerator random(20240604);
    constexpr int SmallFiles = 9990;
    constexpr int BigFiles = 10;
    constexpr qint64 Total = 200'000'000;
    qint64 used = 0;
    for (int i = 0; i < SmallFiles; ++i) {
        const QString dir = root + u"/src/pkg%1/mod%2"_s.arg(i % 20).arg(i % 10);
        if (i < 200)
            QDir().mkpath(dir);
        const qint64 size = 1024 + random.bounded(15 * 1024);
        writeFile(dir + u"/file%1.py"_s.arg(i), randomBytes(random, size));
        used += size;
    }
    QDir().mkpath(root + u"/assets"_s);
    const qint64 each = (Total - used) / BigFiles;
    for (int i = 0; i < BigFiles; ++i) {
        const qint64 size = i + 1 < BigFiles ? each : Total - used - each * (BigFiles - 1);
        writeFile(root + u"/assets/blob%1.bin"_s.arg(i), randomBytes(random, size));
    }
}

QMap<QString, QByteArray> hashes(const QString &root)
{
    QMap<QString, QByteArray> out;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            die(u"cannot read %1"_s.arg(path));
        QCryptographicHash hash(QCryptographicHash::Sha256);
        hash.addData(&file);
        out.insert(path.mid(root.size()), hash.result());
    }
    return out;
}

void verify(const QString &copy, const QString &source, const char *what)
{
    if (hashes(copy) != hashes(source))
        die(u"%1: the copy differs from the source"_s.arg(QLatin1StringView(what)));
    std::fprintf(stderr, "  %s: every file's sha256 matches\n", what);
}

double oursOnce(const QString &local, const QString &remote, bool expectArchive)
{
    QElapsedTimer timer;
    timer.start();
    SshConnection::Options options;
    options.autoReconnect = false;
    SshConnection connection(kAlias, options);
    ProjectSync sync(&connection, local, Location::remote(kAlias, remote));
    QEventLoop loop;
    Status status;
    bool archive = false;
    int sent = 0;
    double plannedAt = 0;
    QObject::connect(&sync, &ProjectSync::planned, &loop, [&](const Result<SyncPlan> &plan) {
        plannedAt = timer.nsecsElapsed() / 1e9;
        if (plan) {
            archive = plan->useArchiveStream;
            sent = int(plan->uploads.size());
        }
    });
    QObject::connect(&sync, &ProjectSync::finished, &loop, [&](const Status &result) {
        status = result;
        loop.quit();
    });
    sync.run();
    loop.exec();
    const double seconds = timer.nsecsElapsed() / 1e9;
    if (!status)
        die(u"our sync failed: %1"_s.arg(status.errorMessage()));
    if (archive != expectArchive)
        die(u"our sync %1 the archive stream"_s.arg(archive ? u"used"_s : u"did not use"_s));
    std::fprintf(stderr, "  ours sent %d files (planned after %.3f s, sent in %.3f s)\n", sent,
                 plannedAt, seconds - plannedAt);
    return seconds;
}

double rsyncOnce(const QString &config, const QString &local, const QString &remote)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process.setStandardOutputFile(QProcess::nullDevice());
    QElapsedTimer timer;
    timer.start();
    process.start(u"rsync"_s, {u"-a"_s, u"-e"_s, u"ssh -F %1 -c %2"_s.arg(config, kCipher),
                               local + u'/', kAlias + u':' + remote + u'/'});
    if (!process.waitForStarted(10000))
        die(u"cannot start rsync: %1"_s.arg(process.errorString()));
    process.waitForFinished(-1);
    const double seconds = timer.nsecsElapsed() / 1e9;
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        die(u"rsync failed (exit %1)"_s.arg(process.exitCode()));
    return seconds;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int runs = 3;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == u"--runs")
            runs = std::max(1, args[i + 1].toInt());
    }

    test::SshdServer server(bench::serverOptions());
    const QString config = bench::startHost(server, "sync", kAlias);

    QTemporaryDir localDir;
    if (!localDir.isValid())
        die(u"cannot make a temporary folder"_s);
    const QString local = localDir.filePath(u"project"_s);
    std::fprintf(stderr, "writing the project (10,000 files, 200 MB)\n");
    makeProject(local);
    const QString scratch = server.makeRemoteScratchDir();
    const QString changed = local + u"/src/pkg3/mod3/file13.py"_s;

    QList<double> oursFirst, rsyncFirst, oursResync, rsyncResync;
    for (int run = 0; run < runs; ++run) {
        // A fresh, empty folder per tool and run: on a file system without a journal, ext4
        // skips inodes freed in the last minute (recently_deleted()) one by one, so whichever
        // tool wrote right after a 10,000-file tree was removed paid seconds for it.
        const QString oursRemote = scratch + u"/ours%1"_s.arg(run);
        const QString rsyncRemote = scratch + u"/rsync%1"_s.arg(run);
        ::sync(); // start each run from the same page-cache state
        // Which tool goes first alternates, so neither always meets the other's dirty pages.
        const bool oursFirstInRun = run % 2 == 0;
        auto first = [&](bool ours) {
            if (ours)
                oursFirst.append(oursOnce(local, oursRemote, true));
            else
                rsyncFirst.append(rsyncOnce(config, local, rsyncRemote));
            std::printf("run %d first  %s %6.2f s\n", run + 1, ours ? "ours " : "rsync",
                        ours ? oursFirst.last() : rsyncFirst.last());
            std::fflush(stdout);
        };
        first(oursFirstInRun);
        first(!oursFirstInRun);
        // One file changes: new content, a later mtime.
        writeFile(changed, "changed in run " + QByteArray::number(run) + '\n');
        const qint64 mtime = 1700000000 + run * 100;
        timeval times[2] = {{time_t(mtime), 0}, {time_t(mtime), 0}};
        ::utimes(QFile::encodeName(changed).constData(), times);
        auto resync = [&](bool ours) {
            if (ours)
                oursResync.append(oursOnce(local, oursRemote, false));
            else
                rsyncResync.append(rsyncOnce(config, local, rsyncRemote));
            std::printf("run %d resync %s %6.2f s\n", run + 1, ours ? "ours " : "rsync",
                        ours ? oursResync.last() : rsyncResync.last());
            std::fflush(stdout);
        };
        resync(oursFirstInRun);
        resync(!oursFirstInRun);
        if (run == 0) {
            verify(oursRemote, local, "ours");
            verify(rsyncRemote, local, "rsync");
        }
    }
    const double x = median(oursFirst), y = median(rsyncFirst);
    const double a = median(oursResync), b = median(rsyncResync);
    std::printf("cipher %s, 10000 files, 200 MB, median of %d runs, connection setup included\n",
                qPrintable(kCipher), runs);
    std::printf("first sync: ours %.2f s, rsync %.2f s\n", x, y);
    std::printf("resync (one file changed): ours %.2f s, rsync %.2f s\n", a, b);
    std::printf("sync: first ours=%.2f s rsync=%.2f s, resync ours=%.2f s rsync=%.2f s "
                "ratio=%.2f\n",
                x, y, a, b, std::max(x / y, a / b));
    return 0;
}
