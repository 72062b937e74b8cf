// RemoteJob against a real sshd on this machine: exit codes and signals, stop of a process
// tree, two jobs at once, hostile environment and setup, artifacts, attach, and the question
// before a first sync of large folders.
#include "core/jobs/jobhistory.h"
#include "core/remote/remotejob.h"
#include "core/ssh/sshconnection.h"
#include "core/util/shellquote.h"
#include "helpers/sshtest.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <pwd.h>
#include <unistd.h>

#include <csignal>
#include <cerrno>
#include <optional>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

// What one job said: its stdout/stderr lines, its system lines and its one result.
struct Watch
{
    QStringList lines;
    QStringList system;
    std::optional<JobResult> result;
    int finishedCount = 0;
    QList<Location> artifacts;

    void follow(RemoteJob *job, QObject *context)
    {
        QObject::connect(job, &Job::output, context, [this](const OutputBatch &batch) {
            for (const OutputLine &line : batch.lines)
                (line.stream == OutputStream::System ? system : lines).append(line.text);
        });
        QObject::connect(job, &Job::finished, context, [this](const JobResult &r) {
            result = r;
            ++finishedCount;
        });
        QObject::connect(job, &RemoteJob::artifactsListed, context,
                         [this](const QList<Location> &a) { artifacts = a; });
    }
};

QString childprog()
{
    return qEnvironmentVariable("GPUWB_CHILDPROG");
}

} // namespace

class TestRemoteJob : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::SshdServer> m_server;
    std::unique_ptr<SshConnection> m_connection;
    std::unique_ptr<QTemporaryDir> m_logs;
    QString m_scratch;
    int m_count = 0;

    JobSpec spec(const QString &command)
    {
        JobSpec s;
        s.name = u"remote test"_s;
        s.command = command;
        s.workingDirectory = m_scratch;
        s.targetId = u"ssh:"_s + m_server->alias();
        return s;
    }
    RemoteJob *makeJob(const JobSpec &s, QString *id = nullptr)
    {
        const QString jobId = u"t%1-%2"_s.arg(QCoreApplication::applicationPid()).arg(++m_count);
        if (id)
            *id = jobId;
        return new RemoteJob(m_connection.get(), jobId, s, m_logs->filePath(jobId + u".log"_s),
                             this);
    }
    QString remoteJobFolder(const QString &id) const
    {
        return m_server->userHome() + u'/' + RemoteJob::remoteJobDir(id);
    }
    // A project with a checkpoints/ folder over the (lowered) large-folder threshold; the job
    // syncs it to <scratch>/proj and checks there that the checkpoint arrived.
    JobSpec largeProjectSpec()
    {
        m_project = std::make_unique<QTemporaryDir>();
        const QString root = m_project->path();
        QDir(root).mkpath(u"checkpoints"_s);
        QFile big(root + u"/checkpoints/model.pt"_s);
        if (!big.open(QIODevice::WriteOnly) || big.write(QByteArray(64 * 1024, 'x')) != 64 * 1024)
            return {};
        big.close();
        QFile script(root + u"/train.sh"_s);
        if (!script.open(QIODevice::WriteOnly) || script.write("echo train\n") < 0)
            return {};
        script.close();
        qputenv("GPUWB_SYNC_LARGE_FOLDER_BYTES", "10000");
        JobSpec s = spec(u"test -s checkpoints/model.pt && echo synced"_s);
        s.projectDirectory = root;
        s.workingDirectory = root;
        s.remoteDirectory = m_scratch + u"/proj"_s;
        return s;
    }
    std::unique_ptr<QTemporaryDir> m_project;

