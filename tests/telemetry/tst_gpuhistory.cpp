// GpuHistory: windowing relative to the newest snapshot, capacity of the ring, missing
// metrics and GPUs skipped.

#include "core/gpu/gpuhistory.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

GpuSnapshot snapshot(qint64 timestampMs, QList<GpuSample> gpus)
{
    GpuSnapshot s;
    s.timestampMs = timestampMs;
    s.gpus = std::move(gpus);
    return s;
}

GpuSample gpu(const QString &uuid, double utilization)
{
    GpuSample s;
    s.uuid = uuid;
    s.utilizationGpuPercent = utilization;
    s.memoryUsedBytes = qint64(utilization) * 1024 * 1024;
    s.powerMilliwatts = utilization * 1000.0;
    return s;
}

} // namespace

class TestGpuHistory : public QObject
{
    Q_OBJECT
private slots:
    void empty();
    void windowIsRelativeToNewest();
    void capacityDropsOldest();
    void missingValuesAndGpusAreSkipped();
    void metricsInTheirUnits();
    void clear();
};

void TestGpuHistory::empty()
{
    GpuHistory h(10);
    QVERIFY(h.isEmpty());
    QCOMPARE(h.latest().gpus.size(), 0);
    QVERIFY(h.series(u"GPU-a"_s, GpuMetric::UtilizationGpuPercent, 60000).isEmpty());
}

void TestGpuHistory::windowIsRelativeToNewest()
{
    GpuHistory h(100);
    const qint64 t0 = 1'700'000'000'000;
    for (int i = 0; i < 10; ++i)
        h.append(snapshot(t0 + i * 1000, {gpu(u"GPU-a"_s, i * 10)}));
    QCOMPARE(h.size(), 10);
    QCOMPARE(h.latest().timestampMs, t0 + 9000);

    const QList<QPointF> last3s = h.series(u"GPU-a"_s, GpuMetric::UtilizationGpuPercent, 3000);
    QCOMPARE(last3s, (QList<QPointF>{{-3, 60}, {-2, 70}, {-1, 80}, {0, 90}}));
    const QList<QPointF> all = h.series(u"GPU-a"_s, GpuMetric::UtilizationGpuPercent, 60000);
    QCOMPARE(all.size(), 10);
    QCOMPARE(all.first(), QPointF(-9, 0));
    QCOMPARE(h.series(u"GPU-a"_s, GpuMetric::UtilizationGpuPercent, 0),
             (QList<QPointF>{{0, 90}}));
}

void TestGpuHistory::capacityDropsOldest()
{
    GpuHistory h(5);
    QCOMPARE(h.capacity(), 5);
    for (int i = 0; i < 13; ++i)
        h.append(snapshot(i * 1000, {gpu(u"GPU-a"_s, i)}));
    QCOMPARE(h.size(), 5);
    const QList<QPointF> points = h.series(u"GPU-a"_s, GpuMetric::UtilizationGpuPercent, 1e9);
    QCOMPARE(points, (QList<QPointF>{{-4, 8}, {-3, 9}, {-2, 10}, {-1, 11}, {0, 12}}));
    QCOMPARE(h.latest().gpus.first().utilizationGpuPercent.value(), 12.0);

    GpuHistory defaults;
    QVERIFY(defaults.capacity() >= 15 * 60);
}

void TestGpuHistory::missingValuesAndGpusAreSkipped()
{
    GpuHistory h(10);
    GpuSample noUtil = gpu(u"GPU-a"_s, 5);
    noUtil.utilizationGpuPercent.reset(); // MIG
    h.append(snapshot(0, {gpu(u"GPU-a"_s, 1), gpu(u"GPU-b"_s, 2)}));
    h.append(snapshot(1000, {noUtil, gpu(u"GPU-b"_s, 3)}));
    h.append(snapshot(2000, {gpu(u"GPU-b"_s, 4)})); // GPU-a gone
    h.append(snapshot(3000, {gpu(u"GPU-a"_s, 6), gpu(u"GPU-b"_s, 5)}));
    QCOMPARE(h.series(u"GPU-a"_s, GpuMetric::UtilizationGpuPercent, 10000),
             (QList<QPointF>{{-3, 1}, {0, 6}}));
    QCOMPARE(h.series(u"GPU-a"_s, GpuMetric::MemoryUsedMiB, 10000),
             (QList<QPointF>{{-3, 1}, {-2, 5}, {0, 6}}));
    QCOMPARE(h.series(u"GPU-b"_s, GpuMetric::UtilizationGpuPercent, 10000).size(), 4);
    QVERIFY(h.series(u"GPU-zzz"_s, GpuMetric::UtilizationGpuPercent, 10000).isEmpty());
    QVERIFY(h.series(u"GPU-a"_s, GpuMetric::FanSpeedPercent, 10000).isEmpty());
}

void TestGpuHistory::metricsInTheirUnits()
{
    GpuSample s;
    s.memoryUsedBytes = 3LL * 1024 * 1024 * 1024;
    s.powerMilliwatts = 250500;
    s.smClockMhz = 1410;
    s.memoryClockMhz = 1215;
    s.temperatureCelsius = 61;
    s.fanSpeedPercent = 30;
    s.utilizationMemoryPercent = 12;
    QCOMPARE(GpuHistory::value(s, GpuMetric::MemoryUsedMiB).value(), 3072.0);
    QCOMPARE(GpuHistory::value(s, GpuMetric::PowerWatts).value(), 250.5);
    QCOMPARE(GpuHistory::value(s, GpuMetric::SmClockMhz).value(), 1410.0);
    QCOMPARE(GpuHistory::value(s, GpuMetric::MemoryClockMhz).value(), 1215.0);
    QCOMPARE(GpuHistory::value(s, GpuMetric::TemperatureCelsius).value(), 61.0);
    QCOMPARE(GpuHistory::value(s, GpuMetric::FanSpeedPercent).value(), 30.0);
    QCOMPARE(GpuHistory::value(s, GpuMetric::UtilizationMemoryPercent).value(), 12.0);
    QVERIFY(!GpuHistory::value(s, GpuMetric::UtilizationGpuPercent));
}

void TestGpuHistory::clear()
{
    GpuHistory h(3);
    h.append(snapshot(1, {gpu(u"GPU-a"_s, 1)}));
    h.clear();
    QVERIFY(h.isEmpty());
    h.append(snapshot(2000, {gpu(u"GPU-a"_s, 2)}));
    QCOMPARE(h.series(u"GPU-a"_s, GpuMetric::UtilizationGpuPercent, 10000),
             (QList<QPointF>{{0, 2}}));
}

QTEST_GUILESS_MAIN(TestGpuHistory)
#include "tst_gpuhistory.moc"
