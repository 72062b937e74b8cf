#include "core/jobs/localjob.h"
#include "core/util/shellquote.h"

#include <QDir>
#include <QFile>
#include <QPointer>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <sys/types.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;

// gpuwb::toString(JobState) returns a QString, which QTest's own toString() lookup trips on.
#define QCOMPARE_STATE(actual, expected) QCOMPARE(toString(actual), toString(expected))

namespace {

QString childprog()
{
    return qEnvironmentVariable("GPUWB_CHILDPROG");
}

// Whether a process still runs. A zombie answers kill(pid, 0) too, but it has ended and only
// waits for its parent to collect it.
bool processRuns(pid_t pid)
{
    if (::kill(pid, 0) != 0)
        return false;
    QFile f(u"/proc/%1/stat"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 >= stat.size())
        return false;
    const char state = stat.at(close + 2);
    return state != 'Z' && state != 'X';
}

// Collects everything a job reports.
struct Recorder
{
    QList<OutputLine> lines;
    qint64 dropped = 0;
    qint64 bytes = 0;
    QList<JobResult> results;
    QList<JobState> states;
    QList<OutputLine> lastPending;

    void attach(Job *job)
    {
        QObject::connect(job, &Job::output, job, [this](const OutputBatch &b) {
            lines += b.lines;
            dropped += b.droppedLines;
            bytes += b.bytes;
            lastPending = b.pending;
        });
        QObject::connect(job, &Job::finished, job,
                         [this](const JobResult &r) { results.append(r); });
        QObject::connect(job, &Job::stateChanged, job, [this](JobState s) { states.append(s); });
    }
    QStringList texts(OutputStream stream) const
    {
        QStringList out;
        for (const OutputLine &l : lines)
            if (l.stream == stream)
                out.append(l.text);
        return out;
    }
    QList<pid_t> pids() const
    {
        QList<pid_t> out;
        for (const QString &t : texts(OutputStream::Stdout))
            if (t.startsWith(u"pid "_s))
                out.append(pid_t(t.mid(4).toInt()));
        return out;
    }
};

} // namespace

