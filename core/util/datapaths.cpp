#include "core/util/datapaths.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>

using namespace Qt::StringLiterals;

namespace gpuwb {

DataPaths dataPaths()
{
    QString dir = qEnvironmentVariable("GPUWB_DATA_DIR");
    if (dir.isEmpty())
        dir = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + u"/.local/share/gpuwb"_s;
    QDir().mkpath(dir + u"/logs"_s);
    // Job logs and the history hold the user's output and commands: the folders are 0700.
    for (const QString &d : {dir, dir + u"/logs"_s})
        QFile::setPermissions(d, QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                     | QFileDevice::ExeOwner);
    return {dir, dir + u"/history.sqlite"_s, dir + u"/logs"_s};
}

} // namespace gpuwb
