// Secrets stay where the user put them (issue 10): after a password login, a login with a
// passphrase-protected key and a remote job with an [env] token, none of the three is found
// in the settings, the job history, the logs, the client's ~/.ssh or the local copies of the
// job; the token is on the host only in the job's private run.sh, which runs it.
#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/remote/remotejob.h"
#include "core/remote/remotetarget.h"
#include "core/ssh/remotecommand.h"
#include "core/ssh/sshconnection.h"
#include "core/ssh/sshprompter.h"
#include "core/ssh/sshconnections.h"
#include "core/util/datapaths.h"
#include "helpers/sshtest.h"

#include <QDirIterator>
#include <QFile>
#include <QMutex>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::SshdServer;

namespace {

class AnsweringPrompter : public SshPrompter
{
public:
    bool acceptHostKey(const SshHostKeyInfo &) override { return false; }
    std::optional<SshSecret> askSecret(const SshSecretRequest &request) override
    {
        QMutexLocker lock(&mutex);
        kinds.append(request.kind);
        if (request.kind == SshSecretRequest::Kind::Passphrase)
            return SshSecret{SshdServer::keyPassphrase(), false};
        return SshSecret{SshdServer::password(), false};
    }
    QMutex mutex;
    QList<SshSecretRequest::Kind> kinds;
};

// Every file below `root` (by bytes) that holds `secret`.
QStringList filesHolding(const QString &root, const QByteArray &secret)
{
    QStringList found;
    QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile f(path);
        if (f.open(QIODevice::ReadOnly) && f.read(64 << 20).contains(secret))
            found.append(path);
    }
    return found;
}

} // namespace

class TestSecrets : public QObject
{
    Q_OBJECT
private slots:
    void secretsStayWhereTheUserPutThem()
    {
        QStandardPaths::setTestModeEnabled(true);
        QTemporaryDir local;
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(local.filePath(u"config"_s)));
        qputenv("GPUWB_DATA_DIR", QFile::encodeName(local.filePath(u"data"_s)));
        SshdServer server;
        GPUWB_START_SSHD(server);
        QVERIFY(test::useClientHome(server));
        const QString block = u"Host %1\n  HostName 127.0.0.1\n  Port %2\n  User %3\n"_s;
        server.appendClientConfig(
            block.arg(u"pwhost"_s).arg(server.port()).arg(server.user())
            + block.arg(u"keyhost"_s).arg(server.port()).arg(server.user())
            + u"  IdentityFile %1\n"_s.arg(server.secretKeyPath()));
        auto prompter = std::make_shared<AnsweringPrompter>();
        SshConnection::Options options;
        options.prompter = prompter;
        options.connectTimeoutSeconds = 20;

        // A password login and a passphrase login, each running a command.
        for (const QString &alias : {u"pwhost"_s, u"keyhost"_s}) {
            SshConnection c(alias, options);
            std::optional<Result<RemoteCommand>> answer;
            QObject context;
            c.call<RemoteCommand>(
                &context,
                [](SshSessionContext &ctx) { return RemoteCommand::run(ctx.session(), "id -un"); },
                [&answer](Result<RemoteCommand> r) { answer = std::move(r); });
            QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 60000);
            QVERIFY2(answer->ok(), qPrintable(answer->errorMessage()));
            QVERIFY(answer->value().output.contains(server.user().toUtf8()));
        }
        QVERIFY(prompter->kinds.contains(SshSecretRequest::Kind::Password));
        QVERIFY(prompter->kinds.contains(SshSecretRequest::Kind::Passphrase));

        // A remote job with an [env] token, through the job manager and the history.
        const QByteArray token =
            "tok-" + QByteArray::number(qint64(QCoreApplication::applicationPid())) + "-c0ffee";
        QString remoteJobFolder;
        {
            auto history = JobHistory::open(dataPaths().historyDatabase);
            QVERIFY2(history.ok(), qPrintable(history.errorMessage()));
            SshConnections connections(options);
            JobManager manager(history.value().get(), dataPaths().logDirectory);
            manager.addTarget(new RemoteTarget(&connections, server.alias(), &manager));
            JobSpec spec;
            spec.name = u"secret job"_s;
            // The job sees the token; the command line itself does not hold it.
            spec.command = u"case \"$TOKEN\" in tok-*-c0ffee) echo token-seen ;; esac"_s;
            spec.environment.insert(u"TOKEN"_s, QString::fromLatin1(token));
            spec.workingDirectory = server.userHome();
            spec.targetId = RemoteTarget::idFor(server.alias());
            std::optional<JobResult> result;
            QObject context;
            QObject::connect(&manager, &JobManager::jobFinished, &context,
                             [&result](Job *, const JobResult &r) { result = r; });
            auto job = manager.start(spec);
            QVERIFY2(job.ok(), qPrintable(job.errorMessage()));
            remoteJobFolder = server.userHome() + u'/' + RemoteJob::remoteJobDir(job.value()->id());
            QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 120000);
            QCOMPARE(result->exitCode, 0);
            QVERIFY(test::readOnDisk(QFile::encodeName(job.value()->logPath()))
                        .contains("token-seen"));
        }
        QSettings().sync();

        const QByteArray password = SshdServer::password().toUtf8();
        const QByteArray passphrase = SshdServer::keyPassphrase().toUtf8();
        for (const QString &root : {local.path(), server.clientHome()}) {
            for (const QByteArray &secret : {password, passphrase, token})
                QVERIFY2(filesHolding(root, secret).isEmpty(),
                         qPrintable(QString::fromLatin1(secret) + u" in "_s
                                    + filesHolding(root, secret).join(u", "_s)));
        }
        // On the host: in run.sh (0600), which exports it to the job, and nowhere else there.
        QCOMPARE(filesHolding(remoteJobFolder, token),
                 QStringList{remoteJobFolder + u"/run.sh"_s});
        QDir(remoteJobFolder).removeRecursively();
    }
};

QTEST_GUILESS_MAIN(TestSecrets)
#include "tst_secrets.moc"
