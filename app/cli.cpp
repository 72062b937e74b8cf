#include "app/cli.h"

#include "app/terminalprompter.h"
#include "core/fs/localfilesystem.h"
#include "core/gpu/gpureport.h"
#include "core/gpu/localgpusource.h"
#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/jobs/runconfig.h"
#include "core/remote/remotejob.h"
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
                             char byte = 0;
                             if (::read(s_signalSocket[1], &byte, 1) != 1 || *receivedSignal > 0)
                                 return;
                             *receivedSignal = byte;
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
                                    "~/gpuwb/<folder name>) as it is, without syncing."_s);
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
        return 2;
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
                                 ? u"gpuwb/"_s + QFileInfo(dir).fileName()
                                 : cfg.remoteDir;
        spec.workingDirectory = relative == u"."_s ? root : root + u'/' + relative;
        spec.projectDirectory.clear();
    }

    auto history = JobHistory::open(dataPaths().historyDatabase);
    if (!history) {
        std::fprintf(stderr, "gpuwb: %s\n", qPrintable(history.errorMessage()));
        return 2;
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
        return 2;
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
        return 2;
    }
    const std::optional<JobRecord> record = history.value()->find(id);
    if (!record) {
        std::fprintf(stderr, "gpuwb: there is no job %s in the history; `gpuwb jobs` lists "
                             "them\n", TerminalPrompter::printable(id.toUtf8()).constData());
        return 2;
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
        return 2;
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
        return 2;
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

static int lsCommand(const QStringList &arguments);
static int cpCommand(const QStringList &arguments);

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

// ---- gpuwb ls / gpuwb cp ------------------------------------------------------------------

namespace {

// One line on stderr, escaped like `ls -b` so that a hostile name in a message can neither
// move the cursor nor break the line.
void printError(const QString &message)
{
    const QByteArray line = "gpuwb: " + TerminalPrompter::printable(message) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
}

// An argument as scp reads it: "HOST:PATH" when a colon comes before any slash, a local path
// otherwise (write ./a:b for a local name with a colon). An empty or relative remote path is
// relative to the remote home, as with scp.
struct Place
{
    QString host; // empty: local
    QString path;
    bool isRemote() const { return !host.isEmpty(); }
};

Place parsePlace(const QString &text)
{
    const qsizetype colon = text.indexOf(u':');
    const qsizetype slash = text.indexOf(u'/');
    if (colon > 0 && (slash < 0 || colon < slash))
        return {text.left(colon), text.mid(colon + 1)};
    return {QString(), text};
}

QByteArray nameBytes(const Location &location, const QString &name)
{
    return location.isLocal() ? QFile::encodeName(name) : toRemoteBytes(name);
}

// Waits in a local event loop for an asynchronous operation that reports through a callback
// on `context`. The command line has no window to keep responsive, and the loop still runs
// the Ctrl-C notifier.
template<typename T, typename Start>
Result<T> await(Start start)
{
    QEventLoop loop;
    QObject context;
    std::optional<Result<T>> result;
    start(&context, [&](Result<T> value) {
        result.emplace(std::move(value));
        loop.quit();
    });
    if (!result)
        loop.exec();
    return std::move(*result);
}

// The connection (when the command names a host) and the file systems of one command, with
// the Ctrl-C handling they share.
class CliSession
{
public:
    explicit CliSession(const QString &host)
    {
        // The command reports every failure itself in one line; the core's log warnings
        // about the same failure would only repeat it (QT_LOGGING_RULES still turns them on).
        QLoggingCategory::setFilterRules(u"gpuwb.*.warning=false\ngpuwb.*.info=false"_s);
        if (host.isEmpty())
            return;
        m_prompter = std::make_shared<TerminalPrompter>(host);
        SshConnection::Options options;
        options.prompter = m_prompter;
        options.autoReconnect = false; // a command fails at once rather than waiting
        m_connection = std::make_unique<SshConnection>(host, options);
        m_remote = std::make_unique<SftpFileSystem>(m_connection.get());
    }
    ~CliSession()
    {
        // The file system refers to the connection: it goes first.
        m_remote.reset();
        m_connection.reset();
    }

    SshConnection *connection() const { return m_connection.get(); }
    FileSystem *fileSystem(const Location &location)
    {
        if (!location.isLocal())
            return m_remote.get();
        if (!m_local)
            m_local = std::make_unique<LocalFileSystem>();
        return m_local.get();
    }
    bool interrupted() const { return m_interrupted; }

    // Ctrl-C (or SIGTERM, SIGHUP): ends a waiting prompt and closes the connection, so that
    // whatever waits on it fails at once; `cancel` (a running transfer's) runs first. A second
    // signal leaves at once.
    void watchSignals(std::function<void()> cancel)
    {
        m_cancel = std::move(cancel);
        if (m_notifier)
            return;
        m_notifier.reset(watchTerminatingSignals(nullptr));
        if (!m_notifier)
            return;
        QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_notifier.get(), [this] {
            char byte = 0;
            if (::read(s_signalSocket[1], &byte, 1) != 1)
                return;
            if (m_interrupted)
                std::_Exit(128 + byte);
            m_interrupted = true;
            m_signal = byte;
            if (m_prompter)
                m_prompter->interrupt();
            if (m_cancel)
                m_cancel();
            else if (m_connection)
                m_connection->disconnectFromHost();
            else
                std::_Exit(signalExitCode());
        });
    }
    int signalExitCode() const { return 128 + m_signal; }

    // The error as one line; without a terminal for a question, the prompter's note on how
    // to fix that says more than the connection's failure.
    int fail(const Error &error) const
    {
        if (m_interrupted) {
            printError(u"cancelled"_s);
            return signalExitCode();
        }
        const QString note = m_prompter ? m_prompter->refusal() : QString();
        printError(note.isEmpty() ? error.message : note);
        return 1;
    }

    // The location for a place; a relative remote path is resolved against the remote home
    // (which also makes the connection).
    Result<Location> resolve(const Place &place)
    {
        if (!place.isRemote())
            return Location::local(place.path.isEmpty() ? u"."_s : place.path);
        if (place.path.startsWith(u'/'))
            return Location::remote(place.host, place.path);
        auto home = await<Location>([this](QObject *context, auto done) {
            m_remote->home(context, std::move(done));
        });
        if (!home)
            return home.error();
        if (place.path.isEmpty())
            return home.value();
        return home.value().child(place.path);
    }

    Result<FileInfo> stat(const Location &location)
    {
        return await<FileInfo>([this, &location](QObject *context, auto done) {
            fileSystem(location)->stat(location, context, std::move(done));
        });
    }

private:
    std::shared_ptr<TerminalPrompter> m_prompter;
    std::unique_ptr<SshConnection> m_connection;
    std::unique_ptr<SftpFileSystem> m_remote;
    std::unique_ptr<LocalFileSystem> m_local;
    std::unique_ptr<QSocketNotifier> m_notifier;
    std::function<void()> m_cancel;
    bool m_interrupted = false;
    int m_signal = 0;
};

bool isNotFound(const Error &error)
{
    return error.code == u"not-found" || error.code == u"no-such-file";
}

QByteArray permissionString(const FileInfo &info)
{
    QByteArray text(10, '-');
    text[0] = info.isSymlink ? 'l' : info.isDirectory ? 'd' : '-';
    const quint32 mode = info.permissions;
    const char *letters = "rwxrwxrwx";
    for (int bit = 0; bit < 9; ++bit) {
        if (mode & (0400u >> bit))
            text[1 + bit] = letters[bit];
    }
    const auto special = [&](int index, quint32 flag, char set, char setNoExec) {
        if (mode & flag)
            text[index] = text[index] == 'x' ? set : setNoExec;
    };
    special(3, 04000, 's', 'S');
    special(6, 02000, 's', 'S');
    special(9, 01000, 't', 'T');
    return text;
}

void printListing(const Location &dir, QList<FileInfo> entries, bool longFormat)
{
    // Sorted by the bytes of the name, as `LC_ALL=C ls` does: the same order everywhere.
    std::sort(entries.begin(), entries.end(), [&dir](const FileInfo &a, const FileInfo &b) {
        return nameBytes(dir, a.name) < nameBytes(dir, b.name);
    });
    int sizeWidth = 1;
    for (const FileInfo &info : entries)
        sizeWidth = std::max(sizeWidth, int(QByteArray::number(info.size).size()));
    QByteArray out;
    for (const FileInfo &info : entries) {
        if (longFormat) {
            const QDateTime modified = info.modified.toLocalTime();
            const QByteArray time = modified.isValid()
                ? modified.toString(u"yyyy-MM-dd HH:mm"_s).toLatin1()
                : QByteArray(16, '?');
            out += permissionString(info) + ' '
                + QByteArray::number(info.size).rightJustified(sizeWidth, ' ') + ' ' + time
                + ' ';
        }
        out += TerminalPrompter::printable(nameBytes(dir, info.name)) + '\n';
    }
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    std::fflush(stdout);
}

// Parses the options; nullopt and an exit code for --help or a usage error.
std::optional<QStringList> parseArguments(QCommandLineParser &parser, const QStringList &arguments,
                                          int positionals, const char *usage, int *exitCode)
{
    const QCommandLineOption help({u"h"_s, u"help"_s}, u"Show this help."_s);
    parser.addOption(help);
    if (!parser.parse(arguments)) {
        std::fprintf(stderr, "gpuwb: %s\nusage: %s\n", qPrintable(parser.errorText()), usage);
        *exitCode = 2;
        return std::nullopt;
    }
    if (parser.isSet(help)) {
        std::printf("%s", qPrintable(parser.helpText()));
        *exitCode = 0;
        return std::nullopt;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != positionals) {
        std::fprintf(stderr, "usage: %s\n", usage);
        *exitCode = 2;
        return std::nullopt;
    }
    return positional;
}

} // namespace

