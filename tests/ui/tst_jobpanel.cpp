// JobPanel with real jobs: Run reads gpuwb.toml from a temporary project and the output
// shows; errors show in the panel; Stop; history jobs show their log; and a firehose job
// runs to completion with the UI thread never stalled for long.

#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/jobs/runconfig.h"
#include "core/targets/localtarget.h"
#include "core/util/shellquote.h"
#include "ui/jobs/joblistmodel.h"
#include "ui/jobs/jobpanel.h"
#include "ui/jobs/outputview.h"

#include <QAction>
#include <QElapsedTimer>
#include <QFile>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestJobPanel : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<JobHistory> m_history;
    std::unique_ptr<JobManager> m_manager;
    int m_counter = 0;

    static QString childprog(const QStringList &args)
    {
        return shellJoin(QStringList{qEnvironmentVariable("GPUWB_CHILDPROG")} + args);
    }

    // A fresh project folder (with a space and a quote in its name) holding `toml`.
    QString project(const QByteArray &toml)
    {
        const QString dir = m_dir.filePath(u"project %1 'q'"_s.arg(++m_counter));
        if (!QDir().mkpath(dir))
            return {};
        QFile file(dir + u"/gpuwb.toml"_s);
        if (!file.open(QIODevice::WriteOnly) || file.write(toml) != toml.size())
            return {};
        return dir;
    }

    QString project(const RunConfig &config)
    {
        return project(RunConfigIo::serializeRunConfig(config));
    }

    static bool viewHas(const OutputView *view, const QString &text)
    {
        if (!view)
            return false;
        const OutputBuffer &b = view->buffer();
        for (qsizetype r = 0; r < b.rowCount(); ++r)
            if (b.row(r).text == text)
                return true;
        return false;
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
        m_manager = std::make_unique<JobManager>(m_history.get(),
                                                 m_dir.filePath(u"logs %1"_s.arg(m_counter)));
        m_manager->addTarget(new LocalTarget(nullptr));
    }

    void cleanup()
    {
        m_manager.reset();
        m_history.reset();
    }

    void actions()
    {
        JobPanel panel(m_manager.get());
        QCOMPARE(panel.runAction()->shortcut(), QKeySequence(Qt::Key_F5));
        QCOMPARE(panel.stopAction()->shortcut(), QKeySequence(Qt::SHIFT | Qt::Key_F5));
        QVERIFY(!panel.runAction()->isEnabled()); // no project yet
        QVERIFY(!panel.stopAction()->isEnabled());
        panel.run();
        QVERIFY(panel.message().contains(u"project"_s));
        panel.setProject(m_dir.path());
        QVERIFY(panel.runAction()->isEnabled());
        QVERIFY(panel.message().isEmpty());
    }

    void runsRealJobAndShowsOutput()
    {
        RunConfig config;
        config.name = u"demo"_s;
        config.command = childprog({u"lines"_s, u"50"_s, u"stderr-every"_s, u"10"_s}) + u" && "_s
            + childprog({u"env"_s, u"GPUWB_TEST_VAR"_s});
        config.env.insert(u"GPUWB_TEST_VAR"_s, u"it's \"$(not run)\""_s);
        const QString dir = project(config);
        QVERIFY(!dir.isEmpty());

        JobPanel panel(m_manager.get());
        panel.resize(900, 500);
        panel.setProject(dir);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QSignalSpy started(m_manager.get(), &JobManager::jobStarted);
        QSignalSpy finished(m_manager.get(), &JobManager::jobFinished);
        QTest::keyClick(&panel, Qt::Key_F5);
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        Job *job = started.at(0).at(0).value<Job *>();
        QCOMPARE(job->spec().name, u"demo"_s);
        QCOMPARE(panel.currentJobId(), job->id());
        OutputView *view = panel.currentView();
        QVERIFY(view);
        QCOMPARE(view, panel.viewFor(job->id()));
        QTRY_VERIFY(viewHas(view, u"line 50"_s));
        QTRY_VERIFY(viewHas(view, u"it's \"$(not run)\""_s));
        QVERIFY(viewHas(view, u"line 1"_s));
        // stderr lines are marked as such.
        const OutputBuffer &b = view->buffer();
        bool stderrSeen = false;
        for (qsizetype r = 0; r < b.rowCount(); ++r)
            stderrSeen = stderrSeen
                || (b.row(r).text == u"line 10"_s && b.row(r).stream == OutputStream::Stderr);
        QVERIFY(stderrSeen);
        QCOMPARE(panel.model()->data(panel.model()->index(0, JobListModel::StateColumn)).toString(),
                 u"Succeeded"_s);
        QVERIFY(panel.message().isEmpty());

        // Search through the panel's field; clear through the view.
        panel.searchField()->setText(u"line 4"_s);
        QTRY_COMPARE(view->searchText(), u"line 4"_s); // once typing pauses
        QCOMPARE(view->countMatches(), 11); // line 4, line 40..49
        QTest::keyClick(panel.searchField(), Qt::Key_Return);
        QVERIFY(view->currentMatch().first >= 0);

        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const QString out = qEnvironmentVariable("GPUWB_BUILD_DIR", QDir::tempPath());
        QVERIFY(panel.grab().save(out + u"/tst_jobpanel.png"_s));
    }

    void malformedConfigShowsError()
    {
        const QString dir =
            project(QByteArray("# comment\nname = \"x\"\ncommand = unquoted words\n"));
        JobPanel panel(m_manager.get());
        panel.setProject(dir);
        QSignalSpy failed(&panel, &JobPanel::runFailed);
        QSignalSpy started(m_manager.get(), &JobManager::jobStarted);
        panel.runAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
        QVERIFY2(panel.message().contains(u"line 3"_s), qPrintable(panel.message()));
        QCOMPARE(started.count(), 0);
        QVERIFY(panel.runAction()->isEnabled());

        // An unknown target is refused by the manager, and said in the panel too.
        RunConfig config;
        config.command = u"true"_s;
        config.target = u"ssh:nowhere"_s;
        JobPanel other(m_manager.get());
        other.setProject(project(config));
        QSignalSpy otherFailed(&other, &JobPanel::runFailed);
        other.run();
        QTRY_COMPARE_WITH_TIMEOUT(otherFailed.count(), 1, 30000);
        QVERIFY(!other.message().isEmpty());
    }

    void stopsRunningJob()
    {
        RunConfig config;
        config.command = childprog({u"sleep"_s, u"60000"_s});
        JobPanel panel(m_manager.get());
        panel.setProject(project(config));
        QSignalSpy started(m_manager.get(), &JobManager::jobStarted);
        panel.run();
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 30000);
        Job *job = started.at(0).at(0).value<Job *>();
        QTRY_COMPARE_WITH_TIMEOUT(toString(job->state()), toString(JobState::Running), 30000);
        QVERIFY(panel.stopAction()->isEnabled());
        QSignalSpy finished(job, &Job::finished);
        panel.stopAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QCOMPARE(toString(job->state()), toString(JobState::Stopped));
        QTRY_VERIFY(!panel.stopAction()->isEnabled());
    }

    void historyJobShowsLogTail()
    {
        // A log with more lines than a view keeps, colours and a non-UTF-8 byte.
        const QString logPath = m_dir.filePath(u"old job.log"_s);
        {
            QFile log(logPath);
            QVERIFY(log.open(QIODevice::WriteOnly));
            QByteArray data;
            for (int i = 1; i <= 150'000; ++i)
                data += "old line " + QByteArray::number(i) + '\n';
            data += "\x1b[31mred\x1b[0m and bad \xff byte\n";
            QVERIFY(log.write(data) == data.size());
        }
        JobRecord record;
        record.id = u"20240101-000000-0001"_s;
        record.spec.name = u"yesterday"_s;
        record.spec.command = u"./train.sh"_s;
        record.state = JobState::Succeeded;
        record.started = QDateTime::currentDateTimeUtc().addDays(-1);
        record.finished = record.started.addSecs(60);
        record.exitCode = 0;
        record.logPath = logPath;
        QVERIFY(m_history->add(record).ok());

        JobPanel panel(m_manager.get());
        panel.show();
        QCOMPARE(panel.model()->rowCount(), 1);
        panel.selectJob(record.id);
        OutputView *view = panel.currentView();
        QVERIFY(view);
        QTRY_VERIFY_WITH_TIMEOUT(viewHas(view, u"red and bad \ufffd byte"_s), 30000);
        const OutputBuffer &b = view->buffer();
        QCOMPARE(b.lineCount(), 100'000);
        QVERIFY(b.hasNotice());
        QVERIFY2(b.row(0).text.contains(u"earlier lines are in the log: "_s + logPath),
                 qPrintable(b.row(0).text));
        QCOMPARE(b.droppedLines(), 50'001);
        QCOMPARE(b.line(0).text, u"old line 50002"_s);
        // The colour survived the trip through the parser.
        QVERIFY(!b.line(b.lineCount() - 1).spans.isEmpty());

        // A record whose log is gone says so in the view.
        record.id = u"20240101-000000-0002"_s;
        record.logPath = m_dir.filePath(u"deleted.log"_s);
        QVERIFY(m_history->add(record).ok());
        panel.model()->reloadHistory();
        panel.selectJob(record.id);
        QTRY_VERIFY_WITH_TIMEOUT(panel.currentView()->buffer().rowCount() > 0, 30000);
        QVERIFY(panel.currentView()->buffer().row(0).text.contains(u"Could not read the log"_s));
    }

    void firehoseKeepsUiResponsive()
    {
        constexpr int Lines = 2'000'000;
        RunConfig config;
        config.name = u"firehose"_s;
        config.command = childprog({u"lines"_s, QString::number(Lines), u"stderr-every"_s,
                                    u"1000"_s});
        JobPanel panel(m_manager.get());
        panel.resize(900, 500);
        panel.setProject(project(config));
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));

        // The one timing assertion: a 20 ms timer on the UI thread never waits 100 ms.
        QElapsedTimer clock;
        qint64 last = 0;
        qint64 maxGap = 0;
        QTimer probe;
        probe.setInterval(20);
        connect(&probe, &QTimer::timeout, this, [&] {
            const qint64 now = clock.elapsed();
            maxGap = std::max(maxGap, now - last);
            last = now;
        });
        QSignalSpy started(m_manager.get(), &JobManager::jobStarted);
        QSignalSpy finished(m_manager.get(), &JobManager::jobFinished);
        panel.run();
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 30000);
        clock.start();
        probe.start();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 240'000);
        probe.stop();
        Job *job = started.at(0).at(0).value<Job *>();
        QCOMPARE(toString(job->state()), toString(JobState::Succeeded));
        qInfo("firehose: %d lines in %lld ms, largest UI gap %lld ms", Lines, clock.elapsed(),
              maxGap);
        QVERIFY2(maxGap < 100, qPrintable(u"the UI thread stalled for %1 ms"_s.arg(maxGap)));

        OutputView *view = panel.viewFor(job->id());
        QVERIFY(view);
        QTRY_VERIFY(viewHas(view, u"line %1"_s.arg(Lines)));

        // The log on disk has every line, in order per stream.
        QFile log(job->logPath());
        QVERIFY(log.open(QIODevice::ReadOnly));
        qint64 count = 0;
        qint64 lastStdout = 0;
        bool ordered = true;
        while (!log.atEnd()) {
            const QByteArray line = log.readLine();
            if (!line.startsWith("line "))
                continue;
            ++count;
            const qint64 n = line.mid(5).trimmed().toLongLong();
            if (n % 1000 != 0) {
                ordered = ordered && n == lastStdout + 1 + (lastStdout % 1000 == 999 ? 1 : 0);
                lastStdout = n;
            }
        }
        QCOMPARE(count, qint64(Lines));
        QVERIFY(ordered);
    }
};

QTEST_MAIN(TestJobPanel)
#include "tst_jobpanel.moc"
