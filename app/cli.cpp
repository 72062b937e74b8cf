#include "app/cli.h"

#include "app/clifiles.h"
#include "app/cligpus.h"
#include "app/clisupport.h"

#include "app/terminalprompter.h"
#include "core/fs/localfilesystem.h"
#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/jobs/runconfig.h"
#include "core/remote/remotejob.h"
#include "core/remote/remotejobscript.h"
#include "core/remote/remotetarget.h"
#include "core/ssh/sshconnections.h"
#include "core/util/datapaths.h"
#include "core/targets/localtarget.h"
#include "core/ssh/remotepath.h"
#include "core/ssh/sftpfilesystem.h"
#include "core/ssh/sshconnection.h"
#include "core/ssh/transfer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <algorithm>
#include <optional>

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


// The exit code of `gpuwb run` / `gpuwb attach` for a job's result.
static int exitCodeFor(const JobResult &result, int receivedSignal)
{
    if (receivedSignal > 0)
        return 128 + receivedSignal;
    if (result.state == JobState::Succeeded)
        return 0;
    if (result.exitCode > 0)
        return result.exitCode;
    if (result.signal > 0)
        return 128 + result.signal;
    return 1;
}

// The alias in a --target value: "ssh:ALIAS" or a bare alias; empty for "local" / "auto".
static QString aliasFromTarget(const QString &target)
{
    if (target.isEmpty() || target == u"local"_s || target == u"auto"_s)
        return {};
    return target.startsWith(u"ssh:"_s) ? target.mid(4) : target;
}

// The connections of a headless command that follows remote jobs: reconnecting by itself
// (a job outlives a lost connection), asking for secrets on the terminal.
static std::unique_ptr<SshConnections> makeConnections(const QString &alias)
{
    // The command reports failures itself; the core's info lines about reconnects would
    // only clutter the job's output (QT_LOGGING_RULES still turns them on).
    QLoggingCategory::setFilterRules(u"gpuwb.*.warning=false\ngpuwb.*.info=false"_s);
    SshConnection::Options options;
    options.prompter = std::make_shared<TerminalPrompter>(alias);
    options.autoReconnect = true;
    return std::make_unique<SshConnections>(options);
}

// Prints a job's batches as they come and ends the event loop with its exit code; the first
// Ctrl-C (SIGINT, SIGTERM, SIGHUP) runs `onSignal`.
static int followJob(Job *job, QObject *context, int *receivedSignal,
                     std::function<void()> onSignal)
{
    if (QSocketNotifier *notifier = watchTerminatingSignals(context)) {
        QObject::connect(notifier, &QSocketNotifier::activated, job,
                         [receivedSignal, onSignal = std::move(onSignal)] {
                             const int signal = takeTerminatingSignal();
                             if (signal == 0 || *receivedSignal > 0)
                                 return;
                             *receivedSignal = signal;
                             onSignal();
                         });
    }
    QObject::connect(job, &Job::output, context, [](const OutputBatch &batch) {
        if (batch.droppedLines > 0)
            std::fprintf(stdout, "[%lld lines not shown; they are in the log]\n",
                         static_cast<long long>(batch.droppedLines));
        for (const OutputLine &line : batch.lines)
            printLine(line);
        std::fflush(stdout);
    });
    return QCoreApplication::exec();
}

