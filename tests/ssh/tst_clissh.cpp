// `gpuwb ls` and `gpuwb cp` end to end: the real gpuwb executable against the real sshd
// fixture, with HOME at the fixture's client home (key id_plain, known_hosts written here),
// no agent and no terminal (the child runs in a new session, so /dev/tty cannot be opened).

#include "helpers/sshdserver.h"
#include "helpers/sshtest.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <pty.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using gpuwb::test::SshdServer;

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

QByteArray sha256(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return "unreadable: " + path.toUtf8();
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return hash.result().toHex();
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(data) == data.size();
}

QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray data(size, Qt::Uninitialized);
    quint32 x = seed | 1;
    for (qsizetype i = 0; i < size; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = char(x);
    }
    return data;
}

// A file by the bytes of its path (QFile would decode a name that is not UTF-8 lossily).
bool writeRaw(const QByteArray &path, const QByteArray &data)
{
    const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, data.constData(), size_t(data.size())) == data.size();
    return ::close(fd) == 0 && ok;
}

// Every file and folder below `root`: relative path -> SHA-256, or "dir".
QMap<QByteArray, QByteArray> tree(const QString &root)
{
    QMap<QByteArray, QByteArray> result;
    QDirIterator it(root, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QByteArray relative = QFile::encodeName(QDir(root).relativeFilePath(path));
        result.insert(relative, it.fileInfo().isDir() ? QByteArray("dir") : sha256(path));
    }
    return result;
}

unsigned modeOf(const QString &path)
{
    struct stat st = {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? st.st_mode & 07777 : 0;
}

// Gives a file made here as root to the test user, as if it had made it.
void giveToTestUser(const QByteArray &path)
{
    if (const passwd *pw = ::getpwnam(SshdServer::userName().toLocal8Bit().constData()))
        [[maybe_unused]] const int r = ::lchown(path.constData(), pw->pw_uid, pw->pw_gid);
}

int closedPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 1;
    const int port = probe.serverPort();
    probe.close();
    return port;
}

} // namespace

class tst_CliSsh : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void usageErrors_data();
    void usageErrors();
    void lsEscapesHostileNames();
    void lsSingleFileAndHome();
    void cpFileUpAndDown();
    void cpFolderTree();
    void cpFolderNeedsRecursive();
    void cpReplacesExistingFileAtomically();
    void cpInterruptedLeavesOriginal();
    void cpNamesAreBytes();
    void errorRefusedPort();
    void errorNoNameNoRoute_data();
    void errorNoNameNoRoute();
    void errorUnknownHostKeyWithoutTerminal();
    void errorMissingRemotePath();
    void terminalAcceptsUnknownHostKey();
    void terminalDeclinesUnknownHostKey();
    void terminalAsksPasswordWithoutEcho();
    void terminalShowsProgress();

private:
    // gpuwb with a pseudo-terminal as its controlling terminal (its /dev/tty); *master is
    // the other end, for the test to read prompts from and type into.
    QProcess *startOnTerminal(const QStringList &arguments, int *master,
                              bool stderrToo = false);
    // Reads the terminal until `text` appears (true) or the process ends or 60 s pass.
    bool waitForTerminal(int master, QProcess *process, const QByteArray &text, QByteArray *seen);
    Run gpuwb(const QStringList &arguments, int timeoutMs = 120000);
    QProcess *startGpuwb(const QStringList &arguments);
    QString remote(const QString &path) const { return m_server.alias() + u':' + path; }

    SshdServer m_server;
    QTemporaryDir m_work; // the child's working directory and XDG homes
    QProcessEnvironment m_env;
};

void tst_CliSsh::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY2(!qEnvironmentVariableIsEmpty("GPUWB_GPUWB"), "GPUWB_GPUWB names the gpuwb executable");
    QString error;
    if (!m_server.start(&error))
        QFAIL(qPrintable(error));
    QVERIFY(writeFile(m_server.clientSshDir() + u"/known_hosts"_s,
                      m_server.knownHostsLine() + '\n'));
    QVERIFY(m_work.isValid());
    m_env = QProcessEnvironment::systemEnvironment();
    m_env.insert(u"HOME"_s, m_server.clientHome());
    m_env.insert(u"XDG_CONFIG_HOME"_s, m_work.filePath(u"config"_s));
    m_env.insert(u"XDG_DATA_HOME"_s, m_work.filePath(u"data"_s));
    m_env.insert(u"XDG_CACHE_HOME"_s, m_work.filePath(u"cache"_s));
    m_env.insert(u"LC_ALL"_s, u"C.UTF-8"_s);
    m_env.insert(u"TZ"_s, u"UTC"_s);
    m_env.remove(u"SSH_AUTH_SOCK"_s);
    m_env.remove(u"DISPLAY"_s);
    QDir(m_work.path()).mkpath(u"cwd"_s);
}

