// Downloads trust the server less (issue 10, items 9 and 10): names from a folder listing are
// never joined to the destination unless they are one file name (a stand-in SFTP server,
// tests/helpers/sftp-standin, answers with "../../escape.txt" and the like), and modes from
// the server pass through the local umask without set-id bits, never loosening a folder that
// was there before.
#include "core/ssh/sshconnection.h"
#include "core/ssh/transfer.h"
#include "helpers/sshtest.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::SshdServer;

namespace {

constexpr int WaitMs = 120000;

quint32 modeOf(const QByteArray &path)
{
    struct stat st;
    return ::stat(path.constData(), &st) == 0 ? quint32(st.st_mode & 07777) : 0xFFFFu;
}

quint32 ownUmask()
{
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return 022;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("Umask:"))
            return line.mid(6).trimmed().toUInt(nullptr, 8);
    }
    return 022;
}

struct Outcome
{
    bool finished = false;
    Status status;
    QList<TransferFileError> errors;
};

bool runToEnd(Transfer *transfer, Outcome *outcome)
{
    QObject::connect(transfer, &Transfer::fileFailed, transfer,
                     [=](const TransferFileError &e) { outcome->errors.append(e); });
    QObject::connect(transfer, &Transfer::finished, transfer, [=](const Status &s) {
        outcome->finished = true;
        outcome->status = s;
    });
    transfer->start();
    return QTest::qWaitFor([&] { return outcome->finished; }, WaitMs);
}

bool chownToUser(const QByteArray &path, const QString &user)
{
    const passwd *pw = ::getpwnam(user.toLocal8Bit().constData());
    return pw && ::chown(path.constData(), pw->pw_uid, pw->pw_gid) == 0;
}

} // namespace

class TestTransferTrust : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void serverNamesStayInsideTheDestination()
    {
        const QString standIn = qEnvironmentVariable("GPUWB_SOURCE_DIR")
            + u"/tests/helpers/sftp-standin"_s;
        QVERIFY(QFileInfo::exists(standIn));
        SshdServer::Options options;
        options.extraConfig = u"Subsystem sftp /usr/bin/python3 "_s + standIn + u'\n';
        SshdServer server(options);
        GPUWB_START_SSHD(server);
        QVERIFY(test::useClientHome(server));
        SshConnection::Options o;
        o.connectTimeoutSeconds = 20;
        SshConnection connection(server.alias(), o);

        // dest is two levels down, so "../../escape.txt" would land in `outside`.
        QTemporaryDir outside;
        const QByteArray base = QFile::encodeName(outside.path());
        QVERIFY(QDir().mkpath(outside.filePath(u"a/b"_s)));
        Outcome out;
        Transfer download(&connection, Transfer::Direction::Download,
                          Location::remote(server.alias(), u"/data"_s),
                          Location::local(outside.filePath(u"a/b/dest"_s)));
        QVERIFY(runToEnd(&download, &out));
        QVERIFY2(out.status.ok(), qPrintable(out.status.errorMessage()));
        QCOMPARE(test::readOnDisk(base + "/a/b/dest/good.txt"), QByteArray("good\n"));
        QCOMPARE(test::readOnDisk(base + "/a/b/dest/inner/ok.txt"), QByteArray("ok\n"));
        // Nothing outside the destination, nothing with a name the server made up.
        for (const QByteArray &path :
             {base + "/escape.txt", base + "/a/escape.txt", base + "/a/b/escape.txt",
              base + "/a/b/dest/sub/evil", base + "/a/b/dest/sub", base + "/escape2.txt",
              base + "/a/b/dest/etc/passwd-copy", base + "/a/b/dest/etc"}) {
            QVERIFY2(::access(path.constData(), F_OK) != 0, path.constData());
        }
        QStringList reported;
        for (const TransferFileError &e : std::as_const(out.errors))
            reported.append(e.message);
        QVERIFY2(reported.filter(u"not a file name"_s).size() >= 3,
                 qPrintable(reported.join(u'\n')));
        QCOMPARE(QDir(outside.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries),
                 QStringList{u"a"_s});
    }

    void modesFollowTheLocalUmask()
    {
        SshdServer server;
        GPUWB_START_SSHD(server);
        QVERIFY(test::useClientHome(server));
        const QString scratch = server.makeRemoteScratchDir();
        QVERIFY(!scratch.isEmpty());
        const QByteArray root = QFile::encodeName(scratch) + "/tree";
        QVERIFY(::mkdir(root.constData(), 0755) == 0 && chownToUser(root, server.user()));
        QVERIFY(::chmod(root.constData(), 02777) == 0);
        QVERIFY(test::writeOnDisk(root + "/open.sh", "#!/bin/sh\n", 0777, true));
        QVERIFY(test::writeOnDisk(root + "/setid", "x", 0755, true));
        QVERIFY(::chmod((root + "/setid").constData(), 06755) == 0);
        SshConnection::Options o;
        o.connectTimeoutSeconds = 20;
        SshConnection connection(server.alias(), o);

        const quint32 mask = ownUmask();
        QTemporaryDir local;
        const QByteArray dest = QFile::encodeName(local.path()) + "/tree";
        Outcome out;
        Transfer download(&connection, Transfer::Direction::Download,
                          Location::remote(server.alias(), QFile::decodeName(root)),
                          Location::local(QFile::decodeName(dest)));
        QVERIFY(runToEnd(&download, &out));
        QVERIFY2(out.status.ok(), qPrintable(out.status.errorMessage()));
        QCOMPARE(modeOf(dest), 0777u & ~mask);
        QCOMPARE(modeOf(dest + "/open.sh"), 0777u & ~mask);
        QCOMPARE(modeOf(dest + "/setid"), 0755u & ~mask);

        // Into a folder that is there already: its mode stays as the user set it.
        const QByteArray mine = QFile::encodeName(local.path()) + "/mine";
        QVERIFY(::mkdir(mine.constData(), 0700) == 0);
        Outcome again;
        Transfer into(&connection, Transfer::Direction::Download,
                      Location::remote(server.alias(), QFile::decodeName(root)),
                      Location::local(QFile::decodeName(mine)));
        QVERIFY(runToEnd(&into, &again));
        QVERIFY2(again.status.ok(), qPrintable(again.status.errorMessage()));
        QCOMPARE(modeOf(mine), 0700u);
        QCOMPARE(test::readOnDisk(mine + "/setid"), QByteArray("x"));
    }
};

QTEST_GUILESS_MAIN(TestTransferTrust)
#include "tst_transfertrust.moc"
