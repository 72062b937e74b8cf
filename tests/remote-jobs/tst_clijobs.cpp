// `gpuwb run --target HOST`, `gpuwb attach ID` and `gpuwb jobs` against a real sshd: output
// streamed, exit codes passed on, a killed gpuwb followed again with nothing lost.
#include "core/util/shellquote.h"
#include "helpers/sshtest.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

struct Ran
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

QString childprog()
{
    return qEnvironmentVariable("GPUWB_CHILDPROG");
}

// Each "line N" of `text` counted: missing, repeated and out-of-order ones.
struct LineCount
{
    int received = 0, missing = 0, repeated = 0, outOfOrder = 0;
    LineCount(const QByteArray &text, int expected)
    {
        QList<int> seen(expected + 1, 0);
        int last = 0;
        for (const QByteArray &line : text.split('\n')) {
            if (!line.startsWith("line "))
                continue;
            const int n = line.mid(5).toInt();
            if (n < 1 || n > expected)
                continue;
            ++received;
            if (seen[n]++)
                ++repeated;
            if (n != last + 1)
                ++outOfOrder;
            last = n;
        }
        for (int n = 1; n <= expected; ++n)
            missing += seen[n] == 0;
    }
};

} // namespace

class TestCliJobs : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<gpuwb::test::SshdServer> m_server;
    std::unique_ptr<QTemporaryDir> m_data;
    std::unique_ptr<QTemporaryDir> m_project;
    QString m_scratch;

    Ran gpuwb(const QStringList &args, int timeoutMs = 120'000)
    {
        QProcess p;
        p.start(qEnvironmentVariable("GPUWB_GPUWB"), args);
        Ran r;
        if (!p.waitForStarted(20'000))
            return r;
        p.closeWriteChannel();
        if (!p.waitForFinished(timeoutMs))
            p.kill();
        p.waitForFinished(5000);
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }
    void writeConfig(const QString &command, const QString &remoteDir)
    {
        QFile f(m_project->filePath(u"gpuwb.toml"_s));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        const auto q = [](QString v) {
            return u'"' + v.replace(u"\\"_s, u"\\\\"_s).replace(u"\""_s, u"\\\""_s) + u'"';
        };
        f.write((u"name = \"cli job\"\ncommand = %1\nremote_dir = %2\n"_s
                     .arg(q(command), q(remoteDir)))
                    .toUtf8());
    }

private slots:
    void init()
    {
        QStandardPaths::setTestModeEnabled(true);
        if (qEnvironmentVariableIsEmpty("GPUWB_GPUWB"))
            QSKIP("needs the gpuwb executable (GPUWB_GPUWB; a build with GPUWB_BUILD_GUI)");
        m_server = std::make_unique<gpuwb::test::SshdServer>();
        GPUWB_START_SSHD(*m_server);
        QVERIFY(gpuwb::test::useClientHome(*m_server));
        m_data = std::make_unique<QTemporaryDir>();
        qputenv("GPUWB_DATA_DIR", m_data->path().toUtf8());
        m_project = std::make_unique<QTemporaryDir>();
        m_scratch = m_server->makeRemoteScratchDir();
        QVERIFY(!m_scratch.isEmpty());
    }
    void cleanup()
    {
        m_server.reset();
    }

    void runStreamsAndExitsWithTheCode()
    {
        writeConfig(gpuwb::shellJoin({childprog(), u"lines"_s, u"50"_s}) + u"; exit 7"_s,
                    m_scratch);
        const Ran r = gpuwb({u"run"_s, u"--target"_s, m_server->alias(), u"--no-sync"_s,
                             m_project->path()});
        QVERIFY2(r.exitCode == 7, r.err.constData());
        const LineCount c(r.out, 50);
        QCOMPARE(c.received, 50);
        QCOMPARE(c.outOfOrder, 0);
        QVERIFY2(r.err.contains("gpuwb attach "), r.err.constData());

        const Ran ok = gpuwb({u"run"_s, u"--target"_s, u"ssh:"_s + m_server->alias(),
                              u"--no-sync"_s, m_project->path()});
        QCOMPARE(ok.exitCode, 7);
    }

    void runSyncsTheProject()
    {
        QFile hello(m_project->filePath(u"hello.txt"_s));
        QVERIFY(hello.open(QIODevice::WriteOnly));
        hello.write("hello from the project\n");
        hello.close();
        writeConfig(u"cat hello.txt; exit 3"_s, m_scratch + u"/synced"_s);
        const Ran r = gpuwb({u"run"_s, u"--target"_s, m_server->alias(), m_project->path()});
        if (r.out.contains("Sync is not available yet"))
            QSKIP("ProjectSync is still the skeleton");
        QVERIFY2(r.exitCode == 3, r.out.constData());
        QVERIFY2(r.out.contains("hello from the project\n"), r.out.constData());
    }

    void runWarnsAboutALargeFirstSyncAndGoesOn()
    {
        QVERIFY(QDir(m_project->path()).mkpath(u"checkpoints"_s));
        QFile big(m_project->filePath(u"checkpoints/model.pt"_s));
        QVERIFY(big.open(QIODevice::WriteOnly));
        QCOMPARE(big.write(QByteArray(64 * 1024, 'x')), qint64(64 * 1024));
        big.close();
        writeConfig(u"test -s checkpoints/model.pt && echo synced"_s, m_scratch + u"/big"_s);
        qputenv("GPUWB_SYNC_LARGE_FOLDER_BYTES", "10000");
        const Ran r = gpuwb({u"run"_s, u"--target"_s, m_server->alias(), m_project->path()});
        qunsetenv("GPUWB_SYNC_LARGE_FOLDER_BYTES");
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("synced\n"), r.out.constData());
        QVERIFY2(r.err.contains("warning"), r.err.constData());
        QVERIFY2(r.err.contains("checkpoints/ ("), r.err.constData());
        QVERIFY2(r.err.contains(".gpuwbignore"), r.err.constData());
    }

    void killedGpuwbIsFollowedAgainByAttach()
    {
        constexpr int Lines = 3000;
        writeConfig(u"awk 'BEGIN { for (i = 1; i <= %1; i++) { print \"line \" i; "
                    "if (i % 300 == 0) { fflush(); system(\"sleep 0.3\") } } }'; exit 9"_s
                        .arg(Lines),
                    m_scratch);
        QProcess run;
        run.start(qEnvironmentVariable("GPUWB_GPUWB"),
                  {u"run"_s, u"--target"_s, m_server->alias(), u"--no-sync"_s,
                   m_project->path()});
        QVERIFY(run.waitForStarted(20'000));
        QByteArray out, err;
        QTRY_VERIFY_WITH_TIMEOUT((out += run.readAllStandardOutput(),
                                  err += run.readAllStandardError(), out.contains("line 400\n")),
                                 120'000);
        run.kill(); // SIGKILL: no chance to stop the job or to record anything
        QVERIFY(run.waitForFinished(20'000));
        err += run.readAllStandardError();
        const auto m = QRegularExpression(u"job (\\S+) on"_s).match(QString::fromUtf8(err));
        QVERIFY2(m.hasMatch(), err.constData());
        const QString id = m.captured(1);

        const Ran listed = gpuwb({u"jobs"_s});
        QCOMPARE(listed.exitCode, 0);
        const QByteArray row = [&] {
            for (const QByteArray &line : listed.out.split('\n'))
                if (line.startsWith(id.toUtf8()))
                    return line;
            return QByteArray();
        }();
        QVERIFY2(row.contains("running"), listed.out.constData());
        QVERIFY(row.contains((u"ssh:"_s + m_server->alias()).toUtf8()));
        QVERIFY(row.contains("cli job"));
        QVERIFY(listed.out.startsWith("ID"));

        const Ran attached = gpuwb({u"attach"_s, id});
        QVERIFY2(attached.exitCode == 9, attached.err.constData());
        const LineCount c(attached.out, Lines);
        qInfo("attach after SIGKILL: lines expected %d, received %d, missing %d, repeated %d, "
              "out of order %d", Lines, c.received, c.missing, c.repeated, c.outOfOrder);
        QCOMPARE(c.missing, 0);
        QCOMPARE(c.repeated, 0);
        QCOMPARE(c.outOfOrder, 0);

        const Ran after = gpuwb({u"jobs"_s});
        QVERIFY2(after.out.contains("failed"), after.out.constData());
        // Attaching to the ended job prints the log again and exits with its code.
        const Ran again = gpuwb({u"attach"_s, id});
        QCOMPARE(again.exitCode, 9);
        QCOMPARE(LineCount(again.out, Lines).missing, 0);
    }

    void attachRefusesUnknownAndLocalJobs()
    {
        const Ran unknown = gpuwb({u"attach"_s, u"no-such-job-$(id)"_s});
        QCOMPARE(unknown.exitCode, 64); // EX_USAGE: no such job (ErrorCode::UnknownJob)
        QVERIFY(unknown.err.contains("no job"));
        QFile f(m_project->filePath(u"gpuwb.toml"_s));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("command = \"true\"\n");
        f.close();
        const Ran local = gpuwb({u"run"_s, m_project->path()});
        QCOMPARE(local.exitCode, 0);
        const Ran listed = gpuwb({u"jobs"_s});
        const QByteArray id = listed.out.split('\n').value(1).split(' ').value(0);
        QVERIFY(!id.isEmpty());
        const Ran refused = gpuwb({u"attach"_s, QString::fromUtf8(id)});
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("this machine"), refused.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCliJobs)
#include "tst_clijobs.moc"
