// RemoteGpuMonitor through GpuTelemetry against the real loopback sshd, with
// tests/helpers/nvidia-smi-standin installed as the test user's nvidia-smi: samples equal the
// recording, the field set follows --help-query-gpu, a killed server side interrupts and the
// stream resumes, a host without nvidia-smi is reported once, an interval change restarts
// the stream, nothing survives stop, and compute apps carry their process group and session.

#include "core/gpu/nvidiasmiparser.h"
#include "core/gpu/replaygpusource.h"
#include "core/ssh/sshconnections.h"
#include "core/ssh/sshprompter.h"
#include "core/telemetry/gputelemetry.h"
#include "core/telemetry/remotegpumonitor.h"
#include "helpers/sshtest.h"

#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;
namespace P = gpuwb::NvidiaSmiParser;

namespace {

constexpr int kTimeoutMs = 60000;

class RefusingPrompter : public SshPrompter
{
public:
    bool acceptHostKey(const SshHostKeyInfo &) override { return false; }
    std::optional<SshSecret> askSecret(const SshSecretRequest &) override { return {}; }
};

QString fixturePath(const QString &name)
{
    return qEnvironmentVariable("GPUWB_FIXTURES") + u"/nvidia-smi/"_s + name;
}

bool writeText(const QString &path, const QByteArray &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size();
}

int countLines(const QString &path, const QString &needle)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    int n = 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        n += QString::fromUtf8(line).contains(needle);
    return n;
}

} // namespace

class TestRemoteGpu : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::SshdServer> m_server;
    QString m_bin;

    SshConnection::Options options() const
    {
        SshConnection::Options o;
        o.paths = SshPaths::defaults();
        o.prompter = std::make_shared<RefusingPrompter>();
        o.connectTimeoutSeconds = 20;
        return o;
    }

    // Installs the stand-in as nvidia-smi with a recording and a help text.
    bool installStandIn(const QString &recording, const QString &help)
    {
        m_bin = test::installNvidiaSmiStandIn(*m_server, recording, help);
        return !m_bin.isEmpty() && test::useClientHome(*m_server);
    }

    QString log() const { return m_bin + u"/standin.log"_s; }

    static std::unique_ptr<GpuTelemetry> makeTelemetry(SshConnections *connections)
    {
        auto telemetry = std::make_unique<GpuTelemetry>(connections);
        telemetry->setLocalSourceFactory([] {
            return std::make_unique<ReplayGpuSource>(fixturePath(u"querygpu-t4-510.108.03.csv"_s));
        });
        return telemetry;
    }

    static GpuSnapshot firstPass(const QString &recording)
    {
        QFile f(fixturePath(recording));
        if (!f.open(QIODevice::ReadOnly))
            qFatal("no fixture");
        Result<QList<GpuSnapshot>> passes = P::parseQueryGpuPasses(f.readAll());
        if (!passes)
            qFatal("fixture does not parse");
        return passes->first();
    }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init()
    {
        RemoteGpuMonitor::clearProbeCache();
        m_server = std::make_unique<test::SshdServer>();
        GPUWB_START_SSHD(*m_server);
    }
    void cleanup() { m_server.reset(); }

    void samplesEqualTheRecording();
    void fieldsFollowTheHelpText();
    void interruptedThenResumes();
    void noNvidiaSmiIsCalm();
    void driverFailureIsReportedOnce();
    void intervalChangeRestartsTheStream();
    void computeAppsCarryGroupAndSession();
    void forgedRowsInANameAddNothing();
};

void TestRemoteGpu::samplesEqualTheRecording()
{
    const QString recording = u"querygpu-h100-590.48.01.csv"_s;
    QVERIFY(installStandIn(recording, u"help-query-gpu-590.48.01.txt"_s));
    SshConnections connections(options());
    auto telemetry = makeTelemetry(&connections);
    QSignalSpy sampled(telemetry.get(), &GpuTelemetry::sampled);
    QSignalSpy added(telemetry.get(), &GpuTelemetry::hostAdded);
    telemetry->start();
    SshConnection *c = connections.connection(m_server->alias());
    const QString id = u"ssh:"_s + m_server->alias();
    QCOMPARE(telemetry->hostIds(), (QStringList{u"local"_s, id}));
    QCOMPARE(added.size(), 2);
    QCOMPARE(telemetry->status(id), GpuHostStatus::Starting);
    c->connectToHost();

    QTRY_VERIFY_WITH_TIMEOUT(!telemetry->history(id)->isEmpty(), kTimeoutMs);
    QCOMPARE(telemetry->status(id), GpuHostStatus::Live);
    const GpuSnapshot got = telemetry->latest(id);
    const GpuSnapshot want = firstPass(recording);
    QCOMPARE(got.driverVersion, want.driverVersion);
    QCOMPARE(got.gpus, want.gpus);
    QVERIFY(*got.gpus.first().powerMilliwatts > 0);
    QVERIFY(telemetry->history(id)->capacity() >= 3600);
    bool fromHost = false;
    for (const auto &args : std::as_const(sampled))
        fromHost |= args.at(0).toString() == id;
    QVERIFY(fromHost);
    // The help text was asked once.
    QCOMPARE(countLines(log(), u"--help-query-gpu"_s), 1);
}