QProcess *tst_CliSsh::startGpuwb(const QStringList &arguments)
{
    auto *process = new QProcess(this);
    process->setProcessEnvironment(m_env);
    process->setWorkingDirectory(m_work.filePath(u"cwd"_s));
    process->setStandardInputFile(QProcess::nullDevice());
    // A new session has no controlling terminal: the prompter must find no /dev/tty, even
    // when the tests run from one.
    process->setUnixProcessParameters(QProcess::UnixProcessFlag::CreateNewSession);
    process->start(qEnvironmentVariable("GPUWB_GPUWB"), arguments);
    return process;
}

Run tst_CliSsh::gpuwb(const QStringList &arguments, int timeoutMs)
{
    std::unique_ptr<QProcess> process(startGpuwb(arguments));
    Run run;
    if (!process->waitForFinished(timeoutMs)) {
        process->kill();
        process->waitForFinished();
        run.err = "gpuwb did not finish: " + process->readAllStandardError();
        return run;
    }
    run.exitCode = process->exitStatus() == QProcess::NormalExit ? process->exitCode() : -1;
    run.out = process->readAllStandardOutput();
    run.err = process->readAllStandardError();
    return run;
}

void tst_CliSsh::usageErrors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::newRow("ls without a path") << QStringList{u"ls"_s};
    QTest::newRow("ls with two paths") << QStringList{u"ls"_s, u"a"_s, u"b"_s};
    QTest::newRow("ls unknown option") << QStringList{u"ls"_s, u"--bogus"_s, u"/"_s};
    QTest::newRow("cp one argument") << QStringList{u"cp"_s, u"gpuwb-test:/x"_s};
    QTest::newRow("cp both local") << QStringList{u"cp"_s, u"/etc/hostname"_s, u"/tmp/x"_s};
    QTest::newRow("cp two hosts") << QStringList{u"cp"_s, u"h1:/a"_s, u"h2:/b"_s};
    QTest::newRow("cp unknown option") << QStringList{u"cp"_s, u"-z"_s, u"/a"_s, u"h:/b"_s};
}

void tst_CliSsh::usageErrors()
{
    QFETCH(QStringList, arguments);
    const Run run = gpuwb(arguments);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains("usage: gpuwb "), run.err.constData());
    QVERIFY(run.out.isEmpty());
}

