#include "core/jobs/jobhistory.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

#define QCOMPARE_STATE(actual, expected) QCOMPARE(toString(actual), toString(expected))

namespace {

JobRecord hostileRecord(const QString &id, JobState state, qint64 startedMs)
{
    JobRecord r;
    r.id = id;
    r.spec.name = u"it's \"name\" 😀"_s;
    r.spec.command = u"echo '$(rm -rf /)' \"`id`\"\nsecond line; \\ back"_s;
    r.spec.workingDirectory = u"/tmp/with space/'q'"_s;
    r.spec.projectDirectory = u"/tmp/proj"_s;
    r.spec.environment = {{u"A"_s, u"x=y; $(z)"_s}, {u"B_2"_s, u"ünï\tcode"_s}};
    r.spec.targetId = u"ssh:gpu-box"_s;
    r.state = state;
    r.started = QDateTime::fromMSecsSinceEpoch(startedMs, QTimeZone::UTC);
    if (isFinal(state))
        r.finished = r.started.addMSecs(1234);
    r.exitCode = state == JobState::Succeeded ? 0 : -1;
    r.logPath = u"/logs/"_s + id + u".log"_s;
    r.message = u"message with 'quotes' and \"more\""_s;
    return r;
}

// What the history keeps of a record: everything but the environment's values.
JobRecord stored(JobRecord r)
{
    for (auto it = r.spec.environment.begin(); it != r.spec.environment.end(); ++it)
        it.value().clear();
    return r;
}

} // namespace

