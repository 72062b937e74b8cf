// A remote job's output survives lost connections: 1,000,000 numbered lines while the serving
// sshd processes are killed 20 times arrive exactly once, in order, with the right status.
#include "core/remote/remotejob.h"
#include "core/ssh/sshconnection.h"
#include "helpers/sshtest.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestRemoteJobFaults : public QObject
{
    Q_OBJECT

private slots:
    void millionLinesThroughTwentyLostConnections()
    {
        test::SshdServer server;
        GPUWB_START_SSHD(server);
        QVERIFY(test::useClientHome(server));
        SshConnection::Options o;
        o.connectTimeoutSeconds = 20;
        SshConnection connection(server.alias(), o);
        QTemporaryDir logs;
        const QString scratch = server.makeRemoteScratchDir();
        QVERIFY(!scratch.isEmpty());

        constexpr int Lines = 1'000'000;
        constexpr int Kills = 20;
        // Numbered lines in 100 bursts with pauses, so the job is still writing while the
        // connections die; then a distinctive exit code.
        JobSpec spec;
        spec.name = u"million"_s;
        spec.command = u"awk 'BEGIN { for (i = 1; i <= %1; i++) { print \"line \" i; "
                       "if (i % 10000 == 0) { fflush(); system(\"sleep 0.35\") } } }'; exit 5"_s
                           .arg(Lines);
        spec.workingDirectory = scratch;
        spec.targetId = u"ssh:"_s + server.alias();
        const QString id = u"faults-%1"_s.arg(QCoreApplication::applicationPid());
        RemoteJob job(&connection, id, spec, logs.filePath(u"faults.log"_s));

        std::vector<int> seen(Lines + 1, 0);
        qint64 received = 0, repeated = 0, outOfOrder = 0, strange = 0;
        int last = 0;
        std::optional<JobResult> result;
        connect(&job, &Job::output, this, [&](const OutputBatch &batch) {
            for (const OutputLine &line : batch.lines) {
                if (line.stream == OutputStream::System)
                    continue;
                bool ok = false;
                const int n = line.text.startsWith(u"line "_s) ? line.text.mid(5).toInt(&ok) : 0;
                if (!ok || n < 1 || n > Lines) {
                    ++strange;
                    continue;
                }
                ++received;
                if (seen[n]++ > 0)
                    ++repeated;
                if (n != last + 1)
                    ++outOfOrder;
                last = n;
            }
        });
        connect(&job, &Job::finished, this, [&](const JobResult &r) { result = r; });
        job.start();

        int kills = 0;
        QTRY_VERIFY_WITH_TIMEOUT(received >= 1000 || result, 60'000);
        while (kills < Kills && !result) {
            // Each kill hits a live session: wait until the job's connection is back.
            QTRY_VERIFY_WITH_TIMEOUT(connection.state() == SshState::Connected || result,
                                     60'000);
            if (result)
                break;
            QTest::qWait(400);
            server.killSessions();
            ++kills;
        }
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 240'000);

        qint64 lost = 0;
        for (int n = 1; n <= Lines; ++n)
            lost += seen[n] == 0;
        qInfo("lines expected %d, received %lld, lost %lld, repeated %lld, out of order %lld, "
              "other %lld; sshd sessions killed %d times; exit code %d",
              Lines, received, lost, repeated, outOfOrder, strange, kills, result->exitCode);
        QVERIFY2(result->exitCode == 5, qPrintable(result->message));
        QCOMPARE(kills, Kills);
        QCOMPARE(lost, 0);
        QCOMPARE(repeated, 0);
        QCOMPARE(outOfOrder, 0);
        QCOMPARE(strange, 0);
        QCOMPARE(received, qint64(Lines));
        QCOMPARE(int(result->state), int(JobState::Failed));
        QCOMPARE(result->exitCode, 5);
        // The local log is the remote one, byte for byte.
        const QByteArray local = test::readOnDisk(QFile::encodeName(job.logPath()));
        const QByteArray remote = test::readOnDisk(
            QFile::encodeName(server.userHome() + u'/' + RemoteJob::remoteJobDir(id) + u"/log"_s));
        QCOMPARE(local.size(), remote.size());
        QVERIFY(local == remote);
        QDir(server.userHome() + u'/' + RemoteJob::remoteJobDir(id)).removeRecursively();
    }
};

QTEST_GUILESS_MAIN(TestRemoteJobFaults)
#include "tst_remotejobfaults.moc"