void tst_CliSsh::lsEscapesHostileNames()
{
    const QString dir = m_server.makeRemoteScratchDir();
    QVERIFY(!dir.isEmpty());
    const QByteArray d = QFile::encodeName(dir);
    // name -> how it must be printed
    const QList<std::pair<QByteArray, QByteArray>> names = {
        {"plain.txt", "plain.txt"},
        {"with space", "with space"},
        {"new\nline", "new\\nline"},
        {"esc\x1b]0;owned\x07title", "esc\\033]0;owned\\atitle"},
        {"red\x1b[31mtext", "red\\033[31mtext"},
        {"bad\xff\xfe", "bad\\377\\376"},
        {"tab\there\rcr", "tab\\there\\rcr"},
        {"back\\slash", "back\\\\slash"},
        {"c1\xc2\x9b" "csi", "c1\\302\\233csi"},
        {"$(touch PWNED)", "$(touch PWNED)"},
        {"`touch PWNED2`", "`touch PWNED2`"},
        {"x; touch PWNED3 #", "x; touch PWNED3 #"},
        {"'q\"uote", "'q\"uote"},
        {"\xc3\xbcnicode \xe2\x9c\x93", "\xc3\xbcnicode \xe2\x9c\x93"},
    };
    for (const auto &[name, printed] : names) {
        const QByteArray path = d + '/' + name;
        QVERIFY2(writeRaw(path, name == "plain.txt" ? "12345" : ""), path.constData());
        ::chmod(path.constData(), 0644);
        giveToTestUser(path);
    }
    QVERIFY(::mkdir((d + "/sub").constData(), 0750) == 0);
    giveToTestUser(d + "/sub");

    const Run run = gpuwb({u"ls"_s, u"-l"_s, remote(dir)});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QVERIFY(!run.out.contains('\x1b'));
    QVERIFY(!run.out.contains('\r'));
    QVERIFY(!run.out.contains('\x07'));
    QVERIFY(!run.out.contains("\xc2\x9b"));
    const QList<QByteArray> lines = run.out.split('\n').mid(0, names.size() + 1);
    QCOMPARE(run.out.count('\n'), names.size() + 1); // one line per entry, the sub folder too
    QByteArrayList printedNames;
    for (const QByteArray &line : lines) {
        // "-rw-r--r-- SIZE YYYY-MM-DD HH:MM NAME": the name is everything after the time.
        const QList<QByteArray> fields = line.simplified().split(' ');
        QVERIFY2(fields.size() >= 5, line.constData());
        const qsizetype timeEnd = line.indexOf(fields[3]) + fields[3].size();
        printedNames.append(line.mid(timeEnd + 1));
        if (line.endsWith(" plain.txt")) {
            QVERIFY2(line.startsWith("-rw-r--r-- "), line.constData());
            QCOMPARE(fields[1], QByteArray("5"));
        }
        if (line.endsWith(" sub"))
            QVERIFY2(line.startsWith("drwxr-x--- "), line.constData());
    }
    for (const auto &[name, printed] : names)
        QVERIFY2(printedNames.contains(printed), (printed + "\n" + run.out).constData());
    // Sorted by the bytes of the name.
    QByteArrayList sortedRaw;
    for (const auto &[name, printed] : names)
        sortedRaw.append(name);
    sortedRaw.append("sub");
    std::sort(sortedRaw.begin(), sortedRaw.end());
    for (qsizetype i = 0; i < sortedRaw.size(); ++i) {
        const auto it = std::find_if(names.begin(), names.end(),
                                     [&](const auto &n) { return n.first == sortedRaw[i]; });
        QCOMPARE(printedNames[i], it == names.end() ? QByteArray("sub") : it->second);
    }
    // Nothing ran the names as commands, on either side.
    for (const char *owned : {"PWNED", "PWNED2", "PWNED3"}) {
        QVERIFY(!QFile::exists(dir + u'/' + QLatin1StringView(owned)));
        QVERIFY(!QFile::exists(m_server.userHome() + u'/' + QLatin1StringView(owned)));
        QVERIFY(!QFile::exists(m_work.filePath(u"cwd/"_s + QLatin1StringView(owned))));
    }

    // Without -l: the names alone, escaped the same way.
    const Run brief = gpuwb({u"ls"_s, remote(dir)});
    QVERIFY2(brief.exitCode == 0, brief.err.constData());
    QCOMPARE(brief.out.split('\n').mid(0, printedNames.size()), printedNames);
}

void tst_CliSsh::lsSingleFileAndHome()
{
    const QString dir = m_server.makeRemoteScratchDir();
    QVERIFY(writeFile(dir + u"/one.bin"_s, QByteArray(1234, 'x')));
    const Run file = gpuwb({u"ls"_s, u"-l"_s, remote(dir + u"/one.bin"_s)});
    QVERIFY2(file.exitCode == 0, file.err.constData());
    QCOMPARE(file.out.count('\n'), 1);
    QVERIFY2(file.out.contains(" 1234 ") && file.out.endsWith(" one.bin\n"), file.out.constData());

    // "HOST:" is the remote home, as with scp; the scratch folder is in it.
    const Run home = gpuwb({u"ls"_s, m_server.alias() + u':'});
    QVERIFY2(home.exitCode == 0, home.err.constData());
    QVERIFY(home.out.split('\n').contains(QFile::encodeName(QFileInfo(dir).fileName())));

    // A local path is listed too.
    QTemporaryDir local;
    QVERIFY(writeFile(local.filePath(u"here.txt"_s), "abc"));
    const Run localRun = gpuwb({u"ls"_s, local.path()});
    QVERIFY2(localRun.exitCode == 0, localRun.err.constData());
    QCOMPARE(localRun.out, QByteArray("here.txt\n"));
}

