#include "app/clifiles.h"

#include "app/clisupport.h"
#include "app/terminalprompter.h"
#include "core/fs/localfilesystem.h"
#include "core/ssh/remotepath.h"
#include "core/util/pathbytes.h"
#include "core/ssh/sftpfilesystem.h"
#include "core/ssh/sshconnection.h"
#include "core/ssh/sshconnections.h"
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
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

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
    return toPathBytes(name); // the same mapping on both sides: every byte round-trips
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
            const int signal = takeTerminatingSignal();
            if (signal == 0)
                return;
            if (m_interrupted)
                std::_Exit(128 + signal);
            m_interrupted = true;
            m_signal = signal;
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
        return cliExitCode(error.code);
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
    return error.code == ErrorCode::NotFound;
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

int lsCommand(const QStringList &arguments)
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

int cpCommand(const QStringList &arguments)
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
        return cliExitCode(ErrorCode::IsDirectory);
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
        return cliExitCode(targetInfo->isDirectory ? ErrorCode::IsDirectory
                                                   : ErrorCode::NotDirectory);
    }
    if (!targetInfo) {
        const auto parentInfo = session.stat(target.parent());
        if (!parentInfo || !parentInfo->isDirectory) {
            if (session.interrupted())
                return session.fail({});
            printError(u"%1: no such folder: create it first or copy to an existing folder"_s
                           .arg(target.parent().displayName()));
            return cliExitCode(ErrorCode::NotFound);
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

    if (session.interrupted() || (!status && status.error().code == ErrorCode::Cancelled)) {
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
        return cliExitCode(ErrorCode::FileFailed);
    }
    return 0;
}

} // namespace gpuwb
