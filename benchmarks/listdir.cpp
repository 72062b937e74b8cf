// ./bench listdir: listing a 10,000-entry remote folder through core (SftpFileSystem::list
// over a connected SshConnection) against OpenSSH's `sftp -b` running `ls -l DIR`.
//
// An OpenSSH run is a new process that connects, authenticates and opens SFTP before it
// lists; ours lists over a connection made once, as the file browser does. To compare the
// listing alone, OpenSSH's cost per process is measured with a batch that only runs `pwd`
// and subtracted: openssh = median(ls -l) - median(pwd). Median of --runs (5) each.
// The last line: "listdir: ours=X ms openssh=Y ms ratio=R", R = ours/openssh (lower is better).
// Options: --entries N (10000), --runs N (5).

#include "core/ssh/sftpfilesystem.h"
#include "core/ssh/sshconnection.h"
#include "benchmarks/benchhost.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

const QString kAlias = u"gpuwb-bench"_s;

[[noreturn]] void die(const QString &message)
{
    bench::fail("listdir", message);
}

using bench::median;

// Milliseconds for one list() of `dir`, and the number of entries it returned.
double listOnce(SftpFileSystem &fs, const Location &dir, qsizetype *count)
{
    QEventLoop loop;
    std::optional<Result<QList<FileInfo>>> result;
    QElapsedTimer timer;
    timer.start();
    fs.list(dir, &loop, [&](Result<QList<FileInfo>> entries) {
        result.emplace(std::move(entries));
        loop.quit();
    });
    if (!result)
        loop.exec();
    const double ms = timer.nsecsElapsed() / 1e6;
    if (!result->ok())
        die(u"list failed: %1"_s.arg(result->errorMessage()));
    *count = result->value().size();
    return ms;
}

// Milliseconds one `sftp -b -` process takes for `batch`; its output is counted in lines.
double sftpOnce(const QStringList &common, const QByteArray &batch, qsizetype *lines)
{
    QProcess process;
    QElapsedTimer timer;
    timer.start();
    process.start(u"sftp"_s, common + QStringList{u"-q"_s, u"-b"_s, u"-"_s, kAlias});
    if (!process.waitForStarted(10000))
        die(u"cannot start sftp: %1"_s.arg(process.errorString()));
    process.write(batch);
    process.closeWriteChannel();
    QByteArray output;
    while (process.state() != QProcess::NotRunning) {
        process.waitForReadyRead(-1);
        output += process.readAllStandardOutput();
    }
    const double ms = timer.nsecsElapsed() / 1e6;
    output += process.readAllStandardOutput();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        die(u"sftp failed: %1"_s.arg(QString::fromLocal8Bit(process.readAllStandardError())));
    *lines = output.count('\n');
    return ms;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int entries = 10000;
    int runs = 5;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == u"--entries")
            entries = std::max(1, args[i + 1].toInt());
        else if (args[i] == u"--runs")
            runs = std::max(1, args[i + 1].toInt());
    }

    // The server offers only that cipher, so no side can quietly use another.
    test::SshdServer server(bench::serverOptions());
    const QString config = bench::startHost(server, "listdir", kAlias);

    // The entries are made directly (we are root on the server's machine): small files with
    // names of varying length, as a data folder has.
    const QString dir = server.makeRemoteScratchDir() + u"/many"_s;
    const QByteArray dirBytes = QFile::encodeName(dir);
    if (::mkdir(dirBytes.constData(), 0755) != 0)
        die(u"cannot make %1"_s.arg(dir));
    for (int i = 0; i < entries; ++i) {
        const QByteArray path = dirBytes + "/sample_" + QByteArray::number(i).rightJustified(5, '0')
            + (i % 3 == 0 ? "_checkpoint.pt" : ".log");
        const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            die(u"cannot create %1"_s.arg(QFile::decodeName(path)));
        [[maybe_unused]] const ssize_t n = ::write(fd, path.constData(), size_t(i % 100));
        ::close(fd);
    }

    SshConnection::Options options;
    options.autoReconnect = false;
    SshConnection connection(kAlias, options);
    SftpFileSystem fs(&connection);
    const Location location = Location::remote(kAlias, dir);
    qsizetype count = 0;
    const double firstMs = listOnce(fs, location, &count); // connects; not counted
    if (count != entries)
        die(u"our list returned %1 entries, expected %2"_s.arg(count).arg(entries));
    std::fprintf(stderr, "ours: first list (connecting) %.1f ms\n", firstMs);

    const QStringList common = {u"-F"_s, config};
    const QByteArray lsBatch = "ls -l " + dirBytes + '\n';
    QList<double> ours, sshLs, sshPwd;
    for (int run = 0; run < runs; ++run) {
        ours.append(listOnce(fs, location, &count));
        qsizetype lines = 0;
        sshLs.append(sftpOnce(common, lsBatch, &lines));
        if (lines < entries)
            die(u"sftp ls -l printed %1 lines, expected %2"_s.arg(lines).arg(entries));
        sshPwd.append(sftpOnce(common, "pwd\n", &lines));
        std::fprintf(stderr, "run %d: ours %.1f ms, sftp ls -l %.1f ms, sftp pwd %.1f ms\n",
                     run + 1, ours.last(), sshLs.last(), sshPwd.last());
    }
    const double oursMs = median(ours);
    const double sshMs = std::max(0.1, median(sshLs) - median(sshPwd));
    std::printf("%d entries, median of %d runs; openssh = sftp ls -l (%.1f ms) - its "
                "connection (sftp pwd, %.1f ms)\n",
                entries, runs, median(sshLs), median(sshPwd));
    std::printf("listdir: ours=%.1f ms openssh=%.1f ms ratio=%.2f\n", oursMs, sshMs,
                oursMs / sshMs);
    return 0;
}
