// The test users of SshdServer (hosts as they are, issue 10): each account's name, login
// shell and the rc file that makes the shell chatty.
#include "helpers/sshdaccounts.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb::test {

namespace {

struct AccountSetup
{
    const char *user;
    const char *shell;
    const char *rcFile; // below the home; nullptr for none
    const char *rcText;
};

AccountSetup setupOf(SshdServer::Account account)
{
    switch (account) {
    case SshdServer::Account::Plain: break;
    case SshdServer::Account::BashBanner:
        return {"gpuwbbash", "/bin/bash", ".bashrc",
                "# gpuwb test host: chatty on non-interactive commands, private umask\n"
                "printf 'Welcome!\\nQuota:93%%used'\n"
                "echo 'banner on stderr' >&2\numask 077\n"};
    case SshdServer::Account::Tcsh:
        return {"gpuwbtcsh", "/usr/bin/tcsh", ".tcshrc",
                "echo 'tcsh banner: module load cuda/12'\n"};
    case SshdServer::Account::Fish:
        return {"gpuwbfish", "/usr/bin/fish", ".config/fish/config.fish",
                "echo 'fish banner: welcome'\n"};
    }
    return {"gpuwbtest", "/bin/sh", nullptr, nullptr};
}

} // namespace

QString SshdServer::userFor(Account account)
{
    return QString::fromLatin1(setupOf(account).user);
}

QString SshdServer::loginShellFor(Account account)
{
    return QString::fromLatin1(setupOf(account).shell);
}

bool writeAccountRcFiles(SshdServer::Account account, const QString &home, uid_t uid,
                         gid_t gid, QString *error)
{
    const AccountSetup setup = setupOf(account);
    if (!setup.rcFile)
        return true;
    const QString path = home + u'/' + QString::fromLatin1(setup.rcFile);
    const QString dir = QFileInfo(path).absolutePath();
    QDir().mkpath(dir);
    for (QString d = dir; d.startsWith(home) && d != home; d = QFileInfo(d).absolutePath())
        (void)::chown(QFile::encodeName(d).constData(), uid, gid);
    const QString temporary = path + u".tmp"_s + QString::number(::getpid());
    const QByteArray text(setup.rcText);
    QFile f(temporary);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size()) {
        *error = u"cannot write "_s + temporary;
        return false;
    }
    f.close();
    if (::chown(QFile::encodeName(temporary).constData(), uid, gid) != 0
        || ::rename(QFile::encodeName(temporary).constData(), QFile::encodeName(path).constData())
            != 0) {
        *error = u"cannot place "_s + path;
        return false;
    }
    return true;
}

} // namespace gpuwb::test
