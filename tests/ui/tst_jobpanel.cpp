// JobPanel with real jobs: Run reads gpuwb.toml from a temporary project and the output
// shows; errors show in the panel; Stop; history jobs show their log; and a firehose job
// runs to completion with the UI thread never stalled for long.

#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/jobs/runconfig.h"
#include "core/targets/localtarget.h"
#include "core/util/shellquote.h"
#include "ui/jobs/artifactsview.h"
#include "ui/jobs/imageviewer.h"
#include "ui/jobs/jobfiltermodel.h"
#include "ui/jobs/joblistmodel.h"
#include "ui/jobs/jobpanel.h"
#include "ui/jobs/outputview.h"

#include <QAction>
#include <QComboBox>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
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

    void targetResolverChoosesWhereRunRuns()
    {
        RunConfig config;
        config.command = childprog({u"lines"_s, u"3"_s});
        config.target = u"auto"_s;
        const QString dir = project(config);
        JobPanel panel(m_manager.get());
        panel.setProject(dir);
        QStringList asked;
        // Nowhere to run: the resolver's reason is shown, nothing starts.
        panel.setTargetResolver([&asked](const QString &configured, QString *why) {
            asked << configured;
            *why = u"No host for \"auto\": add one in Remote \u203a Hosts."_s;
            return QString();
        });
        QSignalSpy failed(&panel, &JobPanel::runFailed);
        panel.run();
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30'000);
        QCOMPARE(asked, QStringList{u"auto"_s});
        QVERIFY(panel.message().contains(u"Remote \u203a Hosts"_s));
        QVERIFY(m_manager->jobs().isEmpty());
        // Resolved to this machine: the job runs there.
        panel.setTargetResolver([](const QString &, QString *) { return u"local"_s; });
        QSignalSpy started(m_manager.get(), &JobManager::jobStarted);
        panel.run();
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 30'000);
        QCOMPARE(m_manager->jobs().first()->spec().targetId, u"local"_s);
        QTRY_VERIFY_WITH_TIMEOUT(m_manager->jobs().first()->state() == JobState::Succeeded,
                                 30'000);
    }

    void filtersOverTheList()
    {
        JobRecord remote;
        remote.id = u"r1"_s;
        remote.spec.name = u"remote one"_s;
        remote.spec.targetId = u"ssh:gpu1"_s;
        remote.state = JobState::Failed;
        remote.started = QDateTime::currentDateTimeUtc().addSecs(-60);
        QVERIFY(m_history->add(remote).ok());
        JobRecord local = remote;
        local.id = u"l1"_s;
        local.spec.targetId = u"local"_s;
        local.state = JobState::Succeeded;
        local.started = remote.started.addSecs(-10);
        QVERIFY(m_history->add(local).ok());

        JobPanel panel(m_manager.get());
        QAbstractItemModel *shown = panel.jobList()->model();
        QCOMPARE(shown, static_cast<QAbstractItemModel *>(panel.filterModel()));
        QCOMPARE(shown->rowCount(), 2);
        QComboBox *targets = panel.targetFilterBox();
        QCOMPARE(targets->itemData(0).toString(), QString());
        QVERIFY(targets->findData(u"local"_s) > 0);
        const int gpu = targets->findData(u"ssh:gpu1"_s);
        QVERIFY(gpu > 0);
        targets->setCurrentIndex(gpu);
        emit targets->activated(gpu);
        QCOMPARE(shown->rowCount(), 1);
        QCOMPARE(shown->index(0, 0).data(JobListModel::JobIdRole).toString(), u"r1"_s);
        // Forward Port… is offered for a job on a host, not for a local one.
        panel.selectJob(u"r1"_s);
        QCOMPARE(panel.currentJobId(), u"r1"_s);
        QVERIFY(panel.forwardPortAction()->isEnabled());
        QSignalSpy forward(&panel, &JobPanel::forwardPortRequested);
        panel.forwardPortAction()->trigger();
        QCOMPARE(forward.count(), 1);
        QCOMPARE(forward.first().at(1).toString(), u"ssh:gpu1"_s);

        QComboBox *states = panel.stateFilterBox();
        const int succeeded = states->findData(int(JobFilterModel::StateFilter::Succeeded));
        states->setCurrentIndex(succeeded);
        emit states->activated(succeeded);
        QCOMPARE(shown->rowCount(), 0);
        // Selecting a job the filters hide shows everything again.
        panel.selectJob(u"l1"_s);
        QCOMPARE(shown->rowCount(), 2);
        QCOMPARE(panel.currentJobId(), u"l1"_s);
        QVERIFY(!panel.forwardPortAction()->isEnabled());
        QCOMPARE(targets->currentIndex(), 0);
    }

    void syncProgressAndArtifacts()
    {
        RunConfig config;
        config.command = childprog({u"lines"_s, u"2"_s});
        const QString dir = project(config);
        JobPanel panel(m_manager.get());
        panel.resize(900, 500);
        panel.setProject(dir);
        panel.show();
        QSignalSpy started(m_manager.get(), &JobManager::jobStarted);
        panel.run();
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 30'000);
        const QString id = panel.currentJobId();
        QVERIFY(!id.isEmpty());

        panel.setSyncProgress(id, 512 * 1024, 2048 * 1024);
        QVERIFY(panel.isSyncing(id));
        QVERIFY(panel.syncBar()->isVisible());
        QVERIFY(panel.syncBar()->text().contains(u"512"_s));
        panel.setSyncProgress(id, 2048 * 1024, 2048 * 1024);
        QVERIFY(!panel.isSyncing(id));
        QVERIFY(!panel.syncBar()->isVisible());

        QVERIFY(!panel.artifactsView()->isVisible());
        const QList<Location> artifacts{Location::remote(u"gpu1"_s, u"/w/out/plot.png"_s),
                                        Location::remote(u"gpu1"_s, u"/w/it's $(x).pt"_s)};
        panel.setArtifacts(id, artifacts);
        ArtifactsView *view = panel.artifactsView();
        QVERIFY(view->isVisible());
        QCOMPARE(view->list()->count(), 2);
        QCOMPARE(view->list()->item(1)->text(), u"it's $(x).pt"_s);
        QSignalSpy download(&panel, &JobPanel::artifactsDownloadRequested);
        QSignalSpy open(&panel, &JobPanel::artifactOpenRequested);
        view->downloadButton()->click(); // nothing selected: all of them
        QCOMPARE(download.count(), 1);
        QCOMPARE(download.first().at(0).toString(), id);
        QCOMPARE(download.first().at(1).value<QList<Location>>(), artifacts);
        QVERIFY(!download.first().at(2).toBool());
        // Open on a file not here yet downloads it, to be shown after.
        view->list()->item(0)->setSelected(true);
        view->openButton()->click();
        QCOMPARE(download.count(), 2);
        QCOMPARE(download.last().at(1).value<QList<Location>>(),
                 QList<Location>{artifacts.first()});
        QVERIFY(download.last().at(2).toBool());
        QCOMPARE(open.count(), 0);
        panel.setArtifactDownloaded(id, artifacts.first(), dir + u"/artifacts/plot.png"_s);
        QVERIFY(view->list()->item(0)->text().contains(u"downloaded"_s));
        view->list()->item(0)->setSelected(true);
        view->openButton()->click();
        QCOMPARE(open.count(), 1);
        QCOMPARE(open.first().at(2).toString(), dir + u"/artifacts/plot.png"_s);
        QCOMPARE(download.count(), 2);

        // Another job shows its own (no) artifacts; coming back shows these again.
        panel.setArtifacts(u"other"_s, {});
        panel.run();
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 2, 30'000);
        QVERIFY(!panel.artifactsView()->isVisible());
        panel.selectJob(id);
        QVERIFY(panel.artifactsView()->isVisible());
        QVERIFY(view->list()->item(0)->text().contains(u"downloaded"_s));
        QVERIFY(ArtifactsView::isImage(u"a.PNG"_s));
        QVERIFY(ArtifactsView::isImage(u"b.svg"_s));
        QVERIFY(!ArtifactsView::isImage(u"model.pt"_s));
    }

    void imageViewerShowsAnImage()
    {
        QImage image(40, 30, QImage::Format_RGB32);
        image.fill(Qt::red);
        const QString png = m_dir.filePath(u"plot 'x'.png"_s);
        QVERIFY(image.save(png));
        ImageViewer viewer;
        QSignalSpy loaded(&viewer, &ImageViewer::loaded);
        viewer.openFile(png);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30'000);
        QVERIFY(loaded.first().at(0).toBool());
        QVERIFY(viewer.hasImage());
        QCOMPARE(viewer.imageLabel()->pixmap().size(), QSize(40, 30));
        // Not an image: a message, no crash.
        const QString junk = m_dir.filePath(u"junk.png"_s);
        QFile file(junk);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("\x89PNG but not really");
        file.close();
        viewer.openFile(junk);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 30'000);
        QVERIFY(!loaded.last().at(0).toBool());
        QVERIFY(!viewer.hasImage());
        QVERIFY(viewer.imageLabel()->text().contains(u"Cannot show"_s));
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

        // The UI thread's largest stall is reported here and measured by `./bench output`
        // (max_stall_ms beside the anchor); a test asserts no timing.
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
