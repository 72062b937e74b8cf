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
    // home or absolute; empty for the default ~/gpuwb/<project folder name>.
    QString remoteDirectory;

    QByteArray toJson() const;
    static JobSpec fromJson(const QByteArray &json);
    friend bool operator==(const JobSpec &, const JobSpec &) = default;
};

} // namespace gpuwb

Q_DECLARE_METATYPE(gpuwb::JobSpec)
