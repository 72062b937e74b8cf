#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace gpuwb {

enum class JobState : quint8 {
    Pending,       // created, not started
    Running,
    Stopping,      // stop requested, the process tree is being ended
    Succeeded,     // exited with code 0
    Failed,        // exited with another code, or was killed by a signal it was not sent by us
    Stopped,       // ended by the user
    FailedToStart, // the command could not be started at all
    Lost,          // the workbench ended while the job was running; its fate is unknown
};

bool isFinal(JobState state);
QString toString(JobState state);           // stable names, stored in the history
JobState jobStateFromString(const QString &name);

// The one final outcome of a job (principle 2): every job ends with exactly one.
struct JobResult
{
    JobState state = JobState::Pending;
    int exitCode = -1; // -1 when the process did not exit normally
    int signal = 0;    // the signal that ended it, if any
    QString message;   // for people: why it failed to start, or how it ended
    QDateTime started;
    QDateTime finished;
    QString logPath;
    qint64 outputBytes = 0;
};

} // namespace gpuwb

Q_DECLARE_METATYPE(gpuwb::JobResult)
