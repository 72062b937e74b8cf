// GpuAttribution: GPU processes matched to the workbench's jobs by process group or session,
// only on the job's own host; memory summed per job and GPU. Pure functions on hand-built
// snapshots (the values are what NVML and nvidia-smi deliver: pids, groups, bytes).

#include "core/telemetry/gpuattribution.h"

#include <QTest>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr qint64 kMiB = 1024 * 1024;
const QString kLocal = u"local"_s;
const QString kRemote = u"ssh:gpu-box"_s;

GpuProcess process(qint64 pid, std::optional<qint64> group, std::optional<qint64> session,
                   std::optional<qint64> memoryMiB = std::nullopt)
{
    GpuProcess p;
    p.pid = pid;
    p.name = u"python"_s;
    p.processGroup = group;
    p.session = session;
    if (memoryMiB)
        p.usedMemoryBytes = *memoryMiB * kMiB;
    return p;
}

GpuSample gpu(int index, const QString &uuid, QList<GpuProcess> processes)
{
    GpuSample g;
    g.index = index;
    g.uuid = uuid;
    g.name = u"NVIDIA H200"_s;
    g.processes = std::move(processes);
    return g;
}

GpuSnapshot snapshot(QList<GpuSample> gpus)
{
    GpuSnapshot s;
    s.timestampMs = 1000;
    s.gpus = std::move(gpus);
    return s;
}

JobIdentity job(const QString &id, const QString &host, qint64 group)
{
    return JobIdentity{id, u"train "_s + id, host, group};
}

} // namespace

class TestGpuAttribution : public QObject
{
    Q_OBJECT
private slots:
    void groupMatches();
    void sessionMatches();
    void childInItsOwnGroupMatchesBySession();
    void otherHostNeverMatches();
    void unknownGroupMatchesNothing();
    void processWithoutGroupOrSession();
    void memorySummedPerGpu();
    void unknownMemoryCountsAsZero();
    void severalJobsSeveralGpus();
    void firstJobWinsOnAmbiguity();
    void emptyInputs();
};

void TestGpuAttribution::groupMatches()
{
    const QList<JobIdentity> jobs{job(u"a"_s, kLocal, 4242)};
    const GpuSnapshot s = snapshot({gpu(0, u"GPU-0"_s, {process(4250, 4242, 1, 1000)})});
    const QList<JobGpuUse> uses = GpuAttribution::match(kLocal, s, jobs);
    QCOMPARE(uses.size(), 1);
    QCOMPARE(uses.first(),
             (JobGpuUse{u"a"_s, u"GPU-0"_s, 0, u"NVIDIA H200"_s, 1000 * kMiB, {4250}}));
    QCOMPARE(GpuAttribution::jobOf(kLocal, s.gpus.first().processes.first(), jobs), u"a"_s);
}

void TestGpuAttribution::sessionMatches()
{
    // A process that changed its group (a shell's job control) but kept the session.
    const QList<JobIdentity> jobs{job(u"a"_s, kLocal, 4242)};
    const GpuProcess p = process(4300, 4300, 4242, 10);
    QCOMPARE(GpuAttribution::jobOf(kLocal, p, jobs), u"a"_s);
    const QList<JobGpuUse> uses =
        GpuAttribution::match(kLocal, snapshot({gpu(0, u"GPU-0"_s, {p})}), jobs);
    QCOMPARE(uses.size(), 1);
    QCOMPARE(uses.first().pids, QList<qint64>{4300});
}

void TestGpuAttribution::childInItsOwnGroupMatchesBySession()
{
    // Only the session known (e.g. the group could not be read), and only the group known.
    const QList<JobIdentity> jobs{job(u"a"_s, kLocal, 77)};
    QCOMPARE(GpuAttribution::jobOf(kLocal, process(80, std::nullopt, 77), jobs), u"a"_s);
    QCOMPARE(GpuAttribution::jobOf(kLocal, process(81, 77, std::nullopt), jobs), u"a"_s);
    // Neither equal: not the job's, even when the pid equals the job's group (a pid alone
    // never matches: pid namespaces make it ambiguous).
    QCOMPARE(GpuAttribution::jobOf(kLocal, process(77, 5, 6), jobs), QString());
}

