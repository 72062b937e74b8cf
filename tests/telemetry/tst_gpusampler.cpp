// GpuSampler on a real thread: snapshots from a replayed recording, the source used and
// destroyed on the sampler's thread only, no pile-up behind a slow source, clear failures.

#include "core/gpu/gpusampler.h"
#include "core/gpu/localgpusource.h"
#include "core/gpu/replaygpusource.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

QString fixture(const QString &name)
{
    return qEnvironmentVariable("GPUWB_FIXTURES") + u"/nvidia-smi/"_s + name;
}

// Records which threads touch it and how many samples run at once.
struct Probe
{
    std::atomic<QThread *> openThread{nullptr};
    std::atomic<QThread *> sampleThread{nullptr};
    std::atomic<QThread *> destroyThread{nullptr};
    std::atomic<int> inFlight{0};
    std::atomic<int> maxInFlight{0};
    std::atomic<int> samples{0};
    std::atomic<bool> otherThreadSeen{false};
};

class ProbeSource : public GpuSource
{
public:
    ProbeSource(Probe *probe, int sleepMs) : m_probe(probe), m_sleepMs(sleepMs) {}
    ~ProbeSource() override { m_probe->destroyThread = QThread::currentThread(); }
    QString description() const override { return u"probe"_s; }
    Status open() override
    {
        m_probe->openThread = QThread::currentThread();
        return {};
    }
    Result<GpuSnapshot> sample() override
    {
        QThread *const current = QThread::currentThread();
        if (m_probe->sampleThread && m_probe->sampleThread != current)
            m_probe->otherThreadSeen = true;
        m_probe->sampleThread = current;
        const int now = ++m_probe->inFlight;
        m_probe->maxInFlight = std::max(m_probe->maxInFlight.load(), now);
        QThread::msleep(m_sleepMs);
        --m_probe->inFlight;
        GpuSnapshot s;
        s.timestampMs = ++m_probe->samples;
        return s;
    }

private:
    Probe *m_probe;
    int m_sleepMs;
};

} // namespace

class TestGpuSampler : public QObject
{
    Q_OBJECT
private slots:
    void replaysFourT4s();
    void sourceLivesOnTheSamplerThread();
    void slowSourceDoesNotPileUp();
    void openFailureIsReported();
    void stopAndRestart();
    void localSourceHonoursReplayVariable();
};

void TestGpuSampler::replaysFourT4s()
{
    GpuSampler sampler(
        std::make_unique<ReplayGpuSource>(fixture(u"querygpu-4xt4-510.108.03.csv"_s)), 20);
    QSignalSpy opened(&sampler, &GpuSampler::opened);
    QSignalSpy sampled(&sampler, &GpuSampler::sampled);
    QSignalSpy failed(&sampler, &GpuSampler::failed);
    sampler.start();
    QVERIFY(sampler.isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(sampled.size() >= 3, 30000);
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.first().first().toString(), u"replay of querygpu-4xt4-510.108.03.csv"_s);
    QCOMPARE(failed.size(), 0);
    qint64 previous = 0;
    for (const QList<QVariant> &args : std::as_const(sampled)) {
        const auto s = args.first().value<GpuSnapshot>();
        QCOMPARE(s.gpus.size(), 4);
        QCOMPARE(s.driverVersion, u"510.108.03"_s);
        QCOMPARE(s.gpus[1].temperatureCelsius.value(), 51.0);
        QVERIFY(s.timestampMs >= previous); // the replay stamps the current time
        previous = s.timestampMs;
    }
}

void TestGpuSampler::sourceLivesOnTheSamplerThread()
{
    Probe probe;
    {
        GpuSampler sampler(std::make_unique<ProbeSource>(&probe, 0), 10);
        QSignalSpy sampled(&sampler, &GpuSampler::sampled);
        sampler.start();
        QTRY_VERIFY_WITH_TIMEOUT(sampled.size() >= 3, 30000);
    }
    QVERIFY(probe.openThread.load());
    QVERIFY(probe.openThread.load() != QThread::currentThread());
    QCOMPARE(probe.sampleThread.load(), probe.openThread.load());
    QCOMPARE(probe.destroyThread.load(), probe.openThread.load());
    QVERIFY(!probe.otherThreadSeen);
}

