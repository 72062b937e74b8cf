#include "helpers/sshdserver.h"

#include "helpers/testaccounts.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QProcessEnvironment>
#include <QSet>
#include <QThread>

#include <arpa/inet.h>
#include <ftw.h>
#include <cerrno>
#include <csignal>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb::test {

namespace {

constexpr int kToolTimeoutMs = 30000;
constexpr int kStartTimeoutMs = 15000;
constexpr int kPortAttempts = 8;

bool writeFile(const QString &path, const QByteArray &data, QFile::Permissions perms,
               QString *error, QIODevice::OpenMode extra = {})
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | extra) || f.write(data) != data.size()) {
        setError(error, u"cannot write %1: %2"_s.arg(path, f.errorString()));
        return false;
    }
    f.close();
    f.setPermissions(perms);
    return true;
}

// The kernel picks a free port; sshd binds it a moment later (a collision is retried).
int pickFreePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
}

bool portAccepts(int port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(quint16(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// pid -> (ppid, state) for every process, from /proc/<pid>/stat. The command name may hold
// spaces and parentheses, so the fields are read after the last ')'.
struct ProcInfo
{
    qint64 ppid = 0;
    char state = '?';
};

bool readProc(qint64 pid, ProcInfo *info)
{
    QFile f(u"/proc/%1/stat"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return false;
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    if (fields.size() < 2 || fields[0].isEmpty())
        return false;
    info->state = fields[0].at(0);
    info->ppid = fields[1].toLongLong();
    return true;
}

QList<qint64> descendantsOf(qint64 root)
{
    QHash<qint64, QList<qint64>> children;
    const QStringList entries = QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        bool isPid = false;
        const qint64 pid = e.toLongLong(&isPid);
        ProcInfo info;
        if (isPid && readProc(pid, &info))
            children[info.ppid].append(pid);
    }
    QList<qint64> result;
    QList<qint64> queue{root};
    while (!queue.isEmpty()) {
        const qint64 p = queue.takeFirst();
        for (qint64 c : children.value(p)) {
            result.append(c);
            queue.append(c);
        }
    }
    return result;
}

bool isGone(qint64 pid)
{
    ProcInfo info;
    return !readProc(pid, &info) || info.state == 'Z' || info.state == 'X';
}

// SIGSTOPs the whole tree below `root` (re-scanning until no new process appears, so nothing
// forks or is reparented away while we look), then SIGKILLs all of it and waits until it is gone.
void killDescendants(qint64 root)
{
    QSet<qint64> frozen;
    for (int round = 0; round < 20; ++round) {
        bool found = false;
        for (qint64 pid : descendantsOf(root)) {
            if (!frozen.contains(pid)) {
                ::kill(pid_t(pid), SIGSTOP);
                frozen.insert(pid);
                found = true;
            }
        }
        if (!found)
            break;
    }
    for (qint64 pid : std::as_const(frozen))
        ::kill(pid_t(pid), SIGKILL);
    ::kill(pid_t(root), SIGCONT); // the listener reaps its children
    QDeadlineTimer deadline(10000);
    for (qint64 pid : std::as_const(frozen)) {
        while (!isGone(pid) && !deadline.hasExpired())
            QThread::msleep(10);
    }
}

// Kills the child when the test process dies, so a crashed test leaves no sshd behind.
void dieWithParent()
{
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
}

// PerSourcePenalties exists from OpenSSH 9.8 on; an older sshd rejects the keyword.
bool hasPerSourcePenalties()
{
    static const bool has = [] {
        QByteArray out;
        runTool(u"ssh"_s, {u"-V"_s}, nullptr, {}, &out);
        const qsizetype at = out.indexOf("OpenSSH_");
        if (at < 0)
            return true;
        const QList<QByteArray> version = out.mid(at + 8).split('.');
        const int major = version.value(0).toInt();
        int minor = 0;
        for (char c : version.value(1)) {
            if (c < '0' || c > '9')
                break;
            minor = minor * 10 + (c - '0');
        }
        return major > 9 || (major == 9 && minor >= 8);
    }();
    return has;
}

// Removes a tree by its bytes: tests leave names that are not valid UTF-8, which a QString
// path (QDir::removeRecursively) cannot name.
void removeTree(const QString &dir)
{
    const auto removeOne = [](const char *path, const struct stat *, int, struct FTW *) {
        ::remove(path);
        return 0;
    };
    ::nftw(QFile::encodeName(dir).constData(), removeOne, 32, FTW_DEPTH | FTW_PHYS);
}

} // namespace

SshdServer::SshdServer() : SshdServer(Options{}) {}

SshdServer::SshdServer(Options options) : m_options(std::move(options)) {}

SshdServer::~SshdServer()
{
    stop();
    for (const QString &dir : std::as_const(m_scratchDirs))
        removeTree(dir);
}

QString SshdServer::clientHome() const
{
    return m_dir ? m_dir->filePath(u"client"_s) : QString();
}

QString SshdServer::clientSshDir() const
{
    return clientHome() + u"/.ssh"_s;
}

QString SshdServer::plainKeyPath() const
{
    return clientSshDir() + u"/id_plain"_s;
}

QString SshdServer::secretKeyPath() const
{
    return clientSshDir() + u"/id_secret"_s;
}

QString SshdServer::clientConfigPath() const
{
    return clientSshDir() + u"/config"_s;
}

QString SshdServer::serverDir() const
{
    return m_dir ? m_dir->filePath(u"server"_s) : QString();
}

QString SshdServer::sshdConfigPath() const
{
    return serverDir() + u"/sshd_config"_s;
}

QString SshdServer::hostKeyPath() const
{
    return serverDir() + u"/ssh_host_ed25519_key"_s;
}

QString SshdServer::logPath() const
{
    return serverDir() + u"/sshd.log"_s;
}

qint64 SshdServer::pid() const
{
    return m_sshd ? m_sshd->processId() : 0;
}

QString SshdServer::hostKeyFingerprint() const
{
    return m_hostFingerprint;
}

QByteArray SshdServer::knownHostsLine() const
{
    return "[127.0.0.1]:" + QByteArray::number(m_port) + ' ' + m_hostPublicKey;
}

QString SshdServer::log() const
{
    QFile f(logPath());
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromLocal8Bit(f.readAll());
}

void SshdServer::appendClientConfig(const QString &text)
{
    QString block = u"\n"_s + text;
    if (!block.endsWith(u'\n'))
        block += u'\n';
    writeFile(clientConfigPath(), block.toUtf8(), QFile::ReadOwner | QFile::WriteOwner
                  | QFile::ReadGroup | QFile::ReadOther, nullptr, QIODevice::Append);
}

QString SshdServer::makeRemoteScratchDir()
{
    QByteArray templ = QFile::encodeName(userHome()) + "/gpuwb-scratch-XXXXXX";
    if (!::mkdtemp(templ.data()))
        return {};
    const passwd *pw = ::getpwnam(user().toLocal8Bit().constData());
    if (!pw || ::chown(templ.constData(), pw->pw_uid, pw->pw_gid) != 0
        || ::chmod(templ.constData(), 0755) != 0) {
        ::rmdir(templ.constData());
        return {};
    }
    const QString dir = QFile::decodeName(templ);
    m_scratchDirs.append(dir);
    return dir;
}

QString SshdServer::makeUserBinDir()
{
    const QString dir = makeRemoteScratchDir();
    if (dir.isEmpty())
        return {};
    m_userBinDir = dir;
    if (m_sshd) {
        stop();
        QString error;
        if (!start(&error)) {
            qWarning("sshd fixture: restart for the bin dir failed: %s", qPrintable(error));
            return {};
        }
    }
    return dir;
}

bool SshdServer::generateHostKey(QString *error)
{
    QFile::remove(hostKeyPath());
    QFile::remove(hostKeyPath() + u".pub"_s);
    if (!runTool(u"ssh-keygen"_s, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, QString(),
                                   u"-C"_s, u"gpuwb-test-host"_s, u"-f"_s, hostKeyPath()},
                 error)) {
        return false;
    }
    QFile pub(hostKeyPath() + u".pub"_s);
    if (!pub.open(QIODevice::ReadOnly)) {
        setError(error, u"cannot read the host public key"_s);
        return false;
    }
    const QList<QByteArray> fields = pub.readAll().simplified().split(' ');
    if (fields.size() < 2) {
        setError(error, u"malformed host public key"_s);
        return false;
    }
    m_hostPublicKey = fields[0] + ' ' + fields[1];
    QByteArray out;
    if (!runTool(u"ssh-keygen"_s, {u"-l"_s, u"-E"_s, u"sha256"_s, u"-f"_s, pub.fileName()},
                 error, {}, &out)) {
        return false;
    }
    const QList<QByteArray> fp = out.simplified().split(' ');
    if (fp.size() < 2 || !fp[1].startsWith("SHA256:")) {
        setError(error, u"unexpected ssh-keygen -l output: "_s + QString::fromLocal8Bit(out));
        return false;
    }
    m_hostFingerprint = QString::fromLatin1(fp[1]);
    return true;
}

bool SshdServer::writeSshdConfig(QString *error)
{
    const auto yesNo = [](bool b) { return b ? u"yes"_s : u"no"_s; };
    // sshd keeps the first value it reads for a keyword, so the extra settings go first to
    // override ours; a Match block must stay last, so from the first Match line on they follow.
    QString extraTop;
    QString extraMatch;
    bool inMatch = false;
    for (const QString &line : m_options.extraConfig.split(u'\n')) {
        if (line.trimmed().startsWith(u"Match"_s, Qt::CaseInsensitive))
            inMatch = true;
        (inMatch ? extraMatch : extraTop) += line + u'\n';
    }
    QString c;
    c += extraTop;
    if (!m_userBinDir.isEmpty())
        c += u"SetEnv PATH=%1:/usr/local/bin:/usr/bin:/bin\n"_s.arg(m_userBinDir);
    c += u"ListenAddress 127.0.0.1\nPort %1\n"_s.arg(m_port);
    c += u"HostKey %1\n"_s.arg(hostKeyPath());
    c += u"PidFile none\nStrictModes no\n"_s;
    c += u"AuthorizedKeysFile %1/authorized_keys\n"_s.arg(serverDir());
    c += u"AllowUsers %1\nPermitRootLogin no\n"_s.arg(user());
    c += u"PubkeyAuthentication %1\n"_s.arg(yesNo(m_options.publicKeyAuth));
    c += u"PasswordAuthentication %1\n"_s.arg(yesNo(m_options.passwordAuth));
    c += u"KbdInteractiveAuthentication %1\n"_s.arg(yesNo(m_options.kbdInteractiveAuth));
    // Without PAM, sshd offers no keyboard-interactive device on Linux; PAM is only turned on
    // when it is needed so that the other tests do not run the session stack on every login.
    c += u"UsePAM %1\n"_s.arg(yesNo(m_options.kbdInteractiveAuth));
    c += u"PermitEmptyPasswords no\nUseDNS no\nX11Forwarding no\nPrintMotd no\n"_s;
    c += u"Subsystem sftp internal-sftp\n"_s;
    c += u"LogLevel VERBOSE\n"_s;
    // Tests connect often and fail on purpose; OpenSSH 9.8+ would otherwise penalise 127.0.0.1.
    c += u"MaxStartups 100\nMaxSessions 50\nMaxAuthTries 20\n"_s;
    if (hasPerSourcePenalties())
        c += u"PerSourcePenalties no\n"_s;
    c += u"LoginGraceTime 60\nClientAliveInterval 0\n"_s;
    c += extraMatch;
    return writeFile(sshdConfigPath(), c.toUtf8(), QFile::ReadOwner | QFile::WriteOwner, error);
}

bool SshdServer::writeClientConfig(QString *error)
{
    QString c;
    c += u"Host %1\n"_s.arg(alias());
    c += u"    HostName 127.0.0.1\n"_s;
    c += u"    Port %1\n"_s.arg(m_port);
    c += u"    User %1\n"_s.arg(user());
    c += u"    IdentityFile %1\n"_s.arg(plainKeyPath());
    return writeFile(clientConfigPath(), c.toUtf8(), QFile::ReadOwner | QFile::WriteOwner
                         | QFile::ReadGroup | QFile::ReadOther, error);
}

bool SshdServer::prepare(QString *error)
{
    if (::geteuid() != 0) {
        setError(error, u"the sshd fixture needs root (run the tests through scripts/in-root)"_s);
        return false;
    }
    for (const char *tool : {"/usr/sbin/sshd", "/usr/bin/ssh-keygen"}) {
        if (::access(tool, X_OK) != 0) {
            setError(error, u"%1 is missing"_s.arg(QString::fromLatin1(tool)));
            return false;
        }
    }
    if (!ensureAccount(m_options.account, error))
        return false;
    QDir().mkpath(u"/run/sshd"_s); // privilege separation directory

    m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + u"/gpuwb-sshd-XXXXXX"_s);
    if (!m_dir->isValid()) {
        setError(error, u"cannot create a temporary directory: "_s + m_dir->errorString());
        return false;
    }
    // The test user reads authorized_keys here (sshd opens it with the user's uid).
    ::chmod(QFile::encodeName(m_dir->path()).constData(), 0755);
    QDir().mkpath(serverDir());
    QDir().mkpath(clientSshDir());
    ::chmod(QFile::encodeName(serverDir()).constData(), 0755);
    ::chmod(QFile::encodeName(clientSshDir()).constData(), 0700);

    if (!generateHostKey(error))
        return false;
    QByteArray authorized;
    const QList<std::pair<QString, QString>> keys{{plainKeyPath(), QString()},
                                                  {secretKeyPath(), keyPassphrase()}};
    for (const auto &[path, passphrase] : keys) {
        const QString name = QFileInfo(path).fileName();
        if (!runTool(u"ssh-keygen"_s, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, passphrase,
                                       u"-C"_s, u"gpuwb-test-"_s + name, u"-f"_s, path},
                     error)) {
            return false;
        }
        QFile pub(path + u".pub"_s);
        if (!pub.open(QIODevice::ReadOnly)) {
            setError(error, u"cannot read %1"_s.arg(pub.fileName()));
            return false;
        }
        authorized += pub.readAll().trimmed() + '\n';
    }
    if (!writeFile(serverDir() + u"/authorized_keys"_s, authorized,
                   QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther,
                   error)
        || !writeFile(clientSshDir() + u"/known_hosts"_s, {},
                      QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther,
                      error)) {
        return false;
    }
    m_prepared = true;
    return true;
}

