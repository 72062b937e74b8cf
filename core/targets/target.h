#pragma once

#include "core/jobs/job.h"

#include <QObject>

namespace gpuwb {

class FileSystem;

// Where jobs run: this machine now, an SSH host or a Slurm cluster later. A target makes jobs
// and says what it is; it owns whatever connection it needs.
class Target : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    virtual QString id() const = 0;          // "local", "ssh:gpu-box", ...
    virtual QString displayName() const = 0; // for people
    // The files of this target, as jobs see them.
    virtual FileSystem *fileSystem() const = 0;
    // A new job, not yet started, whose complete output goes to logPath.
    virtual Job *createJob(const QString &jobId, const JobSpec &spec, const QString &logPath,
                           QObject *parent) = 0;
};

} // namespace gpuwb