static int runCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Runs a project's run configuration (gpuwb.toml, or what is detected) and streams its "
        "output. Exits with the job's exit code. With --target HOST the project is synced to "
        "the host and the job runs there detached: if this command ends, `gpuwb attach ID` "
        "follows it again."_s);
    parser.addHelpOption();
    const QCommandLineOption target(u"target"_s,
                                    u"Where to run: local, or an SSH host (ALIAS or ssh:ALIAS). "
                                    "Default: the configuration's target (\"auto\" is local)."_s,
                                    u"id"_s);
    parser.addOption(target);
    const QCommandLineOption noSync(u"no-sync"_s,
                                    u"Remote only: run in the remote folder (remote_dir, or "
                                    "~/gpuwb/<folder name>-<hash>) as it is, without syncing."_s);
    parser.addOption(noSync);
    parser.addPositionalArgument(u"dir"_s, u"The project folder."_s);
    parser.process(arguments);
    if (parser.positionalArguments().size() != 1) {
        std::fprintf(stderr, "usage: gpuwb run [--target local|HOST] [--no-sync] DIR\n");
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
        return cliExitCode(config.error().code);
    }
    RunConfig cfg = config.value();
    if (parser.isSet(target))
        cfg.target = parser.value(target);
    const QString alias = aliasFromTarget(cfg.target);
    cfg.target = alias.isEmpty() ? u"local"_s : RemoteTarget::idFor(alias);
    JobSpec spec = toJobSpec(cfg, dir);
    if (parser.isSet(noSync) && !alias.isEmpty()) {
        const QString relative = QDir(dir).relativeFilePath(spec.workingDirectory);
        const QString root = cfg.remoteDir.isEmpty()
                                 ? RemoteJobScript::defaultRemoteFolder(dir)
                                 : cfg.remoteDir;
        spec.workingDirectory = relative == u"."_s ? root : root + u'/' + relative;
        spec.projectDirectory.clear();
    }

    auto history = JobHistory::open(dataPaths().historyDatabase);
    if (!history) {
        std::fprintf(stderr, "gpuwb: %s\n", qPrintable(history.errorMessage()));
        return cliExitCode(history.error().code);
    }
    // The connections outlive the manager's jobs, which refer to them.
    std::unique_ptr<SshConnections> connections;
    if (!alias.isEmpty())
        connections = makeConnections(alias);
    JobManager manager(history.value().get(), dataPaths().logDirectory);
    manager.addTarget(new LocalTarget(new LocalFileSystem(&manager), &manager));
    if (connections)
        manager.addTarget(new RemoteTarget(connections.get(), alias, &manager));

    int receivedSignal = 0;
    QObject::connect(&manager, &JobManager::jobFinished, &manager,
                     [&receivedSignal](Job *, const JobResult &result) {
                         QCoreApplication::exit(exitCodeFor(result, receivedSignal));
                     });
    auto job = manager.start(spec);
    if (!job) {
        std::fprintf(stderr, "gpuwb: %s\n", qPrintable(job.errorMessage()));
        return cliExitCode(job.error().code);
    }
    Job *running = job.value();
    if (!alias.isEmpty())
        std::fprintf(stderr, "gpuwb: job %s on %s (follow it again with `gpuwb attach %s`)\n",
                     qPrintable(running->id()), qPrintable(alias), qPrintable(running->id()));
    return followJob(running, &manager, &receivedSignal, [running] {
        std::fprintf(stderr, "gpuwb: stopping the job (its output so far is in %s)\n",
                     qPrintable(running->logPath()));
        running->stop();
    });
}

