#pragma once

#include <QByteArrayView>
#include <QStringView>

namespace gpuwb {

// OpenSSH's patterns (ssh_config Host, known_hosts names): '*' matches any run of characters,
// '?' any one, every other character only itself ('[' included). In time linear in the text
// for each '*' (no backtracking past the last '*'), whatever the input.
bool wildcardMatch(QByteArrayView text, QByteArrayView pattern);
// The same, comparing characters case-insensitively (ssh_config Host patterns).
bool wildcardMatch(QStringView text, QStringView pattern, Qt::CaseSensitivity cs);

} // namespace gpuwb
