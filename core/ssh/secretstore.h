#pragma once

#include "core/util/result.h"

#include <QString>

namespace gpuwb {

// Where remembered passwords and passphrases go: the system keychain through QtKeychain,
// never a file of ours. Keys are like "password/user@host:port" or "passphrase/<key path>".
// Blocking calls (they spin a local event loop while QtKeychain works), meant for a
// connection's owner thread. When no keychain service is running, write() fails with code
// "no-keychain" and a message saying that the secret was not stored.
class SecretStore
{
public:
    virtual ~SecretStore() = default;
    virtual Result<QString> read(const QString &key) = 0; // code "not-found" when absent
    virtual Status write(const QString &key, const QString &secret) = 0;
    virtual Status remove(const QString &key) = 0;
};

} // namespace gpuwb
