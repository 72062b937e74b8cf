#include "core/ssh/keychainsecretstore.h"

#include <QEventLoop>
#include <QObject>

#include <qt6keychain/keychain.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

// Runs a job to its end on this thread. QtKeychain deletes nothing itself with autoDelete off.
void runJob(QKeychain::Job &job)
{
    job.setAutoDelete(false);
    job.setInsecureFallback(false); // never a plain-text file
    QEventLoop loop;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, &QEventLoop::quit);
    job.start();
    loop.exec();
}

bool noService(QKeychain::Error e)
{
    return e == QKeychain::NoBackendAvailable || e == QKeychain::AccessDeniedByUser
        || e == QKeychain::AccessDenied || e == QKeychain::NotImplemented
        || e == QKeychain::OtherError;
}

} // namespace

KeychainSecretStore::KeychainSecretStore(QString service) : m_service(std::move(service)) {}

Result<QString> KeychainSecretStore::read(const QString &key)
{
    QKeychain::ReadPasswordJob job(m_service);
    job.setKey(key);
    runJob(job);
    if (job.error() == QKeychain::NoError)
        return job.textData();
    if (job.error() == QKeychain::EntryNotFound)
        return Error{u"not-found"_s, u"No secret stored for %1."_s.arg(key)};
    return Error{noService(job.error()) ? u"no-keychain"_s : u"keychain-error"_s,
                 u"Could not read from the system keychain: %1"_s.arg(job.errorString())};
}

Status KeychainSecretStore::write(const QString &key, const QString &secret)
{
    QKeychain::WritePasswordJob job(m_service);
    job.setKey(key);
    job.setTextData(secret);
    runJob(job);
    if (job.error() == QKeychain::NoError)
        return {};
    return Error{noService(job.error()) ? u"no-keychain"_s : u"keychain-error"_s,
                 u"The secret was not stored: no system keychain is available (%1). It is kept "
                 "in memory for this session only; start a keychain service (e.g. GNOME "
                 "Keyring or KWallet) to remember it."_s.arg(job.errorString())};
}

Status KeychainSecretStore::remove(const QString &key)
{
    QKeychain::DeletePasswordJob job(m_service);
    job.setKey(key);
    runJob(job);
    if (job.error() == QKeychain::NoError || job.error() == QKeychain::EntryNotFound)
        return {};
    return Error{noService(job.error()) ? u"no-keychain"_s : u"keychain-error"_s,
                 u"Could not remove the secret from the system keychain: %1"_s.arg(
                     job.errorString())};
}

} // namespace gpuwb