static int lsCommand(const QStringList &arguments)
{
    const char *usage = "gpuwb ls [-l] [HOST:]PATH";
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Lists a folder on an SSH host (HOST is an alias from ~/.ssh/config or the app's "
        "hosts) or on this machine, sorted by name. Names with control characters or bytes "
        "that are not UTF-8 are shown escaped, like `ls -b` (\\n, \\t, \\\\, \\ooo)."_s);
    const QCommandLineOption longFormat(u"l"_s, u"Long format: permissions, size, time, name."_s);
    parser.addOption(longFormat);
    parser.addPositionalArgument(u"path"_s, u"HOST:PATH or a local path."_s);
    int exitCode = 0;
    const auto positional = parseArguments(parser, arguments, 1, usage, &exitCode);
    if (!positional)
        return exitCode;

    const Place place = parsePlace(positional->first());
    CliSession session(place.host);
    session.watchSignals({});
    const auto location = session.resolve(place);
    if (!location)
        return session.fail(location.error());
    const auto info = session.stat(*location);
    if (!info) {
        if (isNotFound(info.error()) && !session.interrupted())
            return session.fail({info.error().code,
                                 u"%1: no such file or folder"_s.arg(location->displayName())});
        return session.fail(info.error());
    }
    if (!info->isDirectory) {
        FileInfo single = *info;
        single.name = location->fileName();
        printListing(location->parent(), {single}, parser.isSet(longFormat));
        return 0;
    }
    const auto entries = await<QList<FileInfo>>([&](QObject *context, auto done) {
        session.fileSystem(*location)->list(*location, context, std::move(done));
    });
    if (!entries)
        return session.fail(entries.error());
    printListing(*location, *entries, parser.isSet(longFormat));
    return 0;
}

