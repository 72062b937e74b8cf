// Job history survives restarts: what one run of the app writes, the next one reads back, and
// the log of an old job opens from disk.

#include "core/jobs/job.h"
#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/util/datapaths.h"
#include "ui/jobs/joblistmodel.h"
#include "ui/jobs/jobpanel.h"
#include "ui/jobs/outputview.h"
#include "ui/mainwindow.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestRestart : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void headlessRunIsReadByTheGui();
    void guiRunIsReadByTheNextGui();

private:
    void writeProject(const QString &command);
    QTemporaryDir m_home;
    QString m_project;
};

void TestRestart::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_home.isValid());
    qputenv("GPUWB_DATA_DIR", (m_home.path() + u"/data"_s).toUtf8());
    m_project = m_home.path() + u"/project"_s;
    QVERIFY(QDir().mkpath(m_project));
}

void TestRestart::writeProject(const QString &command)
{
    QFile toml(m_project + u"/gpuwb.toml"_s);
    QVERIFY(toml.open(QIODevice::WriteOnly | QIODevice::Truncate));
    toml.write("name = \"probe\"\ncommand = '" + command.toUtf8() + "'\n");
}

void TestRestart::headlessRunIsReadByTheGui()
{
    writeProject(u"echo headless-probe; exit 3"_s);
    QProcess gpuwb;
    gpuwb.setProcessEnvironment(QProcessEnvironment::systemEnvironment());
    gpuwb.start(qEnvironmentVariable("GPUWB_GPUWB"), {u"run"_s, m_project});
    QVERIFY(gpuwb.waitForFinished(60000));
    QCOMPARE(gpuwb.exitStatus(), QProcess::NormalExit);
    QCOMPARE(gpuwb.exitCode(), 3); // the job's exit code
    QVERIFY(gpuwb.readAllStandardOutput().contains("headless-probe"));

    MainWindow window;
    window.openProject(m_project);
    JobListModel *model = window.jobPanel()->model();
    QTRY_VERIFY(model->rowCount() >= 1);
    const JobRecord record = model->recordAt(0);
    QCOMPARE(toString(record.state), toString(JobState::Failed));
    QCOMPARE(record.exitCode, 3);
    QCOMPARE(record.spec.command, u"echo headless-probe; exit 3"_s);
}

void TestRestart::guiRunIsReadByTheNextGui()
{
    writeProject(u"echo gui-probe"_s);
    qsizetype before = 0;
    {
        auto history = JobHistory::open(dataPaths().historyDatabase);
        QVERIFY2(history.ok(), qPrintable(history.errorMessage()));
        before = history.value()->recent().size();
    }
    QString jobId;
    {
        MainWindow first;
        first.openProject(m_project);
        first.show();
        QVERIFY(QTest::qWaitForWindowExposed(&first));
        first.jobPanel()->runAction()->trigger();
        QTRY_COMPARE(first.jobManager()->jobs().size(), 1);
        Job *job = first.jobManager()->jobs().first();
        QTRY_VERIFY_WITH_TIMEOUT(isFinal(job->state()), 60000);
        QCOMPARE(toString(job->state()), toString(JobState::Succeeded));
        jobId = job->id();
    }

    MainWindow second;
    second.openProject(m_project);
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    JobListModel *model = second.jobPanel()->model();
    QTRY_VERIFY(model->rowOf(jobId) >= 0);
    QCOMPARE(model->rowCount(), before + 1); // what was there, and this one
    const JobRecord record = model->recordAt(model->rowOf(jobId));
    QCOMPARE(toString(record.state), toString(JobState::Succeeded));
    QCOMPARE(record.exitCode, 0);
    QVERIFY(!model->jobAt(model->rowOf(jobId))); // a history row, not a live job

    // Selecting the old job shows its log, read back from disk.
    second.jobPanel()->selectJob(jobId);
    QTRY_VERIFY(second.jobPanel()->currentView());
    QTRY_VERIFY(second.jobPanel()->currentView()->buffer().text().contains(u"gui-probe"_s));
}

QTEST_MAIN(TestRestart)
#include "tst_restart.moc"
