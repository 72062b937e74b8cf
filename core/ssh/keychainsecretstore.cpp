#include "core/ssh/keychainsecretstore.h"

#include <QObject>
#include <QThread>

#include <qt6keychain/keychain.h>

#include <condition_variable>
#include <functional>
#include <mutex>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

// QtKeychain passes every job through one executor object, made on the thread of the first job
// and needing that thread's event loop ever after. Connection owner threads come and go, so
// all jobs run on this one long-lived thread while the caller waits for the outcome.
class KeychainThread
{
public:
    KeychainThread()
    {
        m_thread.setObjectName(u"keychain"_s);
        m_thread.start();
        m_context = new QObject;
        m_context->moveToThread(&m_thread);
    }
    ~KeychainThread()
    {
        m_thread.quit();
        m_thread.wait();
        delete m_context; // its thread has finished: deleting it here is allowed
    }

    // Runs the job `make` returns to its end on the keychain thread; `read` takes what it
    // needs from the finished job there. Blocks the calling thread meanwhile.
    void run(const std::function<QKeychain::Job *()> &make,
             const std::function<void(QKeychain::Job &)> &read)
    {
        std::mutex mutex;
        std::condition_variable cv;
        bool finished = false;
        auto start = [&] {
            QKeychain::Job *job = make();
            job->setAutoDelete(false);
            job->setInsecureFallback(false); // never a plain-text file
            QObject::connect(job, &QKeychain::Job::finished, m_context, [&, job] {
                read(*job);
                job->deleteLater();
                std::lock_guard lock(mutex);
                finished = true;
                cv.notify_all();
            });
            job->start();
        };
        QMetaObject::invokeMethod(m_context, start, Qt::QueuedConnection);
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return finished; });
    }

private:
    QThread m_thread;
    QObject *m_context = nullptr;
};

Q_GLOBAL_STATIC(KeychainThread, keychainThread)

struct Outcome
{
    QKeychain::Error error = QKeychain::NoError;
    QString errorString;
    QString text;
};

template<typename JobType>
Outcome runJob(const QString &service, const QString &key,
               const std::function<void(JobType &)> &prepare = {})
{
    Outcome out;
    keychainThread()->run(
        [&]() -> QKeychain::Job * {
            auto *job = new JobType(service);
            job->setKey(key);
            if (prepare)
                prepare(*job);
            return job;
        },
        [&](QKeychain::Job &job) {
            out.error = job.error();
            out.errorString = job.errorString();
            if constexpr (std::is_same_v<JobType, QKeychain::ReadPasswordJob>)
                out.text = static_cast<QKeychain::ReadPasswordJob &>(job).textData();
        });
    return out;
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
    const Outcome job = runJob<QKeychain::ReadPasswordJob>(m_service, key);
    if (job.error == QKeychain::NoError)
        return job.text;
    if (job.error == QKeychain::EntryNotFound)
        return Error{ErrorCode::NotFound, u"No secret stored for %1."_s.arg(key)};
    return Error{noService(job.error) ? ErrorCode::NoKeychain : ErrorCode::KeychainError,
                 u"Could not read from the system keychain: %1"_s.arg(job.errorString)};
}

Status KeychainSecretStore::write(const QString &key, const QString &secret)
{
    const Outcome job = runJob<QKeychain::WritePasswordJob>(
        m_service, key, [&secret](QKeychain::WritePasswordJob &j) { j.setTextData(secret); });
    if (job.error == QKeychain::NoError)
        return {};
    return Error{noService(job.error) ? ErrorCode::NoKeychain : ErrorCode::KeychainError,
                 u"The secret was not stored: no system keychain is available (%1). It is kept "
                 "in memory for this session only; start a keychain service (e.g. GNOME "
                 "Keyring or KWallet) to remember it."_s.arg(job.errorString)};
}

Status KeychainSecretStore::remove(const QString &key)
{
    const Outcome job = runJob<QKeychain::DeletePasswordJob>(m_service, key);
    if (job.error == QKeychain::NoError || job.error == QKeychain::EntryNotFound)
        return {};
    return Error{noService(job.error) ? ErrorCode::NoKeychain : ErrorCode::KeychainError,
                 u"Could not remove the secret from the system keychain: %1"_s.arg(
                     job.errorString)};
}

} // namespace gpuwb
