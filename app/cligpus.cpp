#include "app/cligpus.h"

#include "app/clisupport.h"
#include "app/terminalprompter.h"
#include "core/gpu/gpureport.h"
#include "core/gpu/gpusampler.h"
#include "core/gpu/localgpusource.h"
#include "core/ssh/sshconnection.h"
#include "core/telemetry/gputelemetry.h"
#include "core/telemetry/remotegpumonitor.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <cmath>
#include <cstdio>
#include <memory>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

const char *const kUsage = "gpuwb gpus [HOST] [--watch] [--interval SECONDS]";

void printError(const QString &message)
{
    const QByteArray line = "gpuwb: " + TerminalPrompter::printable(message) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
}

// Prints reports: once, or on --watch redrawn on a terminal and appended (a blank line
// between) elsewhere.
class ReportPrinter
{
public:
    explicit ReportPrinter(bool watch) : m_watch(watch), m_tty(::isatty(STDOUT_FILENO) == 1) {}

    void print(const GpuSnapshot &snapshot, const QString &source)
    {
        QByteArray out;
        if (m_watch && m_tty)
            out += "\033[H\033[2J";
        else if (m_count > 0)
            out += '\n';
        out += formatGpuReport(snapshot, source).toUtf8();
        std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
        std::fflush(stdout);
        ++m_count;
    }

private:
    bool m_watch;
    bool m_tty;
    int m_count = 0;
};

int localGpus(bool watch, int intervalMs)
{
    if (!watch) {
        auto source = makeLocalGpuSource();
        if (const Status opened = source->open(); !opened) {
            std::printf("No NVIDIA GPU found on this machine.\n%s\n",
                        qPrintable(opened.errorMessage()));
            return cliExitCode(opened.error().code);
        }
        auto snapshot = source->sample();
        if (!snapshot) {
            std::printf("%s\n", qPrintable(snapshot.errorMessage()));
            return cliExitCode(snapshot.error().code);
        }
        std::printf("%s", qPrintable(formatGpuReport(snapshot.value(), source->description())));
        return 0;
    }
    QEventLoop loop;
    int exitCode = 0;
    ReportPrinter printer(true);
    QString description;
    GpuSampler sampler(makeLocalGpuSource(), intervalMs);
    bool opened = false;
    QObject::connect(&sampler, &GpuSampler::opened, &loop, [&](const QString &d) {
        description = d;
        opened = true;
    });
    QObject::connect(&sampler, &GpuSampler::sampled, &loop,
                     [&](const GpuSnapshot &s) { printer.print(s, description); });
    QObject::connect(&sampler, &GpuSampler::failed, &loop, [&](const Error &error) {
        if (opened) {
            printError(error.message);
            return;
        }
        std::printf("No NVIDIA GPU found on this machine.\n%s\n", qPrintable(error.message));
        exitCode = cliExitCode(error.code);
        loop.quit();
    });
    std::unique_ptr<QSocketNotifier> notifier(watchTerminatingSignals(nullptr));
    if (notifier) {
        QObject::connect(notifier.get(), &QSocketNotifier::activated, &loop, [&] {
            if (const int signal = takeTerminatingSignal()) {
                exitCode = 128 + signal;
                loop.quit();
            }
        });
    }
    sampler.start();
    loop.exec();
    return exitCode;
}

