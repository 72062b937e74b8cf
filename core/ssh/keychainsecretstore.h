#pragma once

#include "core/ssh/secretstore.h"

namespace gpuwb {

// SecretStore over the system keychain (QtKeychain: Secret Service, KWallet, macOS Keychain).
// Each call runs one QtKeychain job on a long-lived keychain thread of this process (QtKeychain
// binds its job queue to the thread of the first job) and blocks the calling thread (a
// connection's owner thread) until it ends, never writing a secret anywhere else. Thread-safe.
class KeychainSecretStore : public SecretStore
{
public:
    explicit KeychainSecretStore(QString service = QStringLiteral("gpuwb"));

    Result<QString> read(const QString &key) override;
    Status write(const QString &key, const QString &secret) override;
    Status remove(const QString &key) override;

private:
    QString m_service;
};

} // namespace gpuwb