bool SshdServer::launch(QString *error, bool *portTaken)
{
    *portTaken = false;
    if (!writeSshdConfig(error))
        return false;
    const qint64 logStart = QFileInfo(logPath()).size();
    m_sshd = std::make_unique<QProcess>();
    m_sshd->setProcessChannelMode(QProcess::MergedChannels);
    // A file, not a pipe: a test that blocks its event loop must never stall sshd on a full pipe.
    m_sshd->setStandardOutputFile(logPath(), QIODevice::Append);
    m_sshd->setStandardInputFile(QProcess::nullDevice());
    m_sshd->setChildProcessModifier(dieWithParent);
    m_sshd->start(u"/usr/sbin/sshd"_s, {u"-D"_s, u"-e"_s, u"-f"_s, sshdConfigPath()});
    if (!m_sshd->waitForStarted(kToolTimeoutMs)) {
        setError(error, u"cannot start sshd: "_s + m_sshd->errorString());
        m_sshd.reset();
        return false;
    }
    const QByteArray ready = "Server listening on 127.0.0.1 port " + QByteArray::number(m_port);
    QDeadlineTimer deadline(kStartTimeoutMs);
    while (!deadline.hasExpired()) {
        // Doubles as the sleep between polls and notices an early exit.
        if (m_sshd->waitForFinished(25))
            break;
        QFile f(logPath());
        if (f.open(QIODevice::ReadOnly) && f.seek(logStart) && f.readAll().contains(ready)
            && portAccepts(m_port)) {
            return true;
        }
    }
    QFile f(logPath());
    QByteArray tail;
    if (f.open(QIODevice::ReadOnly) && f.seek(logStart))
        tail = f.readAll();
    const bool exited = m_sshd->state() == QProcess::NotRunning;
    *portTaken = exited
                 && (tail.contains("Address already in use")
                     || tail.contains("Cannot bind any address"));
    setError(error, (exited ? u"sshd exited (code %1): "_s.arg(m_sshd->exitCode())
                            : u"sshd did not listen on port %1 within %2 s: "_s.arg(m_port)
                                  .arg(kStartTimeoutMs / 1000))
                        + QString::fromLocal8Bit(tail).trimmed());
    stopProcesses(false);
    return false;
}