void tst_CliSsh::cpFileUpAndDown()
{
    const QString dir = m_server.makeRemoteScratchDir();
    QTemporaryDir local;
    const QByteArray data = randomBytes(3 * 1024 * 1024 + 17, 1);
    const QString source = local.filePath(u"data file.bin"_s);
    QVERIFY(writeFile(source, data));
    QFile::setPermissions(source, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup);

    // Into an existing remote folder.
    const Run up = gpuwb({u"cp"_s, source, remote(dir)});
    QVERIFY2(up.exitCode == 0, up.err.constData());
    QCOMPARE(sha256(dir + u"/data file.bin"_s), sha256(source));
    QCOMPARE(modeOf(dir + u"/data file.bin"_s), 0640u); // permissions are kept
    QVERIFY2(up.err.isEmpty(), up.err.constData()); // no progress without a terminal

    // Back down under a new name.
    const QString back = local.filePath(u"back.bin"_s);
    const Run down = gpuwb({u"cp"_s, remote(dir + u"/data file.bin"_s), back});
    QVERIFY2(down.exitCode == 0, down.err.constData());
    QCOMPARE(sha256(back), sha256(source));

    // A relative local destination is relative to the working directory.
    const Run relative = gpuwb({u"cp"_s, remote(dir + u"/data file.bin"_s), u"rel.bin"_s});
    QVERIFY2(relative.exitCode == 0, relative.err.constData());
    QCOMPARE(sha256(m_work.filePath(u"cwd/rel.bin"_s)), sha256(source));
    QFile::remove(m_work.filePath(u"cwd/rel.bin"_s));
}

void tst_CliSsh::cpFolderTree()
{
    const QString dir = m_server.makeRemoteScratchDir();
    QTemporaryDir local;
    const QString root = local.filePath(u"project"_s);
    QDir().mkpath(root + u"/src/deep/er"_s);
    QDir().mkpath(root + u"/empty"_s);
    QVERIFY(writeFile(root + u"/README"_s, "hello\n"));
    QVERIFY(writeFile(root + u"/src/main.cu"_s, randomBytes(200000, 2)));
    QVERIFY(writeFile(root + u"/src/deep/er/big.bin"_s, randomBytes(2 * 1024 * 1024, 3)));
    QVERIFY(writeFile(root + u"/src/zero"_s, QByteArray()));
    QVERIFY(writeFile(root + u"/src/sp ace $(x) \u00fc"_s, "odd name"));
    const auto expected = tree(root);

    const Run up = gpuwb({u"cp"_s, u"-r"_s, root, remote(dir)});
    QVERIFY2(up.exitCode == 0, up.err.constData());
    QCOMPARE(tree(dir + u"/project"_s), expected);

    const QString downInto = local.filePath(u"down"_s);
    QVERIFY(QDir().mkpath(downInto));
    const Run down = gpuwb({u"cp"_s, u"-r"_s, remote(dir + u"/project"_s), downInto});
    QVERIFY2(down.exitCode == 0, down.err.constData());
    QCOMPARE(tree(downInto + u"/project"_s), expected);
}

void tst_CliSsh::cpFolderNeedsRecursive()
{
    const QString dir = m_server.makeRemoteScratchDir();
    QTemporaryDir local;
    QDir().mkpath(local.filePath(u"folder"_s));
    const Run up = gpuwb({u"cp"_s, local.filePath(u"folder"_s), remote(dir)});
    QCOMPARE(up.exitCode, 65); // EX_DATAERR: a folder without -r
    QVERIFY2(up.err.contains("cp -r"), up.err.constData());
    QCOMPARE(up.err.count('\n'), 1);
    QVERIFY(!QFileInfo::exists(dir + u"/folder"_s));

    const Run down = gpuwb({u"cp"_s, remote(dir), local.path()});
    QCOMPARE(down.exitCode, 65);
    QVERIFY2(down.err.contains("cp -r"), down.err.constData());
}

