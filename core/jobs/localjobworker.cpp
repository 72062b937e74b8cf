#include "core/jobs/localjobworker.h"

#include "core/util/logging.h"

#include <QDir>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QTimer>

#include <csignal>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr qsizetype LogBufferBytes = 1 << 20;
constexpr qsizetype MaxCarryBytes = 64 * 1024;
constexpr int FlushIntervalMs = 1000;
constexpr int ReapPollMs = 50;
// After SIGKILL a process can still sit in an uninterruptible wait; do not wait on it forever.
constexpr int GiveUpAfterKillMs = 2000;

QString signalName(int sig)
{
    switch (sig) {
    case SIGHUP: return u"SIGHUP"_s;
    case SIGINT: return u"SIGINT"_s;
    case SIGQUIT: return u"SIGQUIT"_s;
    case SIGILL: return u"SIGILL"_s;
    case SIGTRAP: return u"SIGTRAP"_s;
    case SIGABRT: return u"SIGABRT"_s;
    case SIGBUS: return u"SIGBUS"_s;
    case SIGFPE: return u"SIGFPE"_s;
    case SIGKILL: return u"SIGKILL"_s;
    case SIGSEGV: return u"SIGSEGV"_s;
    case SIGPIPE: return u"SIGPIPE"_s;
    case SIGALRM: return u"SIGALRM"_s;
    case SIGTERM: return u"SIGTERM"_s;
    case SIGUSR1: return u"SIGUSR1"_s;
    case SIGUSR2: return u"SIGUSR2"_s;
    case SIGXCPU: return u"SIGXCPU"_s;
    default: return u"signal %1"_s.arg(sig);
    }
}

QString durationText(qint64 ms)
{
    if (ms < 60'000)
        return u"%1 s"_s.arg(double(ms) / 1000.0, 0, 'f', 1);
    const qint64 s = ms / 1000;
    if (s < 3600)
        return u"%1 min %2 s"_s.arg(s / 60).arg(s % 60);
    return u"%1 h %2 min"_s.arg(s / 3600).arg((s % 3600) / 60);
}

// What a shell's exit code says beyond the number.
QString exitCodeHint(int code)
{
    if (code == 127)
        return u" (the shell could not find the command)"_s;
    if (code == 126)
        return u" (the command could not be run: is it executable?)"_s;
    if (code > 128 && code < 128 + 65)
        return u" (128 + %1: the program was ended by %2)"_s.arg(code - 128).arg(signalName(code - 128));
    return {};
}

void resetChildSignals()
{
    // Runs in the child between fork and exec: only async-signal-safe calls. A new session
    // makes the child the leader of its own process group, so stop() can signal the group.
    ::setsid();
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2})
        ::sigaction(sig, &sa, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

} // namespace

LocalJobWorker::LocalJobWorker(JobSpec spec, QString logPath,
                               std::shared_ptr<std::atomic<bool>> batchInFlight)
    : m_spec(std::move(spec)), m_logPath(std::move(logPath)),
      m_batchInFlight(std::move(batchInFlight))
{}

LocalJobWorker::~LocalJobWorker()
{
    if (m_process && m_process->state() != QProcess::NotRunning)
        shutdown();
}

