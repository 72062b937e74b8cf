// GPU telemetry of an SSH host end to end, in a real window under Xvfb against the real sshd
// fixture with tests/helpers/nvidia-smi-standin replaying a recorded H100 as the host's
// nvidia-smi: connecting from the Remote files dock gives the GPU panel a section whose card
// shows the recording's GPU and whose charts fill, and the status bar summarises the host once
// it is the target; killing the server side shows the host interrupted and the readings come
// back by themselves; a second host without nvidia-smi shows one calm line and is not asked
// again; a remote job's GPU process is named by the job in the job list and the panel.

#include "core/gpu/nvidiasmiparser.h"
#include "core/jobs/jobmanager.h"
#include "core/telemetry/gputelemetry.h"
#include "helpers/sshtest.h"
#include "ui/charts/gpuchart.h"
#include "ui/gpu/gpucard.h"
#include "ui/gpu/gpuhostsection.h"
#include "ui/gpu/gpupanel.h"
#include "ui/gpu/gpuprocessmodel.h"
#include "ui/gpu/gputext.h"
#include "ui/jobs/joblistmodel.h"
#include "ui/jobs/jobpanel.h"
#include "ui/jobs/outputview.h"
#include "ui/mainwindow.h"
#include "ui/remote/remotepanel.h"
#include "ui/targetselector.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QScopeGuard>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::SshdServer;

namespace {

constexpr int LongWaitMs = 60000;
constexpr qint64 MiB = 1024 * 1024;
const QString Recording = u"querygpu-h100-590.48.01.csv"_s;

QString fixturePath(const QString &name)
{
    return qEnvironmentVariable("GPUWB_FIXTURES") + u"/nvidia-smi/"_s + name;
}

// The first pass of a recording, as the parser reads it: what the window must show.
GpuSnapshot firstPass(const QString &recording)
{
    QFile f(fixturePath(recording));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no fixture");
    Result<QList<GpuSnapshot>> passes = NvidiaSmiParser::parseQueryGpuPasses(f.readAll());
    if (!passes || passes->isEmpty())
        qFatal("fixture does not parse");
    return passes->first();
}

bool writeText(const QString &path, const QByteArray &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size();
}

// The number after `prefix` on a line of the job's output, 0 when there is none yet.
qint64 numberAfter(const OutputView *view, const QString &prefix)
{
    if (!view)
        return 0;
    const OutputBuffer &b = view->buffer();
    for (qsizetype r = 0; r < b.rowCount(); ++r) {
        const QString text = b.row(r).text;
        if (text.startsWith(prefix))
            return text.mid(prefix.size()).trimmed().toLongLong();
    }
    return 0;
}

// A dialog or message box anywhere: an error storm would show one.
QString visibleDialogs()
{
    QStringList shown;
    for (QWidget *w : QApplication::topLevelWidgets())
        if (w->isVisible() && qobject_cast<QDialog *>(w))
            shown << QString::fromLatin1(w->metaObject()->className()) + u": "_s + w->windowTitle();
    return shown.join(u'\n');
}

int countOf(const QList<GpuHostStatus> &statuses, GpuHostStatus status)
{
    return int(std::count(statuses.cbegin(), statuses.cend(), status));
}

} // namespace

class TestTelemetry : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void remoteHostLiveInterruptedAndBack();
    void hostWithoutNvidiaSmiIsCalm();
    void remoteJobNamedOnItsGpu();

private:
    QString makeProject(const QString &name, const QByteArray &toml);
    // Picks the host in the Remote files dock and presses Connect, as a person would.
    static void connectFromDock(MainWindow &window, const QString &alias);

    QTemporaryDir m_data;
    std::unique_ptr<SshdServer> m_server; // with the stand-in
    std::unique_ptr<SshdServer> m_bare;   // without nvidia-smi
    QString m_bin;                        // the stand-in's folder on the host
    const QString m_bareAlias = u"gpuwb-nogpu"_s;
};

void TestTelemetry::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_data.isValid());
    qputenv("GPUWB_DATA_DIR", (m_data.path() + u"/data"_s).toUtf8());
    m_server = std::make_unique<SshdServer>();
    GPUWB_START_SSHD(*m_server);
    m_bin = test::installNvidiaSmiStandIn(*m_server, Recording, u"help-query-gpu-590.48.01.txt"_s);
    QVERIFY(!m_bin.isEmpty());
    QVERIFY(test::useClientHome(*m_server));

    // The second host: another sshd for the same user, with the default PATH (no nvidia-smi),
    // reached from the first one's client home under its own alias.
    m_bare = std::make_unique<SshdServer>();
    GPUWB_START_SSHD(*m_bare);
    m_server->appendClientConfig(u"Host %1\n    HostName 127.0.0.1\n    Port %2\n    User %3\n"
                                 "    IdentityFile %4\n"_s.arg(m_bareAlias)
                                     .arg(m_bare->port())
                                     .arg(SshdServer::userName(), m_bare->plainKeyPath()));
    QFile known(m_server->clientSshDir() + u"/known_hosts"_s);
    QVERIFY(known.open(QIODevice::Append));
    QVERIFY(known.write(m_bare->knownHostsLine() + '\n') > 0);
}