void TestRemoteGpu::fieldsFollowTheHelpText()
{
    QVERIFY(installStandIn(u"querygpu-rtx2080super-465.27.csv"_s,
                           u"help-query-gpu-465.27.txt"_s));
    SshConnections connections(options());
    SshConnection *c = connections.connection(m_server->alias());
    RemoteGpuMonitor monitor(c, 500);
    QSignalSpy sampled(&monitor, &RemoteGpuMonitor::sampled);
    monitor.start();
    c->connectToHost();
    QTRY_VERIFY_WITH_TIMEOUT(!sampled.isEmpty(), kTimeoutMs);
    const QStringList fields = monitor.fields();
    QVERIFY(fields.contains(u"count"_s));
    QVERIFY(!fields.contains(u"power.draw.instant"_s)); // a 590 driver offers it
    QCOMPARE(countLines(log(), u"--query-gpu="_s + fields.join(u',') + u" "_s), 1);
    const GpuSnapshot got = sampled.first().first().value<GpuSnapshot>();
    QCOMPARE(got.gpus, firstPass(u"querygpu-rtx2080super-465.27.csv"_s).gpus);

    // The same fixture under a 590 help text asks for more.
    monitor.stop();
    RemoteGpuMonitor::clearProbeCache();
    QVERIFY(QFile::copy(fixturePath(u"help-query-gpu-590.48.01.txt"_s), m_bin + u"/h590.txt"_s));
    QVERIFY(writeText(m_bin + u"/standin-help"_s, (m_bin + u"/h590.txt\n"_s).toUtf8()));
    RemoteGpuMonitor newer(c, 500);
    QSignalSpy newerSampled(&newer, &RemoteGpuMonitor::sampled);
    newer.start();
    QTRY_VERIFY_WITH_TIMEOUT(!newerSampled.isEmpty(), kTimeoutMs);
    QVERIFY(newer.fields().contains(u"power.draw.instant"_s));
    QVERIFY(newer.fields().size() > fields.size());
}