void LocalJobWorker::start()
{
    m_clock.start();
    m_result.started = QDateTime::currentDateTimeUtc();
    m_result.logPath = m_logPath;

    m_batchTimer = new QTimer(this);
    m_batchTimer->setSingleShot(true);
    m_batchTimer->setInterval(BatchIntervalMs);
    connect(m_batchTimer, &QTimer::timeout, this, [this] {
        if (m_dirty)
            emitBatch();
    });
    m_flushTimer = new QTimer(this);
    m_flushTimer->setInterval(FlushIntervalMs);
    connect(m_flushTimer, &QTimer::timeout, this, &LocalJobWorker::periodicFlush);
    m_killTimer = new QTimer(this);
    m_killTimer->setSingleShot(true);
    connect(m_killTimer, &QTimer::timeout, this, [this] {
        if (!m_killed) {
            killTree();
        } else {
            m_gaveUp = true;
            waitForTreeThenFinish();
        }
    });
    m_reapTimer = new QTimer(this);
    m_reapTimer->setInterval(ReapPollMs);
    connect(m_reapTimer, &QTimer::timeout, this, &LocalJobWorker::waitForTreeThenFinish);

    // The command line comes first, on its own, so a flood of output can never push it out.
    addSystemLine(u"$ "_s + m_spec.command);
    emitBatch(true);

    const QString logDir = QFileInfo(m_logPath).absolutePath();
    if (!QDir().mkpath(logDir)) {
        failToStart(u"Could not create the log folder %1. Check that it is writable, or free "
                    "some disk space."_s.arg(logDir));
        return;
    }
    m_log.setFileName(m_logPath);
    // The job's output is the user's alone (0600), whatever the umask.
    if (!m_log.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Unbuffered,
                    QFileDevice::ReadOwner | QFileDevice::WriteOwner)
        || !m_log.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        failToStart(u"Could not write the log file %1: %2. Check that its folder is writable."_s
                        .arg(m_logPath, m_log.errorString()));
        return;
    }
    if (m_spec.command.trimmed().isEmpty()) {
        failToStart(u"There is no command to run. Set command in the run configuration "
                    "(gpuwb.toml), e.g. command = \"./run.sh\"."_s);
        return;
    }
    const QString workDir = m_spec.workingDirectory.isEmpty() ? m_spec.projectDirectory
                                                              : m_spec.workingDirectory;
    if (workDir.isEmpty() || !QFileInfo(workDir).isDir()) {
        failToStart(u"The working directory %1 does not exist. Create it, or change workdir "
                    "in the run configuration (gpuwb.toml)."_s
                        .arg(workDir.isEmpty() ? u"(none given)"_s : workDir));
        return;
    }

    m_process = new QProcess(this);
    m_process->setProgram(u"/bin/sh"_s);
    m_process->setArguments({u"-c"_s, jobShellScript(m_spec)});
    m_process->setWorkingDirectory(workDir);
    m_process->setStandardInputFile(QProcess::nullDevice());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QMap<QString, QString> added = jobEnvironment(m_spec);
    for (auto it = added.cbegin(); it != added.cend(); ++it)
        env.insert(it.key(), it.value());
    m_process->setProcessEnvironment(env);
    m_process->setChildProcessModifier(resetChildSignals);

    connect(m_process, &QProcess::readyReadStandardOutput, this,
            [this] { readChannel(QProcess::StandardOutput); });
    connect(m_process, &QProcess::readyReadStandardError, this,
            [this] { readChannel(QProcess::StandardError); });
    connect(m_process, &QProcess::finished, this, &LocalJobWorker::onProcessFinished);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart && !m_finished)
            failToStart(u"Could not start /bin/sh: %1. Check that /bin/sh exists and can be run."_s
                            .arg(m_process->errorString()));
    });
    connect(m_process, &QProcess::started, this, [this] {
        m_pid = pid_t(m_process->processId());
        m_flushTimer->start();
        emit started();
    });
    qCDebug(lcJobs) << "starting" << m_spec.command << "in" << workDir;
    m_process->start();
    m_pid = pid_t(m_process->processId());
}

void LocalJobWorker::stop()
{
    if (m_finished || m_stopRequested || !m_process || m_pid <= 0
        || m_process->state() == QProcess::NotRunning)
        return;
    m_stopRequested = true;
    m_tree = ProcessTree::collect(m_pid, m_pid);
    ::kill(-m_pid, SIGTERM);
    ProcessTree::signal(m_tree, SIGTERM);
    addSystemLine(u"stopping: sent SIGTERM to %1 process(es)"_s.arg(
        std::max<qsizetype>(m_tree.size(), 1)));
    markDirty();
    m_killTimer->start(StopGraceMs);
}

void LocalJobWorker::killTree()
{
    if (m_finished || m_pid <= 0)
        return;
    m_killed = true;
    for (const ProcessId &p : ProcessTree::collect(m_pid, m_pid))
        if (!m_tree.contains(p))
            m_tree.append(p);
    ::kill(-m_pid, SIGKILL);
    ProcessTree::signal(m_tree, SIGKILL);
    addSystemLine(u"still running %1 after SIGTERM: sent SIGKILL"_s.arg(durationText(StopGraceMs)));
    markDirty();
    m_killTimer->start(GiveUpAfterKillMs); // then finish regardless (see waitForTreeThenFinish)
}

