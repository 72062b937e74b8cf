// ./bench telemetry: the workbench's own CPU time per second of wall-clock time while its GPU
// panel follows 8 GPUs on 4 hosts at 1 Hz with their charts on screen.
//
// The hosts are 4 real sshds on loopback (the tests' fixture), each with the tests' nvidia-smi
// stand-in as the remote user's nvidia-smi, replaying a 2-GPU recording (the 4×T4 capture cut
// to its first two GPUs, utilisation and memory made to move). The app is a real MainWindow in this process, shown in Xvfb, its GPU
// dock floated over the whole screen (a dashboard on its own screen) so that all 8 cards'
// charts are on screen (checked and printed), connected to the 4 hosts through its own
// SshConnections, which the telemetry follows. After a warm-up (until all 8 GPUs are Live, at
// least 15 s) getrusage(RUSAGE_SELF) is read around --seconds (60) of wall time: every thread
// of this process (UI, SSH owner threads, samplers), and none of the sshds and stand-ins,
// which are other processes. Printed too: CPU per thread (from /proc/self/task), snapshots
// and chart paints per second.
// Beside it, the anchor: a bare QMainWindow (gpuwb-bench-bare-window) started as its own
// process, idle over the same seconds.
// The last line: "telemetry: <figures> ratio=R", R = app CPU seconds / wall seconds (lower is
// better; the goal is 0.01).
// Diagnostics (stderr): GPUWB_BENCH_PROFILE=1 adds the UI thread's CPU per kind of event,
// GPUWB_BENCH_LAYOUT=1 the geometry of the GPU panel's widgets.

#include "benchmarks/benchhost.h"
#include "core/gpu/gpusample.h"
#include "core/ssh/sshconnections.h"
#include "core/telemetry/gputelemetry.h"
#include "helpers/sshtest.h"
#include "ui/charts/gpuchart.h"
#include "ui/charts/stablelabel.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QLabel>
#include <QMap>
#include <QProcess>
#include <QScreen>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <functional>
#include <cstdio>
#include <memory>
#include <sys/resource.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

constexpr int kHosts = 4;
constexpr int kGpusPerHost = 2;

[[noreturn]] void die(const QString &message)
{
    bench::fail("telemetry", message);
}

double cpuSeconds()
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// utime + stime in clock ticks from a /proc/.../stat file; -1 when it cannot be read.
qint64 statTicks(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = file.readAll();
    const QList<QByteArray> rest = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (rest.size() < 13)
        return -1;
    return rest.at(11).toLongLong() + rest.at(12).toLongLong(); // fields 14 and 15
}

// Per thread of this process: its name and CPU ticks so far.
struct ThreadTicks
{
    QString name;
    qint64 ticks = 0;
};

QMap<qint64, ThreadTicks> threadTicks()
{
    QMap<qint64, ThreadTicks> out;
    const QStringList tids =
        QDir(u"/proc/self/task"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &tid : tids) {
        const QString dir = u"/proc/self/task/"_s + tid;
        QFile comm(dir + u"/comm"_s);
        ThreadTicks t;
        if (comm.open(QIODevice::ReadOnly))
            t.name = QString::fromUtf8(comm.readAll()).trimmed();
        t.ticks = statTicks(dir + u"/stat"_s);
        if (t.ticks >= 0)
            out.insert(tid.toLongLong(), t);
    }
    return out;
}

// Counts the paints of the charts' views, to show that the charts are really drawn.
class PaintCounter : public QObject
{
public:
    using QObject::QObject;
    int paints = 0;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Paint)
            ++paints;
        return QObject::eventFilter(watched, event);
    }
};

// The part of `widget` that is on screen: its rectangle clipped by every ancestor's (the
// scroll area's viewport among them) and by the screen.
QRect shownRect(const QWidget *widget)
{
    const QWidget *window = widget->window();
    QRect shown(widget->mapTo(window, QPoint(0, 0)), widget->size());
    for (const QWidget *p = widget->parentWidget(); p && p != window; p = p->parentWidget())
        shown &= QRect(p->mapTo(window, QPoint(0, 0)), p->size());
    shown &= QRect(QPoint(0, 0), window->size());
    const QRect screen = window->screen() ? window->screen()->geometry() : QRect();
    shown &= screen.translated(-window->geometry().topLeft());
    return widget->isVisible() ? shown : QRect();
}

// With GPUWB_BENCH_PROFILE set: the UI thread's CPU per kind of event (outermost deliveries
// only), to see where the app's own time goes. Off by default: it costs a little per event.
class ProfilingApplication : public QApplication
{
public:
    using QApplication::QApplication;
    bool profiling = false;
    QMap<QString, QPair<qint64, int>> costs; // what -> (ns, count)

