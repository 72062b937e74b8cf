#include "core/util/datapaths.h"

#include <QDir>
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
    return {dir, dir + u"/history.sqlite"_s, dir + u"/logs"_s};
}

} // namespace gpuwb
