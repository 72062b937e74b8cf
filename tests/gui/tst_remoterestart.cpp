// Remote jobs outlive the app: in a real window under Xvfb against the real sshd fixture, a job
// on the host that prints numbered lines keeps running when the window goes away (destroyed
// mid-job as a crash leaves it, closed as a quit does, or the gpuwb process SIGKILLed), and the
// next window re-attaches it: Running, streaming on into the job panel, every line once and in
// order, ending Failed with exit code 3; a job that ended while no window was there shows its
// end and its whole output. The job prints until the test drops a `stop` file beside it, so no
// step depends on timing. Also: saving the Run Configuration dialog moves the toolbar's Target.

#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/jobs/runconfig.h"
#include "core/util/datapaths.h"
#include "helpers/sshtest.h"
#include "ui/jobs/joblistmodel.h"
#include "ui/jobs/jobpanel.h"
#include "ui/jobs/outputview.h"
#include "ui/jobs/runconfigdialog.h"
#include "ui/mainwindow.h"
#include "ui/targetselector.h"

#include <QAction>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

#include <signal.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::SshdServer;

namespace {

constexpr int LongWaitMs = 90000;
constexpr int SomeLines = 10;

// How a run of "line N" rows compares with lines 1..last printed once each, in order.
struct LineCount
{
    int last = 0;       // the highest number seen
    int lost = 0;       // numbers of 1..expectedLast never seen
    int repeated = 0;   // rows beyond the first for a number
    int outOfOrder = 0; // rows whose number is not above the one before
    int first = 0;      // the first number seen
};

LineCount countLines(const QStringList &lines, int expectedLast)
{
    static const QRegularExpression numbered(u"^line (\\d+)$"_s);
    LineCount c;
    QHash<int, int> seen;
    int previous = 0;
    for (const QString &line : lines) {
        const auto m = numbered.match(line);
        if (!m.hasMatch())
            continue;
        const int n = m.captured(1).toInt();
        if (c.first == 0)
            c.first = n;
        if (n <= previous)
            ++c.outOfOrder;
        previous = n;
        c.last = std::max(c.last, n);
        if (seen[n]++ > 0)
            ++c.repeated;
    }
    for (int n = 1; n <= expectedLast; ++n)
        if (!seen.contains(n))
            ++c.lost;
    return c;
}

QString describe(const LineCount &c)
{
    return u"lines %1..%2: %3 lost, %4 repeated, %5 out of order"_s.arg(c.first).arg(c.last)
        .arg(c.lost).arg(c.repeated).arg(c.outOfOrder);
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QStringList fileLines(const QString &path)
{
    return QString::fromUtf8(readFile(path)).split(u'\n');
}

QStringList viewLines(const OutputView *view)
{
    QStringList lines;
    if (!view)
        return lines;
    const OutputBuffer &b = view->buffer();
    for (qsizetype r = 0; r < b.rowCount(); ++r)
        lines.append(b.row(r).text);
    return lines;
}

int numberedIn(const QStringList &lines)
{
    return countLines(lines, 0).last;
}

// The job as the history on disk has it now (what the next app start reads).
std::optional<JobRecord> historyRecord(const QString &jobId)
{
    auto history = JobHistory::open(dataPaths().historyDatabase);
    return history.ok() ? history.value()->find(jobId) : std::nullopt;
}

bool touch(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly);
}

} // namespace

class TestRemoteRestart : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void destroyedWindowMidJobReattachesAndStreamsOn();
    void jobThatEndedWithoutAWindowShowsItsEnd();
    void killedProcessesLeaveTheJobToTheNextWindow();
    void savingTheRunConfigurationMovesTheToolbar();

private:
    // A project whose job prints "line N" every 50 ms in <scratch>/<name> on the fixture's
    // host until a `stop` file appears there, then exits 3. Returns the project folder.
    QString makeProject(const QString &name, QString *remoteDir);
    QString remoteJobFile(const QString &jobId, const QString &file) const;
    // Starts the project's job in `window` and waits for its first lines; returns its id.
    QString startJob(MainWindow &window, const QString &dir);
    // The window of the next app start: the job re-attached, shown Running.
    void expectReattachedRunning(MainWindow &window, const QString &jobId);
    // Drops the stop file, waits for the end and checks the log and the view line by line.
    void finishAndCount(MainWindow &window, const QString &jobId, const QString &remoteDir,
                        int inLogAtRestart);

    QTemporaryDir m_data;
    std::unique_ptr<SshdServer> m_server;
    QStringList m_remoteDirs;
};

