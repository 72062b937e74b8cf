#pragma once

#include <QMap>
#include <QMetaType>
#include <QString>

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

    QByteArray toJson() const;
    static JobSpec fromJson(const QByteArray &json);
    friend bool operator==(const JobSpec &, const JobSpec &) = default;
};

} // namespace gpuwb

Q_DECLARE_METATYPE(gpuwb::JobSpec)