void TestGpuAttribution::otherHostNeverMatches()
{
    // Same numbers on another machine are other processes.
    const QList<JobIdentity> jobs{job(u"local-job"_s, kLocal, 500),
                                  job(u"remote-job"_s, kRemote, 600)};
    const GpuSnapshot remote = snapshot({gpu(0, u"GPU-r"_s, {process(501, 500, 500, 1),
                                                             process(601, 600, 600, 2)})});
    const QList<JobGpuUse> uses = GpuAttribution::match(kRemote, remote, jobs);
    QCOMPARE(uses.size(), 1);
    QCOMPARE(uses.first().jobId, u"remote-job"_s);
    QCOMPARE(uses.first().pids, QList<qint64>{601});
    QCOMPARE(GpuAttribution::jobOf(u"ssh:other"_s, process(601, 600, 600), jobs), QString());
    // Host ids compare exactly: no prefix or case folding.
    QCOMPARE(GpuAttribution::jobOf(u"ssh:GPU-BOX"_s, process(601, 600, 600), jobs), QString());
    QCOMPARE(GpuAttribution::jobOf(u"gpu-box"_s, process(601, 600, 600), jobs), QString());
}

void TestGpuAttribution::unknownGroupMatchesNothing()
{
    // A job whose group is not known yet (0) must not claim processes whose group or session
    // reads 0 (e.g. kernel threads, or a parse that left zero), nor negative values.
    const QList<JobIdentity> jobs{job(u"starting"_s, kLocal, 0), job(u"bad"_s, kLocal, -1)};
    for (const GpuProcess &p : {process(1, 0, 0), process(2, -1, -1), process(3, 9, 9)})
        QCOMPARE(GpuAttribution::jobOf(kLocal, p, jobs), QString());
    QVERIFY(GpuAttribution::match(kLocal,
                                  snapshot({gpu(0, u"GPU-0"_s, {process(1, 0, 0),
                                                                process(2, -1, -1)})}),
                                  jobs)
                .isEmpty());
}

void TestGpuAttribution::processWithoutGroupOrSession()
{
    // Ended, or in another pid namespace: no group, no session, no match.
    const QList<JobIdentity> jobs{job(u"a"_s, kLocal, 4242)};
    const GpuProcess p = process(4242, std::nullopt, std::nullopt, 100);
    QCOMPARE(GpuAttribution::jobOf(kLocal, p, jobs), QString());
    QVERIFY(GpuAttribution::match(kLocal, snapshot({gpu(0, u"GPU-0"_s, {p})}), jobs).isEmpty());
}

void TestGpuAttribution::memorySummedPerGpu()
{
    const QList<JobIdentity> jobs{job(u"a"_s, kLocal, 10)};
    const GpuSnapshot s = snapshot({
        gpu(0, u"GPU-0"_s, {process(11, 10, 10, 2566), process(12, 10, 10, 1542),
                            process(99, 99, 99, 7000)}),
        gpu(1, u"GPU-1"_s, {process(13, 13, 10, 15690)}),
    });
    const QList<JobGpuUse> uses = GpuAttribution::match(kLocal, s, jobs);
    QCOMPARE(uses.size(), 2);
    QCOMPARE(uses[0].gpuUuid, u"GPU-0"_s);
    QCOMPARE(uses[0].gpuIndex, 0);
    QCOMPARE(uses[0].memoryBytes, (2566 + 1542) * kMiB);
    QCOMPARE(uses[0].pids, (QList<qint64>{11, 12}));
    QCOMPARE(uses[1].gpuUuid, u"GPU-1"_s);
    QCOMPARE(uses[1].gpuIndex, 1);
    QCOMPARE(uses[1].memoryBytes, 15690 * kMiB);
    QCOMPARE(uses[1].pids, QList<qint64>{13});
}

void TestGpuAttribution::unknownMemoryCountsAsZero()
{
    // WDDM and MIG leave the per-process memory out: the job still uses the GPU.
    const QList<JobIdentity> jobs{job(u"a"_s, kLocal, 10)};
    const GpuSnapshot s = snapshot({gpu(0, u"GPU-0"_s, {process(11, 10, 10),
                                                        process(12, 10, 10, 300)})});
    const QList<JobGpuUse> uses = GpuAttribution::match(kLocal, s, jobs);
    QCOMPARE(uses.size(), 1);
    QCOMPARE(uses.first().memoryBytes, 300 * kMiB);
    QCOMPARE(uses.first().pids, (QList<qint64>{11, 12}));
    const QList<JobGpuUse> none = GpuAttribution::match(
        kLocal, snapshot({gpu(0, u"GPU-0"_s, {process(11, 10, 10)})}), jobs);
    QCOMPARE(none.size(), 1);
    QCOMPARE(none.first().memoryBytes, qint64(0));
}

