#pragma once

#include "core/jobs/jobspec.h"
#include "core/util/result.h"

#include <QRegularExpression>
#include <QString>
#include <QStringList>

namespace gpuwb {

// How a remote job's folder protocol (see remotejob.h) is spelled: the wrapper script, the
// launch, stop and kill command lines, and reading `status`. Pure functions, no I/O, used on
// any thread. Every piece of user text reaches the remote shell through shellQuote only.
namespace RemoteJobScript {

// The default work folder of a project, relative to the remote home: gpuwb/NAME-HASH, NAME
// the project folder's name and HASH 8 hex digits of its absolute local path, so that two
// projects with the same folder name never share a remote folder.
QString defaultRemoteFolder(const QString &projectDirectory);

// The folder the command runs in, absolute on the remote. With a project (projectDirectory
// set) it is the synced folder (remoteDirectory, or ~/defaultRemoteFolder()) plus the
// working directory's path inside the project; without one it is workingDirectory (or
// remoteDirectory), relative paths taken from the remote home.
QString workingFolder(const JobSpec &spec, const QString &remoteHome);
// The synced project folder (absolute), or an empty string when the spec has no project.
QString projectFolder(const JobSpec &spec, const QString &remoteHome);

// run.sh for a job whose folder is `jobDir` (absolute); an Error when an environment variable
// name cannot be exported.
Result<QByteArray> wrapperScript(const JobSpec &spec, const QString &jobDir,
                                 const QString &workDir);
// One exec line that starts run.sh detached (own session via setsid when the remote has it,
// else a job-control process group via `set -m`) and returns at once.
QString launchCommand(const QString &jobDir);
// TERM (or another signal name) to the job's process group.
QString signalCommand(qint64 pgid, const QString &signalName);
// KILL to the group, a short wait until it is gone, then `status` "signal 9" when the wrapper
// (killed with it) could not write one.
QString killCommand(qint64 pgid, const QString &jobDir);

struct Status
{
    bool valid = false;
    int exitCode = -1; // "exit N"
    int signal = 0;    // "signal N"
};
Status parseStatus(const QByteArray &text);
// A `pid` file's process group id, or 0 when it does not hold one we would signal.
qint64 parsePid(const QByteArray &text);

// An artifact glob (relative to the working folder) as an anchored regular expression over
// '/'-separated relative paths: `*` and `?` stay inside one folder name, `**` crosses folders,
// [...] is a character class; a glob without '/' matches a file name at any depth.
QRegularExpression globExpression(const QString &glob);

} // namespace RemoteJobScript

} // namespace gpuwb