bool SshdServer::start(QString *error)
{
    if (m_sshd)
        return true;
    if (!m_prepared && !prepare(error))
        return false;
    const bool keepPort = m_port != 0;
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
        if (!keepPort)
            m_port = pickFreePort();
        if (m_port == 0) {
            setError(error, u"no free port on 127.0.0.1"_s);
            return false;
        }
        bool portTaken = false;
        if (launch(error, &portTaken)) {
            // Written once the port is final, and kept across restarts (same port) so that
            // blocks a test appended stay.
            if (m_clientConfigPort != m_port) {
                if (!writeClientConfig(error)) {
                    stop();
                    return false;
                }
                m_clientConfigPort = m_port;
            }
            return true;
        }
        if (!portTaken)
            return false;
        if (keepPort)
            QThread::msleep(250); // the same port is wanted: give its holder time to let go
    }
    return false;
}

bool SshdServer::restartWithNewHostKey(QString *error)
{
    if (!m_prepared) {
        setError(error, u"the server was never started"_s);
        return false;
    }
    stop();
    if (!generateHostKey(error))
        return false;
    return start(error);
}

void SshdServer::stopProcesses(bool keepListener)
{
    if (!m_sshd)
        return;
    const qint64 root = m_sshd->processId();
    if (root > 0) {
        // Hold the listener still so that it forks no new session while the tree is killed.
        ::kill(pid_t(root), SIGSTOP);
        killDescendants(root);
        ::kill(pid_t(root), SIGCONT);
    }
    if (keepListener)
        return;
    if (m_sshd->state() != QProcess::NotRunning) {
        m_sshd->terminate();
        if (!m_sshd->waitForFinished(5000)) {
            m_sshd->kill();
            m_sshd->waitForFinished(5000);
        }
    }
    m_sshd.reset();
}

