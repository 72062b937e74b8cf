// ./bench sftp: upload and download speed of a large file through core (Transfer over an
// SshConnection) against OpenSSH's `sftp -b` (put/get) and `scp`, all against the same real
// sshd (the test fixture), with the same key and the same cipher.
//
// The cipher is aes128-gcm@openssh.com for every tool: an AEAD cipher (no separate MAC pass)
// that runs on AES-NI, so the fastest one both libssh and OpenSSH offer on x86; fixing it
// keeps the comparison about the transfer code rather than the cipher each side prefers.
// Every run of every tool includes making the connection (a fresh SshConnection for ours, a
// fresh process for OpenSSH), so both sides pay what a user pays. The runs interleave the
// tools so that load from elsewhere hits them alike; the median of --runs (3) counts. Each
// copy's SHA-256 is checked once against the source.
// The last line: "sftp: upload ours=X MB/s openssh=Y MB/s, download ours=A MB/s openssh=B MB/s
// ratio=R", openssh being the faster of sftp and scp, R = min(X/Y, A/B).
// Options: --size-mib N (1024), --runs N (3).

#include "core/ssh/sshconnection.h"
#include "core/ssh/transfer.h"
#include "benchmarks/benchhost.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

const QString kAlias = u"gpuwb-bench"_s;
const QString kCipher = bench::cipher();

[[noreturn]] void die(const QString &message)
{
    bench::fail("sftp", message);
}

using bench::median;

