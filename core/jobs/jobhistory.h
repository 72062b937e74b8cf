#pragma once

#include "core/jobs/jobresult.h"
#include "core/jobs/jobspec.h"
#include "core/util/result.h"

#include <QDateTime>
#include <QList>
#include <QSqlDatabase>
#include <QString>

#include <memory>
#include <optional>

namespace gpuwb {

// One job as the history keeps it: its spec, how it went, and where its log is.
struct JobRecord
{
    QString id;
    JobSpec spec;
    JobState state = JobState::Pending;
    QDateTime started;
    QDateTime finished;
    int exitCode = -1;
    QString logPath;
    QString message;

    // Takes a job's final outcome: state, exit code, message, times (now, when the result
    // has no end time) and the log path when the result names one.
    void apply(const JobResult &result);
    friend bool operator==(const JobRecord &, const JobRecord &) = default;
};

// The store of past and running jobs: one SQLite database (WAL, schema versioned with
// PRAGMA user_version) through its own uniquely named connection. Used only from the thread
// that opened it. Opening marks local jobs an earlier session left running as Lost; remote
// jobs (another target) keep running on their hosts and stay Running, for
// JobManager::reattach.
class JobHistory
{
public:
    static constexpr int SchemaVersion = 2; // 2: jobs.owner

    static Result<std::unique_ptr<JobHistory>> open(const QString &databasePath);
    ~JobHistory();
    JobHistory(const JobHistory &) = delete;
    JobHistory &operator=(const JobHistory &) = delete;

    // The spec is kept without its environment values (names only): [env] may hold tokens.
    Status add(const JobRecord &record);
    // Replaces the stored record with the same id.
    Status update(const JobRecord &record);
    // Newest first (by start time).
    QList<JobRecord> recent(int limit = 500) const;
    std::optional<JobRecord> find(const QString &id) const;
    // Jobs recorded as Pending, Running or Stopping, oldest first.
    QList<JobRecord> unfinished() const;
    QString databasePath() const { return m_path; }

private:
    JobHistory(QString connectionName, QString path);
    Status write(const JobRecord &record, bool insert);

    QString m_connectionName;
    QString m_path;
    // This history's lease: the jobs it adds carry `m_owner`, and `<database>.owners/OWNER.lock`
    // stays locked (flock) while it lives, so another instance opening the same history never
    // takes those jobs for abandoned ones (issue 10, item 5).
    QString m_owner;
    int m_ownerFd = -1;
    QSqlDatabase m_db;
};

} // namespace gpuwb