namespace {

QByteArray humanBytes(qint64 bytes)
{
    if (bytes < 1000)
        return QByteArray::number(bytes) + " B";
    const char *units[] = {"kB", "MB", "GB", "TB"};
    double value = double(bytes);
    int unit = -1;
    while (value >= 1000 && unit < 3) {
        value /= 1000;
        ++unit;
    }
    return QByteArray::number(value, 'f', value < 10 ? 2 : 1) + ' ' + units[unit];
}

// One line on stderr, redrawn in place: percent, bytes, speed, the current file.
void printProgress(const TransferProgress &p)
{
    QByteArray line = "\r\033[K";
    if (p.bytesTotal > 0)
        line += QByteArray::number(int(100 * p.bytesDone / p.bytesTotal)).rightJustified(3, ' ')
            + "% ";
    line += humanBytes(p.bytesDone);
    if (p.bytesTotal > 0)
        line += " / " + humanBytes(p.bytesTotal);
    line += "  " + humanBytes(qint64(p.bytesPerSecond)) + "/s";
    if (p.filesTotal > 1)
        line += "  " + QByteArray::number(p.filesDone) + '/' + QByteArray::number(p.filesTotal);
    if (!p.currentFile.isEmpty())
        line += "  " + TerminalPrompter::printable(p.currentFile).left(60);
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
}

} // namespace

