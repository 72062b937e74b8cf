#pragma once

#include "helpers/sshdserver.h"

#include <sys/types.h>

namespace gpuwb::test {

// Writes the rc files that make `account`'s login shell print on every command (none for
// Account::Plain) into `home`, owned by uid/gid, each replaced whole through a rename so that
// a test running at once never reads half of one. False with a reason on failure.
bool writeAccountRcFiles(SshdServer::Account account, const QString &home, uid_t uid,
                         gid_t gid, QString *error);

} // namespace gpuwb::test
