#include "core/jobs/jobhistory.h"

#include "core/util/logging.h"

#include <QAtomicInt>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QRandomGenerator>
#include <QVariant>

#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

void JobRecord::apply(const JobResult &result)
{
    state = result.state;
    exitCode = result.exitCode;
    message = result.message;
    if (result.started.isValid())
        started = result.started;
    finished = result.finished.isValid() ? result.finished : QDateTime::currentDateTimeUtc();
    if (!result.logPath.isEmpty())
        logPath = result.logPath;
}

namespace {

QAtomicInt s_connectionCounter;

QVariant timeValue(const QDateTime &t)
{
    return t.isValid() ? QVariant(t.toMSecsSinceEpoch()) : QVariant(QMetaType::fromType<qint64>());
}

QDateTime timeFrom(const QVariant &v)
{
    return v.isNull() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(v.toLongLong(), QTimeZone::UTC);
}

Error sqlError(const QString &what, const QSqlError &error, const QString &path)
{
    return Error{ErrorCode::History, u"The job history (%1) could not be %2: %3. If it keeps failing, "
                               "move the file aside; a new history will be started."_s
                                   .arg(path, what, error.text())};
}

JobRecord recordFrom(const QSqlQuery &q)
{
    JobRecord r;
    r.id = q.value(0).toString();
    r.spec = JobSpec::fromJson(q.value(1).toByteArray());
    r.state = jobStateFromString(q.value(2).toString());
    r.started = timeFrom(q.value(3));
    r.finished = timeFrom(q.value(4));
    r.exitCode = q.value(5).isNull() ? -1 : q.value(5).toInt();
    r.logPath = q.value(6).toString();
    r.message = q.value(7).toString();
    return r;
}

bool isLocalTarget(const QString &targetId)
{
    return targetId.isEmpty() || targetId == u"local"_s;
}

const QString SelectColumns =
    u"SELECT id, spec, state, started, finished, exit_code, log_path, message FROM jobs"_s;

QString ownersFolder(const QString &databasePath)
{
    return databasePath + u".owners"_s;
}

// Whether the history instance `owner` still holds its lease (its lock file is locked).
bool ownerAlive(const QString &databasePath, const QString &owner)
{
    if (owner.isEmpty())
        return false;
    const QByteArray lock = QFile::encodeName(ownersFolder(databasePath) + u'/' + owner
                                              + u".lock"_s);
    const int fd = ::open(lock.constData(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    if (!held)
        ::unlink(lock.constData()); // a crashed instance's leftover
    return held;
}

} // namespace

JobHistory::JobHistory(QString connectionName, QString path)
    : m_connectionName(std::move(connectionName)), m_path(std::move(path))
{}

JobHistory::~JobHistory()
{
    if (m_db.isValid())
        m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
    if (m_ownerFd >= 0) {
        QFile::remove(ownersFolder(m_path) + u'/' + m_owner + u".lock"_s);
        ::close(m_ownerFd); // the lock goes with it
    }
}

Result<std::unique_ptr<JobHistory>> JobHistory::open(const QString &databasePath)
{
    const QString dir = QFileInfo(databasePath).absolutePath();
    if (!QDir().mkpath(dir))
        return Error{ErrorCode::History, u"Could not create the folder %1 for the job history. Check "
                                   "that it is writable."_s.arg(dir)};
    const QString name = u"gpuwb-history-%1"_s.arg(s_connectionCounter.fetchAndAddRelaxed(1));
    std::unique_ptr<JobHistory> history(new JobHistory(name, databasePath));
    {
        const QString owners = ownersFolder(databasePath);
        QDir().mkpath(owners);
        QFile::setPermissions(owners, QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                          | QFileDevice::ExeOwner);
        history->m_owner = QString::number(QRandomGenerator::system()->generate64(), 36);
        const QByteArray lock = QFile::encodeName(owners + u'/' + history->m_owner + u".lock"_s);
        history->m_ownerFd = ::open(lock.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (history->m_ownerFd < 0 || ::flock(history->m_ownerFd, LOCK_EX | LOCK_NB) != 0)
            return Error{ErrorCode::History, u"Could not take a lease on the job history in %1 (%2). "
                                       "Check that the folder is writable."_s
                                           .arg(owners, QString::fromLocal8Bit(::strerror(errno)))};
    }
    history->m_db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
    QSqlDatabase &db = history->m_db;
    if (!db.isValid())
        return Error{ErrorCode::History, u"The SQLite driver of Qt (QSQLITE) is missing, so the job "
                                   "history cannot be kept. Install the Qt SQL SQLite plugin."_s};
    db.setDatabaseName(databasePath);
    db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=2000"_s);
    if (!db.open())
        return sqlError(u"opened"_s, db.lastError(), databasePath);
    // Commands, environments and messages are the user's alone: the database and its WAL
    // files 0600 (SQLite gives -wal and -shm the database file's mode).
    for (const QString &suffix : {QString(), u"-wal"_s, u"-shm"_s}) {
        if (QFileInfo::exists(databasePath + suffix))
            QFile::setPermissions(databasePath + suffix,
                                  QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    }

    QSqlQuery q(db);
    // Reading user_version is also the first real read: a file that is not a database fails here.
    if (!q.exec(u"PRAGMA user_version"_s) || !q.next())
        return sqlError(u"read"_s, q.lastError(), databasePath);
    const int version = q.value(0).toInt();
    q.finish();
    if (version > SchemaVersion)
        return Error{ErrorCode::HistoryNewer,
                     u"The job history %1 was written by a newer GPU Workbench (schema %2, this "
                     "version reads %3). Use the newer version, or move the file aside."_s
                         .arg(databasePath)
                         .arg(version)
                         .arg(SchemaVersion)};
    if (!q.exec(u"PRAGMA journal_mode=WAL"_s))
        qCWarning(lcJobs) << "job history: WAL not available:" << q.lastError().text();
    q.finish();
    // WAL with NORMAL sync: a commit costs no fsync, and a crash loses at most the last commits.
    (void)q.exec(u"PRAGMA synchronous=NORMAL"_s);
    q.finish();
    if (version < 1) {
        if (!db.transaction())
            return sqlError(u"set up"_s, db.lastError(), databasePath);
        const bool created =
            q.exec(u"CREATE TABLE IF NOT EXISTS jobs ("
                   "id TEXT PRIMARY KEY NOT NULL, spec TEXT NOT NULL, state TEXT NOT NULL, "
                   "started INTEGER, finished INTEGER, exit_code INTEGER, log_path TEXT, "
                   "message TEXT, owner TEXT)"_s)
            && q.exec(u"CREATE INDEX IF NOT EXISTS jobs_by_start ON jobs (started DESC, id DESC)"_s)
            && q.exec(u"PRAGMA user_version = %1"_s.arg(SchemaVersion));
        if (!created) {
            const QSqlError error = q.lastError();
            db.rollback();
            return sqlError(u"set up"_s, error, databasePath);
        }
        if (!db.commit())
            return sqlError(u"set up"_s, db.lastError(), databasePath);
    } else if (version < 2) {
        if (!q.exec(u"ALTER TABLE jobs ADD COLUMN owner TEXT"_s)
            || !q.exec(u"PRAGMA user_version = %1"_s.arg(SchemaVersion)))
            return sqlError(u"upgraded"_s, q.lastError(), databasePath);
    }
    // Local jobs an earlier session left running: the workbench ended under them. Remote jobs
    // run detached on their hosts and stay Running until someone re-attaches to them.
    QStringList lost;
    q.setForwardOnly(true);
    q.prepare(u"SELECT id, spec, owner FROM jobs WHERE state IN (:pending, :running, "
              ":stopping)"_s);
    q.bindValue(u":pending"_s, toString(JobState::Pending));
    q.bindValue(u":running"_s, toString(JobState::Running));
    q.bindValue(u":stopping"_s, toString(JobState::Stopping));
    if (!q.exec())
        return sqlError(u"read"_s, q.lastError(), databasePath);
    // Another instance's jobs (its lease still held) are its own: not abandoned.
    while (q.next())
        if (isLocalTarget(JobSpec::fromJson(q.value(1).toByteArray()).targetId)
            && !ownerAlive(databasePath, q.value(2).toString()))
            lost.append(q.value(0).toString());
    q.finish();
    for (const QString &id : std::as_const(lost)) {
        q.prepare(u"UPDATE jobs SET state = :lost, message = :message WHERE id = :id"_s);
        q.bindValue(u":lost"_s, toString(JobState::Lost));
        q.bindValue(u":message"_s, u"GPU Workbench ended while this job was running; how it "
                                   "ended is unknown. Its log holds the output up to then."_s);
        q.bindValue(u":id"_s, id);
        if (!q.exec())
            return sqlError(u"updated"_s, q.lastError(), databasePath);
    }
    return history;
}

Status JobHistory::add(const JobRecord &record)
{
    return write(record, true);
}

Status JobHistory::update(const JobRecord &record)
{
    return write(record, false);
}

Status JobHistory::write(const JobRecord &record, bool insert)
{
    QSqlQuery q(m_db);
    q.prepare(insert ? u"INSERT INTO jobs (id, spec, state, started, finished, exit_code, "
                       "log_path, message, owner) VALUES (:id, :spec, :state, :started, "
                       ":finished, :exit_code, :log_path, :message, :owner)"_s
                     : u"UPDATE jobs SET spec = :spec, state = :state, started = :started, "
                       "finished = :finished, exit_code = :exit_code, log_path = :log_path, "
                       "message = :message WHERE id = :id"_s);
    // [env] values may be tokens: they stay where the user put them (gpuwb.toml) and in the
    // running job, never in the history, which keeps their names only.
    JobSpec kept = record.spec;
    for (auto it = kept.environment.begin(); it != kept.environment.end(); ++it)
        it.value().clear();
    q.bindValue(u":id"_s, record.id);
    q.bindValue(u":spec"_s, QString::fromUtf8(kept.toJson()));
    q.bindValue(u":state"_s, toString(record.state));
    q.bindValue(u":started"_s, timeValue(record.started));
    q.bindValue(u":finished"_s, timeValue(record.finished));
    q.bindValue(u":exit_code"_s, record.exitCode);
    q.bindValue(u":log_path"_s, record.logPath);
    q.bindValue(u":message"_s, record.message);
    if (insert)
        q.bindValue(u":owner"_s, m_owner);
    if (!q.exec())
        return sqlError(insert ? u"added to"_s : u"updated"_s, q.lastError(), m_path);
    if (!insert && q.numRowsAffected() == 0)
        return Error{ErrorCode::HistoryMissing,
                     u"Job %1 is not in the job history, so it could not be updated."_s.arg(record.id)};
    return {};
}

QList<JobRecord> JobHistory::recent(int limit) const
{
    QList<JobRecord> records;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(SelectColumns + u" ORDER BY started DESC, id DESC LIMIT :limit"_s);
    q.bindValue(u":limit"_s, std::max(limit, 0));
    if (!q.exec()) {
        qCWarning(lcJobs) << "job history: reading failed:" << q.lastError().text();
        return records;
    }
    while (q.next())
        records.append(recordFrom(q));
    return records;
}

QList<JobRecord> JobHistory::unfinished() const
{
    QList<JobRecord> records;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(SelectColumns + u" WHERE state IN (:pending, :running, :stopping) "
                              "ORDER BY started, id"_s);
    q.bindValue(u":pending"_s, toString(JobState::Pending));
    q.bindValue(u":running"_s, toString(JobState::Running));
    q.bindValue(u":stopping"_s, toString(JobState::Stopping));
    if (!q.exec()) {
        qCWarning(lcJobs) << "job history: reading failed:" << q.lastError().text();
        return records;
    }
    while (q.next())
        records.append(recordFrom(q));
    return records;
}

std::optional<JobRecord> JobHistory::find(const QString &id) const
{
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(SelectColumns + u" WHERE id = :id"_s);
    q.bindValue(u":id"_s, id);
    if (!q.exec()) {
        qCWarning(lcJobs) << "job history: reading failed:" << q.lastError().text();
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return recordFrom(q);
}

} // namespace gpuwb