void TestRemoteRestart::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_data.isValid());
    qputenv("GPUWB_DATA_DIR", (m_data.path() + u"/data"_s).toUtf8());
    m_server = std::make_unique<SshdServer>();
    GPUWB_START_SSHD(*m_server);
    QVERIFY(test::useClientHome(*m_server));
}

void TestRemoteRestart::cleanupTestCase()
{
    // A failed test must not leave a job printing on the host.
    for (const QString &dir : std::as_const(m_remoteDirs))
        touch(dir + u"/stop"_s);
}

QString TestRemoteRestart::makeProject(const QString &name, QString *remoteDir)
{
    const QString scratch = m_server->makeRemoteScratchDir();
    const QString dir = m_data.filePath(name);
    if (scratch.isEmpty() || !QDir().mkpath(dir))
        return {};
    *remoteDir = scratch + u"/run"_s;
    m_remoteDirs.append(*remoteDir);
    // At most 3000 lines (a few minutes) even if no stop file ever comes.
    const QByteArray toml =
        "name = 'numbered'\n"
        "command = 'i=0; while [ ! -e stop ] && [ \"$i\" -lt 3000 ]; do i=$((i+1)); "
        "echo \"line $i\"; sleep 0.05; done; exit 3'\n"
        "target = 'ssh:" + m_server->alias().toUtf8() + "'\n"
        "remote_dir = '" + remoteDir->toUtf8() + "'\n";
    QFile file(dir + u"/gpuwb.toml"_s);
    if (!file.open(QIODevice::WriteOnly) || file.write(toml) != toml.size())
        return {};
    return dir;
}

QString TestRemoteRestart::remoteJobFile(const QString &jobId, const QString &file) const
{
    return m_server->userHome() + u"/.gpuwb/jobs/"_s + jobId + u'/' + file;
}

QString TestRemoteRestart::startJob(MainWindow &window, const QString &dir)
{
    window.openProject(dir);
    if (!window.targetSelector()->choose(u"ssh:"_s + m_server->alias()))
        return {};
    JobPanel *panel = window.jobPanel();
    const qsizetype before = window.jobManager()->jobs().size();
    [&] { QTRY_VERIFY(panel->runAction()->isEnabled()); }();
    panel->runAction()->trigger();
    [&] { QTRY_VERIFY_WITH_TIMEOUT(window.jobManager()->jobs().size() > before, LongWaitMs); }();
    if (window.jobManager()->jobs().size() <= before)
        return {};
    Job *job = window.jobManager()->jobs().last();
    [&] {
        QTRY_VERIFY2_WITH_TIMEOUT(
            numberedIn(viewLines(panel->viewFor(job->id()))) >= SomeLines
                || isFinal(job->state()),
            qPrintable(panel->message()), LongWaitMs);
    }();
    if (isFinal(job->state()) || numberedIn(viewLines(panel->viewFor(job->id()))) < SomeLines)
        return {};
    return job->id();
}

void TestRemoteRestart::expectReattachedRunning(MainWindow &window, const QString &jobId)
{
    Job *job = window.jobManager()->job(jobId);
    QVERIFY2(job, "the running remote job was not re-attached");
    QCOMPARE(toString(job->state()), toString(JobState::Running));
    JobListModel *model = window.jobPanel()->model();
    const int row = model->rowOf(jobId);
    QVERIFY(row >= 0);
    QCOMPARE(model->index(row, 0).data(JobListModel::StateRole).toInt(),
             int(JobState::Running));
    QVERIFY(model->index(row, 0).data(JobListModel::IsLiveRole).toBool());
    QCOMPARE(window.jobPanel()->currentJobId(), jobId);
}

