#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/targets/localtarget.h"
#include "core/targets/target.h"
#include "core/util/shellquote.h"

#include <QDir>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

#define QCOMPARE_STATE(actual, expected) QCOMPARE(toString(actual), toString(expected))

namespace {

// A target of another kind whose jobs end when told to: enough to see re-attached jobs adopted.
class FakeJob : public Job
{
public:
    using Job::Job;
    void start() override {}
    void stop() override {}
    void end(int code)
    {
        JobResult r;
        r.state = code == 0 ? JobState::Succeeded : JobState::Failed;
        r.exitCode = code;
        setState(r.state);
        emit finished(r);
    }
};

class FakeTarget : public Target
{
public:
    using Target::Target;
    QString id() const override { return u"fake:box"_s; }
    QString displayName() const override { return u"fake"_s; }
    FileSystem *fileSystem() const override { return nullptr; }
    Job *createJob(const QString &id, const JobSpec &spec, const QString &log,
                   QObject *parent) override
    {
        return new FakeJob(id, spec, log, parent);
    }
};

} // namespace

class TestJobManager : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<JobHistory> m_history;
    int m_counter = 0;

    JobSpec spec(const QStringList &args)
    {
        JobSpec s;
        s.name = u"managed"_s;
        s.command = shellJoin(QStringList{qEnvironmentVariable("GPUWB_CHILDPROG")} + args);
        s.workingDirectory = m_dir.path();
        s.projectDirectory = m_dir.path();
        return s;
    }

    std::unique_ptr<JobManager> makeManager()
    {
        auto m = std::make_unique<JobManager>(
            m_history.get(), m_dir.filePath(u"logs %1"_s.arg(++m_counter)));
        m->addTarget(new LocalTarget(nullptr));
        return m;
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void init()
    {
        auto h = JobHistory::open(m_dir.filePath(u"history-%1.sqlite"_s.arg(++m_counter)));
        QVERIFY2(h.ok(), qPrintable(h.errorMessage()));
        m_history = std::move(h).value();
    }

    void cleanup() { m_history.reset(); }

    void targets()
    {
        auto m = makeManager();
        QCOMPARE(m->targets().size(), 1);
        Target *local = m->target(u"local"_s);
        QVERIFY(local);
        QCOMPARE(local->id(), u"local"_s);
        QVERIFY(!local->displayName().isEmpty());
        QCOMPARE(local->parent(), m.get());
        QVERIFY(!m->target(u"ssh:nowhere"_s));
        QCOMPARE(m->history(), m_history.get());
    }

    void startRunsRecordsAndLogs()
    {
        auto m = makeManager();
        QSignalSpy started(m.get(), &JobManager::jobStarted);
        QSignalSpy finished(m.get(), &JobManager::jobFinished);
        auto r = m->start(spec({u"lines"_s, u"10"_s}));
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        Job *job = r.value();
        QCOMPARE(started.size(), 1);
        QCOMPARE(started.first().first().value<Job *>(), job);
        QCOMPARE(m->jobs(), QList<Job *>{job});
        QCOMPARE(job->parent(), m.get());
        QCOMPARE(job->logPath(), QDir(m->logDirectory()).filePath(job->id() + u".log"_s));

        auto rec = m_history->find(job->id());
        QVERIFY(rec);
        QCOMPARE(rec->spec, job->spec());
        QVERIFY(rec->started.isValid());

        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
        QCOMPARE(finished.first().at(0).value<Job *>(), job);
        QCOMPARE_STATE(finished.first().at(1).value<JobResult>().state, JobState::Succeeded);
        rec = m_history->find(job->id());
        QCOMPARE_STATE(rec->state, JobState::Succeeded);
        QCOMPARE(rec->exitCode, 0);
        QVERIFY(rec->finished.isValid() && rec->finished >= rec->started);
        QVERIFY(rec->message.contains(u"code 0"_s));
        QCOMPARE(rec->logPath, job->logPath());
        QFile log(job->logPath());
        QVERIFY(log.open(QIODevice::ReadOnly));
        QCOMPARE(log.readAll().count('\n'), 10);
        QTest::qWait(50);
        QCOMPARE(finished.size(), 1);
    }

    void unknownTargetIsAnError()
    {
        auto m = makeManager();
        QSignalSpy started(m.get(), &JobManager::jobStarted);
        JobSpec s = spec({u"exit"_s, u"0"_s});
        s.targetId = u"ssh:nowhere"_s;
        auto r = m->start(s);
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(u"ssh:nowhere"_s), qPrintable(r.errorMessage()));
        QVERIFY(r.errorMessage().contains(u"local"_s));
        QVERIFY(m->jobs().isEmpty());
        QCOMPARE(started.size(), 0);
        QVERIFY(m_history->recent().isEmpty());
    }

    void idsAreUniqueAndSortByStart()
    {
        auto m = makeManager();
        QStringList ids;
        for (int i = 0; i < 20; ++i) {
            auto r = m->start(spec({u"exit"_s, u"0"_s}));
            QVERIFY(r.ok());
            ids.append(r.value()->id());
        }
        QStringList sorted = ids;
        sorted.sort();
        QCOMPARE(sorted, ids);
        QCOMPARE(QSet<QString>(ids.begin(), ids.end()).size(), ids.size());
        for (Job *job : m->jobs())
            QTRY_VERIFY_WITH_TIMEOUT(isFinal(job->state()), 60000);
        QCOMPARE(m_history->recent().size(), 20);
    }

    void failuresAndStopsAreRecorded()
    {
        auto m = makeManager();
        QSignalSpy finished(m.get(), &JobManager::jobFinished);
        JobSpec bad = spec({u"exit"_s, u"0"_s});
        bad.workingDirectory = m_dir.filePath(u"missing"_s);
        auto r1 = m->start(bad);
        QVERIFY(r1.ok()); // failing to start is a result, not an error
        auto r2 = m->start(spec({u"sleep"_s, u"60000"_s}));
        QVERIFY(r2.ok());
        QTRY_VERIFY_WITH_TIMEOUT(r2.value()->state() == JobState::Running, 60000);
        r2.value()->stop();
        QCOMPARE_STATE(m_history->find(r2.value()->id())->state, JobState::Stopping);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 60000);
        const auto failed = m_history->find(r1.value()->id());
        QCOMPARE_STATE(failed->state, JobState::FailedToStart);
        QVERIFY(failed->message.contains(u"does not exist"_s));
        QCOMPARE_STATE(m_history->find(r2.value()->id())->state, JobState::Stopped);
    }

    void quittingStopsRunningJobs()
    {
        QString id;
        {
            auto m = makeManager();
            auto r = m->start(spec({u"sleep"_s, u"60000"_s}));
            QVERIFY(r.ok());
            id = r.value()->id();
            QTRY_VERIFY_WITH_TIMEOUT(r.value()->state() == JobState::Running, 60000);
        }
        const auto rec = m_history->find(id);
        QCOMPARE_STATE(rec->state, JobState::Stopped);
        QVERIFY(rec->message.contains(u"quit"_s));
    }

    void reattachAdoptsJobsLeftRunning()
    {
        JobManager::registerReattacher([](Target *t, const JobRecord &r, QObject *parent) -> Job * {
            if (t->id() != u"fake:box"_s)
                return nullptr;
            auto *job = new FakeJob(r.id, r.spec, r.logPath, parent);
            return job;
        });
        JobRecord left;
        left.id = u"20250101-000000-000-beef"_s;
        left.spec = spec({u"exit"_s, u"0"_s});
        left.spec.targetId = u"fake:box"_s;
        left.state = JobState::Running;
        left.started = QDateTime::currentDateTimeUtc();
        QVERIFY(m_history->add(left).ok());
        JobRecord local = left;
        local.id = u"20250101-000000-000-0001"_s;
        local.spec.targetId = u"local"_s;
        QVERIFY(m_history->add(local).ok());

        auto m = makeManager();
        QCOMPARE(m->reattach(u"nope $(x)"_s).error().code, ErrorCode::UnknownJob);
        QCOMPARE(m->reattach(local.id).error().code, ErrorCode::NotRemote);
        // The target is not registered yet: nothing is attached, the record stays.
        QVERIFY(m->reattach().isEmpty());
        m->addTarget(new FakeTarget(nullptr));
        QSignalSpy started(m.get(), &JobManager::jobStarted);
        const QList<Job *> attached = m->reattach();
        QCOMPARE(attached.size(), 1);
        QCOMPARE(attached.first()->id(), left.id);
        QCOMPARE(started.size(), 1);
        QCOMPARE(m->job(left.id), attached.first());
        QVERIFY(m->reattach().isEmpty()); // already followed
        QCOMPARE(m->reattach(left.id).value(), attached.first());
        static_cast<FakeJob *>(attached.first())->end(3);
        QCOMPARE_STATE(m_history->find(left.id)->state, JobState::Failed);
        QCOMPARE(m_history->find(left.id)->exitCode, 3);
    }

    void worksWithoutHistory()
    {
        JobManager m(nullptr, m_dir.filePath(u"nohistory"_s));
        m.addTarget(new LocalTarget(nullptr));
        QSignalSpy finished(&m, &JobManager::jobFinished);
        auto r = m.start(spec({u"exit"_s, u"4"_s}));
        QVERIFY(r.ok());
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
        QCOMPARE_STATE(finished.first().at(1).value<JobResult>().state, JobState::Failed);
    }
};

QTEST_GUILESS_MAIN(TestJobManager)
#include "tst_jobmanager.moc"