static int attachCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Follows a remote job again (one started by `gpuwb run --target` or the app): prints "
        "its whole output from the start, then what follows, and exits with the job's exit "
        "code. Ctrl-C detaches; the job keeps running."_s);
    parser.addHelpOption();
    parser.addPositionalArgument(u"id"_s, u"The job id, as `gpuwb jobs` lists it."_s);
    parser.process(arguments);
    if (parser.positionalArguments().size() != 1) {
        std::fprintf(stderr, "usage: gpuwb attach JOBID\n");
        return 2;
    }
    const QString id = parser.positionalArguments().first();
    auto history = JobHistory::open(dataPaths().historyDatabase);
    if (!history) {
        std::fprintf(stderr, "gpuwb: %s\n", qPrintable(history.errorMessage()));
        return cliExitCode(history.error().code);
    }
    const std::optional<JobRecord> record = history.value()->find(id);
    if (!record) {
        std::fprintf(stderr, "gpuwb: there is no job %s in the history; `gpuwb jobs` lists "
                             "them\n", TerminalPrompter::printable(id.toUtf8()).constData());
        return cliExitCode(ErrorCode::UnknownJob);
    }
    const QString alias = RemoteTarget::aliasFromId(record->spec.targetId);
    if (alias.isEmpty()) {
        std::fprintf(stderr, "gpuwb: job %s ran on this machine; only remote jobs can be "
                             "attached (its log is %s)\n",
                     qPrintable(id), qPrintable(record->logPath));
        return 2;
    }

    // What arrived before: the whole local log up to its last line end (an unfinished last
    // line comes whole with what follows, when the job is still running).
    {
        QFile log(record->logPath);
        if (log.open(QIODevice::ReadOnly)) {
            QByteArray data = log.readAll();
            if (!isFinal(record->state)) {
                const qsizetype newline = data.lastIndexOf('\n');
                data.truncate(newline + 1);
            }
            std::fwrite(data.constData(), 1, size_t(data.size()), stdout);
            if (!data.isEmpty() && !data.endsWith('\n'))
                std::fputc('\n', stdout);
            std::fflush(stdout);
        }
    }

    auto connections = makeConnections(alias);
    JobManager manager(history.value().get(), dataPaths().logDirectory);
    manager.addTarget(new RemoteTarget(connections.get(), alias, &manager));
    int receivedSignal = 0;
    QObject::connect(&manager, &JobManager::jobFinished, &manager,
                     [&receivedSignal](Job *, const JobResult &result) {
                         QCoreApplication::exit(exitCodeFor(result, receivedSignal));
                     });
    auto job = manager.reattach(id);
    if (!job) {
        std::fprintf(stderr, "gpuwb: %s\n", qPrintable(job.errorMessage()));
        return cliExitCode(job.error().code);
    }
    return followJob(job.value(), &manager, &receivedSignal, [id, alias] {
        std::fprintf(stderr, "gpuwb: detached; job %s keeps running on %s (`gpuwb attach %s` "
                             "follows it again)\n",
                     qPrintable(id), qPrintable(alias), qPrintable(id));
        QCoreApplication::exit(130);
    });
}

static int jobsCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Lists the job history, newest first: id, state, target, "
                                     "exit code, start time and name."_s);
    parser.addHelpOption();
    const QCommandLineOption limit(u"n"_s, u"At most this many jobs (default 50)."_s, u"count"_s,
                                   u"50"_s);
    parser.addOption(limit);
    parser.process(arguments);
    auto history = JobHistory::open(dataPaths().historyDatabase);
    if (!history) {
        std::fprintf(stderr, "gpuwb: %s\n", qPrintable(history.errorMessage()));
        return cliExitCode(history.error().code);
    }
    const QList<JobRecord> records = history.value()->recent(parser.value(limit).toInt());
    QList<QList<QByteArray>> rows{{"ID", "STATE", "TARGET", "EXIT", "STARTED", "NAME"}};
    for (const JobRecord &r : records) {
        rows.append({TerminalPrompter::printable(r.id.toUtf8()),
                     toString(r.state).toUtf8(),
                     TerminalPrompter::printable(r.spec.targetId.toUtf8()),
                     isFinal(r.state) && r.exitCode >= 0 ? QByteArray::number(r.exitCode) : "-",
                     r.started.isValid()
                         ? r.started.toLocalTime().toString(u"yyyy-MM-dd HH:mm:ss"_s).toUtf8()
                         : QByteArray("-"),
                     TerminalPrompter::printable(r.spec.name.toUtf8())});
    }
    QList<qsizetype> widths(6, 0);
    for (const auto &row : rows)
        for (int c = 0; c < 5; ++c)
            widths[c] = std::max(widths[c], row[c].size());
    QByteArray out;
    for (const auto &row : rows) {
        for (int c = 0; c < 5; ++c)
            out += row[c].leftJustified(widths[c] + 2, ' ');
        out += row[5] + '\n';
    }
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    return 0;
}


int runCli(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    // Paths on the command line are bytes: a name that is not UTF-8 (`caf\351`, as `gpuwb ls`
    // shows it) must reach the host as those bytes, as with OpenSSH's scp. Valid UTF-8 reads
    // the same either way.
    if (args.size() == argc) {
        for (int i = 1; i < argc; ++i)
            args[i] = fromRemoteBytes(QByteArray(argv[i]));
    }
    const QString command = args.takeAt(1);
    if (command == u"run")
        return runCommand(args);
    if (command == u"ls")
        return lsCommand(args);
    if (command == u"cp")
        return cpCommand(args);
    if (command == u"attach")
        return attachCommand(args);
    if (command == u"jobs")
        return jobsCommand(args);
    return gpusCommand(args);
}

} // namespace gpuwb