void TestRemoteRestart::finishAndCount(MainWindow &window, const QString &jobId,
                                       const QString &remoteDir, int inLogAtRestart)
{
    Job *job = window.jobManager()->job(jobId);
    QVERIFY(job);
    JobPanel *panel = window.jobPanel();
    QVERIFY(touch(remoteDir + u"/stop"_s));
    QTRY_VERIFY_WITH_TIMEOUT(isFinal(job->state()), LongWaitMs);
    QVERIFY2(job->state() == JobState::Failed,
             qPrintable(toString(job->state()) + u": "_s + panel->message()));
    JobListModel *model = panel->model();
    const int row = model->rowOf(jobId);
    QVERIFY(row >= 0);
    QTRY_COMPARE(model->index(row, JobListModel::ExitCodeColumn).data().toString(), u"3"_s);
    QCOMPARE(model->recordAt(row).exitCode, 3);
    QVERIFY(QFileInfo::exists(remoteJobFile(jobId, u"status"_s)));

    // The local log is the remote one, byte for byte: nothing lost or repeated across restarts.
    const QByteArray remoteLog = readFile(remoteJobFile(jobId, u"log"_s));
    const int last = numberedIn(QString::fromUtf8(remoteLog).split(u'\n'));
    QVERIFY(last > inLogAtRestart);
    const LineCount inLog = countLines(fileLines(job->logPath()), last);
    qInfo("local log: %s (of %d printed, %d before the restart)", qPrintable(describe(inLog)),
          last, inLogAtRestart);
    QCOMPARE(readFile(job->logPath()), remoteLog);
    QCOMPARE(inLog.lost, 0);
    QCOMPARE(inLog.repeated, 0);
    QCOMPARE(inLog.outOfOrder, 0);

    // The output view: what came after the restart streamed in once each, in order, to the end.
    OutputView *view = panel->viewFor(jobId);
    QVERIFY(view);
    QTRY_COMPARE_WITH_TIMEOUT(numberedIn(viewLines(view)), last, LongWaitMs);
    const LineCount inView = countLines(viewLines(view), last);
    qInfo("output view after the restart: %s", qPrintable(describe(inView)));
    QCOMPARE(inView.repeated, 0);
    QCOMPARE(inView.outOfOrder, 0);
    // The lines from before the restart come from the local log, the rest streamed in: the
    // whole output, each line once.
    QCOMPARE(inView.first, 1);
    QCOMPARE(inView.lost, 0);
}

void TestRemoteRestart::destroyedWindowMidJobReattachesAndStreamsOn()
{
    QString remoteDir;
    const QString dir = makeProject(u"mid job"_s, &remoteDir);
    QVERIFY(!dir.isEmpty());
    QString jobId;
    QString localLog;
    {
        auto window = std::make_unique<MainWindow>();
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        jobId = startJob(*window, dir);
        QVERIFY2(!jobId.isEmpty(), qPrintable(window->jobPanel()->message()));
        localLog = window->jobManager()->job(jobId)->logPath();
        // As a crash leaves it: no close(), no question, the window and all it owns just go.
        window.reset();
    }
    // The job runs on without any window: still Running in the history, its log still growing.
    const std::optional<JobRecord> record = historyRecord(jobId);
    QVERIFY(record);
    QCOMPARE(toString(record->state), toString(JobState::Running));
    const QString remoteLog = remoteJobFile(jobId, u"log"_s);
    const int atDestroy = numberedIn(fileLines(remoteLog));
    QTRY_VERIFY_WITH_TIMEOUT(numberedIn(fileLines(remoteLog)) >= atDestroy + SomeLines,
                             LongWaitMs);
    QVERIFY(!QFileInfo::exists(remoteJobFile(jobId, u"status"_s)));

    const int inLog = numberedIn(fileLines(localLog));
    MainWindow second;
    second.openProject(dir);
    expectReattachedRunning(second, jobId);
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    // It streams on: lines the first window never saw arrive in the view.
    OutputView *view = second.jobPanel()->viewFor(jobId);
    QVERIFY(view);
    QTRY_VERIFY_WITH_TIMEOUT(numberedIn(viewLines(view)) > atDestroy + SomeLines, LongWaitMs);
    QVERIFY(!isFinal(second.jobManager()->job(jobId)->state()));
    finishAndCount(second, jobId, remoteDir, inLog);
}

