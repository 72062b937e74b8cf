// GpuTelemetry's local path on a real sampler thread: samples of a replayed recording reach
// the local host's history and sampled(), status follows the source (Live, NoDriver,
// Failed), the interval is clamped and a new interval keeps the history.

#include "core/gpu/gpusource.h"
#include "core/gpu/replaygpusource.h"
#include "core/telemetry/gputelemetry.h"

#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

QString fixture(const QString &name)
{
    return qEnvironmentVariable("GPUWB_FIXTURES") + u"/nvidia-smi/"_s + name;
}

// A source that fails like NVML does on a machine without driver.
class FailingSource : public GpuSource
{
public:
    explicit FailingSource(ErrorCode code) : m_code(code) {}
    QString description() const override { return u"failing"_s; }
    Status open() override { return Error{m_code, u"libnvidia-ml.so.1 was not found."_s}; }
    Result<GpuSnapshot> sample() override { return Error{m_code, u"not open"_s}; }

private:
    ErrorCode m_code;
};

} // namespace

class TestGpuTelemetry : public QObject
{
    Q_OBJECT
private slots:
    void localSamplesReachHistory();
    void localNoDriverIsCalm();
    void localOtherFailure();
    void intervalIsClampedAndKeepsHistory();
    void unknownHost();
};

void TestGpuTelemetry::localSamplesReachHistory()
{
    const QString csv = fixture(u"querygpu-4xt4-510.108.03.csv"_s);
    ReplayGpuSource reference(csv);
    QVERIFY(reference.open());
    const Result<GpuSnapshot> first = reference.sample();
    QVERIFY(first);

    GpuTelemetry telemetry(nullptr);
    int factoryCalls = 0;
    telemetry.setLocalSourceFactory([&] {
        ++factoryCalls;
        return std::make_unique<ReplayGpuSource>(csv);
    });
    QSignalSpy added(&telemetry, &GpuTelemetry::hostAdded);
    QSignalSpy sampled(&telemetry, &GpuTelemetry::sampled);
    QSignalSpy status(&telemetry, &GpuTelemetry::statusChanged);
    telemetry.setIntervalMs(GpuTelemetry::kMinimumIntervalMs);
    telemetry.start();
    QCOMPARE(factoryCalls, 1);
    QCOMPARE(added.count(), 1);
    QCOMPARE(added.first().first().toString(), u"local"_s);
    QCOMPARE(telemetry.hostIds(), QStringList{u"local"_s});
    QTRY_VERIFY_WITH_TIMEOUT(sampled.count() >= 3, 30000);
    QCOMPARE(telemetry.status(u"local"_s), GpuHostStatus::Live);
    QVERIFY(!status.isEmpty());
    QCOMPARE(status.last().at(1).value<GpuHostStatus>(), GpuHostStatus::Live);

    const GpuHistory *history = telemetry.history(u"local"_s);
    QVERIFY(history);
    QVERIFY(history->size() >= 3);
    // 60 minutes at 0.2 s fit.
    QVERIFY(history->capacity() >= 60 * 60 * 5);
    const auto firstSampled = sampled.first();
    QCOMPARE(firstSampled.at(0).toString(), u"local"_s);
    const GpuSnapshot got = firstSampled.at(1).value<GpuSnapshot>();
    QCOMPARE(got.gpus, first->gpus);
    QCOMPARE(got.driverVersion, first->driverVersion);
    QCOMPARE(telemetry.latest(u"local"_s).gpus.size(), first->gpus.size());
}

void TestGpuTelemetry::localNoDriverIsCalm()
{
    GpuTelemetry telemetry(nullptr);
    telemetry.setLocalSourceFactory(
        [] { return std::make_unique<FailingSource>(ErrorCode::GpuNvmlUnavailable); });
    QSignalSpy status(&telemetry, &GpuTelemetry::statusChanged);
    telemetry.start();
    QTRY_COMPARE_WITH_TIMEOUT(telemetry.status(u"local"_s), GpuHostStatus::NoDriver, 30000);
    QVERIFY(telemetry.statusMessage(u"local"_s).startsWith(u"No NVIDIA driver on this machine"_s));
    QTest::qWait(500);
    int noDriver = 0;
    for (const auto &args : std::as_const(status))
        noDriver += args.at(1).value<GpuHostStatus>() == GpuHostStatus::NoDriver;
    QCOMPARE(noDriver, 1);
    QVERIFY(telemetry.history(u"local"_s)->isEmpty());
}

void TestGpuTelemetry::localOtherFailure()
{
    GpuTelemetry telemetry(nullptr);
    telemetry.setLocalSourceFactory([] {
        return std::make_unique<ReplayGpuSource>(fixture(u"does-not-exist.csv"_s));
    });
    telemetry.start();
    QTRY_COMPARE_WITH_TIMEOUT(telemetry.status(u"local"_s), GpuHostStatus::Failed, 30000);
    QVERIFY(!telemetry.statusMessage(u"local"_s).isEmpty());
}

void TestGpuTelemetry::intervalIsClampedAndKeepsHistory()
{
    const QString csv = fixture(u"querygpu-h100-590.48.01.csv"_s);
    GpuTelemetry telemetry(nullptr);
    int factoryCalls = 0;
    telemetry.setLocalSourceFactory([&] {
        ++factoryCalls;
        return std::make_unique<ReplayGpuSource>(csv);
    });
    telemetry.setIntervalMs(1);
    QCOMPARE(telemetry.intervalMs(), GpuTelemetry::kMinimumIntervalMs);
    QSignalSpy sampled(&telemetry, &GpuTelemetry::sampled);
    telemetry.start();
    QTRY_VERIFY_WITH_TIMEOUT(sampled.count() >= 2, 30000);
    const int before = telemetry.history(u"local"_s)->size();
    const int capacityBefore = telemetry.history(u"local"_s)->capacity();

    telemetry.setIntervalMs(1000);
    QCOMPARE(telemetry.intervalMs(), 1000);
    QCOMPARE(factoryCalls, 2); // a sampler at the new rate
    const GpuHistory *history = telemetry.history(u"local"_s);
    QVERIFY(history->size() >= before);
    QVERIFY(history->capacity() >= 3600);
    QVERIFY(history->capacity() <= capacityBefore);
    const int now = int(sampled.count());
    QTRY_VERIFY_WITH_TIMEOUT(sampled.count() > now, 30000);
    QVERIFY(history->size() > before);
}

void TestGpuTelemetry::unknownHost()
{
    GpuTelemetry telemetry(nullptr);
    QVERIFY(!telemetry.history(u"ssh:nowhere"_s));
    QVERIFY(telemetry.latest(u"ssh:nowhere"_s).gpus.isEmpty());
    QVERIFY(telemetry.hostIds().isEmpty());
}

QTEST_GUILESS_MAIN(TestGpuTelemetry)
#include "tst_gputelemetry.moc"
