// JobListModel under QAbstractItemModelTester: history records and live jobs of this session,
// updated from the jobs' signals without resets.

#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/targets/localtarget.h"
#include "core/util/shellquote.h"
#include "ui/jobs/jobfiltermodel.h"
#include "ui/jobs/joblistmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using Reporting = QAbstractItemModelTester::FailureReportingMode;

class TestJobListModel : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<JobHistory> m_history;
    std::unique_ptr<JobManager> m_manager;
    int m_counter = 0;

    JobSpec spec(const QString &name, const QStringList &args)
    {
        JobSpec s;
        s.name = name;
        s.command = shellJoin(QStringList{qEnvironmentVariable("GPUWB_CHILDPROG")} + args);
        s.workingDirectory = m_dir.path();
        s.projectDirectory = m_dir.path();
        return s;
    }

    JobRecord record(const QString &id, const QString &name, JobState state, int exitCode,
                     int minutesAgo)
    {
        JobRecord r;
        r.id = id;
        r.spec = spec(name, {u"exit"_s, QString::number(exitCode)});
        r.state = state;
        r.started = QDateTime::currentDateTimeUtc().addSecs(-60 * minutesAgo);
        r.finished = r.started.addSecs(75);
        r.exitCode = exitCode;
        r.logPath = m_dir.filePath(id + u".log"_s);
        return r;
    }

    int column(const QAbstractItemModel &m, int row, int col, int role = Qt::DisplayRole)
    {
        return m.data(m.index(row, col), role).toInt();
    }
    QString text(const QAbstractItemModel &m, int row, int col)
    {
        return m.data(m.index(row, col)).toString();
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QLocale::setDefault(QLocale::c()); // "0.4 s" whatever the machine's locale
        QVERIFY(m_dir.isValid());
    }

    void init()
    {
        auto h = JobHistory::open(m_dir.filePath(u"history-%1.sqlite"_s.arg(++m_counter)));
        QVERIFY2(h.ok(), qPrintable(h.errorMessage()));
        m_history = std::move(h).value();
        // Hostile names: quotes, $(...), a newline, non-ASCII.
        QVERIFY(m_history->add(record(u"h1"_s, u"old \"quoted\" $(rm -rf /)"_s,
                                      JobState::Succeeded, 0, 30)).ok());
        QVERIFY(m_history->add(record(u"h2"_s, u"two\nlines \u00e9"_s, JobState::Failed, 3, 20))
                    .ok());
        QVERIFY(m_history->add(record(u"h3"_s, u"lost one"_s, JobState::Lost, -1, 10)).ok());
        m_manager = std::make_unique<JobManager>(m_history.get(),
                                                 m_dir.filePath(u"logs %1"_s.arg(m_counter)));
        m_manager->addTarget(new LocalTarget(nullptr));
    }

    void cleanup()
    {
        m_manager.reset();
        m_history.reset();
    }

    void historyRows()
    {
        JobListModel model(m_manager.get());
        QAbstractItemModelTester tester(&model, Reporting::QtTest);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), int(JobListModel::ColumnCount));
        // Newest first.
        QCOMPARE(model.data(model.index(0, 0), JobListModel::JobIdRole).toString(), u"h3"_s);
        QCOMPARE(text(model, 2, JobListModel::NameColumn), u"old \"quoted\" $(rm -rf /)"_s);
        QCOMPARE(text(model, 1, JobListModel::NameColumn), u"two\nlines \u00e9"_s);
        QCOMPARE(text(model, 1, JobListModel::StateColumn), u"Failed"_s);
        QCOMPARE(text(model, 1, JobListModel::ExitCodeColumn), u"3"_s);
        QCOMPARE(text(model, 0, JobListModel::StateColumn), u"Lost"_s);
        QCOMPARE(text(model, 0, JobListModel::ExitCodeColumn), QString());
        QCOMPARE(text(model, 2, JobListModel::DurationColumn), u"1 min 15 s"_s);
        QVERIFY(!text(model, 2, JobListModel::TargetColumn).isEmpty()); // the local target
        QVERIFY(!text(model, 2, JobListModel::StartedColumn).isEmpty());
        QCOMPARE(model.data(model.index(2, 0), JobListModel::LogPathRole).toString(),
                 m_dir.filePath(u"h1.log"_s));
        QVERIFY(!model.data(model.index(2, 0), JobListModel::IsLiveRole).toBool());
        QVERIFY(model.jobAt(0) == nullptr);
        QCOMPARE(model.headerData(0, Qt::Horizontal, Qt::DisplayRole).toString(), u"Job"_s);
    }

    void targetRoleAndFilters()
    {
        // Two more history rows on hosts, one with a hostile alias.
        JobRecord remote = record(u"r1"_s, u"on gpu"_s, JobState::Succeeded, 0, 5);
        remote.spec.targetId = u"ssh:gpu1"_s;
        QVERIFY(m_history->add(remote).ok());
        JobRecord odd = record(u"r2"_s, u"odd host"_s, JobState::Running, -1, 4);
        odd.spec.targetId = u"ssh:we'ird $(x)"_s;
        QVERIFY(m_history->add(odd).ok());

        JobListModel model(m_manager.get());
        QAbstractItemModelTester tester(&model, Reporting::QtTest);
        JobFilterModel filter;
        QAbstractItemModelTester filterTester(&filter, Reporting::QtTest);
        filter.setSourceModel(&model);
        QCOMPARE(model.data(model.index(model.rowOf(u"r1"_s), 0), JobListModel::TargetIdRole)
                     .toString(),
                 u"ssh:gpu1"_s);
        // An unregistered target shows as its id.
        QCOMPARE(text(model, model.rowOf(u"r1"_s), JobListModel::TargetColumn), u"ssh:gpu1"_s);
        QCOMPARE(model.targetIds(),
                 (QStringList{u"ssh:we'ird $(x)"_s, u"ssh:gpu1"_s, u"local"_s}));
        QCOMPARE(filter.rowCount(), 5);

        auto ids = [&filter] {
            QStringList out;
            for (int row = 0; row < filter.rowCount(); ++row)
                out << filter.index(row, 0).data(JobListModel::JobIdRole).toString();
            return out;
        };
        filter.setTargetFilter(u"ssh:gpu1"_s);
        QCOMPARE(ids(), QStringList{u"r1"_s});
        filter.setTargetFilter(u"ssh:we'ird $(x)"_s);
        QCOMPARE(ids(), QStringList{u"r2"_s});
        filter.setTargetFilter(u"local"_s);
        QCOMPARE(ids(), (QStringList{u"h3"_s, u"h2"_s, u"h1"_s}));
        filter.setStateFilter(JobFilterModel::StateFilter::Failed); // failed and lost
        QCOMPARE(ids(), (QStringList{u"h3"_s, u"h2"_s}));
        filter.setTargetFilter({});
        filter.setStateFilter(JobFilterModel::StateFilter::Active);
        QCOMPARE(ids(), QStringList{u"r2"_s});
        filter.setStateFilter(JobFilterModel::StateFilter::Succeeded);
        QCOMPARE(ids(), (QStringList{u"r1"_s, u"h1"_s}));
        filter.setStateFilter(JobFilterModel::StateFilter::Stopped);
        QCOMPARE(filter.rowCount(), 0);
        filter.setTargetFilter(u"ssh:nobody"_s);
        filter.setStateFilter(JobFilterModel::StateFilter::All);
        QCOMPARE(filter.rowCount(), 0);

        // A live job moves between state filters as it runs and ends.
        filter.setTargetFilter({});
        filter.setStateFilter(JobFilterModel::StateFilter::Active);
        auto started = m_manager->start(spec(u"live"_s, {u"sleep"_s, u"60000"_s}));
        QVERIFY(started.ok());
        const QString liveId = (*started)->id();
        QTRY_VERIFY_WITH_TIMEOUT(ids().contains(liveId), 30'000);
        filter.setStateFilter(JobFilterModel::StateFilter::Stopped);
        QVERIFY(!ids().contains(liveId));
        QTRY_VERIFY_WITH_TIMEOUT((*started)->state() == JobState::Running, 30'000);
        (*started)->stop();
        QTRY_VERIFY_WITH_TIMEOUT(ids().contains(liveId), 30'000);
    }

    void liveJobsWithoutResets()
    {
        JobListModel model(m_manager.get());
        QAbstractItemModelTester tester(&model, Reporting::QtTest);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

        auto ok = m_manager->start(spec(u"short"_s, {u"lines"_s, u"5"_s}));
        QVERIFY2(ok.ok(), qPrintable(ok.errorMessage()));
        Job *job = ok.value();
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.rowOf(job->id()), 0);
        QCOMPARE(model.jobAt(0), job);
        QVERIFY(model.data(model.index(0, 0), JobListModel::IsLiveRole).toBool());
        QCOMPARE(text(model, 0, JobListModel::NameColumn), u"short"_s);

        QSignalSpy finished(job, &Job::finished);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QCOMPARE(text(model, 0, JobListModel::StateColumn), u"Succeeded"_s);
        QCOMPARE(text(model, 0, JobListModel::ExitCodeColumn), u"0"_s);
        QVERIFY(!text(model, 0, JobListModel::DurationColumn).isEmpty());
        QVERIFY(changed.count() >= 1);

        auto failing = m_manager->start(spec(u"failing"_s, {u"exit"_s, u"7"_s}));
        QVERIFY(failing.ok());
        QSignalSpy failed(failing.value(), &Job::finished);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(text(model, 0, JobListModel::NameColumn), u"failing"_s);
        QCOMPARE(text(model, 0, JobListModel::StateColumn), u"Failed"_s);
        QCOMPARE(text(model, 0, JobListModel::ExitCodeColumn), u"7"_s);
        QCOMPARE(column(model, 0, 0, JobListModel::StateRole), int(JobState::Failed));

        // A job that cannot start: a working folder that is not there.
        JobSpec broken = spec(u"broken"_s, {u"exit"_s, u"0"_s});
        broken.workingDirectory = m_dir.filePath(u"no such folder"_s);
        auto b = m_manager->start(broken);
        QVERIFY(b.ok());
        QSignalSpy brokenDone(b.value(), &Job::finished);
        QTRY_COMPARE_WITH_TIMEOUT(brokenDone.count(), 1, 30000);
        QCOMPARE(text(model, 0, JobListModel::StateColumn), u"Failed to start"_s);
        QCOMPARE(resets.count(), 0);
    }

    void runningJobTicksAndStops()
    {
        JobListModel model(m_manager.get());
        QAbstractItemModelTester tester(&model, Reporting::QtTest);
        auto ok = m_manager->start(spec(u"sleeper"_s, {u"sleep"_s, u"60000"_s}));
        QVERIFY(ok.ok());
        Job *job = ok.value();
        QTRY_COMPARE_WITH_TIMEOUT(text(model, 0, JobListModel::StateColumn), u"Running"_s, 30000);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        // The duration column changes by itself while the job runs.
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(changed.cbegin(), changed.cend(),
                                             [](const QList<QVariant> &args) {
                                                 return args.at(0).toModelIndex().column()
                                                     == JobListModel::DurationColumn;
                                             }),
                                 10000);
        QVERIFY(!text(model, 0, JobListModel::DurationColumn).isEmpty());
        QSignalSpy finished(job, &Job::finished);
        job->stop();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QCOMPARE(text(model, 0, JobListModel::StateColumn), u"Stopped"_s);
    }

    void modelMadeAfterJobsAndReload()
    {
        auto ok = m_manager->start(spec(u"earlier"_s, {u"lines"_s, u"1"_s}));
        QVERIFY(ok.ok());
        QSignalSpy finished(ok.value(), &Job::finished);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);

        JobListModel model(m_manager.get());
        QAbstractItemModelTester tester(&model, Reporting::QtTest);
        // The history already has the job: one row, bound to the live job.
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.rowOf(ok.value()->id()), 0);
        QCOMPARE(model.jobAt(0), ok.value());
        QCOMPARE(text(model, 0, JobListModel::StateColumn), u"Succeeded"_s);

        QVERIFY(m_history->add(record(u"h4"_s, u"from elsewhere"_s, JobState::Succeeded, 0, 5))
                    .ok());
        model.reloadHistory();
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.jobAt(model.rowOf(ok.value()->id())), ok.value());
        QVERIFY(model.rowOf(u"h4"_s) >= 0);
        QCOMPARE(model.recordAt(model.rowOf(u"h4"_s)).spec.name, u"from elsewhere"_s);
    }

    void durations()
    {
        QCOMPARE(JobListModel::formatDuration(400), u"0.4 s"_s);
        QCOMPARE(JobListModel::formatDuration(42'000), u"42 s"_s);
        QCOMPARE(JobListModel::formatDuration(185'000), u"3 min 05 s"_s);
        QCOMPARE(JobListModel::formatDuration(3'723'000), u"1 h 02 min"_s);
        QCOMPARE(JobListModel::formatDuration(-5), u"0.0 s"_s);
    }
};

QTEST_MAIN(TestJobListModel)
#include "tst_joblistmodel.moc"