class TestLocalJob : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_counter = 0;

    JobSpec spec(const QStringList &childArgs)
    {
        JobSpec s;
        s.name = u"test"_s;
        s.command = shellJoin(QStringList{childprog()} + childArgs);
        s.workingDirectory = m_dir.path();
        s.projectDirectory = m_dir.path();
        return s;
    }

    QString logPath() { return m_dir.filePath(u"logs/job-%1.log"_s.arg(++m_counter)); }

    // Runs to the end; the finished signal must come exactly once.
    JobResult run(LocalJob *job, Recorder *rec, int timeoutMs = 120000)
    {
        rec->attach(job);
        job->start();
        if (!QTest::qWaitFor([&] { return !rec->results.isEmpty(); }, timeoutMs))
            return JobResult();
        QTest::qWait(50);
        if (rec->results.size() != 1)
            return JobResult();
        return rec->results.first();
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFileInfo(childprog()).isExecutable(), "GPUWB_CHILDPROG must point to the helper");
    }

    void firehoseKeepsEveryLineInTheLog()
    {
        const int n = 2'000'000;
        Recorder rec;
        LocalJob job(u"firehose"_s, spec({u"lines"_s, QString::number(n)}), logPath());
        const JobResult r = run(&job, &rec, 240000);
        QCOMPARE(rec.results.size(), 1);
        QCOMPARE_STATE(r.state, JobState::Succeeded);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE_STATE(job.state(), JobState::Succeeded);

        QFile log(job.logPath());
        QVERIFY(log.open(QIODevice::ReadOnly));
        qint64 count = 0;
        bool inOrder = true;
        while (!log.atEnd()) {
            const QByteArray line = log.readLine();
            ++count;
            if (inOrder && line != "line " + QByteArray::number(count) + '\n')
                inOrder = false;
        }
        QCOMPARE(count, qint64(n));
        QVERIFY(inOrder);
        QCOMPARE(r.outputBytes, log.size());
        QCOMPARE(rec.bytes, log.size());

        // The view got the newest lines of each tick and a count of the rest.
        const QStringList shown = rec.texts(OutputStream::Stdout);
        QCOMPARE(shown.size() + rec.dropped, qint64(n) + 0); // system lines are never dropped
        QCOMPARE(shown.last(), u"line %1"_s.arg(n));
    }

    void slowViewerIsNeverFlooded()
    {
        // A view that takes its time: batches never pile up, and every line is accounted for.
        const int n = 300'000;
        Recorder rec;
        LocalJob job(u"slow"_s, spec({u"lines"_s, QString::number(n)}), logPath());
        int batches = 0;
        connect(&job, &Job::output, this, [&batches](const OutputBatch &) {
            ++batches;
            QThread::msleep(20);
        });
        QCOMPARE_STATE(run(&job, &rec, 240000).state, JobState::Succeeded);
        QCOMPARE(rec.texts(OutputStream::Stdout).size() + rec.dropped, qint64(n));
        QCOMPARE(rec.texts(OutputStream::Stdout).last(), u"line %1"_s.arg(n));
        QVERIFY(batches >= 2);
        QFile log(job.logPath());
        QVERIFY(log.open(QIODevice::ReadOnly));
        QCOMPARE(log.readAll().count('\n'), qsizetype(n));
    }

    void stdoutAndStderrAreToldApart()
    {
        Recorder rec;
        LocalJob job(u"split"_s, spec({u"lines"_s, u"1000"_s, u"stderr-every"_s, u"10"_s}),
                     logPath());
        QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
        const QStringList out = rec.texts(OutputStream::Stdout);
        const QStringList err = rec.texts(OutputStream::Stderr);
        QCOMPARE(out.size(), 900);
        QCOMPARE(err.size(), 100);
        for (int i = 0; i < err.size(); ++i)
            QCOMPARE(err[i], u"line %1"_s.arg((i + 1) * 10));
        QVERIFY(!out.contains(u"line 10"_s));
        QCOMPARE(out.first(), u"line 1"_s);

        // In the log the two streams interleave by whole lines only.
        QFile log(job.logPath());
        QVERIFY(log.open(QIODevice::ReadOnly));
        QSet<int> numbers;
        for (const QByteArray &line : log.readAll().split('\n')) {
            if (line.isEmpty())
                continue;
            QVERIFY2(line.startsWith("line "), line.constData());
            numbers.insert(line.mid(5).toInt());
        }
        QCOMPARE(numbers.size(), 1000);
    }

    void systemLinesFrameTheOutput()
    {
        Recorder rec;
        LocalJob job(u"sys"_s, spec({u"exit"_s, u"0"_s}), logPath());
        const JobResult r = run(&job, &rec);
        QCOMPARE_STATE(r.state, JobState::Succeeded);
        const QStringList sys = rec.texts(OutputStream::System);
        QCOMPARE(sys.size(), 2);
        QCOMPARE(sys.first(), u"$ "_s + job.spec().command);
        QVERIFY2(sys.last().startsWith(u"exited with code 0 after "_s), qPrintable(sys.last()));
        QCOMPARE(rec.lines.first().stream, OutputStream::System);
        QCOMPARE(rec.lines.last().stream, OutputStream::System);
        QCOMPARE(rec.states.size(), 2);
        QCOMPARE_STATE(rec.states[0], JobState::Running);
        QCOMPARE_STATE(rec.states[1], JobState::Succeeded);
        // The log holds the program's bytes only.
        QCOMPARE(QFileInfo(job.logPath()).size(), 0);
    }

    void exitCodes_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<JobState>("state");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("zero") << QStringList{u"exit"_s, u"0"_s} << JobState::Succeeded << 0
                              << u"code 0"_s;
        QTest::newRow("three") << QStringList{u"exit"_s, u"3"_s} << JobState::Failed << 3
                               << u"code 3"_s;
        QTest::newRow("255") << QStringList{u"exit"_s, u"255"_s} << JobState::Failed << 255
                             << u"code 255"_s;
        QTest::newRow("bad usage") << QStringList{u"no-such-mode"_s} << JobState::Failed << 2
                                   << u"code 2"_s;
    }

    void exitCodes()
    {
        QFETCH(QStringList, args);
        QFETCH(JobState, state);
        QFETCH(int, exitCode);
        QFETCH(QString, messagePart);
        Recorder rec;
        LocalJob job(u"exit"_s, spec(args), logPath());
        const JobResult r = run(&job, &rec);
        QCOMPARE(rec.results.size(), 1);
        QCOMPARE_STATE(r.state, state);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.message.contains(messagePart), qPrintable(r.message));
        QVERIFY(r.started.isValid() && r.finished.isValid() && r.started <= r.finished);
        QCOMPARE(r.logPath, job.logPath());
    }

    void killedBySignalFails()
    {
        Recorder rec;
        LocalJob job(u"segv"_s, spec({u"signal"_s, QString::number(SIGSEGV)}), logPath());
        const JobResult r = run(&job, &rec);
        QCOMPARE_STATE(r.state, JobState::Failed);
        // Either the shell ran the program itself (the signal reaches us) or reported 128 + 11.
        QVERIFY2(r.signal == SIGSEGV || r.exitCode == 128 + SIGSEGV, qPrintable(r.message));
        QVERIFY2(r.message.contains(u"SIGSEGV"_s), qPrintable(r.message));
    }

    void missingCommandIsExit127()
    {
        Recorder rec;
        JobSpec s = spec({});
        s.command = u"gpuwb-no-such-program-xyz --flag"_s;
        LocalJob job(u"nf"_s, s, logPath());
        const JobResult r = run(&job, &rec);
        QCOMPARE_STATE(r.state, JobState::Failed);
        QCOMPARE(r.exitCode, 127);
        QVERIFY2(r.message.contains(u"could not find"_s), qPrintable(r.message));
        QVERIFY(!rec.texts(OutputStream::Stderr).isEmpty());
    }

    void stopEndsTheWholeTree_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("same group") << QStringList{u"tree"_s, u"3"_s};
        QTest::newRow("escaped with setsid") << QStringList{u"tree"_s, u"2"_s, u"escape"_s};
    }

    void stopEndsTheWholeTree()
    {
        QFETCH(QStringList, args);
        const int n = args.at(1).toInt();
        Recorder rec;
        LocalJob job(u"tree"_s, spec(args), logPath());
        rec.attach(&job);
        job.start();
        QTRY_COMPARE_WITH_TIMEOUT(rec.pids().size(), n, 60000);
        const QList<pid_t> pids = rec.pids();
        for (pid_t pid : pids)
            QVERIFY(processRuns(pid));
        QCOMPARE_STATE(job.state(), JobState::Running);
        job.stop();
        QCOMPARE_STATE(job.state(), JobState::Stopping);
        QTRY_COMPARE_WITH_TIMEOUT(rec.results.size(), 1, 60000);
        QCOMPARE_STATE(rec.results.first().state, JobState::Stopped);
        QVERIFY2(rec.results.first().message.startsWith(u"stopped after"_s),
                 qPrintable(rec.results.first().message));
        // Gone, or at most a zombie waiting for init to collect it.
        for (pid_t pid : pids)
            QTRY_VERIFY_WITH_TIMEOUT(!processRuns(pid), 10000);
        QCOMPARE_STATE(rec.states.last(), JobState::Stopped);
        QTest::qWait(50);
        QCOMPARE(rec.results.size(), 1);
    }

    void ignoredTermFallsBackToKill()
    {
        Recorder rec;
        LocalJob job(u"stubborn"_s, spec({u"ignore-term"_s}), logPath());
        rec.attach(&job);
        job.start();
        QTRY_VERIFY_WITH_TIMEOUT(rec.texts(OutputStream::Stdout).contains(u"ready"_s), 60000);
        job.stop();
        QTRY_COMPARE_WITH_TIMEOUT(rec.results.size(), 1, 60000);
        const JobResult r = rec.results.first();
        QCOMPARE_STATE(r.state, JobState::Stopped);
        QVERIFY2(r.message.contains(u"SIGKILL"_s), qPrintable(r.message));
        QVERIFY(rec.texts(OutputStream::System).join(u'\n').contains(u"sent SIGKILL"_s));
    }

    void missingWorkingDirectoryFailsToStart()
    {
        Recorder rec;
        JobSpec s = spec({u"exit"_s, u"0"_s});
        s.workingDirectory = m_dir.filePath(u"no such dir"_s);
        LocalJob job(u"nodir"_s, s, logPath());
        const JobResult r = run(&job, &rec);
        QCOMPARE(rec.results.size(), 1);
        QCOMPARE_STATE(r.state, JobState::FailedToStart);
        QVERIFY2(r.message.contains(s.workingDirectory), qPrintable(r.message));
        QVERIFY2(r.message.contains(u"does not exist"_s), qPrintable(r.message));
        QVERIFY(!rec.states.contains(JobState::Running));
        QVERIFY(rec.texts(OutputStream::System).contains(r.message));
    }

    void emptyCommandFailsToStart()
    {
        Recorder rec;
        JobSpec s = spec({});
        s.command = u"  \n "_s;
        LocalJob job(u"empty"_s, s, logPath());
        QCOMPARE_STATE(run(&job, &rec).state, JobState::FailedToStart);
    }

    void unwritableLogFailsToStart()
    {
        Recorder rec;
        QFile blocker(m_dir.filePath(u"blocker"_s));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        LocalJob job(u"nolog"_s, spec({u"exit"_s, u"0"_s}), blocker.fileName() + u"/x.log"_s);
        const JobResult r = run(&job, &rec);
        QCOMPARE_STATE(r.state, JobState::FailedToStart);
        QVERIFY2(r.message.contains(u"log"_s), qPrintable(r.message));
    }

    void exactlyOneFinishedWhateverTheCalls()
    {
        Recorder rec;
        LocalJob job(u"once"_s, spec({u"sleep"_s, u"60000"_s}), logPath());
        rec.attach(&job);
        job.stop(); // before start: nothing to do
        job.start();
        job.stop();
        job.stop();
        QTRY_COMPARE_WITH_TIMEOUT(rec.results.size(), 1, 60000);
        job.stop();
        QTest::qWait(200);
        QCOMPARE(rec.results.size(), 1);
        QCOMPARE_STATE(rec.results.first().state, JobState::Stopped);
    }

    void environmentAndWorkingDirectoryAreHonoured()
    {
        QDir(m_dir.path()).mkpath(u"it's a \"dir\" $(x)"_s);
        const QString wd = m_dir.filePath(u"it's a \"dir\" $(x)"_s);
        const QString value = u"it's \"quoted\" $(touch pwned) `id` ünï ; |"_s;
        {
            Recorder rec;
            JobSpec s = spec({u"env"_s, u"GPUWB_TEST_VALUE"_s});
            s.environment.insert(u"GPUWB_TEST_VALUE"_s, value);
            s.workingDirectory = wd;
            LocalJob job(u"env"_s, s, logPath());
            QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
            QCOMPARE(rec.texts(OutputStream::Stdout), QStringList{value});
        }
        {
            Recorder rec;
            JobSpec s = spec({u"pwd"_s});
            s.workingDirectory = wd;
            LocalJob job(u"pwd"_s, s, logPath());
            QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
            QCOMPARE(rec.texts(OutputStream::Stdout),
                     QStringList{QFileInfo(wd).canonicalFilePath()});
        }
        {
            Recorder rec; // the inherited environment is still there
            LocalJob job(u"path"_s, spec({u"env"_s, u"PATH"_s}), logPath());
            QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
            QCOMPARE(rec.texts(OutputStream::Stdout), QStringList{qEnvironmentVariable("PATH")});
        }
        QVERIFY(!QFile::exists(QDir(wd).filePath(u"pwned"_s)));
    }

    // The setup line runs first, in the job's own /bin/sh (dash on Debian), where the README's
    // `setup = "source .venv/bin/activate"` must work as it does in bash.
    void setupRunsFirstInTheSameShell()
    {
        QDir(m_dir.path()).mkpath(u"venv dir/bin"_s);
        QFile activate(m_dir.filePath(u"venv dir/bin/activate"_s));
        QVERIFY(activate.open(QIODevice::WriteOnly));
        activate.write("GPUWB_ACTIVATED=\"from setup\"; export GPUWB_ACTIVATED\n");
        activate.close();
        Recorder rec;
        JobSpec s = spec({u"env"_s, u"GPUWB_ACTIVATED"_s});
        s.setup = u"source 'venv dir/bin/activate'  # a comment"_s;
        LocalJob job(u"setup"_s, s, logPath());
        QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
        QCOMPARE(rec.texts(OutputStream::Stdout), QStringList{u"from setup"_s});
    }

    void failingSetupSkipsTheCommand()
    {
        Recorder rec;
        JobSpec s = spec({u"args"_s, u"the command ran"_s});
        s.setup = u"source ./no-such-venv/bin/activate"_s;
        LocalJob job(u"badsetup"_s, s, logPath());
        const JobResult result = run(&job, &rec);
        QCOMPARE_STATE(result.state, JobState::Failed);
        QCOMPARE(result.exitCode, 1);
        QVERIFY(rec.texts(OutputStream::Stdout).isEmpty());
        const QString err = rec.texts(OutputStream::Stderr).join(u'\n');
        QVERIFY2(err.contains(u"cannot read ./no-such-venv/bin/activate"_s), qPrintable(err));
        QVERIFY2(err.contains(u"the setup line failed (exit 1); the command was not run"_s),
                 qPrintable(err));
    }

    // Output reaches the panel as it is written: Python is told not to buffer it into blocks,
    // unless the configuration says otherwise.
    void pythonOutputIsUnbufferedUnlessConfigured()
    {
        {
            Recorder rec;
            LocalJob job(u"unbuf"_s, spec({u"env"_s, u"PYTHONUNBUFFERED"_s}), logPath());
            QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
            QCOMPARE(rec.texts(OutputStream::Stdout), QStringList{u"1"_s});
        }
        {
            Recorder rec;
            JobSpec s = spec({u"env"_s, u"PYTHONUNBUFFERED"_s});
            s.environment.insert(u"PYTHONUNBUFFERED"_s, u""_s);
            LocalJob job(u"buf"_s, s, logPath());
            QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
            QCOMPARE(rec.texts(OutputStream::Stdout), QStringList{QString()});
        }
    }

    void hostileArgumentsSurviveQuoting()
    {
        const QStringList hostile{u"it's"_s,         u"\"double\""_s, u"$(touch pwned)"_s,
                                  u"`touch pwned2`"_s, u"back\\slash\\"_s, u"new\nline"_s,
                                  u"; rm -rf pwned3"_s, u"*"_s,          u"~"_s,
                                  u"$HOME"_s,        u"a b\tc"_s,     QString(),
                                  u"-n"_s,           u"ünïcödé 😀"_s, u"'"_s,
                                  u"''"_s,           u"!"_s,          u"#comment"_s};
        Recorder rec;
        LocalJob job(u"args"_s, spec(QStringList{u"args"_s} + hostile), logPath());
        QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
        QStringList got;
        for (const QString &hex : rec.texts(OutputStream::Stdout))
            got.append(QString::fromUtf8(QByteArray::fromHex(hex.toLatin1())));
        QCOMPARE(got, hostile);
        for (const char *f : {"pwned", "pwned2", "pwned3"})
            QVERIFY(!QFile::exists(m_dir.filePath(QString::fromLatin1(f))));
    }

    void progressBarIsOneLine()
    {
        Recorder rec;
        LocalJob job(u"progress"_s, spec({u"progress"_s, u"5000"_s}), logPath());
        QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
        QCOMPARE(rec.texts(OutputStream::Stdout),
                 (QStringList{u"progress 5000/5000"_s, u"done"_s}));
        QVERIFY(rec.lastPending.isEmpty());
    }

    void coloursArriveAsSpans()
    {
        Recorder rec;
        LocalJob job(u"ansi"_s, spec({u"ansi"_s}), logPath());
        QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
        QList<OutputLine> out;
        for (const OutputLine &l : rec.lines)
            if (l.stream == OutputStream::Stdout)
                out.append(l);
        QCOMPARE(out.size(), 2);
        QCOMPARE(out[0].text, u"red plain bold green"_s);
        QCOMPARE(out[0].spans.size(), 2);
        QCOMPARE(out[0].spans[0].style.foreground, (TermColor{TermColor::Indexed, 1}));
        QCOMPARE(out[1].spans[1].style.background, (TermColor{TermColor::Rgb, 0x010203}));
        // The log keeps the escape sequences as the program wrote them.
        QFile log(job.logPath());
        QVERIFY(log.open(QIODevice::ReadOnly));
        QVERIFY(log.readAll().startsWith("\x1b[31mred"));
    }

    void rawBytesReachTheLogUnchanged()
    {
        const QByteArray bytes = "\xff\xfe" "abc\r\n\x1b[1m\xe2\x82\n" "no newline at end"_ba;
        Recorder rec;
        LocalJob job(u"bytes"_s, spec({u"bytes"_s, QString::fromLatin1(bytes.toHex())}),
                     logPath());
        QCOMPARE_STATE(run(&job, &rec).state, JobState::Succeeded);
        QFile log(job.logPath());
        QVERIFY(log.open(QIODevice::ReadOnly));
        QCOMPARE(log.readAll(), bytes);
        const QStringList out = rec.texts(OutputStream::Stdout);
        QCOMPARE(out.size(), 3);
        QCOMPARE(out[0], QString(2, QChar(0xFFFD)) + u"abc"_s);
        QCOMPARE(out[2], u"no newline at end"_s);
    }

    void destroyingARunningJobEndsItsTree()
    {
        Recorder rec;
        QList<pid_t> pids;
        {
            LocalJob job(u"doomed"_s, spec({u"tree"_s, u"2"_s}), logPath());
            rec.attach(&job);
            job.start();
            QTRY_COMPARE_WITH_TIMEOUT(rec.pids().size(), 2, 60000);
            pids = rec.pids();
        }
        for (pid_t pid : pids)
            QTRY_VERIFY_WITH_TIMEOUT(!processRuns(pid), 10000);
        QVERIFY(rec.results.isEmpty());
    }

    void destroyingAJobThatNeverStartedIsFine()
    {
        LocalJob job(u"idle"_s, spec({u"exit"_s, u"0"_s}), logPath());
        QCOMPARE_STATE(job.state(), JobState::Pending);
    }

    // The job's processes run in a process group (and session) of its own, led by the job's
    // shell: Job::processGroup() is that group, known by the time the job is Running.
    void processGroupIsTheChildsGroup()
    {
        Recorder rec;
        LocalJob job(u"group"_s, spec({u"tree"_s, u"2"_s}), logPath());
        QCOMPARE(job.processGroup(), qint64(0));
        qint64 groupWhenRunning = -1;
        connect(&job, &Job::stateChanged, &job, [&](JobState s) {
            if (s == JobState::Running)
                groupWhenRunning = job.processGroup();
        });
        rec.attach(&job);
        job.start();
        QTRY_COMPARE_WITH_TIMEOUT(rec.pids().size(), 2, 60000);
        const qint64 group = job.processGroup();
        QVERIFY(group > 1);
        QCOMPARE(groupWhenRunning, group);
        QVERIFY(group != qint64(::getpid()));
        // /proc/<pid>/stat: "pid (comm) state ppid pgrp session ...", comm may hold spaces.
        const auto statFields = [](qint64 pid) {
            QFile f(u"/proc/%1/stat"_s.arg(pid));
            if (!f.open(QIODevice::ReadOnly))
                return QList<QByteArray>();
            const QByteArray stat = f.readAll();
            return stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        };
        // The leader (the job's shell) and every process it started are in that group and
        // session.
        const QList<QByteArray> leader = statFields(group);
        QVERIFY2(leader.size() > 3, "the job's group leader must still run");
        QCOMPARE(leader.at(2).toLongLong(), group); // pgrp
        QCOMPARE(leader.at(3).toLongLong(), group); // session
        for (pid_t pid : rec.pids()) {
            const QList<QByteArray> fields = statFields(pid);
            QVERIFY2(fields.size() > 3, qPrintable(u"pid %1 has gone"_s.arg(pid)));
            QCOMPARE(fields.at(2).toLongLong(), group);
            QCOMPARE(fields.at(3).toLongLong(), group);
            QCOMPARE(qint64(::getpgid(pid)), group);
        }
        job.stop();
        QTRY_COMPARE_WITH_TIMEOUT(rec.results.size(), 1, 60000);
        // It stays what it was: the job's record, not a live lookup.
        QCOMPARE(job.processGroup(), group);
    }

    void failedStartHasNoProcessGroup()
    {
        JobSpec s = spec({u"exit"_s, u"0"_s});
        s.workingDirectory = m_dir.filePath(u"does-not-exist"_s);
        Recorder rec;
        LocalJob job(u"nogroup"_s, s, logPath());
        run(&job, &rec);
        QCOMPARE(rec.results.size(), 1);
        QCOMPARE_STATE(rec.results.first().state, JobState::FailedToStart);
        QCOMPARE(job.processGroup(), qint64(0));
    }

    void manyJobsAtOnce()
    {
        std::vector<std::unique_ptr<LocalJob>> jobs;
        std::vector<Recorder> recs(8);
        for (int i = 0; i < 8; ++i) {
            jobs.push_back(std::make_unique<LocalJob>(
                u"many%1"_s.arg(i), spec({u"lines"_s, u"20000"_s}), logPath()));
            recs[i].attach(jobs.back().get());
            jobs.back()->start();
        }
        for (int i = 0; i < 8; ++i) {
            QTRY_COMPARE_WITH_TIMEOUT(recs[i].results.size(), 1, 120000);
            QCOMPARE_STATE(recs[i].results.first().state, JobState::Succeeded);
            QCOMPARE(recs[i].texts(OutputStream::Stdout).size() + recs[i].dropped, 20000);
        }
    }
};

QTEST_GUILESS_MAIN(TestLocalJob)
#include "tst_localjob.moc"