void tst_CliSsh::cpReplacesExistingFileAtomically()
{
    const QString dir = m_server.makeRemoteScratchDir();
    const QString target = dir + u"/target.txt"_s;
    QVERIFY(writeFile(target, "old contents\n"));
    giveToTestUser(QFile::encodeName(target));
    struct stat before = {};
    QVERIFY(::stat(QFile::encodeName(target).constData(), &before) == 0);

    QTemporaryDir local;
    const QByteArray data = randomBytes(500000, 4);
    QVERIFY(writeFile(local.filePath(u"new.txt"_s), data));
    const Run up = gpuwb({u"cp"_s, local.filePath(u"new.txt"_s), remote(target)});
    QVERIFY2(up.exitCode == 0, up.err.constData());
    QCOMPARE(sha256(target), sha256(local.filePath(u"new.txt"_s)));
    // Replaced by a rename (a new inode), not rewritten in place; no temporary file is left.
    struct stat after = {};
    QVERIFY(::stat(QFile::encodeName(target).constData(), &after) == 0);
    QVERIFY(after.st_ino != before.st_ino);
    QCOMPARE(QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
             QStringList{u"target.txt"_s});

    // The same downwards onto an existing local file.
    const QString localTarget = local.filePath(u"existing.txt"_s);
    QVERIFY(writeFile(localTarget, "local old\n"));
    QVERIFY(::stat(QFile::encodeName(localTarget).constData(), &before) == 0);
    const Run down = gpuwb({u"cp"_s, remote(target), localTarget});
    QVERIFY2(down.exitCode == 0, down.err.constData());
    QCOMPARE(sha256(localTarget), sha256(target));
    QVERIFY(::stat(QFile::encodeName(localTarget).constData(), &after) == 0);
    QVERIFY(after.st_ino != before.st_ino);
    QCOMPARE(QDir(local.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
             (QStringList{u"existing.txt"_s, u"new.txt"_s}));
}

void tst_CliSsh::cpInterruptedLeavesOriginal()
{
    // A large sparse file takes long enough to copy that the copy is caught half-way: the
    // signal is sent once its temporary file appears beside the target.
    const QString dir = m_server.makeRemoteScratchDir();
    const QByteArray big = QFile::encodeName(dir + u"/big.bin"_s);
    const int fd = ::open(big.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    QVERIFY(fd >= 0);
    QVERIFY(::ftruncate(fd, qint64(2) << 30) == 0);
    ::close(fd);
    giveToTestUser(big);

    QTemporaryDir local;
    const QString target = local.filePath(u"big.bin"_s);
    QVERIFY(writeFile(target, "the original\n"));
    std::unique_ptr<QProcess> process(startGpuwb({u"cp"_s, remote(dir + u"/big.bin"_s), target}));
    QVERIFY(process->waitForStarted());
    bool caught = false;
    for (int i = 0; i < 6000 && process->state() == QProcess::Running; ++i) {
        if (QDir(local.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)
                .size() > 1) {
            caught = true;
            break;
        }
        QTest::qWait(10);
    }
    if (!caught) {
        process->waitForFinished(120000);
        QSKIP("the copy finished before it could be interrupted");
    }
    ::kill(pid_t(process->processId()), SIGINT);
    QVERIFY(process->waitForFinished(60000));
    QCOMPARE(process->exitCode(), 128 + SIGINT);
    const QByteArray err = process->readAllStandardError();
    QVERIFY2(err.contains("cancelled"), err.constData());
    QCOMPARE(QDir(local.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
             QStringList{u"big.bin"_s});
    QFile original(target);
    QVERIFY(original.open(QIODevice::ReadOnly));
    QCOMPARE(original.readAll(), QByteArray("the original\n"));
}

// Issue 10: a remote name that is not UTF-8 (`caf\351`, as `gpuwb ls` shows it) is copied
// when named on the command line as its bytes, as OpenSSH's scp does; so is a local one,
// uploaded under its own bytes.
void tst_CliSsh::cpNamesAreBytes()
{
    const QString dir = m_server.makeRemoteScratchDir();
    const QByteArray remoteName = QFile::encodeName(dir) + "/caf\xe9";
    QVERIFY(writeRaw(remoteName, "latin-1 named\n"));
    giveToTestUser(remoteName);
    QTemporaryDir local;
    // sh builds the argument from printf's bytes: QProcess arguments are text.
    const QString script = u"exec \"$0\" cp \"$1/caf$(printf '\\351')\" \"$2\""_s;
    QProcess process;
    process.setProcessEnvironment(m_env);
    process.setWorkingDirectory(m_work.filePath(u"cwd"_s));
    process.setStandardInputFile(QProcess::nullDevice());
    process.setUnixProcessParameters(QProcess::UnixProcessFlag::CreateNewSession);
    process.start(u"/bin/sh"_s, {u"-c"_s, script, qEnvironmentVariable("GPUWB_GPUWB"),
                                 remote(dir), local.path()});
    QVERIFY(process.waitForFinished(120000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    QCOMPARE(gpuwb::test::readOnDisk(QFile::encodeName(local.path()) + "/caf\xe9"),
             QByteArray("latin-1 named\n"));

    // The other way: a local name that is not UTF-8, uploaded into a remote folder.
    QVERIFY(writeRaw(QFile::encodeName(local.path()) + "/na\xefve", "local latin-1\n"));
    QProcess upload;
    upload.setProcessEnvironment(m_env);
    upload.setWorkingDirectory(m_work.filePath(u"cwd"_s));
    upload.setStandardInputFile(QProcess::nullDevice());
    upload.setUnixProcessParameters(QProcess::UnixProcessFlag::CreateNewSession);
    const QString uploadScript = u"exec \"$0\" cp \"$1/na$(printf '\\357')ve\" \"$2/\""_s;
    upload.start(u"/bin/sh"_s, {u"-c"_s, uploadScript, qEnvironmentVariable("GPUWB_GPUWB"),
                                local.path(), remote(dir)});
    QVERIFY(upload.waitForFinished(120000));
    QVERIFY2(upload.exitCode() == 0, upload.readAllStandardError().constData());
    QCOMPARE(gpuwb::test::readOnDisk(QFile::encodeName(dir) + "/na\xefve"),
             QByteArray("local latin-1\n"));
}

void tst_CliSsh::errorRefusedPort()
{
    const int port = closedPort();
    m_server.appendClientConfig(u"\nHost gpuwb-closed\n    HostName 127.0.0.1\n    Port %1\n"
                                "    User %2\n"_s.arg(port).arg(SshdServer::userName()));
    const Run run = gpuwb({u"ls"_s, u"gpuwb-closed:/"_s});
    QCOMPARE(run.exitCode, 69); // EX_UNAVAILABLE
    QVERIFY2(run.err.startsWith("gpuwb: ") && run.err.count('\n') == 1, run.err.constData());
    QVERIFY2(run.err.toLower().contains("refused"), run.err.constData());
    QVERIFY(run.out.isEmpty());
}

// A name that does not resolve and an address without a route, in a network namespace of the
// test's own (no interface is up there, so nothing leaves the machine): one line that names
// the host, exit 68 (no such name) or 69 (no route).
void tst_CliSsh::errorNoNameNoRoute_data()
{
    QTest::addColumn<QString>("hostName");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<int>("exitCode");
    QTest::newRow("dns") << u"gpu-node.invalid"_s << QByteArray("gpu-node.invalid") << 68; // EX_NOHOST
    QTest::newRow("route") << u"10.255.255.1"_s << QByteArray("10.255.255.1") << 69;
}

void tst_CliSsh::errorNoNameNoRoute()
{
    QFETCH(QString, hostName);
    QFETCH(QByteArray, expected);
    QFETCH(int, exitCode);
    QProcess probe;
    probe.start(u"unshare"_s, {u"-n"_s, u"true"_s});
    if (!probe.waitForFinished(10000) || probe.exitCode() != 0)
        QSKIP("no network namespace here (unshare -n needs root)");
    const QString alias = u"gpuwb-away-"_s + QString::fromLatin1(QTest::currentDataTag());
    m_server.appendClientConfig(u"\nHost %1\n    HostName %2\n    User %3\n"
                                "    ConnectTimeout 5\n"_s.arg(alias, hostName,
                                                               SshdServer::userName()));
    QProcess process;
    process.setProcessEnvironment(m_env);
    process.setWorkingDirectory(m_work.filePath(u"cwd"_s));
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(u"unshare"_s, {u"-n"_s, qEnvironmentVariable("GPUWB_GPUWB"), u"ls"_s,
                                 alias + u":/"_s});
    QVERIFY(process.waitForFinished(60000));
    const QByteArray err = process.readAllStandardError();
    QCOMPARE(process.exitCode(), exitCode);
    QVERIFY2(err.startsWith("gpuwb: ") && err.count('\n') == 1, err.constData());
    QVERIFY2(err.contains(expected), err.constData());
    QVERIFY(process.readAllStandardOutput().isEmpty());
}

void tst_CliSsh::errorUnknownHostKeyWithoutTerminal()
{
    const QString knownHosts = m_server.clientSshDir() + u"/known_hosts"_s;
    QVERIFY(writeFile(knownHosts, QByteArray()));
    const Run run = gpuwb({u"ls"_s, remote(u"/"_s)});
    QVERIFY(writeFile(knownHosts, m_server.knownHostsLine() + '\n'));
    QCOMPARE(run.exitCode, 77); // EX_NOPERM: the host key was not accepted
    QVERIFY2(run.err.count('\n') == 1, run.err.constData());
    QVERIFY2(run.err.contains("ssh " + m_server.alias().toUtf8()), run.err.constData());
    QVERIFY2(run.err.contains(m_server.hostKeyFingerprint().toUtf8()), run.err.constData());
    QVERIFY(run.out.isEmpty());
    // Nobody said yes: nothing was added.
    QFile file(knownHosts);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), m_server.knownHostsLine() + '\n');
}

void tst_CliSsh::errorMissingRemotePath()
{
    const QString dir = m_server.makeRemoteScratchDir();
    const QString missing = dir + u"/no such dir"_s;
    const Run ls = gpuwb({u"ls"_s, u"-l"_s, remote(missing)});
    QCOMPARE(ls.exitCode, 66); // EX_NOINPUT
    QVERIFY2(ls.err.count('\n') == 1 && ls.err.contains("no such dir"), ls.err.constData());

    QTemporaryDir local;
    const Run down = gpuwb({u"cp"_s, remote(missing + u"/file"_s), local.path()});
    QCOMPARE(down.exitCode, 66);
    QVERIFY2(down.err.count('\n') == 1 && down.err.contains("no such dir"), down.err.constData());
    QVERIFY(QDir(local.path()).isEmpty());

    QVERIFY(writeFile(local.filePath(u"f"_s), "x"));
    const Run up = gpuwb({u"cp"_s, local.filePath(u"f"_s), remote(missing + u"/f"_s)});
    QCOMPARE(up.exitCode, 66);
    QVERIFY2(up.err.count('\n') == 1 && up.err.contains("no such dir"), up.err.constData());
}

QProcess *tst_CliSsh::startOnTerminal(const QStringList &arguments, int *master,
                                      bool stderrToo)
{
    int slave = -1;
    if (::openpty(master, &slave, nullptr, nullptr, nullptr) != 0)
        return nullptr;
    ::fcntl(*master, F_SETFL, O_NONBLOCK);
    ::fcntl(*master, F_SETFD, FD_CLOEXEC);
    auto *process = new QProcess(this);
    process->setProcessEnvironment(m_env);
    process->setWorkingDirectory(m_work.filePath(u"cwd"_s));
    process->setStandardInputFile(QProcess::nullDevice());
    process->setChildProcessModifier([slave, stderrToo] {
        ::setsid();
        ::ioctl(slave, TIOCSCTTY, 0);
        if (stderrToo)
            ::dup2(slave, STDERR_FILENO);
    });
    process->start(qEnvironmentVariable("GPUWB_GPUWB"), arguments);
    ::close(slave);
    return process;
}

bool tst_CliSsh::waitForTerminal(int master, QProcess *process, const QByteArray &text,
                                 QByteArray *seen)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 60000) {
        char buffer[4096];
        const ssize_t n = ::read(master, buffer, sizeof buffer);
        if (n > 0)
            seen->append(buffer, n);
        if (seen->contains(text))
            return true;
        if (n <= 0 && process->state() == QProcess::NotRunning)
            return false;
        if (n <= 0)
            QTest::qWait(20);
    }
    return false;
}

void tst_CliSsh::terminalAcceptsUnknownHostKey()
{
    const QString knownHosts = m_server.clientSshDir() + u"/known_hosts"_s;
    QVERIFY(writeFile(knownHosts, QByteArray()));
    const QString dir = m_server.makeRemoteScratchDir();
    QVERIFY(writeFile(dir + u"/seen.txt"_s, "x"));
    int master = -1;
    std::unique_ptr<QProcess> process(startOnTerminal({u"ls"_s, remote(dir)}, &master));
    QVERIFY(process);
    QByteArray seen;
    const bool asked = waitForTerminal(master, process.get(), "(yes/no)? ", &seen);
    if (asked)
        QVERIFY(::write(master, "yes\n", 4) == 4);
    const bool finished = process->waitForFinished(60000);
    ::close(master);
    const QByteArray written = [&] {
        QFile file(knownHosts);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }();
    QVERIFY(writeFile(knownHosts, m_server.knownHostsLine() + '\n'));
    QVERIFY2(asked, (seen + process->readAllStandardError()).constData());
    QVERIFY(seen.contains(m_server.hostKeyFingerprint().toUtf8()));
    QVERIFY(seen.contains("[127.0.0.1]:" + QByteArray::number(m_server.port())));
    QVERIFY(finished);
    QCOMPARE(process->exitCode(), 0);
    QCOMPARE(process->readAllStandardOutput(), QByteArray("seen.txt\n"));
    // Accepted once, remembered: the key is in known_hosts now.
    const QByteArray key = m_server.knownHostsLine().split(' ').value(2);
    QVERIFY2(!key.isEmpty() && written.contains(key), written.constData());
}

void tst_CliSsh::terminalDeclinesUnknownHostKey()
{
    const QString knownHosts = m_server.clientSshDir() + u"/known_hosts"_s;
    QVERIFY(writeFile(knownHosts, QByteArray()));
    int master = -1;
    std::unique_ptr<QProcess> process(startOnTerminal({u"ls"_s, remote(u"/"_s)}, &master));
    QVERIFY(process);
    QByteArray seen;
    const bool asked = waitForTerminal(master, process.get(), "(yes/no)? ", &seen);
    if (asked) {
        QVERIFY(::write(master, "maybe\n", 6) == 6);
        waitForTerminal(master, process.get(), "Please type 'yes' or 'no'", &seen);
        QVERIFY(::write(master, "no\n", 3) == 3);
    }
    const bool finished = process->waitForFinished(60000);
    ::close(master);
    const QByteArray written = [&] {
        QFile file(knownHosts);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }();
    QVERIFY(writeFile(knownHosts, m_server.knownHostsLine() + '\n'));
    QVERIFY2(asked, seen.constData());
    QVERIFY(seen.contains("Please type 'yes' or 'no'"));
    QVERIFY(finished);
    QCOMPARE(process->exitCode(), 77);
    const QByteArray err = process->readAllStandardError();
    QVERIFY2(err.startsWith("gpuwb: ") && err.count('\n') == 1, err.constData());
    QVERIFY(written.isEmpty());
}

void tst_CliSsh::terminalAsksPasswordWithoutEcho()
{
    m_server.appendClientConfig(u"\nHost gpuwb-password\n    HostName 127.0.0.1\n    Port %1\n"
                                "    User %2\n    PubkeyAuthentication no\n"_s
                                    .arg(m_server.port())
                                    .arg(SshdServer::userName()));
    QVERIFY(writeFile(m_server.clientSshDir() + u"/known_hosts"_s,
                      m_server.knownHostsLine() + '\n'));
    int master = -1;
    std::unique_ptr<QProcess> process(startOnTerminal({u"ls"_s, u"gpuwb-password:/"_s}, &master));
    QVERIFY(process);
    QByteArray seen;
    const bool asked = waitForTerminal(master, process.get(), "password: ", &seen);
    const QByteArray password = SshdServer::password().toUtf8();
    if (asked)
        QVERIFY(::write(master, (password + '\n').constData(), size_t(password.size() + 1)) > 0);
    const bool finished = process->waitForFinished(60000);
    QTest::qWait(100);
    waitForTerminal(master, process.get(), "\x01never", &seen); // whatever was echoed
    ::close(master);
    QVERIFY2(asked, (seen + process->readAllStandardError()).constData());
    QVERIFY(finished);
    QVERIFY2(process->exitCode() == 0, process->readAllStandardError().constData());
    QVERIFY(process->readAllStandardOutput().split('\n').contains("home"));
    QVERIFY2(!seen.contains(password), seen.constData()); // typed with echo off
}

void tst_CliSsh::terminalShowsProgress()
{
    const QString dir = m_server.makeRemoteScratchDir();
    QTemporaryDir local;
    const QByteArray source = QFile::encodeName(local.filePath(u"sparse.bin"_s));
    const int fd = ::open(source.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    QVERIFY(fd >= 0);
    QVERIFY(::ftruncate(fd, qint64(256) << 20) == 0);
    ::close(fd);
    int master = -1;
    std::unique_ptr<QProcess> process(
        startOnTerminal({u"cp"_s, QFile::decodeName(source), remote(dir)}, &master, true));
    QVERIFY(process);
    QByteArray seen;
    waitForTerminal(master, process.get(), "\x01never", &seen); // everything until it ends
    ::close(master);
    QVERIFY(process->state() == QProcess::NotRunning || process->waitForFinished(60000));
    QVERIFY2(process->exitCode() == 0, seen.constData());
    QCOMPARE(QFileInfo(dir + u"/sparse.bin"_s).size(), qint64(256) << 20);
    // Redrawn in place on stderr, cleared at the end.
    QVERIFY2(seen.contains("MB/s") && seen.contains("%"), seen.constData());
    QVERIFY2(seen.endsWith("\r\x1b[K"), seen.toHex().right(40).constData());
}

QTEST_GUILESS_MAIN(tst_CliSsh)
#include "tst_clissh.moc"
