// ./bench output: how fast job output reaches the output view, against the naive baseline.
//
// (a) A real job (LocalJob: /bin/sh, a pipe, the log, the terminal parser) runs this program
//     in --generate mode, printing N lines with some ANSI colour and some stderr; its batches
//     go into a shown OutputView. A 5 ms timer probes the UI thread meanwhile; the largest gap
//     between its ticks is the largest stall.
// (b) The same generator through a QProcess pipe, each line appended with
//     QPlainTextEdit::appendPlainText, as a plain text widget would be fed.
// The last line is the summary `./bench` reads. Options: --lines N (500000), --baseline-lines M
// (100000); GPUWB_BENCH_VERBOSE=1 prints each stall over 15 ms and each slow append.

#include "core/jobs/localjob.h"
#include "core/util/shellquote.h"
#include "ui/jobs/outputview.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <cstring>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

// Prints `count` lines as fast as stdio allows: every 4th coloured, every 50th on stderr.
int generate(long long count)
{
    static char outBuf[1 << 16];
    std::setvbuf(stdout, outBuf, _IOFBF, sizeof outBuf);
    for (long long i = 1; i <= count; ++i) {
        if (i % 50 == 0)
            std::fprintf(stderr, "warning: line %lld went to stderr\n", i);
        else if (i % 4 == 0)
            std::printf("\033[1;32mok\033[0m step %lld loss=\033[33m%.4f\033[0m lr=3e-4\n", i,
                        1.0 / double(i));
        else
            std::printf("step %lld: processed batch of 256 samples in 1.234 ms\n", i);
    }
    std::fflush(stdout);
    std::fflush(stderr);
    return 0;
}

QString generatorCommand(long long count)
{
    return shellJoin({QCoreApplication::applicationFilePath(), u"--generate"_s,
                      QString::number(count)});
}

