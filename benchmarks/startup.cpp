// ./bench startup: time from starting the process to its first painted main window, and its
// resident memory then, for gpuwb (on the saxpy example) and for a bare QMainWindow, in the
// same run, alternating, several rounds; medians are compared.

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace Qt::StringLiterals;

struct Run
{
    double ms = 0;
    long rssKb = 0;
};

static bool startOnce(const QString &program, const QStringList &args, const QString &dataDir,
                      Run *run)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"GPUWB_EXIT_AFTER_FIRST_PAINT"_s, u"1"_s);
    env.insert(u"GPUWB_DATA_DIR"_s, dataDir);
    env.insert(u"XDG_CONFIG_HOME"_s, dataDir + u"/config"_s);
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QElapsedTimer timer;
    timer.start();
    process.start(program, args);
    QByteArray out;
    while (!out.contains('\n')) {
        if (!process.waitForReadyRead(30000)) {
            std::fprintf(stderr, "startup: %s did not report a first paint\n", qPrintable(program));
            process.kill();
            process.waitForFinished();
            return false;
        }
        out += process.readAllStandardOutput();
    }
    run->ms = double(timer.nsecsElapsed()) / 1e6;
    const qsizetype at = out.indexOf("rss_kb=");
    run->rssKb = at < 0 ? -1 : out.mid(at + 7).trimmed().toLong();
    process.waitForFinished(10000);
    return true;
}

static Run median(QList<Run> runs)
{
    std::sort(runs.begin(), runs.end(), [](const Run &a, const Run &b) { return a.ms < b.ms; });
    Run m = runs.at(runs.size() / 2);
    std::sort(runs.begin(), runs.end(), [](const Run &a, const Run &b) { return a.rssKb < b.rssKb; });
    m.rssKb = runs.at(runs.size() / 2).rssKb;
    return m;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int rounds = 7;
    QTemporaryDir data;
    QList<Run> ours, bare;
    // One warm-up each, so that both start from a warm page cache.
    for (int i = -1; i < rounds; ++i) {
        Run a, b;
        if (!startOnce(QString::fromUtf8(GPUWB_EXE), {QString::fromUtf8(GPUWB_EXAMPLE_DIR)},
                       data.path(), &a)
            || !startOnce(QString::fromUtf8(GPUWB_BARE_EXE), {}, data.path(), &b))
            return 1;
        if (i < 0)
            continue;
        std::printf("round %d: gpuwb %.1f ms %ld KiB, bare QMainWindow %.1f ms %ld KiB\n", i + 1,
                    a.ms, a.rssKb, b.ms, b.rssKb);
        ours.append(a);
        bare.append(b);
    }
    const Run o = median(ours), b = median(bare);
    std::printf("startup: gpuwb_ms=%.1f gpuwb_rss_mib=%.1f bare_ms=%.1f bare_rss_mib=%.1f "
                "ratio=%.2f\n",
                o.ms, o.rssKb / 1024.0, b.ms, b.rssKb / 1024.0, o.ms / b.ms);
    return 0;
}