private slots:
    void init()
    {
        m_server = std::make_unique<test::SshdServer>();
        GPUWB_START_SSHD(*m_server);
        QVERIFY(test::useClientHome(*m_server));
        SshConnection::Options o;
        o.connectTimeoutSeconds = 20;
        m_connection = std::make_unique<SshConnection>(m_server->alias(), o);
        m_logs = std::make_unique<QTemporaryDir>();
        m_scratch = m_server->makeRemoteScratchDir();
        QVERIFY(!m_scratch.isEmpty());
        QVERIFY2(QFileInfo(childprog()).isExecutable(), "GPUWB_CHILDPROG names the helper");
    }
    void cleanup()
    {
        m_connection.reset();
        // The jobs' folders on the "remote" (this machine's test user) go with the test.
        if (m_server)
            for (int i = 1; i <= m_count; ++i)
                QDir(remoteJobFolder(u"t%1-%2"_s.arg(QCoreApplication::applicationPid()).arg(i)))
                    .removeRecursively();
        m_server.reset();
        m_project.reset();
        qunsetenv("GPUWB_SYNC_LARGE_FOLDER_BYTES");
    }

    void exitCodeIsReported()
    {
        RemoteJob *job = makeJob(spec(shellJoin({childprog(), u"lines"_s, u"5"_s}) + u"; "_s
                                      + shellJoin({childprog(), u"exit"_s, u"3"_s})));
        Watch w;
        w.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::Failed));
        QCOMPARE(w.result->exitCode, 3);
        QCOMPARE(w.result->signal, 0);
        QCOMPARE(w.lines, (QStringList{u"line 1"_s, u"line 2"_s, u"line 3"_s, u"line 4"_s,
                                       u"line 5"_s}));
        QCOMPARE(test::readOnDisk(QFile::encodeName(job->logPath())),
                 QByteArray("line 1\nline 2\nline 3\nline 4\nline 5\n"));
        QTest::qWait(300);
        QCOMPARE(w.finishedCount, 1);
        QCOMPARE(test::readOnDisk(QFile::encodeName(remoteJobFolder(job->id()) + u"/status"_s)),
                 QByteArray("exit 3\n"));
    }

    void zeroExitSucceeds()
    {
        RemoteJob *job = makeJob(spec(shellJoin({childprog(), u"exit"_s, u"0"_s})));
        Watch w;
        w.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::Succeeded));
        QCOMPARE(w.result->exitCode, 0);
    }

    void signalIsReported()
    {
        RemoteJob *job = makeJob(spec(shellJoin({childprog(), u"signal"_s,
                                                 QString::number(SIGUSR1)})));
        Watch w;
        w.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::Failed));
        QCOMPARE(w.result->signal, int(SIGUSR1));
        QCOMPARE(w.result->exitCode, -1);
        QVERIFY2(w.result->message.contains(u"SIGUSR1"_s), qPrintable(w.result->message));
    }

    void stopLeavesNoSurvivor_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("tree") << u"tree"_s;               // ends on SIGTERM
        QTest::newRow("ignore-term") << u"ignore-term"_s; // the command itself needs SIGKILL
        QTest::newRow("straggler") << u"straggler"_s;     // the shell ends, a member lingers
    }
    void stopLeavesNoSurvivor()
    {
        QFETCH(QString, mode);
        const QString command =
            mode == u"tree"_s ? shellJoin({childprog(), u"tree"_s, u"3"_s})
            : mode == u"ignore-term"_s
                ? shellJoin({childprog(), u"tree"_s, u"2"_s}) + u" & exec "_s
                      + shellJoin({childprog(), u"ignore-term"_s})
                : shellJoin({childprog(), u"ignore-term"_s}) + u" & "_s
                      + shellJoin({childprog(), u"tree"_s, u"2"_s});
        RemoteJob *job = makeJob(spec(command));
        Watch w;
        w.follow(job, this);
        job->start();
        const int children = mode == u"tree"_s ? 3 : 2;
        QTRY_VERIFY_WITH_TIMEOUT(w.lines.filter(u"pid "_s).size() == children, 60'000);
        if (mode != u"tree"_s)
            QTRY_VERIFY_WITH_TIMEOUT(w.lines.contains(u"ready"_s), 60'000);
        QList<pid_t> pids;
        for (const QString &line : w.lines.filter(u"pid "_s))
            pids.append(pid_t(line.mid(4).toInt()));
        const QByteArray pidFile =
            test::readOnDisk(QFile::encodeName(remoteJobFolder(job->id()) + u"/pid"_s));
        const pid_t group = pid_t(pidFile.trimmed().toInt());
        QVERIFY2(group > 1, pidFile.constData());
        QCOMPARE(::kill(-group, 0), 0);
        for (pid_t p : std::as_const(pids))
            QCOMPARE(::getpgid(p), group);

        job->stop();
        QCOMPARE(int(job->state()), int(JobState::Stopping));
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::Stopped));
        // Nothing of the group is left (zombies are reaped by init within moments).
        QTRY_VERIFY_WITH_TIMEOUT(::kill(-group, 0) == -1 && errno == ESRCH, 20'000);
        for (pid_t p : std::as_const(pids))
            QVERIFY(::kill(p, 0) == -1);
        if (mode != u"tree"_s)
            QVERIFY(w.system.join(u'\n').contains(u"SIGKILL"_s));
        if (mode == u"ignore-term"_s)
            QCOMPARE(w.result->signal, int(SIGKILL));
    }

    void twoJobsKeepTheirOutputApart()
    {
        const auto loop = [](const QString &tag) {
            return u"i=0; while [ $i -lt 3000 ]; do echo %1-$i; i=$((i+1)); done; exit 4"_s.arg(tag);
        };
        RemoteJob *a = makeJob(spec(loop(u"A"_s)));
        RemoteJob *b = makeJob(spec(loop(u"B"_s)));
        Watch wa, wb;
        wa.follow(a, this);
        wb.follow(b, this);
        a->start();
        b->start();
        QTRY_VERIFY_WITH_TIMEOUT(wa.result && wb.result, 90'000);
        QStringList expectA, expectB;
        for (int i = 0; i < 3000; ++i) {
            expectA << u"A-%1"_s.arg(i);
            expectB << u"B-%1"_s.arg(i);
        }
        QCOMPARE(wa.lines, expectA);
        QCOMPARE(wb.lines, expectB);
        QCOMPARE(wa.result->exitCode, 4);
        QCOMPARE(wb.result->exitCode, 4);
    }

    void hostileEnvironmentSetupAndFolder()
    {
        const QString canary = m_scratch + u"/canary"_s;
        const QString hostile = u"it's \"q\" $(touch %1) `touch %1` ; touch %1\nsecond line \\ $HOME"_s
                                    .arg(canary);
        // A working folder whose name would run commands if it reached a shell unquoted.
        const QString folder = m_scratch + u"/dir with 'q' $(touch %1) ;x"_s.arg(canary);
        QVERIFY(QDir().mkpath(folder));
        JobSpec s = spec(shellJoin({childprog(), u"env"_s, u"HOSTILE"_s}) + u"; "_s
                         + shellJoin({childprog(), u"env"_s, u"FROM_SETUP"_s}) + u"; "_s
                         + shellJoin({childprog(), u"pwd"_s}));
        s.workingDirectory = folder;
        s.environment.insert(u"HOSTILE"_s, hostile);
        s.environment.insert(u"EMPTY"_s, QString());
        s.setup = u"FROM_SETUP=\"set up: $HOSTILE\"; export FROM_SETUP # a comment"_s;
        RemoteJob *job = makeJob(s);
        Watch w;
        w.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::Succeeded));
        const QStringList hostileLines = hostile.split(u'\n');
        QStringList expected = hostileLines;
        expected << (u"set up: "_s + hostileLines.at(0)) << hostileLines.at(1) << folder;
        QCOMPARE(w.lines, expected);
        QVERIFY(!QFileInfo::exists(canary));

        // A setup line that fails: the command does not run, and its code is reported.
        JobSpec bad = spec(shellJoin({childprog(), u"lines"_s, u"1"_s}));
        bad.setup = u"exit 9"_s;
        RemoteJob *failing = makeJob(bad);
        Watch wf;
        wf.follow(failing, this);
        failing->start();
        QTRY_VERIFY_WITH_TIMEOUT(wf.result.has_value(), 60'000);
        QCOMPARE(wf.result->exitCode, 9);
        QVERIFY(!wf.lines.contains(u"line 1"_s));

        // `source` in the setup works in the job's /bin/sh (dash here) as in bash, and Python's
        // output is unbuffered unless the spec says otherwise.
        QFile activate(folder + u"/activate"_s);
        QVERIFY(activate.open(QIODevice::WriteOnly));
        activate.write("VENV_ON=yes; export VENV_ON\n");
        activate.close();
        JobSpec sourced = spec(shellJoin({childprog(), u"env"_s, u"VENV_ON"_s}) + u"; "_s
                               + shellJoin({childprog(), u"env"_s, u"PYTHONUNBUFFERED"_s}));
        sourced.workingDirectory = folder;
        sourced.setup = u"source ./activate"_s;
        RemoteJob *sourcing = makeJob(sourced);
        Watch ws;
        ws.follow(sourcing, this);
        sourcing->start();
        QTRY_VERIFY_WITH_TIMEOUT(ws.result.has_value(), 60'000);
        QCOMPARE(int(ws.result->state), int(JobState::Succeeded));
        QCOMPARE(ws.lines, (QStringList{u"yes"_s, u"1"_s}));

        // A variable name that cannot be exported fails to start, running nothing.
        JobSpec badName = spec(u"touch "_s + shellQuote(canary));
        badName.environment.insert(u"A;touch x"_s, u"1"_s);
        RemoteJob *refused = makeJob(badName);
        Watch wr;
        wr.follow(refused, this);
        refused->start();
        QTRY_VERIFY_WITH_TIMEOUT(wr.result.has_value(), 60'000);
        QCOMPARE(int(wr.result->state), int(JobState::FailedToStart));
        QVERIFY(!QFileInfo::exists(canary));
    }

    void missingWorkingFolderFailsToStart()
    {
        JobSpec s = spec(u"true"_s);
        s.workingDirectory = m_scratch + u"/does not exist"_s;
        RemoteJob *job = makeJob(s);
        Watch w;
        w.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::FailedToStart));
        QVERIFY2(w.result->message.contains(u"does not exist"_s), qPrintable(w.result->message));
        QCOMPARE(job->processGroup(), qint64(0)); // it never ran
    }

    void artifactsAreListed()
    {
        JobSpec s = spec(u"mkdir -p outputs/sub deep/er && touch outputs/a.png outputs/b.png "
                         "outputs/sub/c.png outputs/notes.txt x.pt deep/er/y.pt \"o'dd \\$n.pt\""_s);
        s.artifacts = {u"outputs/*.png"_s, u"*.pt"_s};
        RemoteJob *job = makeJob(s);
        Watch w;
        w.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::Succeeded));
        QStringList got;
        for (const Location &l : std::as_const(w.artifacts)) {
            QCOMPARE(l.host(), m_server->alias());
            got << l.path().mid(m_scratch.size() + 1);
        }
        got.sort();
        QCOMPARE(got, (QStringList{u"deep/er/y.pt"_s, u"o'dd $n.pt"_s, u"outputs/a.png"_s,
                                   u"outputs/b.png"_s, u"x.pt"_s}));
        QCOMPARE(job->artifacts(), w.artifacts);
    }

    void largeFirstSyncAsksAndRefusalLaunchesNothing()
    {
        const JobSpec s = largeProjectSpec();
        QVERIFY(!s.projectDirectory.isEmpty());
        RemoteJob *job = makeJob(s);
        Watch w;
        w.follow(job, this);
        std::optional<SyncPlan> asked;
        connect(job, &RemoteJob::syncConfirmationNeeded, this,
                [&asked](const SyncPlan &plan) { asked = plan; });
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(asked.has_value() || w.result.has_value(), 60'000);
        QVERIFY(asked.has_value());
        QVERIFY(asked->firstSync);
        QCOMPARE(asked->largeFolders.size(), 1);
        QCOMPARE(asked->largeFolders.first().path, u"checkpoints"_s);
        QVERIFY(asked->bytesToSend >= 64 * 1024);
        QVERIFY(!w.result.has_value()); // waiting, not ended
        QCOMPARE(int(job->state()), int(JobState::Pending));
        QTest::qWait(300);
        QVERIFY(!w.result.has_value());

        job->confirmSync(false);
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 30'000);
        QCOMPARE(int(w.result->state), int(JobState::FailedToStart));
        QVERIFY2(w.result->message.contains(u"checkpoints/"_s), qPrintable(w.result->message));
        QVERIFY2(w.result->message.contains(u".gpuwbignore"_s), qPrintable(w.result->message));
        QVERIFY(w.lines.isEmpty());
        // Nothing was sent and nothing launched.
        QVERIFY(!QFileInfo::exists(remoteJobFolder(job->id())));
        QVERIFY(!QFileInfo::exists(m_scratch + u"/proj/checkpoints/model.pt"_s));
        // A late or repeated answer changes nothing.
        job->confirmSync(true);
        QTest::qWait(300);
        QCOMPARE(w.finishedCount, 1);
    }

    void stopWhileAskingEndsTheJob()
    {
        const JobSpec s = largeProjectSpec();
        QVERIFY(!s.projectDirectory.isEmpty());
        RemoteJob *job = makeJob(s);
        Watch w;
        w.follow(job, this);
        bool asked = false;
        connect(job, &RemoteJob::syncConfirmationNeeded, this,
                [&asked](const SyncPlan &) { asked = true; });
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(asked || w.result.has_value(), 60'000);
        QVERIFY(asked);
        job->stop();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 30'000);
        QCOMPARE(int(w.result->state), int(JobState::Stopped));
        QVERIFY(!QFileInfo::exists(remoteJobFolder(job->id())));
        job->confirmSync(true); // too late: ignored
        QTest::qWait(300);
        QCOMPARE(w.finishedCount, 1);
        QVERIFY(!QFileInfo::exists(m_scratch + u"/proj/checkpoints/model.pt"_s));
    }

    void largeFirstSyncConfirmedRuns()
    {
        const JobSpec s = largeProjectSpec();
        QVERIFY(!s.projectDirectory.isEmpty());
        RemoteJob *job = makeJob(s);
        Watch w;
        w.follow(job, this);
        int asked = 0;
        connect(job, &RemoteJob::syncConfirmationNeeded, this, [job, &asked](const SyncPlan &) {
            ++asked;
            job->confirmSync(true);
        });
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(asked, 1);
        QCOMPARE(int(w.result->state), int(JobState::Succeeded));
        QCOMPARE(w.lines, QStringList{u"synced"_s});

        // The next sync is not a first one: no question.
        RemoteJob *second = makeJob(s);
        Watch w2;
        w2.follow(second, this);
        connect(second, &RemoteJob::syncConfirmationNeeded, this,
                [&asked](const SyncPlan &) { ++asked; });
        second->start();
        QTRY_VERIFY_WITH_TIMEOUT(w2.result.has_value(), 60'000);
        QCOMPARE(int(w2.result->state), int(JobState::Succeeded));
        QCOMPARE(asked, 1);
    }

    void largeFirstSyncWithoutListenerWarnsAndRuns()
    {
        const JobSpec s = largeProjectSpec();
        QVERIFY(!s.projectDirectory.isEmpty());
        RemoteJob *job = makeJob(s);
        Watch w;
        w.follow(job, this);
        QStringList warnings;
        connect(job, &Job::output, this, [&warnings](const OutputBatch &batch) {
            for (const OutputLine &line : batch.lines)
                if (line.stream == OutputStream::Stderr)
                    warnings.append(line.text);
        });
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::Succeeded));
        QCOMPARE(warnings.size(), 1);
        const QString warning = warnings.first();
        QVERIFY2(warning.contains(u"warning"_s), qPrintable(warning));
        QVERIFY2(warning.contains(u"checkpoints/ ("_s), qPrintable(warning));
        QVERIFY2(warning.contains(u"2 files"_s), qPrintable(warning));
        QVERIFY2(warning.contains(u".gpuwbignore"_s), qPrintable(warning));
        QVERIFY(w.lines.contains(u"synced"_s));
    }

    void attachResumesWhereTheLocalLogEnds()
    {
        // Output in two parts with a pause between; the first follower goes away in the pause.
        const QString command =
            shellJoin({childprog(), u"lines"_s, u"100"_s}) + u"; printf 'partial '; sleep 4; "
            "echo line; i=101; while [ $i -le 200 ]; do echo \"line $i\"; i=$((i+1)); done; exit 6"_s;
        QString id;
        JobSpec s = spec(command);
        RemoteJob *first = makeJob(s, &id);
        Watch w1;
        w1.follow(first, this);
        first->start();
        QTRY_VERIFY_WITH_TIMEOUT(w1.lines.contains(u"line 100"_s), 60'000);
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(first->logPath()).size() > 0
                                     && test::readOnDisk(QFile::encodeName(first->logPath()))
                                            .endsWith("partial "),
                                 30'000);
        const QString logPath = first->logPath();
        delete first; // the app quits; the job runs on

        JobRecord record;
        record.id = id;
        record.spec = s;
        record.state = JobState::Running;
        record.started = QDateTime::currentDateTimeUtc();
        record.logPath = logPath;
        RemoteJob *again = RemoteJob::attach(m_connection.get(), record, this);
        Watch w2;
        w2.follow(again, this);
        QTRY_VERIFY_WITH_TIMEOUT(w2.result.has_value(), 60'000);
        QCOMPARE(w2.result->exitCode, 6);
        QStringList expected{u"partial line"_s};
        for (int i = 101; i <= 200; ++i)
            expected << u"line %1"_s.arg(i);
        QCOMPARE(w2.lines, expected);
        // The local log is the remote one, byte for byte.
        QCOMPARE(test::readOnDisk(QFile::encodeName(logPath)),
                 test::readOnDisk(QFile::encodeName(remoteJobFolder(id) + u"/log"_s)));

        // Attaching to a job that ended meanwhile finishes at once with the recorded status.
        record.state = JobState::Failed;
        record.exitCode = 6;
        RemoteJob *ended = RemoteJob::attach(m_connection.get(), record, this);
        Watch w3;
        w3.follow(ended, this);
        QTRY_VERIFY_WITH_TIMEOUT(w3.result.has_value(), 10'000);
        QCOMPARE(w3.result->exitCode, 6);
    }

    // Job::processGroup() is the group the remote `pid` file records (the wrapper leads it),
    // for a started job and for one attached from the history; GPU processes are matched to
    // jobs by it.
    void processGroupComesFromThePidFile()
    {
        QString id;
        const JobSpec s = spec(shellJoin({childprog(), u"tree"_s, u"2"_s}));
        RemoteJob *job = makeJob(s, &id);
        QCOMPARE(job->processGroup(), qint64(0));
        Watch w;
        w.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.lines.filter(u"pid "_s).size() == 2, 60'000);
        QTRY_VERIFY_WITH_TIMEOUT(job->processGroup() > 0, 30'000);
        const QByteArray pidFile =
            test::readOnDisk(QFile::encodeName(remoteJobFolder(id) + u"/pid"_s));
        const qint64 group = pidFile.trimmed().toLongLong();
        QVERIFY2(group > 1, pidFile.constData());
        QCOMPARE(job->processGroup(), group);
        // The sshd runs on this machine: the job's processes really are in that group.
        for (const QString &line : w.lines.filter(u"pid "_s))
            QCOMPARE(qint64(::getpgid(pid_t(line.mid(4).toInt()))), group);

        // A follower attached from the history learns the same group.
        JobRecord record;
        record.id = id;
        record.spec = s;
        record.state = JobState::Running;
        record.logPath = m_logs->filePath(id + u"-attached.log"_s);
        RemoteJob *attached = RemoteJob::attach(m_connection.get(), record, this);
        QTRY_COMPARE_WITH_TIMEOUT(attached->processGroup(), group, 30'000);
        delete attached; // following ends; the job runs on

        job->stop();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::Stopped));
        QCOMPARE(job->processGroup(), group);
    }

    // Issue 10, item 4: a job whose processes die without a status (OOM kill), whose folder
    // vanishes, or whose wrapper never wrote its pid does not show Running forever: the
    // reader's liveness check ends it as Lost or FailedToStart with the reason.
    void deadWrapperIsLost()
    {
        QString id;
        RemoteJob *job = makeJob(spec(u"echo up; sleep 600"_s), &id);
        Watch w;
        w.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.lines.contains(u"up"_s), 60'000);
        QTRY_VERIFY_WITH_TIMEOUT(job->processGroup() > 0, 30'000);
        // What the OOM killer does: the whole group, wrapper included, with SIGKILL.
        QCOMPARE(::kill(-pid_t(job->processGroup()), SIGKILL), 0);
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::Lost));
        QVERIFY2(w.result->message.contains(u"no exit status"_s), qPrintable(w.result->message));
        QCOMPARE(w.finishedCount, 1);
    }

    // The host restarted under the job: the boot id the wrapper wrote is not the host's any
    // more (what a reboot does to /proc/sys/kernel/random/boot_id, written here instead).
    void rebootedHostIsLost()
    {
        QString id;
        RemoteJob *job = makeJob(spec(u"echo up; sleep 600"_s), &id);
        Watch w;
        w.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(w.lines.contains(u"up"_s), 60'000);
        QTRY_VERIFY_WITH_TIMEOUT(job->processGroup() > 0, 30'000);
        QCOMPARE(::kill(-pid_t(job->processGroup()), SIGKILL), 0);
        QFile boot(remoteJobFolder(id) + u"/boot"_s);
        QVERIFY(boot.open(QIODevice::WriteOnly | QIODevice::Truncate));
        boot.write("00000000-1111-2222-3333-444444444444\n");
        boot.close();
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 60'000);
        QCOMPARE(int(w.result->state), int(JobState::Lost));
        QVERIFY2(w.result->message.contains(u"restarted while the job ran"_s),
                 qPrintable(w.result->message));
        QVERIFY(QFile::exists(remoteJobFolder(id) + u"/log"_s)); // nothing removed
        QCOMPARE(w.finishedCount, 1);
    }

    void vanishedFolderIsLost()
    {
        QString id;
        const JobSpec s = spec(u"echo up; sleep 600"_s);
        RemoteJob *job = makeJob(s, &id);
        Watch w;
        w.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(job->processGroup() > 0, 60'000);
        const qint64 group = job->processGroup();
        delete job; // the app quits
        ::kill(-pid_t(group), SIGKILL);
        QVERIFY(QDir(remoteJobFolder(id)).removeRecursively()); // e.g. a cleaned-up home

        JobRecord record;
        record.id = id;
        record.spec = s;
        record.state = JobState::Running;
        record.logPath = m_logs->filePath(id + u"-again.log"_s);
        RemoteJob *again = RemoteJob::attach(m_connection.get(), record, this);
        Watch w2;
        w2.follow(again, this);
        QTRY_VERIFY_WITH_TIMEOUT(w2.result.has_value(), 60'000);
        QCOMPARE(int(w2.result->state), int(JobState::Lost));
        QVERIFY2(w2.result->message.contains(u"is gone"_s), qPrintable(w2.result->message));
    }

    void wrapperThatNeverStartedFailsToStart()
    {
        // A job folder with a log but no pid: the wrapper was cut off (full disk, killed
        // during the launch). Attached from the history, it ends within the grace time.
        const QString id = u"t%1-never"_s.arg(QCoreApplication::applicationPid());
        const QString folder = remoteJobFolder(id);
        QVERIFY(QDir().mkpath(folder));
        const passwd *pw = ::getpwnam("gpuwbtest");
        QVERIFY(pw);
        for (QString d = folder; d.startsWith(m_server->userHome() + u'/');
             d = QFileInfo(d).absolutePath())
            QVERIFY(::chown(QFile::encodeName(d).constData(), pw->pw_uid, pw->pw_gid) == 0);
        QVERIFY(test::writeOnDisk(QFile::encodeName(folder + u"/log"_s), "half a start\n", 0600,
                                  true));
        JobRecord record;
        record.id = id;
        record.spec = spec(u"true"_s);
        record.state = JobState::Running;
        record.logPath = m_logs->filePath(id + u".log"_s);
        RemoteJob *job = RemoteJob::attach(m_connection.get(), record, this);
        Watch w;
        w.follow(job, this);
        QTRY_VERIFY_WITH_TIMEOUT(w.result.has_value(), 90'000);
        QCOMPARE(int(w.result->state), int(JobState::FailedToStart));
        QVERIFY2(w.result->message.contains(u"never started"_s), qPrintable(w.result->message));
        QVERIFY(w.lines.contains(u"half a start"_s));
        QDir(folder).removeRecursively();
    }

    // Issue 10, item 5: two followers of one job (two windows, or a window and `gpuwb
    // attach`) never append the same bytes to one local log.
    void secondFollowerDoesNotWriteTheLog()
    {
        QString id;
        const JobSpec s = spec(u"i=1; while [ $i -le 30 ]; do echo \"line $i\"; i=$((i+1)); "
                               "sleep 0.1; done"_s);
        RemoteJob *first = makeJob(s, &id);
        Watch w1;
        w1.follow(first, this);
        first->start();
        QTRY_VERIFY_WITH_TIMEOUT(w1.lines.contains(u"line 3"_s), 60'000);
        JobRecord record;
        record.id = id;
        record.spec = s;
        record.state = JobState::Running;
        record.logPath = first->logPath();
        RemoteJob *second = RemoteJob::attach(m_connection.get(), record, this);
        Watch w2;
        w2.follow(second, this);
        QTRY_VERIFY_WITH_TIMEOUT(w1.result.has_value() && w2.result.has_value(), 60'000);
        QVERIFY2(w2.system.filter(u"without writing it"_s).size() == 1,
                 qPrintable(w2.system.join(u'\n')));
        QVERIFY(w2.lines.contains(u"line 30"_s));
        QCOMPARE(test::readOnDisk(QFile::encodeName(first->logPath())),
                 test::readOnDisk(QFile::encodeName(remoteJobFolder(id) + u"/log"_s)));
    }
};

QTEST_GUILESS_MAIN(TestRemoteJob)
#include "tst_remotejob.moc"
