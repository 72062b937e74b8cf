// GpuAlertMonitor with synthetic time: an idle alert after N minutes at 0-5 % on a GPU running
// one of the user's jobs, a temperature alert past the limit, each once per episode, nothing
// for GPUs without the user's jobs, nothing while alerts are off (the default).

#include "ui/gpu/gpualertmonitor.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

constexpr qint64 kT0 = 1'700'000'000'000;
constexpr qint64 kMinute = 60 * 1000;

GpuSnapshot snapshot(qint64 t, double util, double temperature, const QString &uuid = u"GPU-a"_s)
{
    GpuSample gpu;
    gpu.index = 0;
    gpu.uuid = uuid;
    gpu.name = u"H100"_s;
    gpu.utilizationGpuPercent = util;
    gpu.temperatureCelsius = temperature;
    return GpuSnapshot{t, u"590"_s, {gpu}};
}

const QHash<QString, QString> kJob{{u"GPU-a"_s, u"train \"x\" $(id)"_s}};

} // namespace

class TestGpuAlertMonitor : public QObject
{
    Q_OBJECT
private slots:
    void offByDefault()
    {
        GpuAlertMonitor monitor;
        QVERIFY(!monitor.settings().enabled);
        for (int m = 0; m <= 60; ++m)
            QVERIFY(monitor.update(u"local"_s, snapshot(kT0 + m * kMinute, 0, 99), kJob,
                                   kT0 + m * kMinute)
                        .isEmpty());
    }

    void idleOncePerEpisode()
    {
        GpuAlertMonitor monitor;
        monitor.setSettings({true, 10, 85});
        QList<GpuAlert> all;
        auto tick = [&](qint64 t, double util) {
            all += monitor.update(u"ssh:gpu-box"_s, snapshot(t, util, 50), kJob, t);
        };
        // Busy, then idle (5 % still counts as idle) for 9 minutes 59 s: nothing yet.
        tick(kT0, 90);
        for (qint64 s = 1; s < 600; ++s)
            tick(kT0 + s * 1000, s % 2 ? 5 : 0);
        QVERIFY(all.isEmpty());
        tick(kT0 + 601 * 1000, 3); // 10 minutes since the first idle sample
        QCOMPARE(all.size(), 1);
        const GpuAlert alert = all.first();
        QCOMPARE(alert.kind, GpuAlert::Kind::Idle);
        QCOMPARE(alert.hostId, u"ssh:gpu-box"_s);
        QCOMPARE(alert.gpuUuid, u"GPU-a"_s);
        QCOMPARE(alert.jobName, kJob.value(u"GPU-a"_s));
        QCOMPARE(alert.title, u"GPU 0 on gpu-box is idle"_s);
        QVERIFY(alert.message.contains(kJob.value(u"GPU-a"_s)));
        QVERIFY(alert.message.contains(u"10 minutes"_s));
        // Still idle an hour later: the same episode, no second alert.
        for (qint64 m = 11; m < 70; ++m)
            tick(kT0 + m * kMinute, 0);
        QCOMPARE(all.size(), 1);
        // Works again (6 %), then idles again: a new episode, a new alert after 10 minutes.
        tick(kT0 + 70 * kMinute, 6);
        tick(kT0 + 71 * kMinute, 1);
        tick(kT0 + 80 * kMinute, 1);
        QCOMPARE(all.size(), 1);
        tick(kT0 + 81 * kMinute, 1);
        QCOMPARE(all.size(), 2);
    }

    void onlyTheUsersGpus()
    {
        GpuAlertMonitor monitor;
        monitor.setSettings({true, 1, 60});
        for (int m = 0; m < 30; ++m) {
            const qint64 t = kT0 + m * kMinute;
            QVERIFY(monitor.update(u"local"_s, snapshot(t, 0, 99, u"GPU-other"_s), kJob, t)
                        .isEmpty());
        }
        // The job leaves the GPU in the middle of an idle stretch: the count starts over.
        QVERIFY(monitor.update(u"local"_s, snapshot(kT0, 0, 40), kJob, kT0).isEmpty());
        QVERIFY(monitor.update(u"local"_s, snapshot(kT0 + 30'000, 0, 40), {}, kT0 + 30'000)
                    .isEmpty());
        QVERIFY(monitor.update(u"local"_s, snapshot(kT0 + 60'000, 0, 40), kJob, kT0 + 60'000)
                    .isEmpty());
        QCOMPARE(monitor.update(u"local"_s, snapshot(kT0 + 120'000, 0, 40), kJob, kT0 + 120'000)
                     .size(),
                 1);
        // The same uuid on another host is another GPU.
        QVERIFY(monitor.update(u"ssh:b"_s, snapshot(kT0 + 120'000, 0, 40), kJob, kT0 + 120'000)
                    .isEmpty());
    }

    void hotOncePerEpisode()
    {
        GpuAlertMonitor monitor;
        monitor.setSettings({true, 10, 85});
        auto tick = [&](qint64 s, double temperature) {
            return monitor.update(u"local"_s, snapshot(kT0 + s * 1000, 90, temperature), kJob,
                                  kT0 + s * 1000);
        };
        QVERIFY(tick(0, 85).isEmpty()); // at the limit is not past it
        const QList<GpuAlert> hot = tick(1, 86);
        QCOMPARE(hot.size(), 1);
        QCOMPARE(hot.first().kind, GpuAlert::Kind::Hot);
        QCOMPARE(hot.first().title, u"GPU 0 on This machine is at 86 °C"_s);
        QVERIFY(hot.first().message.contains(u"85 °C"_s));
        // Hovering around the limit is one episode; it ends 3 °C under the limit.
        QVERIFY(tick(2, 84).isEmpty());
        QVERIFY(tick(3, 87).isEmpty());
        QVERIFY(tick(4, 83).isEmpty());
        QVERIFY(tick(5, 86).isEmpty());
        QVERIFY(tick(6, 82).isEmpty());
        QCOMPARE(tick(7, 90).size(), 1);
        // A sample without a temperature changes nothing.
        GpuSnapshot s = snapshot(kT0 + 8000, 90, 0);
        s.gpus[0].temperatureCelsius.reset();
        QVERIFY(monitor.update(u"local"_s, s, kJob, kT0 + 8000).isEmpty());
    }

    void newSettingsStartNewEpisodes()
    {
        GpuAlertMonitor monitor;
        monitor.setSettings({true, 10, 85});
        QCOMPARE(monitor.update(u"local"_s, snapshot(kT0, 90, 90), kJob, kT0).size(), 1);
        monitor.setSettings({true, 10, 80});
        QCOMPARE(monitor.update(u"local"_s, snapshot(kT0 + 1000, 90, 90), kJob, kT0 + 1000).size(),
                 1);
        monitor.setSettings({false, 10, 80});
        QVERIFY(monitor.update(u"local"_s, snapshot(kT0 + 2000, 0, 99), kJob, kT0 + 2000)
                    .isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestGpuAlertMonitor)
#include "tst_gpualertmonitor.moc"