void TestGpuSampler::slowSourceDoesNotPileUp()
{
    Probe probe;
    GpuSampler sampler(std::make_unique<ProbeSource>(&probe, 150), 10);
    QSignalSpy sampled(&sampler, &GpuSampler::sampled);
    sampler.start();
    QTRY_VERIFY_WITH_TIMEOUT(sampled.size() >= 4, 30000);
    QCOMPARE(probe.maxInFlight.load(), 1);
    // Every sample that ran was delivered once, in order.
    for (int i = 0; i < sampled.size(); ++i)
        QCOMPARE(sampled.at(i).first().value<GpuSnapshot>().timestampMs, i + 1);
}

void TestGpuSampler::openFailureIsReported()
{
    GpuSampler sampler(
        std::make_unique<ReplayGpuSource>(u"/nonexistent/dir/$(reboot)\n.csv"_s), 10);
    QSignalSpy failed(&sampler, &GpuSampler::failed);
    QSignalSpy sampled(&sampler, &GpuSampler::sampled);
    QSignalSpy opened(&sampler, &GpuSampler::opened);
    sampler.start();
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 30000);
    const auto error = failed.first().first().value<Error>();
    QCOMPARE(error.code, ErrorCode::GpuReplayUnreadable);
    QVERIFY(error.message.contains(u"GPUWB_GPU_REPLAY"_s));
    QCOMPARE(opened.size(), 0);
    QCOMPARE(sampled.size(), 0);

    // A recording nvidia-smi refused is a parse error, said plainly.
    QTemporaryDir dir;
    QFile bad(dir.filePath(u"bad.csv"_s));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("Field \"bogus\" is not a valid field to query.\n");
    bad.close();
    ReplayGpuSource source(bad.fileName());
    const Status status = source.open();
    QVERIFY(!status.ok());
    QCOMPARE(status.error().code, ErrorCode::GpuSmiInvalidField);
    QVERIFY(!source.sample().ok());
}

void TestGpuSampler::stopAndRestart()
{
    GpuSampler sampler(
        std::make_unique<ReplayGpuSource>(fixture(u"querygpu-h100-590.48.01.csv"_s)), 10);
    QSignalSpy sampled(&sampler, &GpuSampler::sampled);
    QSignalSpy opened(&sampler, &GpuSampler::opened);
    sampler.start();
    QTRY_VERIFY_WITH_TIMEOUT(sampled.size() >= 1, 30000);
    sampler.stop();
    QVERIFY(!sampler.isRunning());
    sampler.start();
    const qsizetype before = sampled.size();
    QTRY_VERIFY_WITH_TIMEOUT(sampled.size() > before, 30000);
    QCOMPARE(opened.size(), 1); // opened once, resumed after
}

void TestGpuSampler::localSourceHonoursReplayVariable()
{
    const QString path = fixture(u"querygpu-l40s-595.80.csv"_s);
    qputenv("GPUWB_GPU_REPLAY", path.toLocal8Bit());
    std::unique_ptr<GpuSource> replay = makeLocalGpuSource();
    qunsetenv("GPUWB_GPU_REPLAY");
    QCOMPARE(replay->description(), u"replay of querygpu-l40s-595.80.csv"_s);
    QVERIFY(replay->open().ok());
    const Result<GpuSnapshot> s = replay->sample();
    QVERIFY(s.ok());
    QCOMPARE(s->gpus.first().name, u"NVIDIA L40S"_s);

    std::unique_ptr<GpuSource> local = makeLocalGpuSource();
    QVERIFY(local->description().startsWith(u"NVML"_s));
}

QTEST_GUILESS_MAIN(TestGpuSampler)
#include "tst_gpusampler.moc"