void SshdServer::stop()
{
    stopProcesses(false);
}

void SshdServer::killSessions()
{
    stopProcesses(true);
}

// --- SshAgent ---

SshAgent::SshAgent() = default;

SshAgent::~SshAgent()
{
    if (m_agent && m_agent->state() != QProcess::NotRunning) {
        m_agent->terminate();
        if (!m_agent->waitForFinished(5000)) {
            m_agent->kill();
            m_agent->waitForFinished(5000);
        }
    }
}

QString SshAgent::socketPath() const
{
    return m_dir ? m_dir->filePath(u"agent.sock"_s) : QString();
}

qint64 SshAgent::pid() const
{
    return m_agent ? m_agent->processId() : 0;
}

bool SshAgent::start(QString *error)
{
    if (m_agent)
        return true;
    m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + u"/gpuwb-agent-XXXXXX"_s);
    if (!m_dir->isValid()) {
        setError(error, u"cannot create a temporary directory: "_s + m_dir->errorString());
        return false;
    }
    // Prints the passphrase from the environment, so it never lands on disk. It answers once
    // per ssh-add: ssh-add asks again after a wrong passphrase, and a failed askpass stops it.
    if (!writeFile(m_dir->filePath(u"askpass"_s),
                   "#!/bin/sh\n"
                   "[ -e \"$GPUWB_TEST_ASKPASS_ONCE\" ] && exit 1\n"
                   ": > \"$GPUWB_TEST_ASKPASS_ONCE\"\n"
                   "printf '%s\\n' \"$GPUWB_TEST_ASKPASS_SECRET\"\n",
                   QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner, error)) {
        return false;
    }
    m_agent = std::make_unique<QProcess>();
    m_agent->setProcessChannelMode(QProcess::MergedChannels);
    m_agent->setStandardOutputFile(m_dir->filePath(u"agent.log"_s));
    m_agent->setStandardInputFile(QProcess::nullDevice());
    m_agent->setChildProcessModifier(dieWithParent);
    m_agent->start(u"ssh-agent"_s, {u"-D"_s, u"-a"_s, socketPath()});
    if (!m_agent->waitForStarted(kToolTimeoutMs)) {
        setError(error, u"cannot start ssh-agent: "_s + m_agent->errorString());
        m_agent.reset();
        return false;
    }
    QDeadlineTimer deadline(kStartTimeoutMs);
    while (!deadline.hasExpired()) {
        if (m_agent->waitForFinished(25))
            break;
        struct stat st{};
        if (::stat(QFile::encodeName(socketPath()).constData(), &st) == 0 && S_ISSOCK(st.st_mode))
            return true;
    }
    QFile log(m_dir->filePath(u"agent.log"_s));
    log.open(QIODevice::ReadOnly);
    setError(error, u"ssh-agent did not come up: "_s + QString::fromLocal8Bit(log.readAll()));
    return false;
}

bool SshAgent::add(const QString &keyPath, const QString &passphrase, QString *error)
{
    if (!m_agent) {
        setError(error, u"the agent is not running"_s);
        return false;
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"SSH_AUTH_SOCK"_s, socketPath());
    env.remove(u"DISPLAY"_s);
    const QString once = m_dir->filePath(u"askpass-%1.asked"_s.arg(++m_adds));
    if (!passphrase.isEmpty()) {
        env.insert(u"SSH_ASKPASS"_s, m_dir->filePath(u"askpass"_s));
        env.insert(u"SSH_ASKPASS_REQUIRE"_s, u"force"_s);
        env.insert(u"GPUWB_TEST_ASKPASS_SECRET"_s, passphrase);
        env.insert(u"GPUWB_TEST_ASKPASS_ONCE"_s, once);
    } else {
        env.insert(u"SSH_ASKPASS_REQUIRE"_s, u"never"_s);
    }
    const bool ok = runTool(u"ssh-add"_s, {keyPath}, error, env);
    QFile::remove(once);
    return ok;
}

} // namespace gpuwb::test