    bool notify(QObject *receiver, QEvent *event) override
    {
        if (!profiling || QThread::currentThread() != thread())
            return QApplication::notify(receiver, event);
        if (m_depth > 0) {
            const int t = event->type();
            if (t != QEvent::Paint && t != QEvent::UpdateRequest && t != QEvent::LayoutRequest
                && t != QEvent::MetaCall)
                return QApplication::notify(receiver, event);
            timespec a{}, b{};
            ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
            const bool done = QApplication::notify(receiver, event);
            ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
            QPair<qint64, int> &c = costs[u"nested %1 %2"_s.arg(t).arg(
                QString::fromLatin1(receiver->metaObject()->className()))];
            c.first += (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
            ++c.second;
            return done;
        }
        ++m_depth;
        timespec a{}, b{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        const int type = event->type();
        const QString what = u"%1 %2"_s.arg(type).arg(
            QString::fromLatin1(receiver->metaObject()->className()));
        const bool done = QApplication::notify(receiver, event);
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        --m_depth;
        QPair<qint64, int> &c = costs[what];
        c.first += (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
        ++c.second;
        return done;
    }

private:
    int m_depth = 0;
};

void runFor(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace

int main(int argc, char **argv)
{
    // The app's settings and data in a scratch place, as a first run: no saved layout.
    QTemporaryDir data;
    if (!data.isValid())
        die(u"cannot make a temporary folder"_s);
    qputenv("GPUWB_DATA_DIR", QFile::encodeName(data.path() + u"/data"_s));
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(data.path() + u"/config"_s));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(data.path() + u"/cache"_s));
    qputenv("GPUWB_SOURCE_DIR", GPUWB_SOURCE_DIR_PATH);
    qputenv("GPUWB_FIXTURES", GPUWB_FIXTURES_PATH);
    QCoreApplication::setApplicationName(u"gpuwb"_s);
    QCoreApplication::setOrganizationName(u"gpuwb"_s);
    ProfilingApplication app(argc, argv);
    int seconds = 60;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == u"--seconds")
            seconds = std::max(10, args[i + 1].toInt());
    }

    // 4 hosts, each an sshd whose user has the stand-in as nvidia-smi, replaying 2 GPUs.
    std::array<std::unique_ptr<test::SshdServer>, kHosts> servers;
    QStringList aliases;
    QString sshDir;
    for (int i = 0; i < kHosts; ++i) {
        servers[i] = std::make_unique<test::SshdServer>(bench::serverOptions());
        test::SshdServer &server = *servers[i];
        QString error;
        if (!server.start(&error))
            die(u"cannot start sshd: "_s + error);
        const QString bin = test::installNvidiaSmiStandIn(
            server, u"querygpu-4xt4-510.108.03.csv"_s, u"help-query-gpu-590.48.01.txt"_s);
        if (bin.isEmpty())
            die(u"cannot install the nvidia-smi stand-in"_s);
        // The recording cut to its header and first two GPUs (the stand-in replays as many GPUs
        // per pass as there are rows before the first repeated bus id), then 120 passes of them
        // with utilisation and memory moving (a slow wave per GPU), so that the charts' lines
        // move as a busy GPU's do; the stand-in loops over the passes.
        QFile recording(bin + u"/recording.csv"_s);
        if (!recording.open(QIODevice::ReadOnly))
            die(u"cannot read "_s + recording.fileName());
        const QList<QByteArray> lines = recording.readAll().split('\n');
        recording.close();
        const QList<QByteArray> header = lines.value(0).trimmed().split(',');
        int utilColumn = -1;
        int memoryColumn = -1;
        for (int c = 0; c < header.size(); ++c) {
            if (header[c].trimmed().startsWith("utilization.gpu"))
                utilColumn = c;
            else if (header[c].trimmed().startsWith("memory.used"))
                memoryColumn = c;
        }
        if (lines.size() < 1 + kGpusPerHost || utilColumn < 0 || memoryColumn < 0)
            die(u"the recording has fewer than 2 GPUs or no utilisation and memory columns"_s);
        QByteArray cut = lines.at(0).trimmed() + '\n';
        for (int pass = 0; pass < 120; ++pass) {
            for (int g = 0; g < kGpusPerHost; ++g) {
                QList<QByteArray> row = lines.at(1 + g).trimmed().split(',');
                const double wave = 0.5 + 0.5 * std::sin((pass + 17 * (i * 2 + g)) / 9.0);
                row[utilColumn] = ' ' + QByteArray::number(std::lround(100 * wave));
                row[memoryColumn] = ' ' + QByteArray::number(std::lround(200 + 14000 * wave));
                cut += row.join(',') + '\n';
            }
        }
        if (!test::writeOnDisk(QFile::encodeName(recording.fileName()), cut, 0644, false))
            die(u"cannot write "_s + recording.fileName());

        // One client side for all 4: the first server's client home, with every host's key
        // known and a Host block per host.
        if (i == 0) {
            sshDir = server.clientSshDir();
            qputenv("HOME", server.clientHome().toLocal8Bit());
            qunsetenv("SSH_AUTH_SOCK");
        }
        const QString alias = u"gpu%1"_s.arg(i + 1);
        aliases.append(alias);
        QFile knownHosts(sshDir + u"/known_hosts"_s);
        if (!knownHosts.open(QIODevice::Append))
            die(u"cannot write "_s + knownHosts.fileName());
        knownHosts.write(server.knownHostsLine() + '\n');
        knownHosts.close();
        servers[0]->appendClientConfig(
            u"\nHost %1\n    HostName %2\n    Port %3\n    User %4\n"
            "    IdentityFile %5\n    IdentitiesOnly yes\n"
            "    UserKnownHostsFile %6/known_hosts\n"
            "    StrictHostKeyChecking yes\n    BatchMode yes\n"
            "    Ciphers %7\n"_s.arg(alias, server.host(), QString::number(server.port()),
                                     test::SshdServer::userName(), server.plainKeyPath(),
                                     sshDir, bench::cipher()));
    }