void waitExposed(QWidget *w)
{
    w->show();
    QElapsedTimer t;
    t.start();
    while (!w->isVisible() && t.elapsed() < 5000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    QCoreApplication::processEvents();
}

// The UI-stall probe: a precise 5 ms timer; the largest gap between ticks.
class StallProbe
{
public:
    explicit StallProbe(QObject *context)
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(5);
        QObject::connect(&m_timer, &QTimer::timeout, context, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            m_maxGapNs = std::max(m_maxGapNs, now - m_last);
            if (m_verbose && now - m_last > 15'000'000)
                std::fprintf(stderr, "stall: %.1f ms at %.3f s\n", (now - m_last) / 1e6, now / 1e9);
            m_last = now;
        });
    }
    void start()
    {
        m_clock.start();
        m_last = 0;
        m_maxGapNs = 0;
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    double maxStallMs() const { return m_maxGapNs / 1e6; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_maxGapNs = 0;
    bool m_verbose = qEnvironmentVariableIsSet("GPUWB_BENCH_VERBOSE");
};

struct RunA
{
    double seconds = 0;
    qint64 shownLines = 0;
    qint64 summarizedLines = 0;
    double maxStallMs = 0;
    bool ok = false;
};

RunA runOutputView(long long lines, const QString &logDir)
{
    OutputView view;
    view.resize(1000, 700);
    view.setWindowTitle(u"gpuwb-bench-output: OutputView"_s);
    waitExposed(&view);

    JobSpec spec;
    spec.name = u"bench"_s;
    spec.command = generatorCommand(lines);
    spec.workingDirectory = logDir;
    LocalJob job(u"bench-a"_s, spec, logDir + u"/a.log"_s);
    RunA result;
    QObject::connect(&job, &Job::output, &view, [&](const OutputBatch &batch) {
        QElapsedTimer t;
        t.start();
        view.append(batch);
        result.summarizedLines += batch.droppedLines;
        if (qEnvironmentVariableIsSet("GPUWB_BENCH_VERBOSE") && t.nsecsElapsed() > 3'000'000)
            std::fprintf(stderr, "append: %lld lines in %.1f ms\n", qlonglong(batch.lines.size()),
                         t.nsecsElapsed() / 1e6);
    });
    QEventLoop loop;
    JobResult jobResult;
    QObject::connect(&job, &Job::finished, &loop, [&](const JobResult &r) {
        jobResult = r;
        loop.quit();
    });
    StallProbe probe(&view);
    QElapsedTimer clock;
    clock.start();
    probe.start();
    job.start();
    loop.exec();
    // The end counts only once the last lines are painted.
    view.flushUpdates();
    view.viewport()->repaint();
    result.seconds = clock.nsecsElapsed() / 1e9;
    probe.stop();
    result.maxStallMs = probe.maxStallMs();
    result.shownLines = view.buffer().totalLines() - view.buffer().droppedLines();
    result.ok = jobResult.state == JobState::Succeeded;
    if (!result.ok)
        std::fprintf(stderr, "the job did not succeed: %s\n", qPrintable(jobResult.message));
    return result;
}

double runBaseline(long long lines)
{
    QPlainTextEdit edit;
    edit.setReadOnly(true);
    edit.resize(1000, 700);
    edit.setWindowTitle(u"gpuwb-bench-output: QPlainTextEdit"_s);
    waitExposed(&edit);

    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    long long appended = 0;
    QObject::connect(&process, &QProcess::readyReadStandardOutput, &edit, [&] {
        while (process.canReadLine()) {
            QByteArray line = process.readLine();
            line.chop(1);
            edit.appendPlainText(QString::fromUtf8(line));
            ++appended;
        }
    });
    QEventLoop loop;
    QObject::connect(&process, &QProcess::finished, &loop, [&] { loop.quit(); });
    QElapsedTimer clock;
    clock.start();
    process.start(QCoreApplication::applicationFilePath(),
                  {u"--generate"_s, QString::number(lines)});
    loop.exec();
    while (process.canReadLine()) {
        QByteArray line = process.readLine();
        line.chop(1);
        edit.appendPlainText(QString::fromUtf8(line));
        ++appended;
    }
    edit.viewport()->repaint();
    const double seconds = clock.nsecsElapsed() / 1e9;
    if (appended != lines)
        std::fprintf(stderr, "baseline: appended %lld of %lld lines\n", appended, lines);
    return appended / seconds;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc >= 3 && std::strcmp(argv[1], "--generate") == 0)
        return generate(std::atoll(argv[2]));
    long long lines = 500'000;
    long long baselineLines = 100'000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--lines") == 0)
            lines = std::atoll(argv[i + 1]);
        else if (std::strcmp(argv[i], "--baseline-lines") == 0)
            baselineLines = std::atoll(argv[i + 1]);
    }
    // A window is needed but a display may not be there: draw offscreen then.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY")
        && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QTemporaryDir dir;
    if (!dir.isValid()) {
        std::fprintf(stderr, "could not create a temporary folder\n");
        return 1;
    }

    const RunA a = runOutputView(lines, dir.path());
    if (!a.ok)
        return 1;
    const double rate = lines / a.seconds;
    const qint64 intoView = lines - a.summarizedLines;
    std::printf("output view: %lld lines in %.2f s through LocalJob -> OutputBatch -> "
                "OutputBuffer -> OutputView (shown, platform %s); every line parsed and logged; "
                "%lld (%.0f/s) reached the view, %lld were left out by the job's per-tick cap "
                "and counted; the view keeps the last %lld\n",
                lines, a.seconds, qPrintable(QGuiApplication::platformName()), qint64(intoView),
                intoView / a.seconds, a.summarizedLines, a.shownLines);
    std::fflush(stdout);

    const double baseline = runBaseline(baselineLines);
    std::printf("baseline: %lld lines from a QProcess pipe, appendPlainText one by one into a "
                "shown QPlainTextEdit%s\n",
                baselineLines, baselineLines < lines ? " (fewer lines than (a): it is slow; "
                                                       "the rate is what counts)" : "");
    // The ratio is taken on the lines that reached the view, the conservative figure: the
    // baseline puts every line it reads into its widget.
    const double viewRate = intoView / a.seconds;
    std::printf("output: lines_per_s=%.0f view_lines_per_s=%.0f baseline_lines_per_s=%.0f "
                "max_stall_ms=%.1f ratio=%.1f\n",
                rate, viewRate, baseline, a.maxStallMs, viewRate / baseline);
    return 0;
}