void TestGpuAttribution::severalJobsSeveralGpus()
{
    const QList<JobIdentity> jobs{job(u"a"_s, kLocal, 100), job(u"b"_s, kLocal, 200),
                                  job(u"c"_s, kLocal, 300), job(u"r"_s, kRemote, 100)};
    const GpuSnapshot s = snapshot({
        gpu(0, u"GPU-0"_s, {process(101, 100, 100, 1), process(201, 200, 200, 2),
                            process(5, 5, 5, 1000)}),
        gpu(1, u"GPU-1"_s, {process(202, 202, 200, 4), process(102, 100, 100, 8)}),
        gpu(2, u"GPU-2"_s, {}),
    });
    const QList<JobGpuUse> uses = GpuAttribution::match(kLocal, s, jobs);
    // One entry per (job, GPU) pair that has processes; c has none, r is on another host.
    QCOMPARE(uses.size(), 4);
    auto find = [&](const QString &jobId, const QString &uuid) -> const JobGpuUse * {
        for (const JobGpuUse &u : uses)
            if (u.jobId == jobId && u.gpuUuid == uuid)
                return &u;
        return nullptr;
    };
    QVERIFY(find(u"a"_s, u"GPU-0"_s) && find(u"a"_s, u"GPU-0"_s)->memoryBytes == 1 * kMiB);
    QVERIFY(find(u"b"_s, u"GPU-0"_s) && find(u"b"_s, u"GPU-0"_s)->memoryBytes == 2 * kMiB);
    QVERIFY(find(u"b"_s, u"GPU-1"_s) && find(u"b"_s, u"GPU-1"_s)->memoryBytes == 4 * kMiB);
    QVERIFY(find(u"a"_s, u"GPU-1"_s) && find(u"a"_s, u"GPU-1"_s)->memoryBytes == 8 * kMiB);
    QVERIFY(!find(u"c"_s, u"GPU-0"_s));
    QVERIFY(!find(u"r"_s, u"GPU-0"_s));
    for (const JobGpuUse &u : uses)
        QVERIFY(u.jobId != u"c"_s && u.jobId != u"r"_s && u.gpuUuid != u"GPU-2"_s);
    // The remote job sees only the remote snapshot.
    const QList<JobGpuUse> remote = GpuAttribution::match(kRemote, s, jobs);
    QCOMPARE(remote.size(), 2);
    QCOMPARE(remote[0].jobId, u"r"_s);
    QCOMPARE(remote[1].jobId, u"r"_s);
}

void TestGpuAttribution::firstJobWinsOnAmbiguity()
{
    // A process whose group is one job's and session another's (cannot happen with jobs that
    // lead their own sessions, but a bad record must not count it twice).
    const QList<JobIdentity> jobs{job(u"a"_s, kLocal, 10), job(u"b"_s, kLocal, 20)};
    const GpuSnapshot s = snapshot({gpu(0, u"GPU-0"_s, {process(21, 20, 10, 5)})});
    const QList<JobGpuUse> uses = GpuAttribution::match(kLocal, s, jobs);
    QCOMPARE(uses.size(), 1);
    QCOMPARE(uses.first().memoryBytes, 5 * kMiB);
}

void TestGpuAttribution::emptyInputs()
{
    QVERIFY(GpuAttribution::match(kLocal, GpuSnapshot{}, {job(u"a"_s, kLocal, 1)}).isEmpty());
    QVERIFY(GpuAttribution::match(
                kLocal, snapshot({gpu(0, u"GPU-0"_s, {process(2, 1, 1, 1)})}), {})
                .isEmpty());
    QCOMPARE(GpuAttribution::jobOf(QString(), process(2, 1, 1), {job(u"a"_s, QString(), 1)}),
             u"a"_s); // an empty host id is still compared exactly
}

} // namespace gpuwb

QTEST_GUILESS_MAIN(gpuwb::TestGpuAttribution)
#include "tst_gpuattribution.moc"