int remoteGpus(const QString &host, bool watch, int intervalMs)
{
    auto prompter = std::make_shared<TerminalPrompter>(host);
    SshConnection::Options options;
    options.prompter = prompter;
    options.autoReconnect = false; // a command fails at once rather than waiting
    auto connection = std::make_unique<SshConnection>(host, options);
    int exitCode = -1;
    QEventLoop loop;
    auto end = [&](int code) {
        if (exitCode < 0)
            exitCode = code;
        loop.quit();
    };
    {
        RemoteGpuMonitor monitor(connection.get(), intervalMs);
        ReportPrinter printer(watch);
        const QString source = u"nvidia-smi on %1"_s.arg(host);
        QObject::connect(&monitor, &RemoteGpuMonitor::sampled, &loop,
                         [&](const GpuSnapshot &snapshot) {
                             printer.print(snapshot, source);
                             if (!watch)
                                 end(0);
                         });
        QObject::connect(&monitor, &RemoteGpuMonitor::statusChanged, &loop,
                         [&](GpuHostStatus status, const QString &message) {
                             switch (status) {
                             case GpuHostStatus::NoDriver:
                                 std::printf("%s\n", qPrintable(message));
                                 end(cliExitCode(ErrorCode::GpuSmiNotFound));
                                 break;
                             case GpuHostStatus::Failed:
                                 printError(message);
                                 end(cliExitCode(ErrorCode::GpuSmiFailed));
                                 break;
                             case GpuHostStatus::Interrupted: {
                                 const QString note = prompter->refusal();
                                 printError(!note.isEmpty() ? note
                                            : !connection->stateMessage().isEmpty()
                                                ? connection->stateMessage()
                                                : message);
                                 end(cliExitCode(ErrorCode::ConnectionLost));
                                 break;
                             }
                             case GpuHostStatus::Starting:
                             case GpuHostStatus::Live:
                                 break;
                             }
                         });
        std::unique_ptr<QSocketNotifier> notifier(watchTerminatingSignals(nullptr));
        if (notifier) {
            QObject::connect(notifier.get(), &QSocketNotifier::activated, &loop, [&] {
                const int signal = takeTerminatingSignal();
                if (signal == 0)
                    return;
                if (exitCode >= 0)
                    std::_Exit(128 + signal); // a second signal: leave at once
                exitCode = 128 + signal;
                prompter->interrupt();
                loop.quit();
            });
        }
        monitor.start();
        connection->connectToHost();
        loop.exec();
        // The monitor closes its channels as it goes; closing the session below ends the
        // remote commands for good (they die on their next write).
    }
    connection->disconnectFromHost();
    connection.reset();
    return exitCode < 0 ? 1 : exitCode;
}

} // namespace

int gpusCommand(const QStringList &arguments)
{
    QLoggingCategory::setFilterRules(u"gpuwb.*.warning=false\ngpuwb.*.info=false"_s);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Shows the NVIDIA GPUs of this machine or, given an SSH host alias, of that host "
        "(through nvidia-smi there): one sample, or with --watch one per interval until "
        "Ctrl-C."_s);
    const QCommandLineOption help({u"h"_s, u"help"_s}, u"Show this help."_s);
    const QCommandLineOption watch(u"watch"_s, u"Keep sampling until Ctrl-C."_s);
    const QCommandLineOption interval(u"interval"_s, u"Seconds between samples (0.2 or more; "
                                                     "default 1)."_s,
                                      u"seconds"_s, u"1"_s);
    parser.addOptions({help, watch, interval});
    parser.addPositionalArgument(u"host"_s, u"An SSH host alias; none: this machine."_s);
    if (!parser.parse(arguments)) {
        std::fprintf(stderr, "gpuwb: %s\nusage: %s\n", qPrintable(parser.errorText()), kUsage);
        return 2;
    }
    if (parser.isSet(help)) {
        std::printf("%s", qPrintable(parser.helpText()));
        return 0;
    }
    const QStringList positional = parser.positionalArguments();
    bool ok = false;
    const double seconds = parser.value(interval).toDouble(&ok);
    if (positional.size() > 1 || !ok || !std::isfinite(seconds) || seconds < 0.2
        || seconds > 3600) {
        std::fprintf(stderr, "gpuwb: --interval takes seconds from 0.2 to 3600\nusage: %s\n",
                     kUsage);
        return 2;
    }
    const int intervalMs = int(std::lround(seconds * 1000));
    if (positional.isEmpty())
        return localGpus(parser.isSet(watch), intervalMs);
    return remoteGpus(positional.first(), parser.isSet(watch), intervalMs);
}

} // namespace gpuwb