    // The anchor starts now, so that its start-up is over when the measurement begins.
    QProcess bare;
    bare.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    bare.start(QString::fromUtf8(GPUWB_BARE_EXE), {});
    if (!bare.waitForStarted(10000))
        die(u"cannot start the bare window: "_s + bare.errorString());

    // The app's window as a user has it, the bottom docks (jobs, transfers) closed so that the
    // GPU dock has the height for all 4 hosts' cards.
    MainWindow window;
    const QRect screen = window.screen()->geometry();
    window.setGeometry(screen);
    for (const QString &dock : {u"JobsDock"_s, u"TransfersDock"_s}) {
        if (auto *d = window.findChild<QDockWidget *>(dock))
            d->hide();
    }
    auto *gpuDock = window.findChild<QDockWidget *>(u"GpuDock"_s);
    auto *telemetry = window.findChild<GpuTelemetry *>();
    if (!gpuDock || !telemetry)
        die(u"the window has no GPU dock or telemetry"_s);
    window.show();
    // The GPU panel as a dashboard on its own screen: the dock floated over the whole screen,
    // so that all 4 hosts' cards fit.
    gpuDock->setFloating(true);
    gpuDock->setGeometry(screen);

    QElapsedTimer sinceStart;
    sinceStart.start();
    for (const QString &alias : std::as_const(aliases))
        window.connections()->connection(alias)->connectToHost();

    QMap<QString, int> samples;
    QObject::connect(telemetry, &GpuTelemetry::sampled, &app,
                     [&samples](const QString &hostId) { ++samples[hostId]; });

