#include "core/targets/localtarget.h"

#include "core/jobs/localjob.h"

#include <QSysInfo>

using namespace Qt::StringLiterals;

namespace gpuwb {

LocalTarget::LocalTarget(FileSystem *fs, QObject *parent) : Target(parent), m_fs(fs) {}

QString LocalTarget::id() const
{
    return u"local"_s;
}

QString LocalTarget::displayName() const
{
    const QString host = QSysInfo::machineHostName();
    return host.isEmpty() ? u"This computer"_s : u"This computer (%1)"_s.arg(host);
}

FileSystem *LocalTarget::fileSystem() const
{
    return m_fs;
}

Job *LocalTarget::createJob(const QString &jobId, const JobSpec &spec, const QString &logPath,
                            QObject *parent)
{
    return new LocalJob(jobId, spec, logPath, parent);
}

} // namespace gpuwb
