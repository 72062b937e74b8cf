#include "helpers/testaccounts.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QThread>

#include <pwd.h>
#include <shadow.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb::test {

namespace {

constexpr int kToolTimeoutMs = 30000;

} // namespace

void setError(QString *error, const QString &message)
{
    if (error)
        *error = message;
}

bool runTool(const QString &program, const QStringList &args, QString *error,
             const QProcessEnvironment &env, QByteArray *output, const QByteArray &input)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (!env.isEmpty())
        p.setProcessEnvironment(env);
    p.start(program, args);
    if (!p.waitForStarted(kToolTimeoutMs)) {
        setError(error, u"cannot run %1: %2"_s.arg(program, p.errorString()));
        return false;
    }
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(kToolTimeoutMs)) {
        p.kill();
        p.waitForFinished(1000);
        setError(error, u"%1 did not finish"_s.arg(program));
        return false;
    }
    const QByteArray out = p.readAll();
    if (output)
        *output = out;
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        setError(error, u"%1 %2 failed (exit %3): %4"_s.arg(program, args.join(u' '))
                            .arg(p.exitCode())
                            .arg(QString::fromLocal8Bit(out).trimmed()));
        return false;
    }
    return true;
}

namespace {

// The rc files that make an account's login shell print on every command, replaced whole
// (through a rename, so a concurrent test never reads half of one).
bool writeRcFiles(SshdServer::Account account, const QString &home, const passwd *pw,
                  QString *error)
{
    QList<std::pair<QString, QByteArray>> files;
    switch (account) {
    case SshdServer::Account::Plain:
    case SshdServer::Account::NoHome: return true;
    case SshdServer::Account::BashBanner:
        files.append({u".bashrc"_s,
                      "# gpuwb test host: chatty on non-interactive commands, private umask\n"
                      "printf 'Welcome!\\nQuota:93%%used'\n"
                      "echo 'banner on stderr' >&2\numask 077\n"});
        break;
    case SshdServer::Account::Tcsh:
        files.append({u".tcshrc"_s, "echo 'tcsh banner: module load cuda/12'\n"});
        break;
    case SshdServer::Account::Fish:
        files.append({u".config/fish/config.fish"_s, "echo 'fish banner: welcome'\n"});
        break;
    }
    for (const auto &[name, text] : files) {
        const QString path = home + u'/' + name;
        const QString dir = QFileInfo(path).absolutePath();
        QDir().mkpath(dir);
        for (QString d = dir; d.startsWith(home) && d != home; d = QFileInfo(d).absolutePath())
            (void)::chown(QFile::encodeName(d).constData(), pw->pw_uid, pw->pw_gid);
        const QString temporary = path + u".tmp"_s + QString::number(::getpid());
        QFile f(temporary);
        if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size()) {
            setError(error, u"cannot write "_s + temporary);
            return false;
        }
        f.close();
        if (::chown(QFile::encodeName(temporary).constData(), pw->pw_uid, pw->pw_gid) != 0
            || ::rename(QFile::encodeName(temporary).constData(),
                        QFile::encodeName(path).constData()) != 0) {
            setError(error, u"cannot place "_s + path);
            return false;
        }
    }
    return true;
}

} // namespace

bool ensureAccount(SshdServer::Account account, QString *error)
{
    const QString user = SshdServer::userFor(account);
    const QString shell = SshdServer::loginShellFor(account);
    if (::access(QFile::encodeName(shell).constData(), X_OK) != 0) {
        setError(error, u"the login shell %1 is missing (scripts/bootstrap installs it)"_s.arg(
                            shell));
        return false;
    }
    const QByteArray user8 = user.toLocal8Bit();
    // A concurrent test may be creating the user (useradd then fails on the existing name or
    // on the passwd lock): look again after a failure, and try again a few times.
    for (int attempt = 0; !::getpwnam(user8.constData()); ++attempt) {
        QString useraddError;
        const QString makeHome = account == SshdServer::Account::NoHome ? u"-M"_s : u"-m"_s;
        if (runTool(u"useradd"_s, {makeHome, u"-d"_s, u"/home/"_s + user, u"-s"_s, shell, user},
                    &useraddError)) {
            continue;
        }
        if (attempt >= 10) {
            setError(error, useraddError);
            return false;
        }
        QThread::msleep(300);
    }
    // A new account is locked ("!") until it has a password, and sshd refuses a locked account
    // even for keys. chpasswd may collide with a concurrent one on the shadow lock: retry.
    for (int attempt = 0;; ++attempt) {
        const spwd *sp = ::getspnam(user8.constData());
        const QByteArray hash = sp && sp->sp_pwdp ? QByteArray(sp->sp_pwdp) : QByteArray();
        if (!hash.isEmpty() && !hash.startsWith('!') && !hash.startsWith('*'))
            break;
        QString chpasswdError;
        const QByteArray line = (user + u':' + SshdServer::password() + u'\n').toLocal8Bit();
        if (runTool(u"chpasswd"_s, {}, &chpasswdError, {}, nullptr, line))
            break;
        if (attempt >= 5) {
            setError(error, chpasswdError);
            return false;
        }
        QThread::msleep(200);
    }
    const passwd *pw = ::getpwnam(user8.constData());
    if (!pw) {
        setError(error, u"user %1 vanished"_s.arg(user));
        return false;
    }
    const QString home = u"/home/"_s + user;
    if (account == SshdServer::Account::NoHome) {
        if (QFileInfo::exists(home)) {
            setError(error, u"%1 exists; the account must have no home"_s.arg(home));
            return false;
        }
        return true;
    }
    if (!QFileInfo::exists(home))
        QDir().mkpath(home);
    // Two tests creating the user at once can leave the home with the uid of the useradd that
    // lost the race: the home is the user's, always.
    struct stat st;
    if (::stat(QFile::encodeName(home).constData(), &st) != 0
        || ((st.st_uid != pw->pw_uid || st.st_gid != pw->pw_gid)
            && ::chown(QFile::encodeName(home).constData(), pw->pw_uid, pw->pw_gid) != 0)) {
        setError(error, u"cannot chown %1"_s.arg(home));
        return false;
    }
    return writeRcFiles(account, home, pw, error);
}

QString SshdServer::userFor(Account account)
{
    switch (account) {
    case Account::Plain: break;
    case Account::BashBanner: return u"gpuwbbash"_s;
    case Account::Tcsh: return u"gpuwbtcsh"_s;
    case Account::Fish: return u"gpuwbfish"_s;
    case Account::NoHome: return u"gpuwbnohome"_s;
    }
    return userName();
}

QString SshdServer::loginShellFor(Account account)
{
    switch (account) {
    case Account::Plain:
    case Account::NoHome: break;
    case Account::BashBanner: return u"/bin/bash"_s;
    case Account::Tcsh: return u"/usr/bin/tcsh"_s;
    case Account::Fish: return u"/usr/bin/fish"_s;
    }
    return u"/bin/sh"_s;
}

} // namespace gpuwb::test
