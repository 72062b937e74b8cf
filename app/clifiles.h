#pragma once

#include <QStringList>

namespace gpuwb {

// `gpuwb ls` and `gpuwb cp`: remote files from the command line. Return the exit code.
int lsCommand(const QStringList &arguments);
int cpCommand(const QStringList &arguments);

} // namespace gpuwb
