#pragma once

#include "core/ssh/secretstore.h"

namespace gpuwb {

// SecretStore over the system keychain (QtKeychain: Secret Service, KWallet, macOS Keychain).
// Each call runs one QtKeychain job and waits for it in a local event loop on the calling
// thread (a connection's owner thread), never writing a secret anywhere else. Thread-safe in
// that each call makes its own job.
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
