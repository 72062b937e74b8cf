#pragma once

#include "core/targets/target.h"

namespace gpuwb {

// This machine as a target: its jobs are LocalJobs and its files are the FileSystem given at
// construction, which the target uses but does not own. Lives on the UI thread.
class LocalTarget : public Target
{
    Q_OBJECT
public:
    explicit LocalTarget(FileSystem *fs, QObject *parent = nullptr);

    QString id() const override;
    QString displayName() const override;
    FileSystem *fileSystem() const override;
    Job *createJob(const QString &jobId, const JobSpec &spec, const QString &logPath,
                   QObject *parent) override;

private:
    FileSystem *m_fs;
};

} // namespace gpuwb
