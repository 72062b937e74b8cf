#include "app/cli.h"

#include "core/fs/localfilesystem.h"
#include "core/gpu/gpureport.h"
#include "core/gpu/localgpusource.h"
#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/jobs/runconfig.h"
#include "core/util/datapaths.h"
#include "core/targets/localtarget.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

using namespace RunConfigIo;

static void printLine(const OutputLine &line)
{
    FILE *out = line.stream == OutputStream::Stderr ? stderr : stdout;
    const QByteArray text = line.text.toUtf8();
    std::fwrite(text.constData(), 1, size_t(text.size()), out);
    std::fputc('\n', out);
}

// Ctrl-C, a closed terminal or a kill must not leave the job running without anyone to
// watch it (the job runs in its own session, so it would not get the signal itself): the
// handler only writes the signal number to a socket; the event loop reads it and stops the job.
static int s_signalSocket[2] = {-1, -1};

static void onTerminatingSignal(int signal)
{
    const char byte = char(signal);
    [[maybe_unused]] const ssize_t n = ::write(s_signalSocket[0], &byte, 1);
}

static QSocketNotifier *watchTerminatingSignals(QObject *parent)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, s_signalSocket) != 0)
        return nullptr;
    struct sigaction action = {};
    action.sa_handler = onTerminatingSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int signal : {SIGINT, SIGTERM, SIGHUP})
        ::sigaction(signal, &action, nullptr);
    return new QSocketNotifier(s_signalSocket[1], QSocketNotifier::Read, parent);
}

static int runCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Runs a project's run configuration (gpuwb.toml, or what is detected) and streams its "
        "output. Exits with the job's exit code."_s);
    parser.addHelpOption();
    const QCommandLineOption target(u"target"_s, u"Where to run: local (default)."_s, u"id"_s,
                                    u"local"_s);
    parser.addOption(target);
    parser.addPositionalArgument(u"dir"_s, u"The project folder."_s);
    parser.process(arguments);
    if (parser.positionalArguments().size() != 1) {
        std::fprintf(stderr, "usage: gpuwb run [--target local] DIR\n");
        return 2;
    }
    const QString dir = QDir(parser.positionalArguments().first()).absolutePath();
    if (!QFileInfo(dir).isDir()) {
        std::fprintf(stderr, "gpuwb: %s is not a folder: give the project folder to run\n",
                     qPrintable(dir));
        return 2;
    }
    auto config = loadRunConfig(dir);
    if (!config) {
        std::fprintf(stderr, "gpuwb: %s\n", qPrintable(config.errorMessage()));
        return 2;
    }
    RunConfig cfg = config.value();
    cfg.target = parser.value(target);

    auto history = JobHistory::open(dataPaths().historyDatabase);
    if (!history) {
        std::fprintf(stderr, "gpuwb: %s\n", qPrintable(history.errorMessage()));
        return 2;
    }
    JobManager manager(history.value().get(), dataPaths().logDirectory);
    manager.addTarget(new LocalTarget(new LocalFileSystem(&manager), &manager));

    int exitCode = 1;
    int receivedSignal = 0;
    QObject::connect(&manager, &JobManager::jobFinished, &manager,
                     [&exitCode, &receivedSignal](Job *, const JobResult &result) {
                         if (receivedSignal > 0)
                             exitCode = 128 + receivedSignal;
                         else if (result.state == JobState::Succeeded)
                             exitCode = 0;
                         else if (result.exitCode > 0)
                             exitCode = result.exitCode;
                         else if (result.signal > 0)
                             exitCode = 128 + result.signal;
                         QCoreApplication::exit(exitCode);
                     });
    auto job = manager.start(toJobSpec(cfg, dir));
    if (!job) {
        std::fprintf(stderr, "gpuwb: %s\n", qPrintable(job.errorMessage()));
        return 2;
    }
    if (QSocketNotifier *notifier = watchTerminatingSignals(&manager)) {
        Job *running = job.value();
        QObject::connect(notifier, &QSocketNotifier::activated, running, [running, &receivedSignal] {
            char byte = 0;
            if (::read(s_signalSocket[1], &byte, 1) != 1 || receivedSignal > 0)
                return;
            receivedSignal = byte;
            std::fprintf(stderr, "gpuwb: stopping the job (its output so far is in %s)\n",
                         qPrintable(running->logPath()));
            running->stop();
        });
    }
    QObject::connect(job.value(), &Job::output, &manager, [](const OutputBatch &batch) {
        if (batch.droppedLines > 0)
            std::fprintf(stdout, "[%lld lines not shown; they are in the log]\n",
                         static_cast<long long>(batch.droppedLines));
        for (const OutputLine &line : batch.lines)
            printLine(line);
        std::fflush(stdout);
    });
    return QCoreApplication::exec();
}

static int gpusCommand()
{
    auto source = makeLocalGpuSource();
    if (const Status opened = source->open(); !opened) {
        std::printf("No NVIDIA GPU found on this machine.\n%s\n", qPrintable(opened.errorMessage()));
        return 3;
    }
    auto snapshot = source->sample();
    if (!snapshot) {
        std::printf("%s\n", qPrintable(snapshot.errorMessage()));
        return 3;
    }
    std::printf("%s", qPrintable(formatGpuReport(snapshot.value(), source->description())));
    return 0;
}

int runCli(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    const QString command = args.takeAt(1);
    if (command == u"run")
        return runCommand(args);
    return gpusCommand();
}

} // namespace gpuwb
