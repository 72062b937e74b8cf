#pragma once

#include <QString>

namespace gpuwb {

// Where the workbench keeps its own data: the job history database and the job logs. The
// folder is $GPUWB_DATA_DIR when set (tests, portable installs), else the platform's
// application data folder. Created on first use.
struct DataPaths
{
    QString directory;
    QString historyDatabase;
    QString logDirectory;
};

DataPaths dataPaths();

} // namespace gpuwb
