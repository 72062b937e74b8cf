#pragma once

#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace gpuwb {

// What to run and where: the input of a Job. A spec is a plain value; it is stored whole in
// the job history and can be run again.
struct JobSpec
{
    QString name;             // for people: "saxpy", "train.py"
    QString command;          // a command line for /bin/sh -c, run in workingDirectory
    QString workingDirectory; // absolute, on the target
    QString projectDirectory; // the project the job belongs to (absolute, local)
    QMap<QString, QString> environment; // added to the inherited environment
    QString targetId = QStringLiteral("local");
    // A line run before the command in the same shell, e.g. "source ~/venv/bin/activate".
    QString setup;
    // Glob patterns, relative to the working directory, of files worth keeping ("*.pt").
    QStringList artifacts;
    // For remote targets: the work folder the project is mirrored to, relative to the remote
    // home or absolute; empty for the default (~/gpuwb/<folder name>-<hash of the local path>).
    QString remoteDirectory;

    QByteArray toJson() const;
    static JobSpec fromJson(const QByteArray &json);
    friend bool operator==(const JobSpec &, const JobSpec &) = default;
};

// The text a job's /bin/sh -c runs, on every target: a `source` for shells without one (dash
// is /bin/sh on Debian and Ubuntu), then the setup line (its failure skips the command and
// says so), then the command.
QString jobShellScript(const JobSpec &spec);
// What a job adds to the environment it inherits: defaults that make output arrive as it is
// written (PYTHONUNBUFFERED=1: a pipe would otherwise hold Python's output back in blocks),
// then the spec's own variables, which win.
QMap<QString, QString> jobEnvironment(const JobSpec &spec);

} // namespace gpuwb

Q_DECLARE_METATYPE(gpuwb::JobSpec)
