#pragma once

#include <QString>
#include <QStringList>

namespace gpuwb {

// Quotes one argument for the POSIX shell so that it reaches the program unchanged, whatever
// it contains (principle 13). Remote and local command lines are built with these only.
QString shellQuote(const QString &argument);

// Quotes every argument and joins them with spaces: a command line for `sh -c`.
QString shellJoin(const QStringList &arguments);

} // namespace gpuwb