// Incompressible bytes (splitmix64), written in 1 MiB blocks.
void writeRandomFile(const QString &path, qint64 bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        die(u"cannot write %1: %2"_s.arg(path, file.errorString()));
    QByteArray block(1 << 20, Qt::Uninitialized);
    quint64 state = 0x9E3779B97F4A7C15ull;
    for (qint64 done = 0; done < bytes; done += block.size()) {
        auto *words = reinterpret_cast<quint64 *>(block.data());
        for (qsizetype i = 0; i < block.size() / 8; ++i) {
            quint64 z = (state += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            words[i] = z ^ (z >> 31);
        }
        if (file.write(block.constData(), std::min<qint64>(block.size(), bytes - done)) < 0)
            die(u"cannot write %1: %2"_s.arg(path, file.errorString()));
    }
}

QByteArray sha256(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        die(u"cannot read %1: %2"_s.arg(path, file.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return hash.result().toHex();
}

void verify(const QString &copy, const QByteArray &expected, const char *what)
{
    const QByteArray actual = sha256(copy);
    if (actual != expected)
        die(u"%1: the copy differs from the source (sha256 %2, expected %3)"_s.arg(
            QLatin1StringView(what), QLatin1StringView(actual), QLatin1StringView(expected)));
    std::fprintf(stderr, "  %s: sha256 ok\n", what);
}

// Seconds one Transfer takes on a fresh connection, connecting included.
double oursOnce(Transfer::Direction direction, const Location &source, const Location &target)
{
    QElapsedTimer timer;
    timer.start();
    SshConnection::Options options;
    options.autoReconnect = false;
    SshConnection connection(kAlias, options);
    Transfer transfer(&connection, direction, source, target);
    QEventLoop loop;
    Status status;
    QObject::connect(&transfer, &Transfer::finished, &loop, [&](const Status &result) {
        status = result;
        loop.quit();
    });
    transfer.start();
    if (!transfer.isFinished())
        loop.exec();
    const double seconds = timer.nsecsElapsed() / 1e9;
    if (!status)
        die(u"our transfer failed: %1"_s.arg(status.errorMessage()));
    if (!transfer.fileErrors().isEmpty())
        die(u"our transfer failed: %1"_s.arg(transfer.fileErrors().first().message));
    return seconds;
}

// Seconds one OpenSSH process takes, from start to exit.
double processOnce(const QString &program, const QStringList &arguments, const QByteArray &input)
{
    QProcess process;
    process.setStandardOutputFile(QProcess::nullDevice());
    QElapsedTimer timer;
    timer.start();
    process.start(program, arguments);
    if (!process.waitForStarted(10000))
        die(u"cannot start %1: %2"_s.arg(program, process.errorString()));
    if (!input.isEmpty()) {
        process.write(input);
        process.closeWriteChannel();
    }
    process.waitForFinished(-1);
    const double seconds = timer.nsecsElapsed() / 1e9;
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        die(u"%1 failed: %2"_s.arg(program,
                                   QString::fromLocal8Bit(process.readAllStandardError())));
    return seconds;
}

struct Tool
{
    const char *name;
    std::function<double(bool upload)> once; // seconds for one copy
    QList<double> up, down;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    qint64 sizeMiB = 1024;
    int runs = 3;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == u"--size-mib")
            sizeMiB = args[i + 1].toLongLong();
        else if (args[i] == u"--runs")
            runs = std::max(1, args[i + 1].toInt());
    }
    const qint64 bytes = sizeMiB << 20;

    // The server offers only that cipher, so no side can quietly use another.
    test::SshdServer server(bench::serverOptions());
    const QString config = bench::startHost(server, "sftp", kAlias);

    QTemporaryDir local;
    if (!local.isValid())
        die(u"cannot make a temporary folder"_s);
    const QString remote = server.makeRemoteScratchDir();
    const QString source = local.filePath(u"source.bin"_s);
    std::fprintf(stderr, "writing %lld MiB of random data\n", sizeMiB);
    writeRandomFile(source, bytes);
    const QByteArray sourceHash = sha256(source);

    // Each tool uploads the source to REMOTE/<tool>.bin and downloads that back to
    // LOCAL/<tool>-down.bin.
    const auto remoteCopy = [&](const char *tool) {
        return remote + u'/' + QLatin1StringView(tool) + u".bin"_s;
    };
    const auto localCopy = [&](const char *tool) {
        return local.filePath(QLatin1StringView(tool) + u"-down.bin"_s);
    };
    const QStringList common = {u"-F"_s, config, u"-c"_s, kCipher};
    QList<Tool> tools;
    tools.append({"ours", [&](bool upload) {
                      return upload ? oursOnce(Transfer::Direction::Upload, Location::local(source),
                                               Location::remote(kAlias, remoteCopy("ours")))
                                    : oursOnce(Transfer::Direction::Download,
                                               Location::remote(kAlias, remoteCopy("ours")),
                                               Location::local(localCopy("ours")));
                  }, {}, {}});
    tools.append({"sftp", [&](bool upload) {
                      const QString command = upload
                          ? u"put %1 %2\n"_s.arg(source, remoteCopy("sftp"))
                          : u"get %1 %2\n"_s.arg(remoteCopy("sftp"), localCopy("sftp"));
                      return processOnce(u"sftp"_s, common + QStringList{u"-q"_s, u"-b"_s,
                                                                        u"-"_s, kAlias},
                                         command.toLocal8Bit());
                  }, {}, {}});
    tools.append({"scp", [&](bool upload) {
                      return processOnce(u"scp"_s, common + (upload
                          ? QStringList{u"-q"_s, source, kAlias + u':' + remoteCopy("scp")}
                          : QStringList{u"-q"_s, kAlias + u':' + remoteCopy("scp"),
                                        localCopy("scp")}), {});
                  }, {}, {}});

    for (int run = 0; run < runs; ++run) {
        for (Tool &tool : tools) {
            const double up = tool.once(true);
            tool.up.append(bytes / 1e6 / up);
            std::fprintf(stderr, "run %d %-4s upload   %8.1f MB/s\n", run + 1, tool.name,
                         tool.up.last());
            if (run == 0)
                verify(remoteCopy(tool.name), sourceHash, "upload");
            const double down = tool.once(false);
            tool.down.append(bytes / 1e6 / down);
            std::fprintf(stderr, "run %d %-4s download %8.1f MB/s\n", run + 1, tool.name,
                         tool.down.last());
            if (run == 0)
                verify(localCopy(tool.name), sourceHash, "download");
        }
    }

    std::printf("cipher %s, %lld MiB, median of %d runs, connection setup included\n",
                qPrintable(kCipher), sizeMiB, runs);
    for (const Tool &tool : tools)
        std::printf("%-4s upload %.1f MB/s, download %.1f MB/s\n", tool.name, median(tool.up),
                    median(tool.down));
    const double oursUp = median(tools[0].up), oursDown = median(tools[0].down);
    const double sshUp = std::max(median(tools[1].up), median(tools[2].up));
    const double sshDown = std::max(median(tools[1].down), median(tools[2].down));
    const double ratio = std::min(oursUp / sshUp, oursDown / sshDown);
    std::printf("sftp: upload ours=%.1f MB/s openssh=%.1f MB/s, download ours=%.1f MB/s "
                "openssh=%.1f MB/s ratio=%.2f\n",
                oursUp, sshUp, oursDown, sshDown, ratio);
    return 0;
}