void TestRemoteRestart::jobThatEndedWithoutAWindowShowsItsEnd()
{
    QString remoteDir;
    const QString dir = makeProject(u"ends alone"_s, &remoteDir);
    QVERIFY(!dir.isEmpty());
    QString jobId;
    QString localLog;
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        jobId = startJob(window, dir);
        QVERIFY2(!jobId.isEmpty(), qPrintable(window.jobPanel()->message()));
        localLog = window.jobManager()->job(jobId)->logPath();
        // Quit as a person does: a job on a host is no reason to ask, and it is not stopped.
        QVERIFY(window.close());
    }
    // It prints on, and ends, while no window follows it.
    const QString remoteLog = remoteJobFile(jobId, u"log"_s);
    const int inLog = numberedIn(fileLines(localLog));
    QTRY_VERIFY_WITH_TIMEOUT(numberedIn(fileLines(remoteLog)) >= inLog + SomeLines, LongWaitMs);
    QVERIFY(touch(remoteDir + u"/stop"_s));
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(remoteJobFile(jobId, u"status"_s)), LongWaitMs);
    QCOMPARE(readFile(remoteJobFile(jobId, u"status"_s)).trimmed(), QByteArray("exit 3"));
    const std::optional<JobRecord> record = historyRecord(jobId);
    QVERIFY(record);
    QCOMPARE(toString(record->state), toString(JobState::Running));

    MainWindow second;
    second.openProject(dir);
    Job *job = second.jobManager()->job(jobId);
    QVERIFY2(job, "the job the history has as running was not re-attached");
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    finishAndCount(second, jobId, remoteDir, inLog);
    // And the history now has its end.
    const std::optional<JobRecord> ended = historyRecord(jobId);
    QVERIFY(ended);
    QCOMPARE(toString(ended->state), toString(JobState::Failed));
    QCOMPARE(ended->exitCode, 3);
}

void TestRemoteRestart::killedProcessesLeaveTheJobToTheNextWindow()
{
    QString remoteDir;
    const QString dir = makeProject(u"killed"_s, &remoteDir);
    QVERIFY(!dir.isEmpty());
    const QString gpuwb = qEnvironmentVariable("GPUWB_GPUWB");
    QVERIFY2(QFileInfo(gpuwb).isExecutable(), "GPUWB_GPUWB names no gpuwb executable");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);

    // 1. `gpuwb run --target` starts it and is SIGKILLed mid-job.
    QProcess cli;
    cli.setProcessEnvironment(env);
    cli.setStandardOutputFile(QProcess::nullDevice());
    cli.start(gpuwb, {u"run"_s, u"--target"_s, m_server->alias(), dir});
    QVERIFY(cli.waitForStarted());
    static const QRegularExpression jobLine(u"gpuwb: job (\\S+) on"_s);
    QByteArray cliErr;
    QString jobId;
    QTRY_VERIFY_WITH_TIMEOUT((cliErr += cli.readAllStandardError(),
                              jobId = jobLine.match(QString::fromUtf8(cliErr)).captured(1),
                              !jobId.isEmpty() || cli.state() == QProcess::NotRunning),
                             LongWaitMs);
    QVERIFY2(!jobId.isEmpty(), cliErr.constData());
    QString localLog;
    {
        const std::optional<JobRecord> record = historyRecord(jobId);
        QVERIFY2(record, "gpuwb run did not record its job in the history");
        localLog = record->logPath;
    }
    QTRY_VERIFY_WITH_TIMEOUT(numberedIn(fileLines(localLog)) >= SomeLines, LongWaitMs);
    QCOMPARE(::kill(pid_t(cli.processId()), SIGKILL), 0);
    QVERIFY(cli.waitForFinished(30000));
    QCOMPARE(cli.exitStatus(), QProcess::CrashExit);
    const int afterCli = numberedIn(fileLines(localLog));
    QVERIFY(!QFileInfo::exists(remoteJobFile(jobId, u"status"_s)));

    // 2. The GUI (a gpuwb process) re-attaches at its start, follows, and is SIGKILLed too.
    QProcess gui;
    gui.setProcessEnvironment(env);
    gui.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    gui.setStandardOutputFile(QProcess::nullDevice());
    gui.start(gpuwb, {dir});
    QVERIFY(gui.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(numberedIn(fileLines(localLog)) >= afterCli + SomeLines
                                 || gui.state() == QProcess::NotRunning,
                             LongWaitMs);
    QCOMPARE(gui.state(), QProcess::Running);
    QCOMPARE(::kill(pid_t(gui.processId()), SIGKILL), 0);
    QVERIFY(gui.waitForFinished(30000));
    const int afterGui = numberedIn(fileLines(localLog));
    QVERIFY(!QFileInfo::exists(remoteJobFile(jobId, u"status"_s)));
    const std::optional<JobRecord> record = historyRecord(jobId);
    QVERIFY(record);
    QCOMPARE(toString(record->state), toString(JobState::Running));

    // 3. Lines printed while nothing follows it; then a window in this process takes it over
    //    to the end.
    QTRY_VERIFY_WITH_TIMEOUT(numberedIn(fileLines(remoteJobFile(jobId, u"log"_s)))
                                 >= afterGui + SomeLines,
                             LongWaitMs);
    MainWindow window;
    window.openProject(dir);
    expectReattachedRunning(window, jobId);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    finishAndCount(window, jobId, remoteDir, afterGui);
}

