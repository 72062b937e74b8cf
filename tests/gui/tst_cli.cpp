// The headless subcommands of the real gpuwb executable: `gpuwb run` streams a job and exits
// with its code, stops the job when it is interrupted, and says what is wrong with bad input;
// `gpuwb gpus` lists GPUs or says there are none.

#include "core/jobs/jobhistory.h"
#include "core/util/datapaths.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestCli : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void runMissingFolderSaysSo();
    void runMalformedConfigNamesTheLine();
    void runInterruptedStopsTheJob();
    void gpusWithoutDriverOrWithReplay();

private:
    QString writeProject(const QByteArray &toml);
    QProcess *start(const QStringList &args, const QProcessEnvironment &env = {});
    QTemporaryDir m_home;
    int m_projects = 0;
};

void TestCli::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_home.isValid());
    qputenv("GPUWB_DATA_DIR", (m_home.path() + u"/data"_s).toUtf8());
}

QString TestCli::writeProject(const QByteArray &toml)
{
    const QString dir = m_home.path() + u"/project"_s + QString::number(++m_projects);
    QDir().mkpath(dir);
    QFile file(dir + u"/gpuwb.toml"_s);
    if (file.open(QIODevice::WriteOnly))
        file.write(toml);
    return dir;
}

QProcess *TestCli::start(const QStringList &args, const QProcessEnvironment &env)
{
    auto *process = new QProcess(this);
    process->setProcessEnvironment(env.isEmpty() ? QProcessEnvironment::systemEnvironment() : env);
    process->start(qEnvironmentVariable("GPUWB_GPUWB"), args);
    return process;
}

void TestCli::runMissingFolderSaysSo()
{
    QProcess *gpuwb = start({u"run"_s, m_home.path() + u"/no such folder"_s});
    QVERIFY(gpuwb->waitForFinished(30000));
    QCOMPARE(gpuwb->exitCode(), 2);
    const QByteArray err = gpuwb->readAllStandardError();
    QVERIFY2(err.contains("is not a folder"), err.constData());
}

void TestCli::runMalformedConfigNamesTheLine()
{
    const QString dir = writeProject("name = \"x\"\ncomand = \"echo hi\"\n");
    QProcess *gpuwb = start({u"run"_s, dir});
    QVERIFY(gpuwb->waitForFinished(30000));
    QCOMPARE(gpuwb->exitCode(), 78); // EX_CONFIG
    const QByteArray err = gpuwb->readAllStandardError();
    QVERIFY2(err.contains("line 2"), err.constData());
    QVERIFY2(err.contains("comand"), err.constData());
}

void TestCli::runInterruptedStopsTheJob()
{
    // The job starts a grandchild and waits; Ctrl-C on gpuwb must end both.
    const QString dir = writeProject("command = 'sleep 300 & echo \"child=$!\"; wait'\n");
    QProcess *gpuwb = start({u"run"_s, dir});
    // The first line is the "$ command" echo; wait for the grandchild's PID after it.
    const QRegularExpression pidLine(u"^child=(\\d+)$"_s, QRegularExpression::MultilineOption);
    QString out;
    QTRY_VERIFY_WITH_TIMEOUT(
        (out += QString::fromUtf8(gpuwb->readAllStandardOutput())).contains(pidLine), 30000);
    const pid_t child = pid_t(pidLine.match(out).captured(1).toLong());
    QVERIFY(child > 0);
    QCOMPARE(::kill(child, 0), 0); // running

    ::kill(pid_t(gpuwb->processId()), SIGINT);
    QVERIFY(gpuwb->waitForFinished(30000));
    QCOMPARE(gpuwb->exitStatus(), QProcess::NormalExit);
    QCOMPARE(gpuwb->exitCode(), 128 + SIGINT);
    QTRY_VERIFY(::kill(child, 0) != 0); // the grandchild is gone too

    auto history = JobHistory::open(dataPaths().historyDatabase);
    QVERIFY2(history.ok(), qPrintable(history.errorMessage()));
    const QList<JobRecord> records = history.value()->recent(1);
    QCOMPARE(records.size(), 1);
    QCOMPARE(toString(records.first().state), toString(JobState::Stopped));
}

void TestCli::gpusWithoutDriverOrWithReplay()
{
    QProcess *plain = start({u"gpus"_s});
    QVERIFY(plain->waitForFinished(30000));
    const QByteArray text = plain->readAllStandardOutput();
    if (plain->exitCode() == 0) {
        QVERIFY2(text.contains("NVIDIA") || text.contains("GPU"), text.constData()); // a GPU host
    } else {
        QCOMPARE(plain->exitCode(), 69); // EX_UNAVAILABLE: no NVIDIA driver
        QVERIFY2(text.contains("No NVIDIA GPU found"), text.constData());
        QVERIFY2(text.contains("install the NVIDIA driver"), text.constData());
    }

    // Where no GPU exists, a recorded nvidia-smi capture stands in: four Tesla T4s.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"GPUWB_GPU_REPLAY"_s, qEnvironmentVariable("GPUWB_FIXTURES")
                                          + u"/nvidia-smi/querygpu-4xt4-510.108.03.csv"_s);
    QProcess *replay = start({u"gpus"_s}, env);
    QVERIFY(replay->waitForFinished(30000));
    QCOMPARE(replay->exitCode(), 0);
    const QByteArray report = replay->readAllStandardOutput();
    QCOMPARE(report.count("Tesla T4"), 4);
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
