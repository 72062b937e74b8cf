#pragma once

#include "core/jobs/jobresult.h"
#include "core/jobs/jobspec.h"
#include "core/jobs/outputevent.h"
#include "core/jobs/processtree.h"
#include "core/jobs/terminalparser.h"

#include <QElapsedTimer>
#include <QFile>
#include <QObject>
#include <QProcess>

#include <atomic>
#include <memory>

class QTimer;

namespace gpuwb {

// The part of a LocalJob that lives on the job's own thread: it owns the QProcess, writes the
// raw output to the log, parses it, and hands OutputBatches to the job at most every
// BatchIntervalMs. Only LocalJob uses it; every method runs on the worker thread.
class LocalJobWorker : public QObject
{
    Q_OBJECT
public:
    static constexpr int BatchIntervalMs = 30;
    static constexpr int MaxBatchLines = 20000;
    static constexpr int StopGraceMs = 3000;

    // `batchInFlight` is shared with the job: set here when a batch is sent, cleared by the job
    // when it has handed it on, so at most one batch waits in the job's event queue however
    // slowly its thread runs (the rest is dropped and counted, as the cap says).
    LocalJobWorker(JobSpec spec, QString logPath,
                   std::shared_ptr<std::atomic<bool>> batchInFlight);
    ~LocalJobWorker() override;

    void start();
    // SIGTERM to the whole tree now, SIGKILL to what is left after StopGraceMs.
    void stop();
    // For the job's destructor: ends the tree at once, waits briefly, emits nothing more.
    void shutdown();

signals:
    void started();
    void batchReady(const gpuwb::OutputBatch &batch);
    void done(const gpuwb::JobResult &result);

private:
    void failToStart(const QString &message);
    void readChannel(QProcess::ProcessChannel channel);
    void onProcessFinished(int exitCode, QProcess::ExitStatus status);
    void waitForTreeThenFinish();
    void finish();
    void addSystemLine(const QString &text);
    void trimLines();
    void markDirty();
    void emitBatch(bool force = false);
    void appendLog(int stream, QByteArrayView bytes);
    void writeLogBuffer();
    void periodicFlush();
    void killTree();
    QString elapsedText() const;

    JobSpec m_spec;
    QString m_logPath;
    QProcess *m_process = nullptr;
    QFile m_log;
    bool m_logFailed = false;
    QByteArray m_logBuffer;
    QByteArray m_carry[2];  // per stream, bytes after its last newline (see appendLog)
    int m_carryAge[2] = {0, 0};

    TerminalParser m_parsers[2] = {TerminalParser(OutputStream::Stdout),
                                   TerminalParser(OutputStream::Stderr)};
    QList<OutputLine> m_lines;
    qint64 m_droppedLines = 0;
    qint64 m_batchBytes = 0;
    qint64 m_totalBytes = 0;
    bool m_dirty = false;
    std::shared_ptr<std::atomic<bool>> m_batchInFlight;

    QTimer *m_batchTimer = nullptr;
    QTimer *m_flushTimer = nullptr;
    QTimer *m_killTimer = nullptr;
    QTimer *m_reapTimer = nullptr;

    pid_t m_pid = 0;
    bool m_stopRequested = false;
    bool m_killed = false;
    bool m_gaveUp = false;
    bool m_finished = false;
    QList<ProcessId> m_tree; // what stop() signalled, signalled again with SIGKILL
    JobResult m_result;
    QElapsedTimer m_clock;
};

} // namespace gpuwb