    // Warm-up: until every host is Live with its 2 GPUs, and at least 15 s.
    auto allLive = [&] {
        for (const QString &alias : std::as_const(aliases)) {
            const QString id = u"ssh:"_s + alias;
            if (telemetry->status(id) != GpuHostStatus::Live
                || telemetry->latest(id).gpus.size() != kGpusPerHost)
                return false;
        }
        return true;
    };
    const QDeadlineTimer liveBy(90'000);
    while (!allLive()) {
        if (liveBy.hasExpired()) {
            QString states;
            for (const QString &alias : std::as_const(aliases)) {
                const QString id = u"ssh:"_s + alias;
                states += u"\n  %1: %2 GPUs, %3"_s.arg(
                    id, QString::number(telemetry->latest(id).gpus.size()),
                    telemetry->statusMessage(id));
            }
            die(u"the 4 hosts were not all Live within 90 s:"_s + states);
        }
        runFor(100);
    }
    const double liveAfter = double(sinceStart.elapsed()) / 1000.0;
    runFor(int(std::max<qint64>(3000, 15000 - sinceStart.elapsed())));

    // What is on screen: every GPU card's charts, fully.
    const QList<GpuChart *> charts = window.findChildren<GpuChart *>();
    int shownCharts = 0;
    int fullyShown = 0;
    auto *counter = new PaintCounter(&app);
    for (GpuChart *chart : charts) {
        if (!chart->isVisible())
            continue; // the "More" charts of compact cards
        ++shownCharts;
        if (shownRect(chart) == QRect(chart->mapTo(&window, QPoint(0, 0)), chart->size()))
            ++fullyShown;
        // The plot below the title (the chart's one child that is not a label).
        for (QWidget *plot : chart->findChildren<QWidget *>(Qt::FindDirectChildrenOnly)) {
            if (!qobject_cast<QLabel *>(plot) && !qobject_cast<StableLabel *>(plot))
                plot->installEventFilter(counter);
        }
    }
    if (qEnvironmentVariableIsSet("GPUWB_BENCH_LAYOUT")) {
        for (QWidget *w : window.findChildren<QWidget *>()) {
            const QString name = w->objectName();
            if (name.startsWith(u"gpu"_s) || qobject_cast<GpuChart *>(w))
                std::fprintf(stderr, "%s %s at %d,%d %dx%d hint %dx%d min %dx%d\n",
                             w->metaObject()->className(), qPrintable(name),
                             w->mapTo(&window, QPoint()).x(), w->mapTo(&window, QPoint()).y(),
                             w->width(), w->height(), w->sizeHint().width(),
                             w->sizeHint().height(), w->minimumSizeHint().width(),
                             w->minimumSizeHint().height());
        }
    }
    std::printf("all 8 GPUs Live after %.1f s; window %dx%d, GPU dock %dx%d; charts shown: %d, "
                "fully on screen: %d\n",
                liveAfter, window.width(), window.height(), gpuDock->width(), gpuDock->height(),
                shownCharts, fullyShown);

    // The measurement: nothing of the benchmark runs meanwhile but the paint counter.
    samples.clear();
    const long tick = ::sysconf(_SC_CLK_TCK);
    const QString bareStat = u"/proc/%1/stat"_s.arg(bare.processId());
    const QMap<qint64, ThreadTicks> threadsBefore = threadTicks();
    const qint64 bareBefore = statTicks(bareStat);
    const double cpuBefore = cpuSeconds();
    app.profiling = qEnvironmentVariableIsSet("GPUWB_BENCH_PROFILE");
    QElapsedTimer wall;
    wall.start();
    runFor(seconds * 1000);
    const double cpu = cpuSeconds() - cpuBefore;
    const double wallSeconds = double(wall.nsecsElapsed()) / 1e9;
    const qint64 bareAfter = statTicks(bareStat);
    const QMap<qint64, ThreadTicks> threadsAfter = threadTicks();
    const int paints = counter->paints;
    app.profiling = false;
    if (!app.costs.isEmpty()) {
        QList<QPair<qint64, QString>> top;
        for (auto it = app.costs.constBegin(); it != app.costs.constEnd(); ++it)
            top.append({it->first, it.key() + u" x"_s + QString::number(it->second)});
        std::sort(top.begin(), top.end(), std::greater<>());
        for (qsizetype i = 0; i < std::min<qsizetype>(25, top.size()); ++i)
            std::fprintf(stderr, "UI %8.1f ms  event %s\n", top[i].first / 1e6,
                         qPrintable(top[i].second));
    }

    // Per thread, grouped by name (the SSH owner threads are "ssh:ALIAS").
    QMap<QString, qint64> byName;
    for (auto it = threadsAfter.constBegin(); it != threadsAfter.constEnd(); ++it) {
        const qint64 before = threadsBefore.value(it.key()).ticks;
        byName[it->name] += it->ticks - before;
    }
    std::printf("CPU by thread over %.0f s:", wallSeconds);
    for (auto it = byName.constBegin(); it != byName.constEnd(); ++it) {
        if (it.value() > 0)
            std::printf(" %s=%.2fs", qPrintable(it.key()), double(it.value()) / double(tick));
    }
    std::printf("\n");
    int sampleCount = 0;
    for (int n : std::as_const(samples))
        sampleCount += n;
    std::printf("host snapshots received: %d (%.2f per host per s), chart paints: %d (%.2f per "
                "shown chart per s)\n",
                sampleCount, double(sampleCount) / kHosts / wallSeconds, paints,
                shownCharts ? double(paints) / shownCharts / wallSeconds : 0.0);
    if (bareBefore < 0 || bareAfter < 0)
        die(u"the bare window ended early"_s);
    const double bareCpu = double(bareAfter - bareBefore) / double(tick);
    std::printf("anchor: bare QMainWindow idle over the same %.0f s: cpu=%.2f s ratio=%.4f\n",
                wallSeconds, bareCpu, bareCpu / wallSeconds);
    std::printf("telemetry: %d GPUs on %d hosts at 1 Hz, %d of %d charts on screen, %.0f s, app "
                "cpu=%.2f s, bare window cpu=%.2f s ratio=%.4f\n",
                kHosts * kGpusPerHost, kHosts, fullyShown, shownCharts, wallSeconds, cpu, bareCpu,
                cpu / wallSeconds);
    std::fflush(stdout);

    bare.kill();
    bare.waitForFinished(5000);
    return 0;
}
