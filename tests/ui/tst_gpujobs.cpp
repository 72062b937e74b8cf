// Each running job's GPUs in the job list: a real local job (the child program), its process
// group as the GPU panel's JobIdentity, the GPU column of JobListModel fed by
// GpuAttribution::match over a recorded snapshot, under QAbstractItemModelTester.

#include "core/gpu/replaygpusource.h"
#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/targets/localtarget.h"
#include "core/telemetry/gpuattribution.h"
#include "core/util/shellquote.h"
#include "ui/gpu/gpupanel.h"
#include "ui/jobs/joblistmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestGpuJobs : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void formatting()
    {
        QCOMPARE(JobListModel::formatGpuUses({}), QString());
        const qint64 gib = 1024LL * 1024 * 1024;
        JobGpuUse a{u"j"_s, u"GPU-a"_s, 0, u"H100"_s, qint64(3.1 * double(gib)), {1}};
        JobGpuUse b{u"j"_s, u"GPU-b"_s, 1, u"H100"_s, 0, {2}};
        QCOMPARE(JobListModel::formatGpuUses({a}), u"GPU 0 · 3.1 GiB"_s);
        QCOMPARE(JobListModel::formatGpuUses({a, b}), u"GPU 0 · 3.1 GiB, GPU 1"_s);
    }

    void gpuColumnOfARunningJob()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto history = JobHistory::open(dir.filePath(u"history.sqlite"_s));
        QVERIFY2(history.ok(), qPrintable(history.errorMessage()));
        JobManager manager(history.value().get(), dir.filePath(u"logs"_s));
        manager.addTarget(new LocalTarget(nullptr));
        JobListModel model(&manager);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.headerData(JobListModel::GpuColumn, Qt::Horizontal, Qt::DisplayRole)
                     .toString(),
                 u"GPU"_s);

        JobSpec spec;
        spec.name = u"train \"big\" $(id)"_s;
        spec.command = shellJoin({qEnvironmentVariable("GPUWB_CHILDPROG"), u"sleep"_s,
                                  u"60000"_s});
        spec.workingDirectory = dir.path();
        spec.projectDirectory = dir.path();
        auto started = manager.start(spec);
        QVERIFY2(started.ok(), qPrintable(started.errorMessage()));
        Job *job = started.value();
        QTRY_VERIFY_WITH_TIMEOUT(job->processGroup() > 0, 30000);
        const QList<JobIdentity> jobs = GpuPanel::jobIdentities(&manager);
        QCOMPARE(jobs.size(), 1);
        QCOMPARE(jobs.first().jobId, job->id());
        QCOMPARE(jobs.first().jobName, spec.name);
        QCOMPARE(jobs.first().hostId, u"local"_s);
        QCOMPARE(jobs.first().processGroup, job->processGroup());

        // A recorded H100 snapshot whose second process runs in the job's group.
        ReplayGpuSource source(qEnvironmentVariable("GPUWB_FIXTURES")
                                   + u"/nvidia-smi/querygpu-h100-590.48.01.csv"_s,
                               qEnvironmentVariable("GPUWB_FIXTURES")
                                   + u"/nvidia-smi/computeapps-h100-590.48.01.csv"_s);
        QVERIFY(source.open().ok());
        GpuSnapshot snapshot = source.sample().value();
        snapshot.gpus[0].processes[1].processGroup = job->processGroup();
        const int row = model.rowOf(job->id());
        QVERIFY(row >= 0);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setGpuUses(GpuAttribution::match(u"local"_s, snapshot, jobs));
        QCOMPARE(model.index(row, JobListModel::GpuColumn).data().toString(),
                 u"GPU 0 · 1.5 GiB"_s); // 1542 MiB
        QVERIFY(model.index(row, JobListModel::GpuColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(u"11328"_s));
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.first().at(0).toModelIndex(), model.index(row, JobListModel::GpuColumn));
        // The same again: nothing changes.
        model.setGpuUses(GpuAttribution::match(u"local"_s, snapshot, jobs));
        QCOMPARE(changed.size(), 1);
        // Matched on another host: not this job's.
        model.setGpuUses(GpuAttribution::match(u"ssh:other"_s, snapshot, jobs));
        QCOMPARE(model.index(row, JobListModel::GpuColumn).data().toString(), QString());

        job->stop();
        QTRY_VERIFY_WITH_TIMEOUT(isFinal(job->state()), 30000);
        QVERIFY(GpuPanel::jobIdentities(&manager).isEmpty());
    }
};

QTEST_MAIN(TestGpuJobs)
#include "tst_gpujobs.moc"