void TestTelemetry::init()
{
    QSettings().clear(); // the default interval (1 s) and window (5 min)
}

QString TestTelemetry::makeProject(const QString &name, const QByteArray &toml)
{
    const QString dir = m_data.filePath(name);
    if (!QDir().mkpath(dir))
        return {};
    return writeText(dir + u"/gpuwb.toml"_s, toml) ? dir : QString();
}

void TestTelemetry::connectFromDock(MainWindow &window, const QString &alias)
{
    RemotePanel *remote = window.remotePanel();
    const int row = remote->hostBox()->findData(alias);
    QVERIFY2(row >= 0, qPrintable(alias));
    remote->hostBox()->setCurrentIndex(row);
    QCOMPARE(remote->currentAlias(), alias);
    QCOMPARE(remote->connectButton()->text(), u"Connect"_s);
    QTest::mouseClick(remote->connectButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(toString(remote->state()), toString(SshState::Connected),
                              LongWaitMs);
}

void TestTelemetry::remoteHostLiveInterruptedAndBack()
{
    const QString alias = m_server->alias();
    const QString id = u"ssh:"_s + alias;
    const GpuSnapshot want = firstPass(Recording);
    QCOMPARE(want.gpus.size(), 1);
    const GpuSample &wantGpu = want.gpus.first();

    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    GpuPanel *panel = window.gpuPanel();
    GpuTelemetry *telemetry = panel->telemetry();
    QVERIFY(telemetry);
    auto *gpuStatus = window.findChild<QLabel *>(u"gpuStatus"_s);
    QVERIFY(gpuStatus);

    // Every status the host goes through, with what the window showed at that moment (the
    // panel and the status bar were connected first, so they are up to date here).
    QList<GpuHostStatus> statuses;
    QStringList sectionLines;
    QStringList statusBarTexts;
    connect(telemetry, &GpuTelemetry::statusChanged, this,
            [&](const QString &host, GpuHostStatus status) {
                if (host != id)
                    return;
                statuses << status;
                if (GpuHostSection *s = panel->section(id))
                    sectionLines << s->statusText();
                statusBarTexts << gpuStatus->text();
            });

    connectFromDock(window, alias);
    GpuHostSection *section = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((section = panel->section(id)), LongWaitMs);
    QCOMPARE(section->title(), alias);
    QTRY_COMPARE_WITH_TIMEOUT(section->status(), GpuHostStatus::Live, LongWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(section->cards().size(), 1, LongWaitMs);
    QVERIFY(panel->sections().first()->hostId() == u"local"_s); // this machine first

    // The card is the recording's GPU, with the recording's values.
    GpuCard *card = section->cards().first();
    QCOMPARE(card->uuid(), wantGpu.uuid);
    QCOMPARE(card->heading(), u"GPU 0 · NVIDIA H100 80GB HBM3"_s);
    QCOMPARE(telemetry->latest(id).gpus, want.gpus);
    QCOMPARE(telemetry->latest(id).driverVersion, u"590.48.01"_s);
    QCOMPARE(card->metricsText(), GpuText::metricsLine(wantGpu));
    QVERIFY2(card->metricsText().startsWith(u"100 % · 19.4/79.6 GiB · 59 °C · 632/700 W"_s),
             qPrintable(card->metricsText()));
    GpuChart *util = card->chart(GpuMetric::UtilizationGpuPercent);
    GpuChart *memory = card->chart(GpuMetric::MemoryUsedMiB);
    QVERIFY(util && memory);
    QTRY_VERIFY_WITH_TIMEOUT(!util->points().isEmpty(), LongWaitMs);
    QCOMPARE(util->points().last().y(), 100.0);
    QCOMPARE(memory->points().last().y(), 19818.0);
    QCOMPARE(memory->yMax(), 81559.0);
    QCOMPARE(memory->titleText(), u"Memory · 19818 / 81559 MiB"_s);
    // The charts grow with the stream.
    const qsizetype firstPoints = util->points().size();
    QTRY_VERIFY_WITH_TIMEOUT(util->points().size() >= firstPoints + 2, LongWaitMs);
    QCOMPARE(memory->points().size(), util->points().size());

    // The status bar names the host once it is the target.
    QVERIFY(window.targetSelector()->choose(id));
    const QString summary = u"%1: 1 GPU · 100% · 59 °C · 19.4/79.6 GiB"_s.arg(alias);
    QTRY_COMPARE_WITH_TIMEOUT(gpuStatus->text(), summary, LongWaitMs);

    // The server side dies mid-stream: the host is interrupted, then comes back by itself.
    const qint64 lastBefore = telemetry->latest(id).timestampMs;
    const int updatesBefore = util->seriesUpdates();
    statuses.clear();
    sectionLines.clear();
    statusBarTexts.clear();
    m_server->killSessions();
    QTRY_VERIFY_WITH_TIMEOUT(statuses.contains(GpuHostStatus::Interrupted), LongWaitMs);
    const qsizetype at = statuses.indexOf(GpuHostStatus::Interrupted);
    QVERIFY2(sectionLines.value(at).contains(alias)
                 && sectionLines.value(at).contains(u"resume"_s),
             qPrintable(sectionLines.value(at)));
    QCOMPARE(statusBarTexts.value(at), u"%1: GPU readings paused (reconnecting)"_s.arg(alias));
    QTRY_COMPARE_WITH_TIMEOUT(section->status(), GpuHostStatus::Live, LongWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(telemetry->latest(id).timestampMs > lastBefore, LongWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(util->seriesUpdates() >= updatesBefore + 2, LongWaitMs);
    QCOMPARE(section->cards().size(), 1);
    QCOMPARE(section->cards().first(), card); // the same card goes on
    QCOMPARE(util->points().last().y(), 100.0);
    QTRY_COMPARE_WITH_TIMEOUT(gpuStatus->text(), summary, LongWaitMs);
    QCOMPARE(visibleDialogs(), QString());
}

void TestTelemetry::hostWithoutNvidiaSmiIsCalm()
{
    const QString id = u"ssh:"_s + m_bareAlias;
    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    GpuPanel *panel = window.gpuPanel();
    GpuTelemetry *telemetry = panel->telemetry();
    QList<GpuHostStatus> statuses;
    connect(telemetry, &GpuTelemetry::statusChanged, this,
            [&](const QString &host, GpuHostStatus status) {
                if (host == id)
                    statuses << status;
            });

    connectFromDock(window, m_bareAlias);
    GpuHostSection *section = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((section = panel->section(id)), LongWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(section->status(), GpuHostStatus::NoDriver, LongWaitMs);
    const QString calm = u"No NVIDIA driver on %1: nvidia-smi was not found. GPU telemetry is "
                         "off for this host."_s.arg(m_bareAlias);
    QCOMPARE(section->statusText(), calm);
    QVERIFY(section->cards().isEmpty());
    QVERIFY(window.targetSelector()->choose(id));
    auto *gpuStatus = window.findChild<QLabel *>(u"gpuStatus"_s);
    QTRY_COMPARE_WITH_TIMEOUT(gpuStatus->text(), u"%1: no NVIDIA GPU"_s.arg(m_bareAlias),
                              LongWaitMs);
    QCOMPARE(gpuStatus->toolTip(), calm);

    // Many intervals later: the same one line, one command on the host, no dialog.
    const int commands = m_bare->log().count(u"Starting session: command"_s);
    QCOMPARE(commands, 1); // the probe
    QTest::qWait(4000);
    QCOMPARE(countOf(statuses, GpuHostStatus::NoDriver), 1);
    QCOMPARE(statuses.last(), GpuHostStatus::NoDriver);
    QVERIFY(!statuses.contains(GpuHostStatus::Failed));
    QCOMPARE(m_bare->log().count(u"Starting session: command"_s), commands);
    QCOMPARE(section->statusText(), calm);
    QCOMPARE(visibleDialogs(), QString());
    QVERIFY(telemetry->history(id)->isEmpty());
}

void TestTelemetry::remoteJobNamedOnItsGpu()
{
    const QString alias = m_server->alias();
    const QString id = u"ssh:"_s + alias;
    const QString jobName = u"train \"big\" $(id)"_s;
    // The job prints the pid of its shell, then becomes the long-running "GPU process".
    const QString dir = makeProject(u"gpu job"_s,
                                    "name = 'train \"big\" $(id)'\n"
                                    "command = 'echo \"worker $$\"; exec sleep 300'\n");
    QVERIFY(!dir.isEmpty());
    QVERIFY(writeText(m_bin + u"/standin-apps"_s, "gpu_uuid, pid, process_name, "
                                                  "used_gpu_memory [MiB]\n"));

    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.openProject(dir);
    QVERIFY(window.targetSelector()->choose(id));
    JobPanel *jobs = window.jobPanel();
    QAbstractItemModelTester listTester(jobs->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_VERIFY(jobs->runAction()->isEnabled());
    jobs->runAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!window.jobManager()->jobs().isEmpty(), LongWaitMs);
    Job *job = window.jobManager()->jobs().last();
    const auto stopJob = qScopeGuard([job] {
        if (!isFinal(job->state()))
            job->stop();
    });
    QCOMPARE(job->spec().targetId, id);
    QCOMPARE(job->spec().name, jobName);

    // The job's shell and its process group, as the host knows them.
    qint64 worker = 0;
    QTRY_VERIFY_WITH_TIMEOUT((worker = numberAfter(jobs->viewFor(job->id()), u"worker "_s)) > 0,
                             LongWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(job->processGroup() > 0, LongWaitMs);
    QVERIFY2(job->state() == JobState::Running, qPrintable(toString(job->state())));
    QFile stat(u"/proc/%1/stat"_s.arg(worker));
    QVERIFY(stat.open(QIODevice::ReadOnly));
    const QList<QByteArray> fields = stat.readAll().split(')').last().trimmed().split(' ');
    QCOMPARE(fields.value(2).toLongLong(), job->processGroup()); // the worker is in the group

    // nvidia-smi now lists the job's process, and one of someone else's (this test).
    const QString uuid = firstPass(Recording).gpus.first().uuid;
    const QByteArray apps = "gpu_uuid, pid, process_name, used_gpu_memory [MiB]\n"
        + uuid.toUtf8() + ", " + QByteArray::number(worker) + ", python3 train.py, 3172\n"
        + uuid.toUtf8() + ", " + QByteArray::number(::getpid()) + ", other, 512\n";
    QVERIFY(writeText(m_bin + u"/standin-apps"_s, apps));

    // The job list's GPU column: the GPU and the job's memory on it.
    JobListModel *model = jobs->model();
    const int row = model->rowOf(job->id());
    QVERIFY(row >= 0);
    const QModelIndex gpuCell = model->index(row, JobListModel::GpuColumn);
    QTRY_COMPARE_WITH_TIMEOUT(gpuCell.data().toString(), u"GPU 0 · 3.1 GiB"_s, LongWaitMs);
    QCOMPARE(model->headerData(JobListModel::GpuColumn, Qt::Horizontal, Qt::DisplayRole)
                 .toString(),
             u"GPU"_s);
    QVERIFY(!jobs->jobList()->isColumnHidden(JobListModel::GpuColumn));
    const QString tip = gpuCell.data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(u"NVIDIA H100 80GB HBM3"_s) && tip.contains(QString::number(worker)),
             qPrintable(tip));

    // The panel's process table names the job's process, and only that one.
    GpuHostSection *section = window.gpuPanel()->section(id);
    QVERIFY(section);
    QTRY_COMPARE_WITH_TIMEOUT(section->cards().size(), 1, LongWaitMs);
    GpuProcessModel *processes = section->cards().first()->processModel();
    QAbstractItemModelTester processTester(
        processes, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE_WITH_TIMEOUT(processes->rowCount(), 2, LongWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(processes->jobNames().size(), 2, LongWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(processes->jobNames().contains(jobName), LongWaitMs);
    for (int r = 0; r < processes->rowCount(); ++r) {
        const qint64 pid = processes->index(r, GpuProcessModel::PidColumn)
                               .data(GpuProcessModel::SortRole)
                               .toLongLong();
        const QString shownJob =
            processes->index(r, GpuProcessModel::JobColumn).data().toString();
        const QString memoryText =
            processes->index(r, GpuProcessModel::MemoryColumn).data().toString();
        if (pid == worker) {
            QCOMPARE(shownJob, jobName);
            QCOMPARE(processes->index(r, GpuProcessModel::NameColumn).data().toString(),
                     u"python3 train.py"_s);
            QCOMPARE(processes->processes().at(r).usedMemoryBytes,
                     std::optional<qint64>(3172 * MiB));
            QCOMPARE(processes->processes().at(r).processGroup,
                     std::optional<qint64>(job->processGroup()));
        } else {
            QCOMPARE(pid, qint64(::getpid()));
            QCOMPARE(shownJob, QString());
        }
        QVERIFY(!memoryText.isEmpty());
    }

    // Stopped: the job uses no GPU any more.
    jobs->selectJob(job->id());
    QTRY_VERIFY(jobs->stopAction()->isEnabled());
    jobs->stopAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(isFinal(job->state()), LongWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(model->index(model->rowOf(job->id()), JobListModel::GpuColumn)
                                  .data()
                                  .toString(),
                              QString(), LongWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!processes->jobNames().contains(jobName), LongWaitMs);
    QVERIFY(writeText(m_bin + u"/standin-apps"_s, "gpu_uuid, pid, process_name, "
                                                  "used_gpu_memory [MiB]\n"));
    QCOMPARE(visibleDialogs(), QString());
}

QTEST_MAIN(TestTelemetry)
#include "tst_telemetry.moc"