static int cpCommand(const QStringList &arguments)
{
    const char *usage = "gpuwb cp [-r] SRC DST   (one of them HOST:PATH, the other local)";
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Copies a file or, with -r, a folder between this machine and an SSH host. When DST "
        "is an existing folder the copy goes into it. Files are written under a temporary "
        "name and renamed when complete, so an existing file is replaced only by a whole "
        "copy; Ctrl-C stops and leaves it as it was."_s);
    const QCommandLineOption recursive({u"r"_s, u"R"_s, u"recursive"_s}, u"Copy folders."_s);
    parser.addOption(recursive);
    parser.addPositionalArgument(u"src"_s, u"HOST:PATH or a local path."_s);
    parser.addPositionalArgument(u"dst"_s, u"HOST:PATH or a local path."_s);
    int exitCode = 0;
    const auto positional = parseArguments(parser, arguments, 2, usage, &exitCode);
    if (!positional)
        return exitCode;
    const Place from = parsePlace(positional->at(0));
    const Place to = parsePlace(positional->at(1));
    if (from.isRemote() == to.isRemote()) {
        std::fprintf(stderr, "gpuwb: %s\nusage: %s\n",
                     from.isRemote() ? "copies between two hosts are not supported: copy "
                                       "through this machine"
                                     : "one of SRC and DST must be HOST:PATH (for local "
                                       "copies use cp)",
                     usage);
        return 2;
    }

    CliSession session(from.isRemote() ? from.host : to.host);
    session.watchSignals({});
    const auto source = session.resolve(from);
    if (!source)
        return session.fail(source.error());
    auto destination = session.resolve(to);
    if (!destination)
        return session.fail(destination.error());

    const auto sourceInfo = session.stat(*source);
    if (!sourceInfo) {
        if (isNotFound(sourceInfo.error()) && !session.interrupted())
            return session.fail({sourceInfo.error().code,
                                 u"%1: no such file or folder"_s.arg(source->displayName())});
        return session.fail(sourceInfo.error());
    }
    if (sourceInfo->isDirectory && !parser.isSet(recursive)) {
        printError(u"%1 is a folder: use `gpuwb cp -r` to copy folders"_s
                       .arg(source->displayName()));
        return 1;
    }

    // DST an existing folder means "into it", as with cp.
    Location target = *destination;
    auto targetInfo = session.stat(target);
    if (targetInfo && targetInfo->isDirectory) {
        target = target.child(source->fileName());
        targetInfo = session.stat(target);
    }
    if (!targetInfo && !isNotFound(targetInfo.error()))
        return session.fail(targetInfo.error());
    if (targetInfo && targetInfo->isDirectory != sourceInfo->isDirectory) {
        printError(targetInfo->isDirectory
                       ? u"%1 is a folder: cannot replace it with the file %2"_s.arg(
                             target.displayName(), source->displayName())
                       : u"%1 is a file: cannot replace it with the folder %2"_s.arg(
                             target.displayName(), source->displayName()));
        return 1;
    }
    if (!targetInfo) {
        const auto parentInfo = session.stat(target.parent());
        if (!parentInfo || !parentInfo->isDirectory) {
            if (session.interrupted())
                return session.fail({});
            printError(u"%1: no such folder: create it first or copy to an existing folder"_s
                           .arg(target.parent().displayName()));
            return 1;
        }
    }

    Transfer transfer(session.connection(),
                      from.isRemote() ? Transfer::Direction::Download : Transfer::Direction::Upload,
                      *source, target);
    const bool showProgress = ::isatty(STDERR_FILENO);
    bool progressShown = false;
    QObject::connect(&transfer, &Transfer::progressed, &transfer,
                     [&](const TransferProgress &progress) {
                         if (!showProgress)
                             return;
                         printProgress(progress);
                         progressShown = true;
                     });
    const auto endProgress = [&] {
        if (progressShown)
            std::fputs("\r\033[K", stderr);
        progressShown = false;
    };
    QObject::connect(&transfer, &Transfer::fileFailed, &transfer,
                     [&](const TransferFileError &error) {
                         endProgress();
                         printError(u"%1: %2"_s.arg(error.path, error.message));
                     });
    session.watchSignals([&transfer] { transfer.cancel(); });
    Status status;
    {
        QEventLoop loop;
        QObject::connect(&transfer, &Transfer::finished, &loop, [&](const Status &result) {
            status = result;
            loop.quit();
        });
        transfer.start();
        if (!transfer.isFinished())
            loop.exec();
    }
    session.watchSignals({});
    endProgress();

    if (session.interrupted() || (!status && status.error().code == u"cancelled")) {
        printError(sourceInfo->isDirectory
                       ? u"cancelled: the files copied so far are in %1; none is partly written"_s
                             .arg(target.displayName())
                       : u"cancelled: %1 is left as it was"_s.arg(target.displayName()));
        return session.interrupted() ? session.signalExitCode() : 1;
    }
    if (!status)
        return session.fail(status.error());
    if (const auto errors = transfer.fileErrors(); !errors.isEmpty()) {
        printError(u"%1 of the files could not be copied (see above); the others were"_s.arg(
            errors.size()));
        return 1;
    }
    return 0;
}

int runCli(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
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
    return gpusCommand();
}

} // namespace gpuwb