void TestRemoteGpu::interruptedThenResumes()
{
    QVERIFY(installStandIn(u"querygpu-4xt4-510.108.03.csv"_s,
                           u"help-query-gpu-590.48.01.txt"_s));
    SshConnections connections(options());
    auto telemetry = makeTelemetry(&connections);
    telemetry->setIntervalMs(GpuTelemetry::kMinimumIntervalMs);
    telemetry->start();
    const QString id = u"ssh:"_s + m_server->alias();
    connections.connection(m_server->alias())->connectToHost();
    QTRY_COMPARE_WITH_TIMEOUT(telemetry->status(id), GpuHostStatus::Live, kTimeoutMs);
    QCOMPARE(telemetry->latest(id).gpus.size(), 4);

    QSignalSpy status(telemetry.get(), &GpuTelemetry::statusChanged);
    m_server->killSessions();
    QTRY_COMPARE_WITH_TIMEOUT(telemetry->status(id), GpuHostStatus::Interrupted, kTimeoutMs);
    QVERIFY(telemetry->statusMessage(id).contains(m_server->alias()));
    const int before = telemetry->history(id)->size();
    QTRY_COMPARE_WITH_TIMEOUT(telemetry->status(id), GpuHostStatus::Live, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(telemetry->history(id)->size() > before, kTimeoutMs);
    QCOMPARE(telemetry->latest(id).gpus.size(), 4);
    // The probe is cached for the host: asked once across the reconnect.
    QCOMPARE(countLines(log(), u"--help-query-gpu"_s), 1);
    QVERIFY(countLines(log(), u"--query-gpu="_s) >= 2);
}

void TestRemoteGpu::noNvidiaSmiIsCalm()
{
    QVERIFY(test::useClientHome(*m_server)); // no stand-in: nvidia-smi is not found
    SshConnections connections(options());
    auto telemetry = makeTelemetry(&connections);
    QSignalSpy status(telemetry.get(), &GpuTelemetry::statusChanged);
    telemetry->setIntervalMs(GpuTelemetry::kMinimumIntervalMs);
    telemetry->start();
    const QString id = u"ssh:"_s + m_server->alias();
    connections.connection(m_server->alias())->connectToHost();
    QTRY_COMPARE_WITH_TIMEOUT(telemetry->status(id), GpuHostStatus::NoDriver, kTimeoutMs);
    QCOMPARE(telemetry->statusMessage(id),
             u"No NVIDIA driver on %1: nvidia-smi was not found. GPU telemetry is off for this "
             "host."_s.arg(m_server->alias()));
    // Many intervals later: still one message and one command on the host.
    QTest::qWait(3000);
    int noDriver = 0;
    for (const auto &args : std::as_const(status))
        noDriver += args.at(0).toString() == id
            && args.at(1).value<GpuHostStatus>() == GpuHostStatus::NoDriver;
    QCOMPARE(noDriver, 1);
    QCOMPARE(m_server->log().count(u"Starting session: command"_s), 1);
    QVERIFY(telemetry->history(id)->isEmpty());
}

void TestRemoteGpu::driverFailureIsReportedOnce()
{
    QVERIFY(installStandIn(u"querygpu-t4-510.108.03.csv"_s, u"help-query-gpu-590.48.01.txt"_s));
    QVERIFY(writeText(m_bin + u"/standin-mode"_s, "nodriver\n"));
    SshConnections connections(options());
    SshConnection *c = connections.connection(m_server->alias());
    RemoteGpuMonitor monitor(c, 200);
    QSignalSpy status(&monitor, &RemoteGpuMonitor::statusChanged);
    monitor.start();
    c->connectToHost();
    QTRY_COMPARE_WITH_TIMEOUT(monitor.status(), GpuHostStatus::NoDriver, kTimeoutMs);
    QVERIFY(monitor.statusMessage().startsWith(u"No NVIDIA driver on %1: "_s.arg(c->alias())));
    QVERIFY(monitor.statusMessage().contains(u"couldn't communicate"_s));
    QTest::qWait(3000);
    QCOMPARE(countLines(log(), u"--query-gpu="_s), 1);
    QCOMPARE(countLines(log(), u"--help-query-gpu"_s), 1);
    // An interval change asks again, once.
    monitor.setIntervalMs(300);
    QTRY_VERIFY_WITH_TIMEOUT(countLines(log(), u"--query-gpu="_s) == 2, kTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(monitor.status(), GpuHostStatus::NoDriver, kTimeoutMs);
    QTest::qWait(2000);
    QCOMPARE(countLines(log(), u"--query-gpu="_s), 2);
}

void TestRemoteGpu::intervalChangeRestartsTheStream()
{
    QVERIFY(installStandIn(u"querygpu-h100-590.48.01.csv"_s,
                           u"help-query-gpu-590.48.01.txt"_s));
    SshConnections connections(options());
    auto telemetry = makeTelemetry(&connections);
    QSignalSpy sampled(telemetry.get(), &GpuTelemetry::sampled);
    telemetry->start();
    const QString id = u"ssh:"_s + m_server->alias();
    connections.connection(m_server->alias())->connectToHost();
    QTRY_COMPARE_WITH_TIMEOUT(telemetry->status(id), GpuHostStatus::Live, kTimeoutMs);
    QCOMPARE(countLines(log(), u"-lms 1000"_s), 1);
    const int kept = telemetry->history(id)->size();
    telemetry->setIntervalMs(250);
    QTRY_COMPARE_WITH_TIMEOUT(countLines(log(), u"-lms 250"_s), 1, kTimeoutMs);
    QVERIFY(telemetry->history(id)->size() >= kept);
    QVERIFY(telemetry->history(id)->capacity() >= 60 * 60 * 4);
    QTRY_VERIFY_WITH_TIMEOUT(telemetry->history(id)->size() > kept + 2, kTimeoutMs);
    QCOMPARE(countLines(log(), u"--help-query-gpu"_s), 1);
    // The old stream is gone, the new one is the only one; stop leaves nothing behind.
    telemetry.reset();
    QTRY_VERIFY2_WITH_TIMEOUT(test::processesBelow(m_server->pid()).isEmpty(),
                              qPrintable(test::processesBelow(m_server->pid()).join(u'\n')),
                              kTimeoutMs);
}

void TestRemoteGpu::computeAppsCarryGroupAndSession()
{
    const QString recording = u"querygpu-h100-590.48.01.csv"_s;
    QVERIFY(installStandIn(recording, u"help-query-gpu-590.48.01.txt"_s));
    const QString uuid = firstPass(recording).gpus.first().uuid;
    const qint64 pid = ::getpid();
    const QByteArray apps = "gpu_uuid, pid, process_name, used_gpu_memory [MiB]\n" + uuid.toUtf8()
        + ", " + QByteArray::number(pid) + ", python3 (train) $(id), 1024\n" + uuid.toUtf8()
        + ", 999999999, gone, 12\n";
    QVERIFY(writeText(m_bin + u"/standin-apps"_s, apps));
    SshConnections connections(options());
    SshConnection *c = connections.connection(m_server->alias());
    RemoteGpuMonitor monitor(c, 300);
    GpuSnapshot last;
    connect(&monitor, &RemoteGpuMonitor::sampled, this,
            [&last](const GpuSnapshot &s) { last = s; });
    monitor.start();
    c->connectToHost();
    QTRY_VERIFY_WITH_TIMEOUT(!last.gpus.isEmpty() && last.gpus.first().processes.size() == 2,
                             kTimeoutMs);
    const GpuProcess p = last.gpus.first().processes.first();
    QCOMPARE(p.pid, pid);
    QCOMPARE(p.name, u"python3 (train) $(id)"_s);
    QCOMPARE(p.usedMemoryBytes, std::optional<qint64>(1024LL * 1024 * 1024));
    QCOMPARE(p.processGroup, std::optional<qint64>(::getpgrp()));
    QCOMPARE(p.session, std::optional<qint64>(::getsid(0)));
    const GpuProcess gone = last.gpus.first().processes.at(1);
    QVERIFY(!gone.processGroup);
    QVERIFY(!gone.session);
    monitor.stop();
    QTRY_VERIFY2_WITH_TIMEOUT(test::processesBelow(m_server->pid()).isEmpty(),
                              qPrintable(test::processesBelow(m_server->pid()).join(u'\n')),
                              kTimeoutMs);
}

// Issue 10, item 13: a co-tenant whose process name holds a line break followed by what looks
// like a row of its own adds no row: rows come from a query without names.
void TestRemoteGpu::forgedRowsInANameAddNothing()
{
    const QString recording = u"querygpu-h100-590.48.01.csv"_s;
    QVERIFY(installStandIn(recording, u"help-query-gpu-590.48.01.txt"_s));
    const QString uuid = firstPass(recording).gpus.first().uuid;
    const QByteArray apps = "gpu_uuid, pid, used_gpu_memory [MiB], process_name\n" + uuid.toUtf8()
        + ", " + QByteArray::number(::getpid()) + ", 1024, trainer\\n" + uuid.toUtf8()
        + "\n";
    QVERIFY(writeText(m_bin + u"/standin-apps"_s, apps));
    SshConnections connections(options());
    SshConnection *c = connections.connection(m_server->alias());
    RemoteGpuMonitor monitor(c, 300);
    GpuSnapshot last;
    connect(&monitor, &RemoteGpuMonitor::sampled, this,
            [&last](const GpuSnapshot &s) { last = s; });
    monitor.start();
    c->connectToHost();
    QTRY_VERIFY_WITH_TIMEOUT(!last.gpus.isEmpty() && !last.gpus.first().processes.isEmpty()
                                 && !last.gpus.first().processes.first().name.isEmpty(),
                             kTimeoutMs);
    QTest::qWait(1000); // a few more passes
    QCOMPARE(last.gpus.first().processes.size(), 1);
    const GpuProcess p = last.gpus.first().processes.first();
    QCOMPARE(p.pid, qint64(::getpid()));
    QCOMPARE(p.name, u"trainer "_s + uuid);
    QCOMPARE(p.usedMemoryBytes, std::optional<qint64>(1024LL * 1024 * 1024));
    monitor.stop();
}

QTEST_GUILESS_MAIN(TestRemoteGpu)
#include "tst_remotegpu.moc"