class TestJobHistory : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_counter = 0;
    QString dbPath() { return m_dir.filePath(u"sub dir/history-%1.sqlite"_s.arg(++m_counter)); }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        QTest::failOnWarning(QRegularExpression(u"connection|QSqlDatabase"_s));
    }

    void roundTrip()
    {
        auto opened = JobHistory::open(dbPath());
        QVERIFY2(opened.ok(), qPrintable(opened.errorMessage()));
        JobHistory &h = *opened.value();
        const JobRecord a = hostileRecord(u"20250101-000000-000-0001"_s, JobState::Running, 1000);
        QVERIFY(h.add(a).ok());
        QCOMPARE(h.find(a.id), std::optional<JobRecord>(stored(a)));
        QCOMPARE(h.find(a.id)->spec.environment.keys(), a.spec.environment.keys());

        JobRecord done = a;
        done.state = JobState::Failed;
        done.exitCode = 3;
        done.finished = a.started.addSecs(5);
        done.message = u"exited with code 3"_s;
        QVERIFY(h.update(done).ok());
        QCOMPARE(h.find(a.id), std::optional<JobRecord>(stored(done)));
        QVERIFY(!h.find(u"nope"_s));

        // The same id twice is refused; updating an unknown one says so.
        QVERIFY(!h.add(a).ok());
        JobRecord ghost = a;
        ghost.id = u"ghost"_s;
        const Status s = h.update(ghost);
        QVERIFY(!s.ok());
        QVERIFY(s.errorMessage().contains(u"ghost"_s));
    }

    void recentIsNewestFirst()
    {
        auto opened = JobHistory::open(dbPath());
        QVERIFY(opened.ok());
        JobHistory &h = *opened.value();
        for (int i = 0; i < 10; ++i) {
            const qint64 t = (i * 7 % 10) * 1000; // out of order
            QVERIFY(h.add(hostileRecord(u"id-%1"_s.arg(i), JobState::Succeeded, t)).ok());
        }
        const QList<JobRecord> all = h.recent();
        QCOMPARE(all.size(), 10);
        for (int i = 1; i < all.size(); ++i)
            QVERIFY(all[i - 1].started > all[i].started);
        QCOMPARE(h.recent(3).size(), 3);
        QCOMPARE(h.recent(3).first().started, all.first().started);
        QCOMPARE(h.recent(0).size(), 0);
    }

    void runningJobsAreLostWhenReopened()
    {
        const QString path = dbPath();
        const auto local = [](const QString &id, JobState state, qint64 ms) {
            JobRecord r = hostileRecord(id, state, ms);
            r.spec.targetId = u"local"_s;
            return r;
        };
        {
            auto opened = JobHistory::open(path);
            QVERIFY(opened.ok());
            JobHistory &h = *opened.value();
            QVERIFY(h.add(local(u"running"_s, JobState::Running, 1)).ok());
            QVERIFY(h.add(local(u"stopping"_s, JobState::Stopping, 2)).ok());
            // Remote jobs run detached on their hosts: they stay Running for reattach.
            QVERIFY(h.add(hostileRecord(u"remote"_s, JobState::Running, 5)).ok());
            QVERIFY(h.add(hostileRecord(u"remote-stopping"_s, JobState::Stopping, 6)).ok());
            QVERIFY(h.add(hostileRecord(u"done"_s, JobState::Succeeded, 3)).ok());
            QVERIFY(h.add(hostileRecord(u"stopped"_s, JobState::Stopped, 4)).ok());
            // Still running while this session holds it.
            QCOMPARE_STATE(h.find(u"running"_s)->state, JobState::Running);
        }
        auto reopened = JobHistory::open(path);
        QVERIFY2(reopened.ok(), qPrintable(reopened.errorMessage()));
        JobHistory &h = *reopened.value();
        QCOMPARE_STATE(h.find(u"running"_s)->state, JobState::Lost);
        QCOMPARE_STATE(h.find(u"stopping"_s)->state, JobState::Lost);
        QVERIFY(h.find(u"running"_s)->message.contains(u"ended while"_s));
        QCOMPARE_STATE(h.find(u"done"_s)->state, JobState::Succeeded);
        QCOMPARE_STATE(h.find(u"stopped"_s)->state, JobState::Stopped);
        QCOMPARE(h.find(u"done"_s)->message, hostileRecord(u"done"_s, JobState::Succeeded, 3).message);
        QCOMPARE(h.find(u"remote"_s),
                 std::optional<JobRecord>(stored(hostileRecord(u"remote"_s, JobState::Running, 5))));
        QCOMPARE_STATE(h.find(u"remote-stopping"_s)->state, JobState::Stopping);
        QCOMPARE(h.recent().size(), 6);
        const QList<JobRecord> unfinished = h.unfinished();
        QCOMPARE(unfinished.size(), 2);
        QCOMPARE(unfinished.at(0).id, u"remote"_s);
        QCOMPARE(unfinished.at(1).id, u"remote-stopping"_s);
    }

    // Issue 10, item 5: a second instance (even `gpuwb jobs`) opening the history leaves the
    // first one's running jobs alone; once the first is gone, they are Lost.
    void anotherInstancesJobsStayRunning()
    {
        const QString path = dbPath() + u"-lease"_s;
        JobRecord job = hostileRecord(u"leased"_s, JobState::Running, 1);
        job.spec.targetId = u"local"_s;
        auto first = JobHistory::open(path);
        QVERIFY(first.ok());
        QVERIFY(first.value()->add(job).ok());
        {
            auto second = JobHistory::open(path);
            QVERIFY2(second.ok(), qPrintable(second.errorMessage()));
            QCOMPARE_STATE(second.value()->find(u"leased"_s)->state, JobState::Running);
        }
        QCOMPARE_STATE(first.value()->find(u"leased"_s)->state, JobState::Running);
        first = Error{ErrorCode::Closed, QString()}; // the first instance ends
        auto third = JobHistory::open(path);
        QVERIFY(third.ok());
        QCOMPARE_STATE(third.value()->find(u"leased"_s)->state, JobState::Lost);
        // Its lease file went with it; only the living instance's remains.
        QCOMPARE(QDir(path + u".owners"_s).entryList(QDir::Files).size(), 1);
        QCOMPARE(int(QFileInfo(path + u".owners"_s).permissions() & 0x0077), 0);
    }

    void twoHistoriesAtOnce()
    {
        auto a = JobHistory::open(dbPath());
        auto b = JobHistory::open(dbPath());
        QVERIFY(a.ok() && b.ok());
        QVERIFY(a.value()->add(hostileRecord(u"a"_s, JobState::Succeeded, 1)).ok());
        QVERIFY(b.value()->add(hostileRecord(u"b"_s, JobState::Succeeded, 1)).ok());
        QVERIFY(a.value()->find(u"a"_s) && !a.value()->find(u"b"_s));
        QVERIFY(b.value()->find(u"b"_s) && !b.value()->find(u"a"_s));
    }

    void schemaIsVersionedAndWal()
    {
        const QString path = dbPath();
        {
            auto h = JobHistory::open(path);
            QVERIFY(h.ok());
        }
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"inspect"_s);
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(u"PRAGMA user_version"_s) && q.next());
            QCOMPARE(q.value(0).toInt(), JobHistory::SchemaVersion);
            QVERIFY(q.exec(u"PRAGMA journal_mode"_s) && q.next());
            QCOMPARE(q.value(0).toString(), u"wal"_s);
            QVERIFY(q.exec(u"PRAGMA user_version = 99"_s));
            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase(u"inspect"_s);
        auto newer = JobHistory::open(path);
        QVERIFY(!newer.ok());
        QVERIFY2(newer.errorMessage().contains(u"newer"_s), qPrintable(newer.errorMessage()));
    }

    void garbageFileIsAnError()
    {
        const QString path = dbPath();
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(8192, '\xAB'));
        f.close();
        auto h = JobHistory::open(path);
        QVERIFY(!h.ok());
        QVERIFY2(h.errorMessage().contains(path), qPrintable(h.errorMessage()));
        QVERIFY(h.errorMessage().contains(u"move the file aside"_s));
    }

    void unwritableFolderIsAnError()
    {
        QFile blocker(m_dir.filePath(u"blocker"_s));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        auto h = JobHistory::open(blocker.fileName() + u"/history.sqlite"_s);
        QVERIFY(!h.ok());
    }
};

QTEST_GUILESS_MAIN(TestJobHistory)
#include "tst_jobhistory.moc"