void LocalJobWorker::shutdown()
{
    if (m_finished)
        return;
    m_finished = true;
    for (QTimer *t : {m_batchTimer, m_flushTimer, m_killTimer, m_reapTimer})
        if (t)
            t->stop();
    if (m_process) {
        disconnect(m_process, nullptr, this, nullptr);
        if (m_process->state() != QProcess::NotRunning && m_pid > 0) {
            QList<ProcessId> tree = ProcessTree::collect(m_pid, m_pid);
            ::kill(-m_pid, SIGTERM);
            ProcessTree::signal(tree, SIGTERM);
            if (!m_process->waitForFinished(1000)) {
                tree += ProcessTree::collect(m_pid, m_pid);
                ::kill(-m_pid, SIGKILL);
                ProcessTree::signal(tree, SIGKILL);
                m_process->waitForFinished(1000);
            }
            // Members that ignored SIGTERM while the shell obeyed it.
            tree += ProcessTree::collect(m_pid, m_pid);
            ::kill(-m_pid, SIGKILL);
            ProcessTree::signal(tree, SIGKILL);
        }
        delete m_process;
        m_process = nullptr;
    }
    for (int s = 0; s < 2; ++s) {
        m_logBuffer += m_carry[s];
        m_carry[s].clear();
    }
    writeLogBuffer();
    m_log.close();
}

void LocalJobWorker::failToStart(const QString &message)
{
    qCDebug(lcJobs) << "failed to start:" << message;
    m_result.state = JobState::FailedToStart;
    m_result.message = message;
    addSystemLine(message);
    finish();
}

void LocalJobWorker::readChannel(QProcess::ProcessChannel channel)
{
    if (!m_process || m_finished)
        return;
    const QByteArray data = channel == QProcess::StandardOutput
                                ? m_process->readAllStandardOutput()
                                : m_process->readAllStandardError();
    if (data.isEmpty())
        return;
    const int s = channel == QProcess::StandardOutput ? 0 : 1;
    m_totalBytes += data.size();
    m_batchBytes += data.size();
    appendLog(s, data);
    m_parsers[s].feed(data, &m_lines);
    trimLines();
    markDirty();
}

void LocalJobWorker::onProcessFinished(int exitCode, QProcess::ExitStatus status)
{
    readChannel(QProcess::StandardOutput);
    readChannel(QProcess::StandardError);
    const bool crashed = status == QProcess::CrashExit;
    // Qt reports the signal number as the exit code of a process a signal ended.
    m_result.exitCode = crashed ? -1 : exitCode;
    m_result.signal = crashed ? exitCode : 0;
    if (m_stopRequested)
        m_result.state = JobState::Stopped;
    else if (!crashed && exitCode == 0)
        m_result.state = JobState::Succeeded;
    else
        m_result.state = JobState::Failed;
    if (m_stopRequested)
        waitForTreeThenFinish();
    else
        finish();
}

void LocalJobWorker::waitForTreeThenFinish()
{
    if (m_finished)
        return;
    // A stopped job is over only when its whole tree is: something that ignored SIGTERM
    // gets SIGKILL when the grace period ends (killTree), which also bounds this wait.
    QList<ProcessId> tree = m_tree;
    tree += ProcessTree::collect(m_pid, m_pid);
    const bool giveUp = m_gaveUp;
    if (ProcessTree::anyAlive(tree) && !giveUp) {
        if (!m_reapTimer->isActive())
            m_reapTimer->start();
        return;
    }
    if (giveUp && ProcessTree::anyAlive(tree))
        qCWarning(lcJobs) << "processes of job" << m_spec.command << "outlived SIGKILL";
    finish();
}

void LocalJobWorker::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    for (QTimer *t : {m_batchTimer, m_flushTimer, m_killTimer, m_reapTimer})
        if (t)
            t->stop();
    for (TerminalParser &parser : m_parsers)
        parser.flush(&m_lines);
    m_result.finished = QDateTime::currentDateTimeUtc();
    m_result.outputBytes = m_totalBytes;
    const QString after = durationText(m_clock.elapsed());
    switch (m_result.state) {
    case JobState::Succeeded:
        m_result.message = u"exited with code 0 after %1"_s.arg(after);
        break;
    case JobState::Failed:
        m_result.message = m_result.signal != 0
                               ? u"killed by %1 after %2"_s.arg(signalName(m_result.signal), after)
                               : u"exited with code %1 after %2%3"_s.arg(m_result.exitCode)
                                     .arg(after, exitCodeHint(m_result.exitCode));
        break;
    case JobState::Stopped:
        m_result.message = m_killed ? u"stopped after %1 (killed with SIGKILL: it did not end "
                                      "within %2 of SIGTERM)"_s.arg(after, durationText(StopGraceMs))
                                    : u"stopped after %1"_s.arg(after);
        break;
    default:
        break; // FailedToStart: the message says why, and is already shown
    }
    if (m_result.state != JobState::FailedToStart)
        addSystemLine(m_result.message);
    for (int s = 0; s < 2; ++s) {
        m_logBuffer += m_carry[s];
        m_carry[s].clear();
    }
    writeLogBuffer();
    if (m_log.isOpen())
        m_log.close();
    emitBatch(true);
    if (m_process)
        m_process->deleteLater();
    m_process = nullptr;
    emit done(m_result);
}