void TestRemoteRestart::savingTheRunConfigurationMovesTheToolbar()
{
    const QString alias = m_server->alias();
    const QString dir = m_data.filePath(u"one target"_s);
    QVERIFY(QDir().mkpath(dir));
    const QByteArray before =
        "# shared with the team\ncommand = 'true'  # nothing\n\n[env]\nX = '1'";
    {
        QFile file(dir + u"/gpuwb.toml"_s);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(before), before.size());
    }
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.openProject(dir);
        TargetSelector *selector = window.targetSelector();
        QCOMPARE(selector->choice(), u"auto"_s); // no target in the file, none kept
        // The toolbar's choice is the user's own: the file stays as it is.
        QVERIFY(selector->choose(u"local"_s));
        QCOMPARE(readFile(dir + u"/gpuwb.toml"_s), before);

        window.jobPanel()->editRunConfigAction()->trigger();
        RunConfigDialog *dialog = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((dialog = window.findChild<RunConfigDialog *>()), LongWaitMs);
        QTRY_VERIFY(dialog->isVisible());
        // The toolbar's choices, and it opens on what the toolbar shows.
        QComboBox *box = window.findChild<QComboBox *>(u"TargetBox"_s);
        QCOMPARE(dialog->targetCombo()->count(), box->count());
        for (int i = 0; i < box->count(); ++i)
            QCOMPARE(dialog->targetCombo()->itemData(i), box->itemData(i));
        QVERIFY(dialog->targetCombo()->findData(u"ssh:"_s + alias) >= 2);
        QCOMPARE(dialog->target(), u"local"_s);
        QVERIFY(dialog->targetHint()->isVisible());

        dialog->targetCombo()->setCurrentIndex(
            dialog->targetCombo()->findData(u"ssh:"_s + alias));
        dialog->buttons()->button(QDialogButtonBox::Ok)->click();
        QTRY_COMPARE_WITH_TIMEOUT(selector->choice(), u"ssh:"_s + alias, LongWaitMs);
        QCOMPARE(box->currentData().toString(), u"ssh:"_s + alias);
        QCOMPARE(readFile(dir + u"/gpuwb.toml"_s),
                 RunConfigIo::setTargetInText(before, u"ssh:"_s + alias));
        QString why;
        QCOMPARE(selector->resolve(&why), u"ssh:"_s + alias);
    }
    // The next start shows what the file says (the per-user choice gave way to it).
    {
        MainWindow window;
        window.openProject(dir);
        QTRY_COMPARE(window.targetSelector()->choice(), u"ssh:"_s + alias);
        // A choice in the toolbar is kept for this user over the file, which stays as it is.
        const QByteArray saved = readFile(dir + u"/gpuwb.toml"_s);
        QVERIFY(window.targetSelector()->choose(u"auto"_s));
        QCOMPARE(readFile(dir + u"/gpuwb.toml"_s), saved);
    }
    MainWindow window;
    window.openProject(dir);
    QCOMPARE(window.targetSelector()->choice(), u"auto"_s);
}

QTEST_MAIN(TestRemoteRestart)
#include "tst_remoterestart.moc"
