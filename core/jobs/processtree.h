#pragma once

#include <QList>

#include <sys/types.h>

namespace gpuwb {

// A process as seen in /proc, with its start time so that a recycled PID is never signalled.
struct ProcessId
{
    pid_t pid = 0;
    quint64 startTime = 0; // clock ticks after boot, field 22 of /proc/<pid>/stat
    friend bool operator==(const ProcessId &, const ProcessId &) = default;
};

// Finding and ending the processes of a job's tree on Linux: every member of the job's
// process group, plus descendants of its root that moved to another group or session.
// Reads /proc; stateless and usable from any thread.
class ProcessTree
{
public:
    // Live (not zombie) processes that descend from `root` or belong to group `group`.
    static QList<ProcessId> collect(pid_t root, pid_t group);
    // Sends `sig` to each process that still runs with the same start time.
    static void signal(const QList<ProcessId> &processes, int sig);
    // Whether any of them still runs (zombies count as gone).
    static bool anyAlive(const QList<ProcessId> &processes);
};

} // namespace gpuwb