void LocalJobWorker::addSystemLine(const QString &text)
{
    OutputLine line;
    line.text = text;
    line.stream = OutputStream::System;
    m_lines.append(std::move(line));
}

void LocalJobWorker::trimLines()
{
    // Amortised: let the list grow to twice the cap, then drop the oldest in one go.
    if (m_lines.size() <= 2 * MaxBatchLines)
        return;
    const qsizetype drop = m_lines.size() - MaxBatchLines;
    m_lines.remove(0, drop);
    m_droppedLines += drop;
}

void LocalJobWorker::markDirty()
{
    m_dirty = true;
    if (m_batchTimer && !m_batchTimer->isActive() && !m_finished)
        m_batchTimer->start();
}

void LocalJobWorker::emitBatch(bool force)
{
    if (!force && m_batchInFlight->load()) {
        markDirty(); // the job has not taken the last one yet: try again next tick
        return;
    }
    m_dirty = false;
    if (m_lines.size() > MaxBatchLines) {
        const qsizetype drop = m_lines.size() - MaxBatchLines;
        m_lines.remove(0, drop);
        m_droppedLines += drop;
    }
    OutputBatch batch;
    batch.lines = std::move(m_lines);
    m_lines = QList<OutputLine>();
    batch.droppedLines = m_droppedLines;
    batch.bytes = m_batchBytes;
    m_droppedLines = 0;
    m_batchBytes = 0;
    for (const TerminalParser &parser : m_parsers)
        if (auto line = parser.pending())
            batch.pending.append(std::move(*line));
    m_batchInFlight->store(true);
    emit batchReady(batch);
}

void LocalJobWorker::appendLog(int s, QByteArrayView bytes)
{
    // Whole lines go to the log as they come, so that stdout and stderr interleave there line
    // by line, never inside a line. What follows a stream's last newline waits for the next
    // one (or for periodicFlush when the stream goes quiet, or for the end).
    QByteArray &carry = m_carry[s];
    const qsizetype lastNewline = bytes.lastIndexOf('\n');
    if (lastNewline < 0) {
        carry.append(bytes);
        if (carry.size() > MaxCarryBytes) {
            m_logBuffer += carry;
            carry.clear();
        }
    } else {
        m_logBuffer += carry;
        m_logBuffer += bytes.first(lastNewline + 1);
        carry = bytes.sliced(lastNewline + 1).toByteArray();
        m_carryAge[s] = 0;
    }
    if (m_logBuffer.size() >= LogBufferBytes)
        writeLogBuffer();
}

void LocalJobWorker::writeLogBuffer()
{
    if (m_logBuffer.isEmpty())
        return;
    if (m_log.isOpen() && !m_logFailed) {
        if (m_log.write(m_logBuffer) != m_logBuffer.size()) {
            m_logFailed = true;
            qCWarning(lcJobs) << "writing" << m_logPath << "failed:" << m_log.errorString();
            addSystemLine(u"Could not write the log file %1: %2. Output from here on is shown "
                          "but not saved; free some disk space."_s
                              .arg(m_logPath, m_log.errorString()));
            markDirty();
        }
    }
    m_logBuffer.resize(0);
}

void LocalJobWorker::periodicFlush()
{
    for (int s = 0; s < 2; ++s) {
        if (m_carry[s].isEmpty())
            continue;
        if (m_carryAge[s]++ >= 1) { // quiet for a whole interval: a prompt or a progress bar
            m_logBuffer += m_carry[s];
            m_carry[s].clear();
            m_carryAge[s] = 0;
        }
    }
    writeLogBuffer();
}

} // namespace gpuwb
